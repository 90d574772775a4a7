package main

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/transcode/media"
)

// h239Content is the H.239 content (presentation) side of one H.323 call with
// -content: the content RTP/RTCP pair with the SIP side's sender, receiver and
// report (a contentCall without BFCP), and the presentation token schedule:
// at -present-at the token is requested (our content channel opens first),
// slides are sent while it is ours, and released after -present-for. The
// gateway asking for the token while we present is a revoke: we grant it and
// stop. With -content-at-connect our content channel opens at connect without
// the token (endpoints that never present do this).
//
// Token events go to the session's goroutine (onEvent); run owns the timers
// and the sender. Every goroutine is waited for in close.
type h239Content struct {
	cc        *contentCall
	opts      contentOptions
	atConnect bool

	// grants wakes run when the token is granted; dst carries our content
	// channel's destination once it is acknowledged. Both are buffered and
	// written without blocking from the session's goroutine.
	grants chan struct{}
	dst    chan media.Stream
	quit   chan struct{}

	mu      sync.Mutex
	closed  bool
	channel bool // our content channel was acknowledged ("channel open" printed)
}

// newH239Content takes the content pair p and starts receiving on it.
func newH239Content(idx int, p rtpPair, o contentOptions, atConnect bool) (*h239Content, error) {
	frames, err := contentFrames(o)
	if err != nil {
		return nil, err
	}
	rx, err := newContentRx(o.dumpFile(idx))
	if err != nil {
		return nil, err
	}
	cc := &contentCall{idx: idx, opts: o, frames: frames, sock: p.rtp, rtcpS: p.rtcp, rx: rx, start: time.Now()}
	h := &h239Content{cc: cc, opts: o, atConnect: atConnect, grants: make(chan struct{}, 1),
		dst: make(chan media.Stream, 1), quit: make(chan struct{})}
	cc.wg.Go(cc.drainRTP)
	cc.wg.Go(cc.drainRTCP)
	return h, nil
}

// start runs the schedule of an established call on s until close or ctx ends.
func (h *h239Content) start(ctx context.Context, s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.cc.wg.Go(func() { h.run(ctx, s) })
	}
}

// onEvent follows the session's H.239 events and plan (on its goroutine).
func (h *h239Content) onEvent(now time.Time, sess *control.Session, ev control.Event) {
	switch ev := ev.(type) {
	case control.PlanChanged:
		c, ok := ev.Plan.Stream(media.RoleContent)
		if !ok || !c.Remote.IsValid() {
			return
		}
		h.mu.Lock()
		first := !h.channel
		h.channel = true
		h.mu.Unlock()
		if first {
			h.cc.event("channel open")
			select {
			case h.dst <- c:
			default:
			}
		}
	case control.TokenRequested:
		// The gateway wants to present toward us (someone else in the meeting
		// presents); while we present this takes the token from us.
		if sess.Token() == control.TokenLocal {
			h.cc.presenting.Store(false)
			h.cc.event("revoked")
		}
		if err := sess.GrantToken(now); err != nil {
			h.cc.fail(fmt.Errorf("grant token: %w", err))
		}
	case control.TokenOwner:
		h.cc.event("gateway presents")
	case control.TokenReleased:
		h.cc.event("gateway released")
	case control.TokenResponse:
		switch {
		case ev.Revoke:
		case ev.Granted:
			h.cc.event("granted")
			h.cc.restart.Store(true)
			h.cc.presenting.Store(true)
			select {
			case h.grants <- struct{}{}:
			default:
			}
		default:
			h.cc.presenting.Store(false)
			h.cc.event("denied")
		}
	case control.FastUpdate:
		if ev.Role == media.RoleContent {
			h.cc.kfReq.Add(1)
			h.cc.restart.Store(true)
		}
	case control.ChannelRejected:
		if ev.Role == media.RoleContent {
			h.cc.event("channel refused")
		}
	}
}

// run follows the schedule: the early channel, the token request at
// -present-at, the release -present-for after the grant; it starts the sender
// once our content channel has a destination.
func (h *h239Content) run(ctx context.Context, s *session) {
	ctx, cancel := context.WithCancel(ctx)
	var sender sync.WaitGroup
	defer sender.Wait()
	defer cancel()
	do := func(what string, f func(sess *control.Session, now time.Time) error) {
		var err error
		if !s.do(func(now time.Time) { err = f(s.sess, now) }) {
			return
		}
		if err != nil {
			h.cc.fail(fmt.Errorf("%s: %w", what, err))
		}
	}
	if h.atConnect {
		do("open content channel", (*control.Session).OpenContentChannel)
	}
	var at, end <-chan time.Time
	if h.opts.presentAt > 0 {
		t := time.NewTimer(h.opts.presentAt)
		defer t.Stop()
		at = t.C
	}
	var endT *time.Timer
	defer func() {
		if endT != nil {
			endT.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.quit:
			return
		case c := <-h.dst:
			dst, rtcpDst, pt := c.Remote, c.RemoteRTCP, c.PT
			sender.Go(func() { h.cc.send(ctx, dst, rtcpDst, pt) })
		case <-at:
			at = nil
			h.cc.event("requested")
			do("token request", (*control.Session).RequestToken)
		case <-h.grants:
			if endT == nil && h.opts.presentFor > 0 {
				endT = time.NewTimer(h.opts.presentFor)
				end = endT.C
			}
		case <-end:
			end = nil
			if !h.cc.presenting.Swap(false) {
				continue // revoked before
			}
			do("token release", func(sess *control.Session, now time.Time) error {
				if sess.Token() != control.TokenLocal {
					return nil
				}
				return sess.ReleaseToken(now)
			})
			h.cc.event("released")
		}
	}
}

// close stops the schedule, the sender and the sockets and waits for them.
func (h *h239Content) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.quit)
	}
	h.mu.Unlock()
	h.cc.close()
}

// report is the call's content object; after close.
func (h *h239Content) report() *contentReport { return h.cc.report() }

// listenContentPair binds the content pair of an H.323 call: at base+4 when
// -rtp-base is set (audio at base, video at base+2), anywhere otherwise.
func listenContentPair(ip netip.Addr, base int) (rtpPair, error) {
	if base > 0 {
		base += 4
	}
	return listenPair(ip, base)
}
