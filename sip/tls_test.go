package sip

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testTLS is a self-signed server configuration for 127.0.0.1 and a client
// configuration that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool}
}

// readSIP reads one message from a stream: headers, then Content-Length bytes.
func readSIP(t *testing.T, r *bufio.Reader) (first string, hdr textproto.MIMEHeader, body string) {
	t.Helper()
	tp := textproto.NewReader(r)
	first, err := tp.ReadLine()
	for err == nil && first == "" { // keep-alive CRLFs
		first, err = tp.ReadLine()
	}
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	hdr, err = tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("headers: %v", err)
	}
	n, _ := strconv.Atoi(hdr.Get("Content-Length"))
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("body: %v", err)
	}
	return first, hdr, string(b)
}

// A room system calls over SIP/TLS (RFC 3261 §26.2): the INVITE, our 200 (Contact
// on the TLS port with transport=tls), its ACK and BYE all travel in one TLS
// connection; a client that does not speak TLS gets nothing from that port.
func TestTLSInboundCall(t *testing.T) {
	srvConf, cliConf := testTLS(t)
	calls := make(chan *InboundCall, 1)
	s := startService(t, Config{TLSListen: "127.0.0.1:0", TLS: srvConf}, answerHandler(t, calls, Events{}))
	addr := s.TLSAddr()
	if !addr.IsValid() {
		t.Fatal("no TLS listener")
	}
	conn, err := tls.Dial("tcp", addr.String(), cliConf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if v := conn.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Fatalf("TLS version %x", v)
	}
	local := conn.LocalAddr().String()
	sdpBody := "v=0\r\no=room 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	send := func(method, cseq, toTag, body string) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s sip:123456789@127.0.0.1:%d;transport=tls SIP/2.0\r\n", method, addr.Port())
		fmt.Fprintf(&b, "Via: SIP/2.0/TLS %s;branch=z9hG4bK-%s-%d\r\n", local, strings.ToLower(method), time.Now().UnixNano())
		fmt.Fprintf(&b, "From: <sip:room@127.0.0.1>;tag=tlsroom\r\nTo: <sip:123456789@127.0.0.1>%s\r\n", toTag)
		fmt.Fprintf(&b, "Call-ID: tls-call-1\r\nCSeq: %s\r\nMax-Forwards: 70\r\n", cseq)
		fmt.Fprintf(&b, "Contact: <sip:room@%s;transport=tls>\r\n", local)
		if body != "" {
			b.WriteString("Content-Type: application/sdp\r\n")
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(conn)
	send("INVITE", "1 INVITE", "", sdpBody)
	var hdr textproto.MIMEHeader
	var first string
	for {
		first, hdr, _ = readSIP(t, r)
		if !strings.HasPrefix(first, "SIP/2.0 1") {
			break
		}
	}
	if !strings.HasPrefix(first, "SIP/2.0 200") {
		t.Fatalf("INVITE over TLS answered %q", first)
	}
	contact := hdr.Get("Contact")
	if !strings.Contains(contact, "transport=tls") || !strings.Contains(contact, ":"+strconv.Itoa(int(addr.Port()))) {
		t.Errorf("Contact %q, want the TLS port with transport=tls", contact)
	}
	to := hdr.Get("To")
	tag := to[strings.Index(to, ">")+1:]
	send("ACK", "1 ACK", tag, "")
	c := <-calls
	send("BYE", "2 BYE", tag, "")
	if first, _, _ = readSIP(t, r); !strings.HasPrefix(first, "SIP/2.0 200") {
		t.Errorf("BYE over TLS answered %q", first)
	}
	waitDone(t, c.Done(), 5*time.Second, "call end after BYE over TLS")

	// Plain SIP to the TLS port: the handshake fails, nothing is answered.
	raw, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_, _ = raw.Write([]byte("OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-x\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:gw@127.0.0.1>\r\nCall-ID: plain\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
	_ = raw.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 512)
	n, _ := raw.Read(b)
	if strings.Contains(string(b[:n]), "SIP/2.0") {
		t.Errorf("plain SIP answered on the TLS port: %q", b[:n])
	}
}

func TestTLSListenNeedsCertificate(t *testing.T) {
	if _, err := New(Config{Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:0"}, nil, nil); err == nil {
		t.Error("a TLS listener without a certificate was accepted")
	}
}
