package main

import (
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// session runs a call's H.245 (h323/control on a control.Runner) as a room system
// would: it accepts the gateway's channels on our sockets and points the sender at
// the gateway's.
type session struct {
	log   *slog.Logger
	r     *control.Runner
	sess  *control.Session // only on the runner's goroutine (events, do)
	local media.Local
	snd   *sender
	// content is the H.239 side with -content (nil without): it takes the
	// token events and the content plan.
	content *h239Content

	// audio is closed when we have somewhere to send audio; ended when the session
	// failed or the remote ended it (reason in failure).
	audio, ended         chan struct{}
	audioOnce, endedOnce sync.Once
	mu                   sync.Mutex
	failure              string
}

func newSession(log *slog.Logger, conn control.Conn, caps *control.LocalCaps, m *callMedia) *session {
	s := &session{log: log, sess: control.New(control.Config{Caps: caps, Local: m.local, TerminalType: 50}),
		local: m.local, snd: m.snd, content: m.content, audio: make(chan struct{}), ended: make(chan struct{})}
	s.r = control.NewRunner(s.sess, conn, log, s.event)
	return s
}

// deliver is the call's OnH245: it never blocks the signalling.
func (s *session) deliver(m *h245.MultimediaSystemControlMessage) { s.r.Deliver(m) }

// start runs the session until the call ends or close; fs are the channels
// fastStart opened (nil without).
func (s *session) start(fs *control.FastStart) {
	if fs != nil {
		s.apply(fs.Plan)
	}
	s.r.Start(fs)
}

func (s *session) close() { s.r.Close() }

// do runs f on the session's goroutine (false when it does not run).
func (s *session) do(f func(now time.Time)) bool { return s.r.Do(f) }

func (s *session) event(now time.Time, ev control.Event) {
	if s.content != nil {
		s.content.onEvent(now, s.sess, ev)
	}
	switch ev := ev.(type) {
	case control.IncomingChannel:
		if err := s.sess.AcceptOn(now, ev, s.local); err != nil {
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
	case control.TokenRequested:
		// The gateway presents toward us (someone in the meeting shares): grant, as
		// room systems do when they do not present themselves (with -content the
		// content side granted it, taking back our own presentation).
		s.log.Info("H.239: token requested by the gateway: granted", "channel", ev.Channel)
		if s.content == nil {
			_ = s.sess.GrantToken(now)
		}
	case control.TokenOwner:
		s.log.Info("H.239: the gateway presents", "channel", ev.Channel)
	case control.TokenReleased:
		s.log.Info("H.239: the gateway stopped presenting", "reason", ev.Reason)
	case control.TokenResponse:
		s.log.Info("H.239: token response", "granted", ev.Granted, "revoke", ev.Revoke, "reason", ev.Reason)
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
