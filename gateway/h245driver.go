package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// h245Driver runs one call's H.245 session (h323/control, pure state machines, on
// a control.Runner): it accepts the room system's channels on the call's ports and
// turns the session's events into the call flow's.
type h245Driver struct {
	log   *slog.Logger
	conn  control.Conn
	r     *control.Runner
	local media.Local
	// plans receives the plan each time the channels change it, until the call is
	// answered (Answer waits on it); later changes go to the flow's OnPlan.
	plans chan media.Plan

	mu        sync.Mutex
	events    call.Events
	answered  bool
	wantVideo bool   // the capability exchange chose video
	failure   string // why the session failed the call ("" while it is fine)
	onFailure func(reason string)
	h239      *h239Control // the call's content floor control (nil: no content)
}

func newH245Driver(log *slog.Logger, conn control.Conn, cfg control.Config, onFailure func(reason string)) *h245Driver {
	d := &h245Driver{log: log, conn: conn, local: cfg.Local, plans: make(chan media.Plan, 8), onFailure: onFailure}
	d.r = control.NewRunner(control.New(cfg), conn, log, d.event)
	return d
}

// deliver hands the driver a message from the room system (the signalling's OnH245).
func (d *h245Driver) deliver(m *h245.MultimediaSystemControlMessage) { d.r.Deliver(m) }

// start runs the session until the call ends; fs are the channels fastStart opened
// (nil without): the call is then answered with their plan.
func (d *h245Driver) start(fs *control.FastStart) {
	if fs != nil {
		d.mu.Lock()
		d.answered = true
		d.mu.Unlock()
	}
	d.r.Start(fs)
}

// close stops the session's goroutine and waits for it.
func (d *h245Driver) close() { d.r.Close() }

// do runs f with the session on its goroutine and waits until what it sends went
// out; false when the session does not run.
func (d *h245Driver) do(f func(now time.Time, s *control.Session)) bool {
	return d.r.Do(func(now time.Time) { f(now, d.r.Session()) })
}

// useContent makes cp's floor control the session's H.239 token.
func (d *h245Driver) useContent(cp *contentPath) {
	if cp == nil {
		return
	}
	h := cp.useH239(d)
	d.mu.Lock()
	d.h239 = h
	d.mu.Unlock()
}

func (d *h245Driver) setEvents(e call.Events) {
	d.mu.Lock()
	d.events = e
	d.mu.Unlock()
}

func (d *h245Driver) event(now time.Time, ev control.Event) {
	d.mu.Lock()
	e := d.events
	answered := d.answered
	d.mu.Unlock()
	switch ev := ev.(type) {
	case control.IncomingChannel:
		// The room system opens a channel toward us: receive it on the call's ports
		// for that role; roles without ports (content, camera control) come later.
		if !d.local.RTP(ev.Role).IsValid() {
			d.log.Info("H.245: channel refused", "role", string(ev.Role), "codec", string(ev.Codec))
		}
		if err := d.r.Session().AcceptOn(now, ev, d.local); err != nil {
			d.log.Warn("H.245: answering a channel failed", "err", err)
		}
	case control.PlanChanged:
		if !answered {
			select {
			case d.plans <- ev.Plan:
			default: // Answer reads the latest from the session
			}
			return
		}
		if e.OnPlan != nil {
			if err := e.OnPlan(ev.Plan); err != nil {
				d.log.Warn("H.245: the media cannot take the new channels", "err", err)
			}
		}
	case control.Capabilities:
		d.mu.Lock()
		d.wantVideo = ev.Choice.Video != nil
		d.mu.Unlock()
		if ev.Choice.VideoReason != "" {
			d.log.Info("H.323 call without video", "reason", ev.Choice.VideoReason)
		}
	case control.FastUpdate:
		if e.OnKeyframeRequest != nil {
			e.OnKeyframeRequest()
		}
	case control.UserInput:
		if e.OnDigit != nil {
			for i := 0; i < len(ev.Text); i++ {
				e.OnDigit(ev.Text[i])
			}
		}
	case control.Failure:
		d.fail(ev.Reason)
	case control.EndSession:
		d.fail("") // the room system ended the session: release normally
	case control.Hold:
		d.log.Info("H.245: the room system put the call on hold")
	case control.Resume:
		d.log.Info("H.245: the room system resumed the call")
	case control.FlowControl:
		d.log.Debug("H.245: flow control", "role", string(ev.Role), "bitrate", ev.Bitrate)
		if ev.Role == media.RoleMain && e.OnVideoLimit != nil {
			e.OnVideoLimit(ev.Bitrate)
		}
	case control.ChannelRejected:
		d.log.Info("H.245: channel rejected", "role", string(ev.Role), "cause", ev.Cause)
	case control.TokenRequested:
		d.mu.Lock()
		h := d.h239
		d.mu.Unlock()
		if h == nil {
			// No content side for this call: refuse, so the room system hears an
			// answer instead of waiting for one.
			d.log.Info("H.239: presentation token refused (no content path)")
			_ = d.r.Session().DenyToken(now)
			return
		}
		h.tokenRequested(now, d.r.Session())
	case control.TokenReleased:
		d.mu.Lock()
		h := d.h239
		d.mu.Unlock()
		if h != nil {
			h.tokenReleased(ev.Reason)
		}
	case control.TokenOwner:
		d.log.Info("H.239: the room system presents", "channel", ev.Channel)
	case control.TokenResponse:
		d.log.Info("H.239: token response", "granted", ev.Granted, "revoke", ev.Revoke, "reason", ev.Reason)
	case control.MasterSlave:
		d.log.Debug("H.245: master/slave determined", "master", ev.Master)
	}
}

