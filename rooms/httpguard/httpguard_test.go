package httpguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// dialFrom opens a TCP connection to addr from the loopback address src.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPerSourceCapAndRelease(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Listen(raw, Limits{MaxConnsPerSource: 3, MaxConns: 100}, nil)
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	addr := raw.Addr().String()
	attacker := netip.MustParseAddr("127.0.0.2")
	var held []net.Conn
	for range 3 {
		held = append(held, dialFrom(t, "127.0.0.2", addr))
		<-accepted
	}
	// the fourth from the same source is closed by the server at once
	extra := dialFrom(t, "127.0.0.2", addr)
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("connection over the cap: read %v, want EOF or reset", err)
	}
	// another source still gets in
	other := dialFrom(t, "127.0.0.1", addr)
	defer other.Close()
	c := <-accepted
	if n, total := ln.Open(attacker); n != 3 || total != 4 {
		t.Fatalf("open: %d from the attacker, %d in total; want 3 and 4", n, total)
	}
	if ln.Refused() != 1 {
		t.Fatalf("refused = %d, want 1", ln.Refused())
	}
	// closing on the server's side frees the slot, once
	c.Close()
	c.Close()
	if _, total := ln.Open(attacker); total != 3 {
		t.Fatalf("total after a close = %d, want 3", total)
	}
	for _, h := range held {
		h.Close()
	}
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// emfileListener fails like a process out of descriptors, then works.
type emfileListener struct {
	net.Listener
	fails int
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.fails > 0 {
		l.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// The wrapper hands EMFILE to net/http unchanged, and Serve keeps accepting.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Listen(&emfileListener{Listener: raw, fails: 3}, Limits{}, nil)
	srv := Limits{}.Server(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }), nil)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	}()
	var ne net.Error
	if e := (&net.OpError{Err: syscall.EMFILE}); !errors.As(error(e), &ne) || !ne.Temporary() { //nolint:staticcheck // what Serve checks
		t.Fatal("EMFILE must look temporary to net/http")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + raw.Addr().String())
	if err != nil {
		t.Fatalf("request after EMFILE: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("body %q", b)
	}
}

func TestServerTimeouts(t *testing.T) {
	srv := Limits{}.Server(http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("server without limits: %+v", srv)
	}
}
