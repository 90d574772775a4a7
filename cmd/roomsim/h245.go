package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// h245Conn is what the H.245 session needs of a call (an h323 InboundCall or
// OutboundCall).
type h245Conn interface {
	SendH245(msg *h245.MultimediaSystemControlMessage) error
	Done() <-chan struct{}
}

// session runs a call's H.245 (h323/control) on one goroutine, as a room system
// would: it accepts the gateway's channels on our sockets and points the sender at
// the gateway's.
type session struct {
	log   *slog.Logger
	conn  h245Conn
	sess  *control.Session
	local media.Local
	snd   *sender

	in   chan *h245.MultimediaSystemControlMessage
	reqs chan func(now time.Time)
	// audio is closed when we have somewhere to send audio; ended when the session
	// failed or the remote ended it (reason in failure).
	audio, ended         chan struct{}
	audioOnce, endedOnce sync.Once
	mu                   sync.Mutex
	failure              string

	wg   sync.WaitGroup
	stop context.CancelFunc
}

func newSession(log *slog.Logger, conn h245Conn, caps *control.LocalCaps, local media.Local, snd *sender) *session {
	return &session{log: log, conn: conn, sess: control.New(control.Config{Caps: caps, Local: local, TerminalType: 50}),
		local: local, snd: snd, in: make(chan *h245.MultimediaSystemControlMessage, 256),
		reqs: make(chan func(time.Time)), audio: make(chan struct{}), ended: make(chan struct{})}
}

// deliver is the call's OnH245: it never blocks the signalling.
func (s *session) deliver(m *h245.MultimediaSystemControlMessage) {
	select {
	case s.in <- m:
	default:
	}
}

// start runs the session until the call ends or close; fs are the channels
// fastStart opened (nil without).
func (s *session) start(fs *control.FastStart) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if fs != nil {
		s.sess.AdoptFastStart(fs)
		s.apply(fs.Plan)
	}
	s.wg.Go(func() { s.run(ctx) })
}

func (s *session) close() {
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
}

// do runs f on the session's goroutine (false when it does not run).
func (s *session) do(f func(now time.Time)) bool {
	done := make(chan struct{})
	select {
	case s.reqs <- func(now time.Time) { f(now); close(done) }:
	case <-s.conn.Done():
		return false
	case <-time.After(5 * time.Second):
		return false
	}
	<-done
	return true
}

func (s *session) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.sess.Start(time.Now())
	var out []control.Output
	for {
		out = s.flush(out[:0])
		if t, ok := s.sess.NextDeadline(); ok {
			timer.Reset(max(time.Until(t), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.conn.Done():
			return
		case m := <-s.in:
			s.sess.Handle(time.Now(), m)
		case f := <-s.reqs:
			f(time.Now())
		case now := <-timer.C:
			s.sess.Tick(now)
		}
	}
}

func (s *session) flush(buf []control.Output) []control.Output {
	for {
		buf = s.sess.Drain(buf[:0])
		if len(buf) == 0 {
			return buf
		}
		for _, o := range buf {
			if o.Msg != nil {
				if err := s.conn.SendH245(o.Msg); err != nil {
					s.log.Debug("H.245 send failed", "err", err)
				}
			}
			if o.Event != nil {
				s.event(o.Event)
			}
		}
	}
}

func (s *session) event(ev control.Event) {
	now := time.Now()
	switch ev := ev.(type) {
	case control.IncomingChannel:
		rtp, rtcp := s.local.RTP(ev.Role), s.local.RTCP(ev.Role)
		if !rtp.IsValid() {
			_ = s.sess.RejectChannel(now, ev.Number, control.RejectDataTypeNotSupported)
			return
		}
		if err := s.sess.AcceptChannel(now, ev.Number, rtp, rtcp); err != nil {
			s.log.Warn("accepting a channel failed", "err", err)
		}
	case control.PlanChanged:
		s.apply(ev.Plan)
	case control.Failure:
		s.end(ev.Reason)
	case control.EndSession:
		s.end("endSessionCommand")
	case control.UserInput:
		s.log.Info("user input", "text", ev.Text)
	}
}

// apply points the sender at the plan's streams.
func (s *session) apply(p media.Plan) {
	if a, ok := p.Stream(media.RoleAudio); ok && a.Remote.IsValid() {
		s.snd.setAudio(a.Remote, a.Codec, a.PT)
		s.audioOnce.Do(func() { close(s.audio) })
	}
	if v, ok := p.Stream(media.RoleMain); ok && v.Remote.IsValid() {
		s.snd.setVideo(v.Remote, v.PT)
	}
}

func (s *session) end(reason string) {
	s.endedOnce.Do(func() {
		s.mu.Lock()
		s.failure = reason
		s.mu.Unlock()
		close(s.ended)
	})
}
