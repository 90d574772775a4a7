package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// Without a configured certificate the SIP/TLS listener gets a self-signed one for the
// advertised address, kept across restarts; a client that trusts that file completes
// a TLS 1.2+ handshake, and TLS 1.1 is refused.
func TestSIPTLSConfigSelfSigned(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	conf, err := sipTLSConfig("", "", dir, []string{"127.0.0.1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "sip_tls_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "sip_tls_key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}
	again, err := sipTLSConfig("", "", dir, []string{"127.0.0.1"}, log)
	if err != nil || string(again.Certificates[0].Certificate[0]) != string(conf.Certificates[0].Certificate[0]) {
		t.Fatalf("second start made another certificate (%v)", err)
	}

	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("a client trusting the certificate file: %v", err)
	}
	if v := c.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("negotiated TLS version %x", v)
	}
	c.Close()
	if c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}); err == nil {
		c.Close()
		t.Error("a TLS 1.1 client was accepted")
	}
	if _, err := sipTLSConfig(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing.key"), dir, nil, log); err == nil {
		t.Error("a missing configured certificate was accepted")
	}
}
