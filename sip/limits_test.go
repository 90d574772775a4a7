package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/siptest"
)

// logCount counts the occurrences of text in a collected log.
func logCount(l *siptest.Buffer, text string) int { return strings.Count(l.String(), text) }

func TestRateLimiterStates(t *testing.T) {
	now := time.Unix(1000, 0)
	var logs siptest.Buffer
	r := newRateLimiter(Limits{RequestsPerSecond: 10, Burst: 5, Block: 3 * time.Second}.withDefaults(),
		slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return now })
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for i := range 5 {
		if v := r.take(a); v != pass {
			t.Fatalf("message %d of the burst: %v", i, v)
		}
	}
	if v := r.take(a); v != passOver {
		t.Fatalf("first over the burst: %v, want passOver (503)", v)
	}
	if !r.notice(a) || r.notice(a) {
		t.Fatal("the 503 notice must be given once per block")
	}
	for range 1000 {
		if v := r.take(a); v != drop {
			t.Fatalf("while blocked: %v", v)
		}
	}
	if v := r.take(b); v != pass {
		t.Fatalf("another source: %v", v)
	}
	if n := r.limitedSources(); n != 1 {
		t.Errorf("limited sources %d", n)
	}
	now = now.Add(3 * time.Second)
	if n := r.sweep(); n != 0 {
		t.Errorf("limited after the block: %d", n)
	}
	if v := r.take(a); v != pass {
		t.Fatalf("after the block: %v", v)
	}
	if w, i := logCount(&logs, "over its request rate"), logCount(&logs, "no longer refused"); w != 1 || i != 1 {
		t.Errorf("log lines: %d start, %d end; want one each for 1001 refusals:\n%s", w, i, logs.String())
	}
	if !strings.Contains(logs.String(), "refused=1001") {
		t.Errorf("the summary must count the refusals:\n%s", logs.String())
	}
}

// TestFloodDoesNotStopOthers: an INVITE flood from 127.0.0.2 gets one 503
// with Retry-After, then silence; a call from 127.0.0.1 connects meanwhile.
func TestFloodDoesNotStopOthers(t *testing.T) {
	var logs siptest.Buffer
	cfg := Config{SessionExpires: -1, Listen: "127.0.0.1:0", T1: 100 * time.Millisecond,
		Limits: Limits{RequestsPerSecond: 20, Burst: 20, Block: 5 * time.Second}}
	calls := make(chan *InboundCall, 200)
	s, err := New(cfg, HandlerFunc(func(ctx context.Context, c *InboundCall) {
		if c.Source.Addr() == netip.MustParseAddr("127.0.0.2") {
			c.Reject(486, "Busy Here")
			return
		}
		answerHandler(t, calls, Events{}).HandleInvite(ctx, c)
	}), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	attacker := newRawPeerAt(t, "127.0.0.2", s.Addr())
	const flood = 300
	for i := range flood {
		attacker.send(peerInvite, inviteVars("1", fmt.Sprintf("flood-%d", i), "127.0.0.2:{port}", "", peerOffer))
	}
	room := newRawPeer(t, s.Addr())
	// The flood can overflow the socket's receive buffer in the kernel: like
	// any UAC over UDP (RFC 3261 Timer A) the room retransmits its INVITE.
	var ok *sip.Response
	buf := make([]byte, 65535)
	for try := 0; ok == nil; try++ {
		if try == 6 {
			t.Fatal("the room's INVITE was never answered 200")
		}
		if try > 0 {
			t.Logf("INVITE retransmitted (%d); stats %+v", try, s.Stats())
		}
		room.send(peerInvite, inviteVars("1", "legit", "127.0.0.1:{port}", "", peerOffer))
		room.conn.SetReadDeadline(time.Now().Add(time.Second))
		for ok == nil {
			n, _, err := room.conn.ReadFromUDP(buf)
			if err != nil {
				break
			}
			if r, isRes := parseResponse(buf[:n]); isRes && r.StatusCode == 200 {
				ok = r
			}
		}
	}
	ackFor(room, ok, "legit", "")
	c := <-calls
	// The attacker heard at most the burst (plus what the rate refilled)
	// answered, and one 503 with Retry-After (retransmitted until ACKed:
	// counted by Call-ID).
	busy, unavailable := map[string]bool{}, map[string]bool{}
	attacker.conn.SetReadDeadline(time.Now().Add(time.Second))
	buf = make([]byte, 65535)
	for {
		n, _, err := attacker.conn.ReadFromUDP(buf)
		if err != nil {
			break
		}
		m, err := sip.ParseMessage(bytes.Clone(buf[:n]))
		if err != nil {
			continue
		}
		if r, ok := m.(*sip.Response); ok {
			switch r.StatusCode {
			case 486:
				busy[r.CallID().Value()] = true
			case 503:
				unavailable[r.CallID().Value()] = true
				if h := r.GetHeader("Retry-After"); h == nil || h.Value() != "5" {
					t.Errorf("503 without Retry-After: 5: %v", h)
				}
			}
		}
	}
	if len(unavailable) != 1 || len(busy) > 40 {
		t.Errorf("attacker got %d 503 and %d 486 for %d INVITEs", len(unavailable), len(busy), flood)
	}
	st := s.Stats()
	if st.RateLimited < flood/2 || st.LimitedSources != 1 {
		t.Errorf("stats %+v", st)
	}
	if n := logCount(&logs, "over its request rate"); n != 1 {
		t.Errorf("%d log lines for the flood, want 1", n)
	}
	go c.Bye("")
	room.reply(room.request(2*time.Second, sip.BYE), 200, "OK", "")
	waitDone(t, c.Done(), 2*time.Second, "the legitimate call's end")
}

// TestCallsPerSource: a source with calls_per_source calls in progress gets
// 503 for more; another source is served.
func TestCallsPerSource(t *testing.T) {
	reached := make(chan *InboundCall, 8)
	s := startService(t, Config{RingTimeout: time.Minute, Limits: Limits{CallsPerSource: 2}}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
		reached <- c
		<-ctx.Done() // rings until the test ends
	}))
	p := newRawPeerAt(t, "127.0.0.2", s.Addr())
	for i := range 2 {
		p.send(peerInvite, inviteVars("1", fmt.Sprintf("c%d", i), "127.0.0.2:{port}", "", peerOffer))
		<-reached
	}
	p.send(peerInvite, inviteVars("1", "c2", "127.0.0.2:{port}", "", peerOffer))
	r := p.response(2*time.Second, 503)
	if r.GetHeader("Retry-After") == nil {
		t.Error("503 without Retry-After")
	}
	other := newRawPeerAt(t, "127.0.0.3", s.Addr())
	other.send(peerInvite, inviteVars("1", "o1", "127.0.0.3:{port}", "", peerOffer))
	<-reached
	if st := s.Stats(); st.CallLimited != 1 || st.Calls != 3 {
		t.Errorf("stats %+v", st)
	}
}

