package sip

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

// raw sends exact bytes (\n turned into CRLF) from the peer.
func (p *rawPeer) raw(msg string) {
	p.t.Helper()
	msg = strings.ReplaceAll(strings.TrimLeft(msg, "\n"), "\n", "\r\n")
	msg = strings.ReplaceAll(msg, "{port}", fmt.Sprint(p.port()))
	if _, err := p.conn.WriteToUDP([]byte(msg), p.to); err != nil {
		p.t.Fatal(err)
	}
}

// alive checks with an OPTIONS that the service still answers.
func (p *rawPeer) alive(id string) {
	p.t.Helper()
	p.raw(`OPTIONS sip:gw@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-` + id + `;rport
From: <sip:t@x>;tag=1
To: <sip:gw@x>
Call-ID: ` + id + `
CSeq: 1 OPTIONS
Content-Length: 0

`)
	// Answers to what came before are skipped, parseable or not (the
	// fuzzers' echo broken headers).
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 65535)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("the service does not answer any more: %v", err)
		}
		m, err := sip.ParseMessage(bytes.Clone(buf[:n]))
		if r, ok := m.(*sip.Response); err == nil && ok && r.StatusCode == 200 && r.CallID() != nil && r.CallID().Value() == id {
			return
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	const head = `INVITE sip:1@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-%[1]s;rport
From: <sip:room@127.0.0.1>;tag=a
To: <sip:1@127.0.0.1>
Call-ID: %[1]s
CSeq: 1 INVITE
Max-Forwards: 70
Content-Length: 0
`
	cases := []struct {
		name   string
		drop   string // header line removed
		change func(string) string
		want   int // 0: no answer
	}{
		{name: "no-from", drop: "From:", want: 400},
		{name: "no-to", drop: "To:", want: 400},
		{name: "no-call-id", drop: "Call-ID:", want: 400},
		{name: "no-cseq", drop: "CSeq:", want: 400},
		{name: "no-via", drop: "Via:", want: 0},
		{name: "no-max-forwards-is-served", drop: "Max-Forwards:", want: 480},
		{name: "sip-3.0", change: func(s string) string { return strings.Replace(s, "SIP/2.0\n", "SIP/3.0\n", 1) }, want: 505},
		{name: "two-content-lengths", change: func(s string) string { return s + "Content-Length: 0\n" }, want: 400},
		{name: "two-call-ids", change: func(s string) string { return s + "Call-ID: other\n" }, want: 400},
		{name: "cseq-method-mismatch", change: func(s string) string { return strings.Replace(s, "CSeq: 1 INVITE", "CSeq: 1 OPTIONS", 1) }, want: 400},
		{name: "unknown-require", change: func(s string) string { return s + "Require: 100rel\n" }, want: 420},
	}
	s := startService(t, Config{RingTimeout: time.Second}, HandlerFunc(func(_ context.Context, c *InboundCall) {
		c.Reject(480, "Temporarily Unavailable")
	}))
	p := newRawPeer(t, s.Addr())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Stats()
			msg := fmt.Sprintf(head, tc.name)
			if tc.drop != "" {
				var keep []string
				for l := range strings.SplitSeq(msg, "\n") {
					if !strings.HasPrefix(l, tc.drop) {
						keep = append(keep, l)
					}
				}
				msg = strings.Join(keep, "\n")
			}
			if tc.change != nil {
				msg = tc.change(msg)
			}
			p.raw(msg + "\n")
			if tc.want != 0 {
				r := p.recv(2*time.Second, func(m sip.Message) bool { _, ok := m.(*sip.Response); return ok }).(*sip.Response)
				if r.StatusCode != tc.want || r.SipVersion != "SIP/2.0" {
					t.Fatalf("answered %s %d, want SIP/2.0 %d", r.SipVersion, r.StatusCode, tc.want)
				}
			}
			p.alive("alive-" + tc.name)
			after := s.Stats()
			if tc.want == 0 && after.Unroutable != before.Unroutable+1 {
				t.Errorf("unroutable %d → %d, want one more", before.Unroutable, after.Unroutable)
			}
		})
	}
	if st := s.Stats(); st.Panics != 0 || st.Calls != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestUnusableSDPAddress(t *testing.T) {
	s := startService(t, Config{}, answerHandler(t, nil, Events{}))
	p := newRawPeer(t, s.Addr())
	offer := strings.Replace(peerOffer, "c=IN IP4 127.0.0.1", "c=IN IP4 999.1.1.1", 1)
	p.send(peerInvite, inviteVars("1", "bad-c", "127.0.0.1:{port}", "", offer))
	r := p.response(2*time.Second, 488)
	if w := r.GetHeader("Warning"); w == nil || !strings.Contains(w.Value(), "999.1.1.1") {
		t.Errorf("Warning = %v, want one naming the address", w)
	}
}

