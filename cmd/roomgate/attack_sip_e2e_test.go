//go:build e2e

// Adversarial end-to-end tests of the SIP leg (issue 11): attackers on other loopback
// addresses send what a scanner or a flooder would, against a real `roomgate serve`;
// the process must survive, stay bounded and keep serving the legitimate room system on
// 127.0.0.1. These gateways run without the harness's packet capture: the attacks are
// malformed on purpose.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startSIPAttackGateway is a SIP-enabled roomgate without a capture; extraSIP goes under
// sip:.
func startSIPAttackGateway(t *testing.T, extraSIP string) *sipGW {
	t.Helper()
	g, dir := sipGatewayConfig(t, extraSIP, "")
	g.proc = start(t, dir)
	return g
}

// healthy fails the test unless the process runs and its API answers.
func (g *sipGW) healthy(t *testing.T) {
	t.Helper()
	select {
	case err := <-g.exited:
		g.exited = nil
		t.Fatalf("roomgate died: %v\n%s", err, g.logTail())
	default:
	}
	resp, err := http.Get(g.URL + "/healthz")
	if err != nil {
		t.Fatalf("API: %v\n%s", err, g.logTail())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("API: %d", resp.StatusCode)
	}
}

// legitCall is an ordinary SIPp room-system call from 127.0.0.1 that must connect
// and end cleanly.
func (g *sipGW) legitCall(t *testing.T, meeting string, args ...string) {
	t.Helper()
	r := g.sippCall(t, "uac_call.xml", map[string]int{"HoldMs": 1000}, meeting, args...)
	r.mustPass(g, 30*time.Second)
}

// attackUDP is a socket on an attacker's address.
func attackUDP(t *testing.T, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// crlf turns \n into CRLF and fills {port} with the sender's port.
func crlf(msg string, port int) []byte {
	msg = strings.ReplaceAll(strings.TrimLeft(msg, "\n"), "\n", "\r\n")
	return []byte(strings.ReplaceAll(msg, "{port}", strconv.Itoa(port)))
}

// statuses collects the status lines answered to c for d (by Call-ID).
func statuses(c *net.UDPConn, d time.Duration) map[string]string {
	out, _ := answered(c, d)
	return out
}

// answered is statuses with the 2xx responses themselves, for hanging up.
func answered(c *net.UDPConn, d time.Duration) (map[string]string, []string) {
	out := map[string]string{}
	var oks []string
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 65535)
	reCID := regexp.MustCompile(`(?mi)^(?:call-id|i)\s*:\s*(\S+)`)
	for {
		n, _, err := c.ReadFromUDP(buf)
		if err != nil {
			return out, oks
		}
		msg := string(buf[:n])
		first, _, _ := strings.Cut(msg, "\r\n")
		id := ""
		if m := reCID.FindStringSubmatch(msg); m != nil {
			id = m[1]
		}
		if strings.HasPrefix(first, "SIP/2.0 ") && !strings.HasPrefix(first, "SIP/2.0 1") {
			if _, dup := out[id]; !dup && strings.HasPrefix(first, "SIP/2.0 2") {
				oks = append(oks, msg)
			}
			out[id] = first
		}
	}
}

// hangUp acknowledges and ends the calls the flooder's INVITEs got answered, as a
// finished attacker would leave them (else SIGTERM waits for BYE timeouts).
func hangUp(c *net.UDPConn, dst *net.UDPAddr, oks []string) {
	reTo := regexp.MustCompile(`(?mi)^(?:to|t)\s*:\s*(.*)$`)
	reCID := regexp.MustCompile(`(?mi)^(?:call-id|i)\s*:\s*(\S+)`)
	port := c.LocalAddr().(*net.UDPAddr).Port
	for _, ok := range oks {
		to, cid := reTo.FindStringSubmatch(ok), reCID.FindStringSubmatch(ok)
		if to == nil || cid == nil {
			continue
		}
		for _, m := range []string{"ACK 1", "BYE 2"} {
			method, seq, _ := strings.Cut(m, " ")
			_, _ = c.WriteToUDP(crlf(fmt.Sprintf(`%[1]s sip:gw@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK-%[1]s-%[2]s;rport
From: <sip:scanner@127.0.0.2>;tag=%[2]s
To: %[3]s
Call-ID: %[2]s
CSeq: %[4]s %[1]s
Max-Forwards: 70
Content-Length: 0

`, method, cid[1], strings.TrimSpace(to[1]), seq), port), dst)
		}
	}
}