// dialFrom opens a TCP connection from a loopback address.
func dialFrom(t *testing.T, ip string, to netip.AddrPort) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", to.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer waits (bounded) for the service to close c.
func closedByPeer(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the connection stayed open", what)
	}
}

func tcpOptions(id string) string {
	return "OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.3:5060;branch=z9hG4bK-" + id +
		"\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:gw@x>\r\nCall-ID: " + id + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

// TestTCPConnectionLimits: idle connections and slow senders from one
// source fill its cap and are closed by the idle and read timeouts; a
// connection over the cap is closed at once; another source is served.
func TestTCPConnectionLimits(t *testing.T) {
	s := startService(t, Config{Limits: Limits{TCPConnectionsPerSource: 4, TCPReadTimeout: 300 * time.Millisecond, TCPIdleTimeout: 600 * time.Millisecond}}, nil)
	var conns []net.Conn
	for i := range 4 {
		c := dialFrom(t, "127.0.0.2", s.Addr())
		if i%2 == 0 {
			// Slowloris: a message started and never finished.
			fmt.Fprint(c, "OPTIONS sip:gw@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2;branch=z9hG4bK-slow\r\n")
		}
		conns = append(conns, c)
	}
	over := dialFrom(t, "127.0.0.2", s.Addr())
	closedByPeer(t, over, "a connection over the per-source cap")

	good := dialFrom(t, "127.0.0.3", s.Addr())
	fmt.Fprint(good, tcpOptions("good"))
	good.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := readLine(good)
	if err != nil || line != "SIP/2.0 200 OK" {
		t.Fatalf("another source: %q %v", line, err)
	}
	for i, c := range conns {
		closedByPeer(t, c, fmt.Sprintf("connection %d (slow %v)", i, i%2 == 0))
	}
	if st := s.Stats(); st.TCPRefused < 1 || st.TCPTimeouts < 4 {
		t.Errorf("stats %+v", st)
	}
}

func readLine(c net.Conn) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		if _, err := c.Read(one); err != nil {
			return string(b), err
		}
		if one[0] == '\n' {
			return strings.TrimRight(string(b), "\r"), nil
		}
		b = append(b, one[0])
	}
}