func TestHandlerPanicEndsOnlyItsCall(t *testing.T) {
	calls := make(chan *InboundCall, 4)
	answer := answerHandler(t, calls, Events{OnDTMF: func(d rune, _ time.Duration) {
		if d == '9' {
			panic("digit nine")
		}
	}})
	s := startService(t, Config{SessionExpires: -1}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
		if c.RequestUser == "boom" {
			panic("handler bug")
		}
		answer.HandleInvite(ctx, c)
	}))
	p := newRawPeer(t, s.Addr())

	// A panic in the call handler: 500, that call only.
	p.send(peerInvite, inviteVars("boom", "p1", "127.0.0.1:{port}", "", peerOffer))
	p.response(2*time.Second, 500)

	// A panic in an in-dialog request's callback: 500 to the INFO, BYE
	// for that call; another call goes on.
	p.send(peerInvite, inviteVars("1", "p2", "127.0.0.1:{port}", "", peerOffer))
	ok2 := p.response(2*time.Second, 200)
	ackFor(p, ok2, "p2", "")
	c2 := <-calls
	p.send(peerInvite, inviteVars("2", "p3", "127.0.0.1:{port}", "", peerOffer))
	ok3 := p.response(2*time.Second, 200)
	ackFor(p, ok3, "p3", "")
	c3 := <-calls
	inDialog(p, "INFO", 2, ok2, "p2", "Content-Type: application/dtmf-relay\n", "Signal=9\nDuration=160\n")
	p.response(2*time.Second, 500)
	bye := p.request(2*time.Second, sip.BYE)
	p.reply(bye, 200, "OK", "")
	waitDone(t, c2.Done(), 2*time.Second, "the panicking call's end")
	if c2.EndReason() != EndInternalError {
		t.Errorf("end reason %q", c2.EndReason())
	}
	select {
	case <-c3.Done():
		t.Fatal("the other call ended")
	default:
	}
	p.alive("after-panic")
	if st := s.Stats(); st.Panics != 2 || st.Calls != 1 {
		t.Errorf("stats %+v, want 2 panics and 1 call", st)
	}
}