const attackInvite = `INVITE sip:%[1]s@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK-%[2]s;rport
From: <sip:scanner@127.0.0.2>;tag=%[2]s
To: <sip:%[1]s@127.0.0.1>
Call-ID: %[2]s
CSeq: 1 INVITE
Contact: <sip:scanner@127.0.0.2:{port}>
Max-Forwards: 70
%[3]sContent-Type: application/sdp
Content-Length: %[4]d

%[5]s`

// attackSDP is an ordinary room-system offer (what the SIPp call offers).
const attackSDP = "v=0\r\no=x 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
	"m=audio 4000 RTP/AVP 9 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n" +
	"m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\na=sendrecv\r\n"

func attackInviteMsg(user, id, extra, body string, port int) []byte {
	return append(crlf(fmt.Sprintf(attackInvite, user, id, extra, len(body), ""), port), body...)
}

// TestAttackSIPMalformedInvites: RFC 4475's insuf and friends (no From, To, Call-ID,
// CSeq; SIP/3.0; two Content-Length) over UDP and TCP from 127.0.0.2. Before the fix
// insuf panicked the inbound path and took the process down. Now each gets its 400/505,
// the process and API live on, and a room system's call connects.
func TestAttackSIPMalformedInvites(t *testing.T) {
	g := startSIPAttackGateway(t, "")
	open, _, _ := g.meeting(t, map[string]any{"topic": "attack malformed"})
	insuf, err := os.ReadFile(filepath.Join(repoDir(t), "sip", "testdata", "rfc4475", "insuf.dat"))
	if err != nil {
		t.Fatal(err)
	}
	a := attackUDP(t, "127.0.0.2")
	port := a.LocalAddr().(*net.UDPAddr).Port
	drop := func(msg []byte, header string) []byte {
		var out [][]byte
		for l := range bytes.SplitSeq(msg, []byte("\r\n")) {
			if !bytes.HasPrefix(l, []byte(header)) {
				out = append(out, l)
			}
		}
		return bytes.Join(out, []byte("\r\n"))
	}
	cases := map[string][]byte{
		"no-from":    drop(attackInviteMsg(open, "no-from", "", attackSDP, port), "From:"),
		"no-to":      drop(attackInviteMsg(open, "no-to", "", attackSDP, port), "To:"),
		"no-cseq":    drop(attackInviteMsg(open, "no-cseq", "", attackSDP, port), "CSeq:"),
		"sip-3.0":    bytes.Replace(attackInviteMsg(open, "sip-3.0", "", attackSDP, port), []byte("SIP/2.0\r\n"), []byte("SIP/3.0\r\n"), 1),
		"two-length": attackInviteMsg(open, "two-length", "Content-Length: 3\n", attackSDP, port),
	}
	want := map[string]string{"no-from": "400", "no-to": "400", "no-cseq": "400", "sip-3.0": "505", "two-length": "400"}
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: g.SIPPort}
	// insuf has no Call-ID, no From and no To; its Via names 192.0.2.95 without rport,
	// so its 400 goes there: only survival is checked for it.
	for range 3 {
		if _, err := a.WriteToUDP(insuf, dst); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range cases {
		if _, err := a.WriteToUDP(m, dst); err != nil {
			t.Fatal(err)
		}
	}
	got := statuses(a, 2*time.Second)
	for id, code := range want {
		if !strings.HasPrefix(got[id], "SIP/2.0 "+code) {
			t.Errorf("%s: answered %q, want %s", id, got[id], code)
		}
	}
	// The same over TCP: insuf and a request without Call-ID, then the connection
	// still answers OPTIONS.
	c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", dst.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	insufTCP := bytes.Replace(insuf, []byte("SIP/2.0/UDP"), []byte("SIP/2.0/TCP"), 1)
	c.Write(insufTCP)
	c.Write(crlf(`OPTIONS sip:gw@127.0.0.1 SIP/2.0
Via: SIP/2.0/TCP 127.0.0.2:{port};branch=z9hG4bK-tcp-probe
From: <sip:scanner@127.0.0.2>;tag=p
To: <sip:gw@127.0.0.1>
Call-ID: tcp-probe
CSeq: 1 OPTIONS
Content-Length: 0

`, 5060))
	// Requests are served concurrently: the two answers come in either order.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var seen bytes.Buffer
	buf := make([]byte, 4096)
	for !bytes.Contains(seen.Bytes(), []byte("Call-ID: tcp-probe")) || !bytes.Contains(seen.Bytes(), []byte("SIP/2.0 400")) {
		n, err := c.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("TCP after insuf: %v; read %q\n%s", err, seen.String(), g.logTail())
		}
	}
	g.healthy(t)
	g.legitCall(t, open)
	g.healthy(t)
}