// failingListener fails Accept with errs, then hands out conns.
type failingListener struct {
	errs   []error
	conns  chan net.Conn
	closed chan struct{}
}

func (l *failingListener) Accept() (net.Conn, error) {
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *failingListener) Close() error { close(l.closed); return nil }
func (l *failingListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}
}

// pipeConn gives a net.Pipe end a TCP remote address.
type pipeConn struct{ net.Conn }

func (pipeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 4000} }

// TestAcceptSurvivesEMFILE: out of descriptors, Accept backs off and
// accepts again instead of returning (sipgo's loop would end).
func TestAcceptSurvivesEMFILE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
		enfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.ENFILE)}
		l := &failingListener{errs: []error{emfile, emfile, enfile, emfile}, conns: make(chan net.Conn, 1), closed: make(chan struct{})}
		svc := &Service{cfg: Config{}.withDefaults(), log: slog.New(slog.DiscardHandler)}
		g := newConnGuard(l, svc)
		a, b := net.Pipe()
		defer b.Close()
		l.conns <- pipeConn{a}
		start := time.Now()
		c, err := g.Accept()
		if err != nil {
			t.Fatalf("Accept = %v, want the connection after the errors", err)
		}
		c.Close()
		// Back-off 5, 10, 20, 40 ms.
		if waited := time.Since(start); waited != 75*time.Millisecond {
			t.Errorf("backed off %v, want 75ms", waited)
		}
		if n := svc.stats.acceptErrors.Load(); n != 4 {
			t.Errorf("accept errors %d", n)
		}
		g.Close()
		if _, err := g.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v", err)
		}
	})
}

func parseResponse(b []byte) (*sip.Response, bool) {
	m, err := sip.ParseMessage(bytes.Clone(b))
	r, ok := m.(*sip.Response)
	return r, err == nil && ok
}

// TestTCPIdleKeepsCalls: the idle timeout spares a connection that carries a
// call (a room system may send nothing for the whole session interval).
func TestTCPIdleKeepsCalls(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	s := startService(t, Config{SessionExpires: -1, Limits: Limits{TCPIdleTimeout: 300 * time.Millisecond}}, answerHandler(t, calls, Events{}))
	c := dialFrom(t, "127.0.0.4", s.Addr())
	par := sip.NewParser().NewSIPStream()
	msgs := make(chan sip.Message, 16)
	go func() {
		buf := make([]byte, 65535)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			_ = par.ParseSIPStream(buf[:n], func(m sip.Message) { msgs <- m })
		}
	}()
	final := func(code int) *sip.Response {
		t.Helper()
		for {
			select {
			case m, open := <-msgs:
				if !open {
					t.Fatalf("connection closed waiting for %d", code)
				}
				if r, ok := m.(*sip.Response); ok && r.StatusCode >= 200 {
					if r.StatusCode != code {
						t.Fatalf("got %d, want %d", r.StatusCode, code)
					}
					return r
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("no %d", code)
			}
		}
	}
	body := strings.ReplaceAll(strings.TrimLeft(peerOffer, "\n"), "\n", "\r\n")
	req := func(method string, seq int, to, extra, body string) {
		fmt.Fprintf(c, "%s sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.4;branch=z9hG4bK-idle-%s-%d\r\n"+
			"From: <sip:room@127.0.0.4>;tag=peer1\r\nTo: %s\r\nCall-ID: idle-call\r\nCSeq: %d %s\r\n"+
			"Contact: <sip:room@127.0.0.4;transport=tcp>\r\nMax-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s",
			method, method, seq, to, seq, method, extra, len(body), body)
	}
	req("INVITE", 1, "<sip:1@127.0.0.1>", "Content-Type: application/sdp\r\n", body)
	ok := final(200)
	req("ACK", 1, ok.To().Value(), "", "")
	call := <-calls
	time.Sleep(time.Second) // three idle timeouts
	req("INFO", 2, ok.To().Value(), "Content-Type: application/dtmf-relay\r\n", "Signal=1\r\nDuration=160\r\n")
	final(200)
	req("BYE", 3, ok.To().Value(), "", "")
	final(200)
	waitDone(t, call.Done(), 2*time.Second, "the BYE")
}