// fail ends the call because the session failed (or ended, reason "").
func (d *h245Driver) fail(reason string) {
	d.mu.Lock()
	first := d.failure == ""
	if first {
		d.failure = reason
		if reason == "" {
			d.failure = "endSessionCommand"
		}
	}
	d.mu.Unlock()
	if first && d.onFailure != nil {
		d.onFailure(reason)
	}
}

// answerPlan starts the session of an answered call and returns the plan its media
// starts with: fastStart's at once, else the channels' once H.245 opened them; when
// they do not open within wait, release ends the call.
func (d *h245Driver) answerPlan(ctx context.Context, fs *control.FastStart, wait time.Duration, release func(reason string)) (media.Plan, error) {
	d.start(fs)
	if fs != nil {
		return fs.Plan, nil
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	plan, ok := d.waitPlan(wctx, h323VideoSettle)
	if !ok {
		release("no media channels within " + wait.String())
		return media.Plan{}, fmt.Errorf("H.245: no audio channel within %s", wait)
	}
	return plan, nil
}

// waitPlan waits until the channels give a plan with audio both ways, and video too
// when the capability exchange chose it (or settle after the audio is there), or
// the call ends or ctx does. When ctx's deadline passes with the audio there, the
// call goes on without video: a late video channel does not cost the call.
func (d *h245Driver) waitPlan(ctx context.Context, settle time.Duration) (media.Plan, bool) {
	var audioAt time.Time
	var last media.Plan
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if a, ok := last.Stream(media.RoleAudio); ok && a.Remote.IsValid() && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				d.log.Info("H.245: video channel not open in time, the call goes on with audio")
				d.mu.Lock()
				d.answered = true
				d.mu.Unlock()
				return last, true
			}
			return last, false
		case <-d.conn.Done():
			return last, false
		case p := <-d.plans:
			last = p
		case <-tick.C:
		}
		a, ok := last.Stream(media.RoleAudio)
		if !ok || !a.Remote.IsValid() {
			continue
		}
		if audioAt.IsZero() {
			audioAt = time.Now()
		}
		d.mu.Lock()
		wantVideo := d.wantVideo
		d.mu.Unlock()
		if v, ok := last.Stream(media.RoleMain); ok && v.Remote.IsValid() || !wantVideo || time.Since(audioAt) >= settle {
			d.mu.Lock()
			d.answered = true
			d.mu.Unlock()
			return last, true
		}
	}
}