// TestAttackSIPSlowAndIdleTCP: 127.0.0.2 fills its SIP/TCP connection cap with idle
// connections and slowloris half-messages and opens more; the extra ones are closed at
// once, the idle and slow ones by the timeouts, and a room system's call over TCP
// connects. Before the fix every connection stayed open forever.
func TestAttackSIPSlowAndIdleTCP(t *testing.T) {
	g := startSIPAttackGateway(t, "  limits:\n    tcp_connections_per_source: 8\n    tcp_read_timeout: 2s\n    tcp_idle_timeout: 3s\n")
	open, _, _ := g.meeting(t, map[string]any{"topic": "attack tcp"})
	addr := fmt.Sprintf("127.0.0.1:%d", g.SIPPort)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	var held []net.Conn
	for i := range 20 {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if i%2 == 0 {
			fmt.Fprintf(c, "INVITE sip:%s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2;branch=z9hG4bK-slow%d\r\n", open, i)
		}
		held = append(held, c)
	}
	g.legitCall(t, open, "-t", "t1")
	// Every attacker connection ends: over the cap at accept, the rest by the 2 s
	// read timeout (half messages) or the 3 s idle timeout.
	for i, c := range held {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("attacker connection %d (slow %v) still open after 10 s", i, i%2 == 0)
		}
	}
	g.healthy(t)
}

// TestAttackSIPAcceptAtDescriptorLimit: roomgate runs with 400 descriptors; attackers
// on 127.0.0.2–127.0.0.21 open SIP/TCP connections until accept fails with EMFILE, then
// leave. Before the fix sipgo's accept loop returned on the first EMFILE and SIP/TCP was
// dead for good; now accepting resumes after a back-off and a call over TCP connects.
func TestAttackSIPAcceptAtDescriptorLimit(t *testing.T) {
	wrapper := filepath.Join(t.TempDir(), "roomgate-nofile.sh")
	script := "#!/bin/sh\nulimit -n 400\nexec " + binPath(t) + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROOMGATE_BIN", wrapper)
	g := startSIPAttackGateway(t, "")
	open, _, _ := g.meeting(t, map[string]any{"topic": "attack emfile"})
	addr := fmt.Sprintf("127.0.0.1:%d", g.SIPPort)
	var conns []net.Conn
	for src := 2; src <= 21; src++ {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(src))}, Timeout: time.Second}
		for range 25 {
			c, err := d.Dial("tcp", addr)
			if err != nil {
				break // backlog full: the gateway is out of descriptors
			}
			conns = append(conns, c)
		}
	}
	t.Logf("%d attacker connections opened", len(conns))
	time.Sleep(time.Second) // let the gateway's accept hit the limit and back off
	for _, c := range conns {
		c.Close()
	}
	g.legitCall(t, open, "-t", "t1")
	g.healthy(t)
	if !strings.Contains(g.logTail(), "accept failing") {
		b, _ := os.ReadFile(g.logPath)
		if !bytes.Contains(b, []byte("accept failing")) {
			t.Errorf("the gateway never logged running out of descriptors: the test did not reach the limit")
		}
	}
}

