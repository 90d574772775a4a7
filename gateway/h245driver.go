package gateway

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// h245Conn is what the H.245 driver needs of an H.323 call: a way to send H.245
// (tunnelled or over the separate connection), and the end of the call.
type h245Conn interface {
	SendH245(msg *h245.MultimediaSystemControlMessage) error
	Done() <-chan struct{}
}

// h245Driver runs one call's H.245 session (h323/control, pure state machines) on
// one goroutine: it feeds it what the room system sends and its timers, sends what
// it says, accepts the room system's channels on the call's ports and turns its
// events into the call flow's. The call's signalling hands it messages through
// deliver; the flow's requests (keyframe, hang-up) come through do.
type h245Driver struct {
	log   *slog.Logger
	conn  h245Conn
	sess  *control.Session
	local media.Local

	in   chan *h245.MultimediaSystemControlMessage
	reqs chan driverReq
	// started is closed by start, exited when the session's goroutine returns.
	started, exited chan struct{}
	// plans receives the plan each time the channels change it, until the call is
	// answered (Answer waits on it); later changes go to the flow's OnPlan.
	plans chan media.Plan

	mu        sync.Mutex
	events    call.Events
	answered  bool
	wantVideo bool   // the capability exchange chose video
	failure   string // why the session failed the call ("" while it is fine)
	dropped   int
	onFailure func(reason string)

	wg   sync.WaitGroup
	stop context.CancelFunc
}

// h245InboxSize bounds the H.245 messages waiting for the session: a peer that
// floods faster than the session handles loses the excess (counted, logged once).
const h245InboxSize = 256

func newH245Driver(log *slog.Logger, conn h245Conn, cfg control.Config, onFailure func(reason string)) *h245Driver {
	return &h245Driver{log: log, conn: conn, sess: control.New(cfg), local: cfg.Local,
		in: make(chan *h245.MultimediaSystemControlMessage, h245InboxSize), reqs: make(chan driverReq),
		started: make(chan struct{}), exited: make(chan struct{}),
		plans: make(chan media.Plan, 8), onFailure: onFailure}
}

// deliver hands the driver a message from the room system (the signalling's
// OnH245); it never blocks the signalling.
func (d *h245Driver) deliver(m *h245.MultimediaSystemControlMessage) {
	select {
	case d.in <- m:
	default:
		d.mu.Lock()
		d.dropped++
		n := d.dropped
		d.mu.Unlock()
		if n == 1 {
			d.log.Warn("H.245: messages arrive faster than they are handled; dropping the excess")
		}
	}
}

// start runs the session until the call ends or stop; fs are the channels
// fastStart opened (nil without).
func (d *h245Driver) start(fs *control.FastStart) {
	ctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	if fs != nil {
		d.sess.AdoptFastStart(fs)
	}
	d.wg.Go(func() {
		defer close(d.exited)
		d.run(ctx)
	})
	close(d.started)
}

// close stops the session's goroutine and waits for it.
func (d *h245Driver) close() {
	if d.stop != nil {
		d.stop()
	}
	d.wg.Wait()
}

// driverReq is work for the session's goroutine; done is closed once it ran and
// what it made the session send went out.
type driverReq struct {
	f    func(now time.Time)
	done chan struct{}
}

// do runs f on the session's goroutine and waits until what it sends went out;
// false when the session does not run (not started, or ended).
func (d *h245Driver) do(f func(now time.Time)) bool {
	select {
	case <-d.started:
	default:
		return false
	}
	r := driverReq{f: f, done: make(chan struct{})}
	select {
	case d.reqs <- r:
	case <-d.exited:
		return false
	}
	select {
	case <-r.done:
		return true
	case <-d.exited:
		return false
	}
}

func (d *h245Driver) setEvents(e call.Events) {
	d.mu.Lock()
	d.events = e
	d.mu.Unlock()
}

func (d *h245Driver) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var out []control.Output
	d.sess.Start(time.Now())
	for {
		out = d.flush(out[:0])
		if t, ok := d.sess.NextDeadline(); ok {
			timer.Reset(max(time.Until(t), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return
		case <-d.conn.Done():
			return
		case m := <-d.in:
			d.sess.Handle(time.Now(), m)
		case r := <-d.reqs:
			r.f(time.Now())
			out = d.flush(out[:0])
			close(r.done)
		case now := <-timer.C:
			d.sess.Tick(now)
		}
	}
}

// flush sends the session's messages and acts on its events.
func (d *h245Driver) flush(buf []control.Output) []control.Output {
	for {
		buf = d.sess.Drain(buf[:0])
		if len(buf) == 0 {
			return buf
		}
		for _, o := range buf {
			if o.Msg != nil {
				if err := d.conn.SendH245(o.Msg); err != nil {
					d.log.Debug("H.245: send failed", "err", err)
				}
			}
			if o.Event != nil {
				d.event(o.Event)
			}
		}
	}
}

func (d *h245Driver) event(ev control.Event) {
	d.mu.Lock()
	e := d.events
	answered := d.answered
	d.mu.Unlock()
	now := time.Now()
	switch ev := ev.(type) {
	case control.IncomingChannel:
		// The room system opens a channel toward us: receive it on the call's ports
		// for that role; roles without ports (content, camera control) come later.
		rtp, rtcp := d.local.RTP(ev.Role), d.local.RTCP(ev.Role)
		if !rtp.IsValid() {
			d.log.Info("H.245: channel refused", "role", string(ev.Role), "codec", string(ev.Codec))
			_ = d.sess.RejectChannel(now, ev.Number, control.RejectDataTypeNotSupported)
			return
		}
		if err := d.sess.AcceptChannel(now, ev.Number, rtp, rtcp); err != nil {
			d.log.Warn("H.245: accepting a channel failed", "err", err)
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
	case control.ChannelRejected:
		d.log.Info("H.245: channel rejected", "role", string(ev.Role), "cause", ev.Cause)
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
