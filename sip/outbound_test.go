package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/sdp"
)

var dialLocal = sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 41000, VideoPort: 41002, SessionID: 5, Version: 1}

func dialOffer(t testing.TB, dir sdp.Direction, version uint64) []byte {
	l := dialLocal
	l.Direction, l.Version = dir, version
	o, err := sdp.BuildOffer(sdp.DefaultCapabilities(), l)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

type progressLog struct {
	mu sync.Mutex
	ps []Progress
	ch chan Progress
}

func newProgressLog() *progressLog { return &progressLog{ch: make(chan Progress, 16)} }

func (l *progressLog) add(p Progress) {
	l.mu.Lock()
	l.ps = append(l.ps, p)
	l.mu.Unlock()
	l.ch <- p
}

func (l *progressLog) states() []ProgressState {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []ProgressState
	for _, p := range l.ps {
		s = append(s, p.State)
	}
	return s
}

func TestOutbound(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"dial->ringing->answered->info->hold->resume->bye", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			digits := make(chan rune, 1)
			holds := make(chan bool, 2)
			ev := Events{
				OnDTMF: func(d rune, _ time.Duration) { digits <- d },
				OnOffer: func(o *sdp.Session, raw []byte) ([]byte, error) {
					holds <- o.OnHold()
					r, err := sdp.NegotiateSession(o, sdp.DefaultCapabilities(), sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 40000, VideoPort: 40002, SessionID: 1, Version: 2})
					if err != nil {
						return nil, err
					}
					return r.SDP, nil
				},
			}
			answer := answerHandler(t, calls, ev)
			b := startService(t, Config{SessionExpires: -1}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
				// Ring for a while: 180 and 200 sent back to back may be
				// handled out of order by the caller (UDP, one goroutine
				// per message) and a 180 after the 200 is dropped.
				c.Ringing()
				time.Sleep(100 * time.Millisecond)
				answer.HandleInvite(ctx, c)
			}))
			a := startService(t, Config{SessionExpires: -1}, nil)
			pl := newProgressLog()
			offer := dialOffer(t, "", 1)
			callerKF := make(chan struct{}, 1)
			oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), DisplayName: "Weekly", FromUser: "123456789", Offer: offer, OnProgress: pl.add,
				Events: Events{OnKeyframeRequest: func() { callerKF <- struct{}{} }}})
			if err != nil {
				t.Fatal(err)
			}
			if err := oc.Wait(context.Background()); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			res, err := sdp.ParseAnswer(offer, oc.AnswerSDP())
			if err != nil || res.Audio == nil || res.Video == nil {
				t.Fatalf("answer: %v", err)
			}
			ic := <-calls
			if ic.FromUser != "123456789" || ic.DisplayName != "Weekly" || ic.RequestUser != "room" {
				t.Errorf("callee saw from=%q name=%q ruri=%q", ic.FromUser, ic.DisplayName, ic.RequestUser)
			}
			if got := pl.states(); len(got) < 2 || got[len(got)-2] != ProgressRinging || got[len(got)-1] != ProgressAnswered {
				t.Errorf("progress = %v", got)
			}
			// The callee asks us for a keyframe: DialParams.Events got it.
			if err := ic.RequestKeyframe(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case <-callerKF:
			case <-time.After(2 * time.Second):
				t.Error("caller got no keyframe request")
			}
			if err := oc.SendINFO(context.Background(), "application/dtmf-relay", DTMFRelayBody('7', 200*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if d := <-digits; d != '7' {
				t.Errorf("digit %q", d)
			}
			ans, err := oc.Reinvite(context.Background(), dialOffer(t, sdp.SendOnly, 2))
			if err != nil {
				t.Fatalf("hold re-INVITE: %v", err)
			}
			if s, _ := sdp.Parse(ans); s == nil || s.Media[0].Direction != sdp.RecvOnly {
				t.Errorf("hold answer direction: %s", ans)
			}
			if !<-holds {
				t.Error("callee did not see hold")
			}
			ans, err = oc.Reinvite(context.Background(), dialOffer(t, "", 3))
			if err != nil {
				t.Fatalf("resume re-INVITE: %v", err)
			}
			if s, _ := sdp.Parse(ans); s == nil || s.Media[0].Direction != sdp.SendRecv {
				t.Errorf("resume answer direction: %s", ans)
			}
			if <-holds {
				t.Error("callee still on hold")
			}
			if err := oc.Bye("done"); err != nil {
				t.Fatal(err)
			}
			waitDone(t, ic.Done(), 2*time.Second, "callee end")
			if ic.EndReason() != EndRemoteBye || oc.EndReason() != EndLocalBye {
				t.Errorf("end reasons callee=%q caller=%q", ic.EndReason(), oc.EndReason())
			}
		}},
		{"dial->486_busy", func(t *testing.T) {
			b := startService(t, Config{}, HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(486, "Busy Here") }))
			a := startService(t, Config{}, nil)
			pl := newProgressLog()
			oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), Offer: dialOffer(t, "", 1), OnProgress: pl.add})
			if err != nil {
				t.Fatal(err)
			}
			err = oc.Wait(context.Background())
			var de *DialError
			if !errors.As(err, &de) || !de.Busy() || de.Status != 486 {
				t.Fatalf("Wait = %v, want 486 busy", err)
			}
			waitDone(t, oc.Done(), time.Second, "end")
			if st := pl.states(); st[len(st)-1] != ProgressFailed {
				t.Errorf("progress %v", st)
			}
		}},
		{"dial->ringing->cancel->487", func(t *testing.T) {
			callee := make(chan *InboundCall, 1)
			b := startService(t, Config{}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
				c.Ringing()
				callee <- c
				<-ctx.Done()
			}))
			a := startService(t, Config{}, nil)
			pl := newProgressLog()
			oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), Offer: dialOffer(t, "", 1), OnProgress: pl.add})
			if err != nil {
				t.Fatal(err)
			}
			for p := range pl.ch {
				if p.State == ProgressRinging {
					break
				}
			}
			oc.Cancel()
			err = oc.Wait(context.Background())
			var de *DialError
			if !errors.As(err, &de) || !de.Canceled() {
				t.Fatalf("Wait = %v, want 487", err)
			}
			ic := <-callee
			waitDone(t, ic.Done(), 2*time.Second, "callee end")
			if ic.EndReason() != EndCanceled {
				t.Errorf("callee end %q", ic.EndReason())
			}
			if err := ic.Accept([]byte("v=0\r\n")); !errors.Is(err, ErrCallEnded) {
				t.Errorf("Accept after CANCEL = %v", err)
			}
		}},
		{"dial->ring_timeout", func(t *testing.T) {
			b := startService(t, Config{}, HandlerFunc(func(ctx context.Context, c *InboundCall) {
				c.Ringing()
				<-ctx.Done()
			}))
			a := startService(t, Config{}, nil)
			oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), Offer: dialOffer(t, "", 1), RingTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = oc.Wait(context.Background())
			var de *DialError
			if !errors.As(err, &de) || !de.NoAnswer() {
				t.Fatalf("Wait = %v, want timeout", err)
			}
			if oc.EndReason() != EndRingTimeout {
				t.Errorf("end %q", oc.EndReason())
			}
		}},
		{"session_refresh_between_peers_over_tcp", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			cfg := Config{MinSE: time.Second, SessionExpires: 2 * time.Second}
			b := startService(t, cfg, answerHandler(t, calls, Events{}))
			a := startService(t, cfg, nil)
			oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s;transport=tcp", b.Addr()), Offer: dialOffer(t, "", 1)})
			if err != nil {
				t.Fatal(err)
			}
			if err := oc.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			ic := <-calls
			if ic.Transport != "TCP" {
				t.Errorf("transport %q", ic.Transport)
			}
			// The caller supports timers, so it refreshes (RFC 4028 §9);
			// 2.5 s covers two refreshes at 1 s and outlasts the 2 s interval.
			time.Sleep(2500 * time.Millisecond)
			ic.mu.Lock()
			seq := ic.remoteCSeq
			ic.mu.Unlock()
			if seq < 3 {
				t.Errorf("callee saw CSeq %d, want >= 3 (two refreshes)", seq)
			}
			select {
			case <-ic.Done():
				t.Fatalf("call ended: %s", ic.EndReason())
			case <-oc.Done():
				t.Fatalf("call ended: %s", oc.EndReason())
			default:
			}
			if err := ic.Bye(""); err != nil {
				t.Fatal(err)
			}
			waitDone(t, oc.Done(), 2*time.Second, "caller end")
		}},
		{"session_interval_422_retry", func(t *testing.T) {
			calls := make(chan *InboundCall, 1)
			b := startService(t, Config{MinSE: 3 * time.Second, SessionExpires: 10 * time.Second}, answerHandler(t, calls, Events{}))
			a := startService(t, Config{MinSE: time.Second, SessionExpires: 2 * time.Second}, nil)
			oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), Offer: dialOffer(t, "", 1)})
			if err != nil {
				t.Fatal(err)
			}
			if err := oc.Wait(context.Background()); err != nil {
				t.Fatalf("Wait after 422: %v", err)
			}
			ic := <-calls
			ic.mu.Lock()
			got := ic.timer.interval
			ic.mu.Unlock()
			if got != 3*time.Second {
				t.Errorf("negotiated interval %v, want the callee's Min-SE 3s", got)
			}
			oc.Bye("")
		}},
		{"options_keepalive", func(t *testing.T) {
			b := startService(t, Config{UserAgent: "peer-b"}, nil)
			a := startService(t, Config{}, nil)
			for _, tp := range []string{"", ";transport=tcp"} {
				res, err := a.Options(context.Background(), fmt.Sprintf("sip:%s%s", b.Addr(), tp))
				if err != nil || res.Status != 200 || res.UserAgent != "peer-b" {
					t.Errorf("OPTIONS%s: %+v %v", tp, res, err)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}