// TestAttackSIPInviteFlood: 127.0.0.2 sends 3000 INVITEs to a meeting as fast as it can
// while the room system on 127.0.0.1 calls the same meeting. Before the fix every INVITE
// was served (media ports, call state, a log line each) and the room's call found the
// port range used up; now the flooder gets one 503 and silence, one log line says so,
// and the room's call connects.
func TestAttackSIPInviteFlood(t *testing.T) {
	g := startSIPAttackGateway(t, "  limits:\n    requests_per_second: 20\n    burst: 40\n    block: 3s\n")
	open, _, _ := g.meeting(t, map[string]any{"topic": "attack flood"})
	a := attackUDP(t, "127.0.0.2")
	port := a.LocalAddr().(*net.UDPAddr).Port
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: g.SIPPort}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3000 {
			_, _ = a.WriteToUDP(attackInviteMsg(open, fmt.Sprintf("flood-%d", i), "", attackSDP, port), dst)
			if i%100 == 99 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	begin := time.Now()
	g.legitCall(t, open)
	<-done
	got, oks := answered(a, 2*time.Second)
	refused := 0
	for _, st := range got {
		if strings.HasPrefix(st, "SIP/2.0 503") {
			refused++
		}
	}
	if refused != 1 || len(got) > 200 {
		t.Errorf("the flooder got %d answers, %d of them 503; want one 503 and silence", len(got), refused)
	}
	b, _ := os.ReadFile(g.logPath)
	if n := bytes.Count(b, []byte("over its request rate")); n != 1 {
		t.Errorf("%d log lines saying the source is limited, want 1", n)
	}
	if n := bytes.Count(b, []byte("flood-")); n > 500 {
		t.Errorf("%d log lines name flood calls: the log grows with the flood", n)
	}
	g.healthy(t)
	time.Sleep(time.Until(begin.Add(3500 * time.Millisecond))) // the block is over
	hangUp(a, dst, oks)
	statuses(a, time.Second)
}

// TestAttackSIPOversizeAnswer: INVITEs over UDP whose 200 OK cannot fit a datagram
// (the answer copies 40 long Record-Route headers, over 5 KB). Before the fix the 200 was never
// sent and each call's dialog stayed until shutdown; now each INVITE gets 513, and the
// gateway's SIP stack reports no dialog left when it stops.
func TestAttackSIPOversizeAnswer(t *testing.T) {
	g := startSIPAttackGateway(t, "")
	open, _, _ := g.meeting(t, map[string]any{"topic": "attack oversize"})
	a := attackUDP(t, "127.0.0.2")
	port := a.LocalAddr().(*net.UDPAddr).Port
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: g.SIPPort}
	var rr strings.Builder
	for i := range 40 {
		fmt.Fprintf(&rr, "Record-Route: <sip:proxy%d.example.com;lr;pad=%s>\n", i, strings.Repeat("x", 100))
	}
	const n = 30
	for i := range n {
		_, _ = a.WriteToUDP(attackInviteMsg(open, fmt.Sprintf("big-%d", i), rr.String(), attackSDP, port), dst)
		time.Sleep(20 * time.Millisecond) // stay under the default request rate
	}
	got := statuses(a, 5*time.Second)
	tooLarge := 0
	for _, st := range got {
		if strings.HasPrefix(st, "SIP/2.0 513") {
			tooLarge++
		}
	}
	if tooLarge != n {
		t.Errorf("%d of %d oversize INVITEs answered 513: %v\n%s", tooLarge, n, got, g.logTail())
	}
	g.healthy(t)
	g.stop()
	b, _ := os.ReadFile(g.logPath)
	m := regexp.MustCompile(`sip service stopping.* calls=(\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no stopping line with the call count in the log")
	}
	if string(m[1]) != "0" {
		t.Errorf("%s dialogs left at shutdown after %d oversize INVITEs", m[1], n)
	}
}