// TestInDialogNeedsBothTags: requests are in a dialog only with its Call-ID,
// our tag and the peer's (RFC 3261 §12.2.2); others get 481 and leave the
// call alone.
func TestInDialogNeedsBothTags(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	var digits atomic.Int32
	s := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{OnDTMF: func(rune, time.Duration) { digits.Add(1) }}))
	p := newRawPeer(t, s.Addr())
	p.send(peerInvite, inviteVars("1", "d1", "127.0.0.1:{port}", "", peerOffer))
	ok := p.response(2*time.Second, 200)
	ackFor(p, ok, "d1", "")
	c := <-calls
	forged := func(method, fromTag, to, callID string, seq int) {
		p.send(fmt.Sprintf(`%s sip:x@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-forged-%s-%d;rport
From: <sip:room@127.0.0.1>;tag=%s
To: %s
Call-ID: %s
CSeq: %d %s
Max-Forwards: 70
Content-Type: application/dtmf-relay

Signal=5
Duration=160
`, method, method, seq, fromTag, to, callID, seq, method), nil)
	}
	forged("INFO", "attacker", ok.To().Value(), "d1", 10) // wrong peer tag
	p.response(2*time.Second, 481)
	forged("INFO", "peer1", "<sip:1@127.0.0.1>", "d1", 11) // no To tag
	p.response(2*time.Second, 481)
	forged("INFO", "peer1", ok.To().Value(), "other", 12) // wrong Call-ID
	p.response(2*time.Second, 481)
	forged("BYE", "attacker", ok.To().Value(), "d1", 13)
	p.response(2*time.Second, 481)
	if digits.Load() != 0 || c.EndReason() != "" {
		t.Fatalf("forged requests reached the call: %d digits, end %q", digits.Load(), c.EndReason())
	}
	forged("INFO", "peer1", ok.To().Value(), "d1", 14)
	p.response(2*time.Second, 200)
	if digits.Load() != 1 {
		t.Errorf("digits %d, want 1", digits.Load())
	}
	forged("BYE", "peer1", ok.To().Value(), "d1", 15)
	p.response(2*time.Second, 200)
	waitDone(t, c.Done(), 2*time.Second, "the BYE")
}

// bigInvite carries Record-Route headers that the 2xx must copy (RFC 3261
// §12.1.1) until it no longer fits a UDP datagram under sipgo's bound.
func bigInviteExtra() string {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "Record-Route: <sip:proxy%d.example.com;lr;pad=%s>\n", i, strings.Repeat("x", 100))
	}
	return b.String()
}

