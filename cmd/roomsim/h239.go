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
// slides are sent while it is ours, and released after -present-for; with
// -present-repeat N that N times, -present-gap after each end (released,
// revoked, denied). The gateway asking for the token while we present is a
// revoke: we grant it and stop. With -content-at-connect our content channel
// opens at connect without the token (endpoints that never present do this).
// The content received is checked ("rx stopped", keyframe requests) from the
// start of the call, whether or not our channel is open.
//
// Token events go to the session's goroutine (onEvent); run owns the timers
// and the sender. Every goroutine is waited for in close.
type h239Content struct {
	cc        *contentCall
	opts      contentOptions
	atConnect bool

	// grants wakes run when the token is granted, ends when a presentation
	// ended without our release (revoked, denied). Both are buffered and
	// written without blocking from the session's goroutine.
	grants chan struct{}
	ends   chan struct{}
	quit   chan struct{}

	mu      sync.Mutex
	closed  bool
	channel bool // our content channel is acknowledged ("channel open" printed)
}

// newH239Content takes the content pair p and starts receiving on it;
// mainFrames counts the call's main video frames received (for the events).
func newH239Content(idx int, p rtpPair, o contentOptions, atConnect bool, mainFrames func() int) (*h239Content, error) {
	frames, err := contentFrames(o)
	if err != nil {
		return nil, err
	}
	rx, err := newContentRx(o.dumpFile(idx))
	if err != nil {
		return nil, err
	}
	cc := &contentCall{idx: idx, opts: o, frames: frames, sock: p.rtp, rtcpS: p.rtcp, rx: rx, mainFrames: mainFrames, start: time.Now()}
	h := &h239Content{cc: cc, opts: o, atConnect: atConnect, grants: make(chan struct{}, 1),
		ends: make(chan struct{}, 1), quit: make(chan struct{})}
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
		open := ok && c.Remote.IsValid()
		h.mu.Lock()
		opened := open && !h.channel
		h.channel = open
		h.mu.Unlock()
		if !open {
			return
		}
		h.cc.target.Store(&contentTarget{dst: c.Remote, rtcpDst: c.RemoteRTCP, pt: c.PT})
		if opened {
			h.cc.event("channel open")
		}
	case control.TokenRequested:
		// The gateway wants to present toward us (someone else in the meeting
		// presents); while we present this takes the token from us.
		if sess.Token() == control.TokenLocal {
			h.cc.presenting.Store(false)
			h.cc.event("revoked")
			h.ended()
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
			h.ended()
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

// ended tells run that the presentation ended without our release.
func (h *h239Content) ended() {
	select {
	case h.ends <- struct{}{}:
	default:
	}
}

// run follows the schedule: the early channel, the token request at
// -present-at (and -present-gap after each end, -present-repeat times), the
// release -present-for after each grant; the sender (and the check of the
// content received) runs throughout.
func (h *h239Content) run(ctx context.Context, s *session) {
	ctx, cancel := context.WithCancel(ctx)
	var sender sync.WaitGroup
	defer sender.Wait()
	defer cancel()
	sender.Go(func() { h.cc.send(ctx) })
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
	next := time.NewTimer(h.opts.presentAt)
	defer next.Stop()
	endT := time.NewTimer(time.Hour)
	endT.Stop()
	defer endT.Stop()
	var at, end <-chan time.Time
	if h.opts.presentAt > 0 {
		at = next.C
	} else {
		next.Stop()
	}
	rounds := 0
	// endRound stops the -present-for timer and schedules the next request, if any.
	endRound := func() {
		endT.Stop()
		end = nil
		if at == nil && rounds > 0 && rounds < max(h.opts.repeat, 1) {
			next.Reset(h.opts.gap)
			at = next.C
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.quit:
			return
		case <-at:
			at = nil
			rounds++
			h.cc.event("requested")
			do("token request", (*control.Session).RequestToken)
		case <-h.grants:
			if h.opts.presentFor > 0 {
				endT.Reset(h.opts.presentFor)
				end = endT.C
			}
		case <-h.ends:
			endRound()
		case <-end:
			end = nil
			if h.cc.presenting.Swap(false) {
				do("token release", func(sess *control.Session, now time.Time) error {
					if sess.Token() != control.TokenLocal {
						return nil
					}
					return sess.ReleaseToken(now)
				})
				h.cc.event("released")
			}
			endRound()
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
