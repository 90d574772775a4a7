package control

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// Conn is what a Runner needs of a call: a way to send H.245 (tunnelled or over
// the separate connection: the h323 package's calls) and the end of the call.
type Conn interface {
	SendH245(msg *h245.MultimediaSystemControlMessage) error
	Done() <-chan struct{}
}

// Runner drives a Session on one goroutine of its own, as a call needs it: the
// call's signalling hands it the remote's messages (Deliver, never blocking), its
// timers run, what the session says is sent on the Conn, and its events go to the
// event function on the same goroutine, which may call the Session's methods.
// Work from other goroutines goes through Do.
type Runner struct {
	sess    *Session
	conn    Conn
	log     *slog.Logger
	onEvent func(now time.Time, ev Event)

	in      chan *h245.MultimediaSystemControlMessage
	reqs    chan runnerReq
	started chan struct{}
	exited  chan struct{}
	dropped atomic.Int64
	start   sync.Once
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// InboxSize bounds the messages waiting for the session: a peer that floods faster
// than the session handles them loses the excess (counted in Dropped).
const InboxSize = 256

type runnerReq struct {
	f    func(now time.Time)
	done chan struct{}
}

// NewRunner returns a runner of sess on conn; onEvent (may be nil) receives the
// session's events.
func NewRunner(sess *Session, conn Conn, log *slog.Logger, onEvent func(now time.Time, ev Event)) *Runner {
	return &Runner{sess: sess, conn: conn, log: log, onEvent: onEvent,
		in: make(chan *h245.MultimediaSystemControlMessage, InboxSize), reqs: make(chan runnerReq),
		started: make(chan struct{}), exited: make(chan struct{})}
}

// Session is the session the runner drives: use it only on the runner's goroutine
// (in the event function or in Do).
func (r *Runner) Session() *Session { return r.sess }

// Deliver hands the runner a message from the remote (the call's OnH245).
func (r *Runner) Deliver(m *h245.MultimediaSystemControlMessage) {
	select {
	case r.in <- m:
	default:
		if r.dropped.Add(1) == 1 {
			r.log.Warn("H.245: messages arrive faster than they are handled; dropping the excess")
		}
	}
}

// Dropped is how many messages Deliver dropped.
func (r *Runner) Dropped() int { return int(r.dropped.Load()) }

// Start begins the session (capability set, master/slave determination) with the
// channels fastStart opened (nil without), and runs it until the call ends or Close.
// Only the first call does anything.
func (r *Runner) Start(fs *FastStart) {
	r.start.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		r.stop = cancel
		if fs != nil {
			r.sess.AdoptFastStart(fs)
		}
		r.wg.Go(func() {
			defer close(r.exited)
			r.run(ctx)
		})
		close(r.started)
	})
}

// Close stops the runner and waits for its goroutine; idempotent.
func (r *Runner) Close() {
	select {
	case <-r.started:
		r.stop()
	default:
	}
	r.wg.Wait()
}

// Do runs f on the runner's goroutine and waits until what it made the session
// send went out; false when the runner does not run (not started, or ended).
func (r *Runner) Do(f func(now time.Time)) bool {
	select {
	case <-r.started:
	default:
		return false
	}
	q := runnerReq{f: f, done: make(chan struct{})}
	select {
	case r.reqs <- q:
	case <-r.exited:
		return false
	}
	select {
	case <-q.done:
		return true
	case <-r.exited:
		return false
	}
}

func (r *Runner) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var out []Output
	r.sess.Start(time.Now())
	for {
		out = r.flush(out[:0])
		if t, ok := r.sess.NextDeadline(); ok {
			timer.Reset(max(time.Until(t), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.conn.Done():
			return
		case m := <-r.in:
			r.sess.Handle(time.Now(), m)
		case q := <-r.reqs:
			q.f(time.Now())
			out = r.flush(out[:0])
			close(q.done)
		case now := <-timer.C:
			r.sess.Tick(now)
		}
	}
}

// flush sends the session's messages and hands its events on, in order.
func (r *Runner) flush(buf []Output) []Output {
	for {
		buf = r.sess.Drain(buf[:0])
		if len(buf) == 0 {
			return buf
		}
		for _, o := range buf {
			if o.Msg != nil {
				if err := r.conn.SendH245(o.Msg); err != nil {
					r.log.Debug("H.245: send failed", "err", err)
				}
			}
			if o.Event != nil && r.onEvent != nil {
				r.onEvent(time.Now(), o.Event)
			}
		}
	}
}

// AcceptOn accepts the remote's channel on local's address for its role, or
// rejects it (dataTypeNotSupported) when local has no port for that role (content
// and camera control before they are supported).
func (s *Session) AcceptOn(now time.Time, ch IncomingChannel, local media.Local) error {
	rtp, rtcp := local.RTP(ch.Role), local.RTCP(ch.Role)
	if !rtp.IsValid() {
		return s.RejectChannel(now, ch.Number, RejectDataTypeNotSupported)
	}
	return s.AcceptChannel(now, ch.Number, rtp, rtcp)
}