// TestTooLargeAnswerLeaksNothing: an INVITE whose 2xx cannot go back over
// UDP gets 513 and leaves no dialog and no goroutine behind.
func TestTooLargeAnswerLeaksNothing(t *testing.T) {
	errs := make(chan error, 2000)
	s := startService(t, Config{SessionExpires: -1, Limits: Limits{RequestsPerSecond: 1e6, Burst: 1e6}}, acceptWith(errs))
	p := newRawPeer(t, s.Addr())
	extra := bigInviteExtra()
	tooLarge := func(id string) {
		p.send(peerInvite, inviteVars("1", id, "127.0.0.1:{port}", extra, peerOffer))
		r := p.recv(2*time.Second, func(m sip.Message) bool {
			r, ok := m.(*sip.Response)
			return ok && r.StatusCode >= 200 && r.CallID().Value() == id
		}).(*sip.Response)
		if r.StatusCode != 513 {
			t.Fatalf("%s answered %d, want 513", id, r.StatusCode)
		}
		// ACK for a non-2xx: same branch (RFC 3261 §17.1.1.3).
		p.send(fmt.Sprintf(`ACK sip:1@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-%s;rport
From: "Board Room" <sip:room@127.0.0.1>;tag=peer1
To: %s
Call-ID: %s
CSeq: 1 ACK
Max-Forwards: 70

`, id, r.To().Value(), id), nil)
	}
	tooLarge("big-warm")
	runtime.GC()
	base := runtime.NumGoroutine()
	const n = 1000
	for i := range n {
		tooLarge(fmt.Sprintf("big-%d", i))
	}
	for range n + 1 {
		if err := <-errs; err != ErrTooLarge {
			t.Fatalf("Accept = %v, want ErrTooLarge", err)
		}
	}
	st := s.Stats()
	if st.Calls != 0 || st.TooLarge != n+1 {
		t.Fatalf("after %d too-large answers: %+v", n, st)
	}
	// Transactions linger for Timer H/I; goroutines must come back to
	// where they were once they are gone, not grow with the INVITEs.
	var now int
	for range 100 {
		runtime.GC()
		if now = runtime.NumGoroutine(); now <= base+5 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if now > base+5 {
		t.Errorf("goroutines %d → %d after %d INVITEs", base, now, n)
	}
}

// TestNoAckEndsCall: a 2xx never acknowledged stops being retransmitted
// after 64·T1 (Timer H), the call ends with BYE and the dialog is freed.
// An INVITE over UDP that is never ACKed — as a spoofed INVITE naming a victim's
// address is not — is answered for Timer H (64·T1) and then ends without a BYE: what
// the gateway sends to that address is the 2xx and its retransmissions only, a bounded
// multiple of the INVITE (RFC 3261 §13.3.1.4's BYE would double it).
func TestNoAckEndsCall(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	errs := make(chan error, 1)
	accept := acceptWith(errs)
	const t1 = 10 * time.Millisecond
	s := startService(t, Config{SessionExpires: -1, T1: t1}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
		calls <- c
		accept.HandleInvite(ctx, c)
	}))
	p := newRawPeer(t, s.Addr())
	vars := inviteVars("1", "noack", "127.0.0.1:{port}", "", peerOffer)
	p.send(peerInvite, vars)
	sent := len(peerInvite) + len(peerOffer) // about what went out; the exact size below
	c := <-calls
	oks, byes, got := 0, 0, 0
	buf := make([]byte, 65535)
	deadline := time.Now().Add(64*t1 + 2*time.Second) // past Timer H, and a BYE's first sends
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			break
		}
		got += n
		m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *sip.Response:
			if m.StatusCode == 200 {
				oks++
			}
		case *sip.Request:
			if m.Method == sip.BYE {
				byes++
			}
		}
	}
	waitDone(t, c.Done(), time.Second, "the call's end")
	if err := <-errs; err != ErrNoAck {
		t.Errorf("Accept = %v, want ErrNoAck", err)
	}
	if c.EndReason() != EndNoAck || oks < 2 || byes != 0 {
		t.Errorf("end %q after %d 2xx and %d BYE, want no BYE toward an address that never acknowledged", c.EndReason(), oks, byes)
	}
	// 64·T1 = 640 ms with T1 = 10 ms and T2 = 4 s: 1 + retransmissions at
	// 10, 30, 70, 150, 310, 630 ms.
	if oks > 7 {
		t.Errorf("%d 2xx sent, more than Timer H allows", oks)
	}
	t.Logf("INVITE of about %d bytes drew %d bytes (%d 2xx) to its source", sent, got, oks)
	if st := s.Stats(); st.Calls != 0 {
		t.Errorf("calls %d after the no-ACK end", st.Calls)
	}
}

// acceptWith answers every offer, rings first, and reports Accept's error.
func acceptWith(errs chan<- error) Handler {
	return HandlerFunc(func(_ context.Context, c *InboundCall) {
		local := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 40000, VideoPort: 40002, SessionID: 1, Version: 1}
		r, err := sdp.NegotiateSession(c.Offer, sdp.DefaultCapabilities(), local)
		if err != nil {
			c.Reject(488, "Not Acceptable Here")
			return
		}
		_ = c.Ringing()
		errs <- c.Accept(r.SDP)
	})
}

// Shutdown waits for the gateway's call handlers: a handler that is still cleaning up
// after its call ended has finished when Shutdown returns.
func TestShutdownWaitsForHandlers(t *testing.T) {
	started := make(chan struct{})
	var finished atomic.Bool
	s, err := New(Config{Listen: "127.0.0.1:0", T1: 10 * time.Millisecond}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
		_ = c.Ringing()
		close(started)
		<-ctx.Done()                       // the call ends at shutdown
		time.Sleep(100 * time.Millisecond) // e.g. leaving the meeting
		finished.Store(true)
	}), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := newRawPeer(t, s.Addr())
	p.send(peerInvite, inviteVars("1", "shutdown-wait", "127.0.0.1:{port}", "", peerOffer))
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Error("Shutdown returned while a call handler was still running")
	}
}
