package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/transcode/media"
)

// h323Caller is a room system made of this repository's own H.323 stack:
// h323.Service for the call signalling, an h323/control Session for H.245, and
// a UDP socket that notes the gateway's first RTP packet.
type h323Caller struct {
	svc   *h323.Service
	local media.Local
	rtp   *net.UDPConn
	first chan netip.AddrPort // where a packet on rtp came from (buffered, one at a time)
	done  chan struct{}
	// noVideoAck leaves the gateway's video channel unanswered.
	noVideoAck bool
}

func newH323Caller(tb testing.TB) *h323Caller {
	tb.Helper()
	svc, err := h323.New(h323.Config{Listen: "127.0.0.1:0", Limits: h323.Limits{MessagesPerSecond: 1e6, Burst: 1e6}},
		h323.HandlerFunc(func(context.Context, *h323.InboundCall) {}), nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	rtpC, vC := udpPeer(tb), udpPeer(tb)
	c := &h323Caller{svc: svc, rtp: rtpC, first: make(chan netip.AddrPort, 1), done: make(chan struct{}),
		local: media.Local{Addr: netip.MustParseAddr("127.0.0.1"),
			Ports: map[media.Role]int{media.RoleAudio: int(udpAddr(rtpC).Port()), media.RoleMain: int(udpAddr(vC).Port())}}}
	go func() {
		defer close(c.done)
		buf := make([]byte, 1500)
		for {
			_, src, err := rtpC.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			select {
			case c.first <- src:
			default:
			}
		}
	}()
	tb.Cleanup(func() { _ = svc.Close(); rtpC.Close(); <-c.done })
	return c
}

// callTimes are the moments of one call, from the Setup.
type callTimes struct {
	connect, media time.Duration // media: the gateway's first RTP (0 with fastStart)
}

// How the caller signals its media.
type callMode int

const (
	modeFastStart callMode = iota // fastStart and tunnelling
	modeSeparate                  // no fastStart, no tunnelling: H.245 on its own connection
	modeTunnelled                 // no fastStart, H.245 tunnelled in Q.931
)

// dial places one call to the gateway's meeting and releases it: with fastStart
// (tunnelling, channels in Setup/Connect) it ends once connected; with separate
// H.245 (no fastStart, no tunnelling) it runs TCS, MSD and both OLCs and ends at
// the gateway's first RTP packet.
func (c *h323Caller) dial(tb testing.TB, g *testGateway, mode callMode) callTimes {
	fastStart := mode == modeFastStart
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := h323.DialParams{Address: g.addr(), DestAliases: []h323.Alias{{Kind: h323.AliasDialedDigits, Value: meetOpen}}, Tunnelling: mode != modeSeparate}
	if fastStart {
		var err error
		if p.FastStart, err = control.ProposeFastStart(control.DefaultCaps(), c.local); err != nil {
			tb.Fatal(err)
		}
	}
	select { // a packet of the previous call
	case <-c.first:
	default:
	}
	in := make(chan *h245.MultimediaSystemControlMessage, 256)
	start := time.Now()
	out, err := c.svc.Dial(ctx, p)
	if err != nil {
		tb.Fatal(err)
	}
	out.SetEvents(h323.Events{OnH245: func(m *h245.MultimediaSystemControlMessage) {
		select {
		case in <- m:
		default:
		}
	}})
	if err := out.Wait(ctx); err != nil {
		tb.Fatal(err)
	}
	var ts callTimes
	ts.connect = time.Since(start)
	if fastStart {
		if len(out.FastStartAccepted()) == 0 {
			tb.Fatal("fastStart not accepted")
		}
	} else {
		sess := control.New(control.Config{Local: c.local, TerminalType: 50, RTDInterval: -1})
		sess.Start(time.Now())
		var trace []string    // what the caller's H.245 did, for a failure
		var gw netip.AddrPort // the gateway's audio port (symmetric RTP: its source too)
		flush := func() {
			for _, o := range sess.Drain(nil) {
				if o.Msg != nil {
					trace = append(trace, "sent "+pduName(o.Msg))
					_ = out.SendH245(o.Msg)
				}
				if o.Event != nil {
					trace = append(trace, fmt.Sprintf("event %T", o.Event))
				}
				if pc, ok := o.Event.(control.PlanChanged); ok {
					if a, ok := pc.Plan.Stream(media.RoleAudio); ok && a.Remote.IsValid() {
						gw = a.Remote
					}
				}
				if ev, ok := o.Event.(control.IncomingChannel); ok && !(c.noVideoAck && ev.Role == media.RoleMain) {
					_ = sess.AcceptChannel(time.Now(), ev.Number, c.local.RTP(ev.Role), c.local.RTCP(ev.Role))
				}
			}
		}
		flush()
	loop:
		for {
			select {
			case m := <-in:
				trace = append(trace, "got "+pduName(m))
				sess.Handle(time.Now(), m)
				flush()
			case src := <-c.first:
				if src != gw {
					continue // the previous call's gateway side, not yet freed
				}
				ts.media = time.Since(start)
				if out.H245Separate() != (mode == modeSeparate) || out.Tunnelling() != (mode == modeTunnelled) {
					tb.Fatalf("H.245 separate %v, tunnelling %v in mode %d", out.H245Separate(), out.Tunnelling(), mode)
				}
				break loop
			case <-out.Done():
				tb.Fatalf("call ended before media: %+v; the caller's H.245: %v", out.EndReason(), trace)
			case <-ctx.Done():
				tb.Fatal("no RTP from the gateway")
			}
		}
	}
	_ = out.Release(q931.CauseNormalClearing)
	<-out.Done()
	return ts
}

// waitFree waits until the gateway freed every call (the whole dial-in ends
// there).
func waitFree(tb testing.TB, g *testGateway) {
	deadline := time.Now().Add(10 * time.Second)
	for g.h323.svc.Stats().Active != 0 || g.portsInUse() != 0 {
		if time.Now().After(deadline) {
			tb.Fatal("the gateway did not free the call")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// benchGateway is a gateway without rate limits for many calls from one
// address; mediaWait is h323.media_timeout (0: the tests' 2 s).
func benchGateway(tb testing.TB, mediaWait time.Duration) *testGateway {
	return startH323Gateway(tb, func(c *configs.Config) {
		if mediaWait > 0 {
			c.H323.MediaTimeout = mediaWait
		}
		c.H323.Limits.MessagesPerSecond, c.H323.Limits.Burst = 1e6, 1e6
		c.H323.Limits.ConnectionsPerSource = 1024
	})
}

// BenchmarkH323DialIn is the signalling cost of one whole dial-in on loopback,
// Setup to ReleaseComplete and the call freed, caller and gateway together.
func BenchmarkH323DialIn(b *testing.B) {
	for _, v := range []struct {
		name string
		mode callMode
	}{{"faststart", modeFastStart}, {"separate-h245", modeSeparate}, {"tunnelled-h245", modeTunnelled}} {
		b.Run(v.name, func(b *testing.B) {
			g := benchGateway(b, 30*time.Second)
			c := newH323Caller(b)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				c.dial(b, g, v.mode)
				waitFree(b, g)
			}
			// Wall time per call is mostly waiting (the audio clock's 20 ms frames);
			// the process's CPU time per call is the cost.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestH323DialInLatency logs p50/p99 of Setup→Connect (fastStart) and Setup→first
// RTP (separate H.245) over 100 calls each; no timed assertion (the numbers go to
// the closing note), only that every call worked.
func TestH323DialInLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("100 calls each way")
	}
	g := benchGateway(t, 30*time.Second)
	c := newH323Caller(t)
	var connect, firstRTP []time.Duration
	for range 100 {
		connect = append(connect, c.dial(t, g, modeFastStart).connect)
		waitFree(t, g)
	}
	for range 100 {
		firstRTP = append(firstRTP, c.dial(t, g, modeSeparate).media)
		waitFree(t, g)
	}
	pct := func(d []time.Duration, p int) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[(len(s)-1)*p/100]
	}
	t.Logf("Setup→Connect (fastStart), 100 calls: p50 %v p99 %v", pct(connect, 50), pct(connect, 99))
	t.Logf("Setup→first RTP (separate H.245), 100 calls: p50 %v p99 %v", pct(firstRTP, 50), pct(firstRTP, 99))
}

// Calls in parallel, fastStart, separate and tunnelled H.245 at once, each caller its own
// h323.Service: all of them reach media, and afterwards nothing is left.
func TestH323DialInConcurrent(t *testing.T) {
	g := benchGateway(t, 30*time.Second) // a loaded machine may take a while
	const n = 16
	callers := make([]*h323Caller, n)
	for i := range callers {
		callers[i] = newH323Caller(t)
	}
	base := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for i, c := range callers {
		wg.Go(func() {
			for range 3 {
				c.dial(goTB{t}, g, callMode(i%3))
			}
		})
	}
	wg.Wait()
	g.settled(t, base)
}

// A room system that takes audio but never answers the gateway's video channel
// still gets its audio call once h323.media_timeout has passed (the wait for
// video ends there), not a release for "no media channels".
func TestH323DialInVideoNeverAcked(t *testing.T) {
	g := benchGateway(t, 0)
	c := newH323Caller(t)
	c.noVideoAck = true
	base := runtime.NumGoroutine()
	if ts := c.dial(t, g, modeSeparate); ts.media <= 0 {
		t.Errorf("no media: %+v", ts)
	}
	g.settled(t, base)
}

// goTB is a test's TB for a goroutine of its own: Fatal fails the test and ends
// that goroutine (FailNow belongs to the test's goroutine).
type goTB struct{ testing.TB }

func (g goTB) Fatal(args ...any) {
	g.Helper()
	g.Error(args...)
	runtime.Goexit()
}

func (g goTB) Fatalf(format string, args ...any) {
	g.Helper()
	g.Errorf(format, args...)
	runtime.Goexit()
}

// processCPU is the CPU time (user and system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
