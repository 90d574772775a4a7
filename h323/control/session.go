package control

import (
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

// Session is the H.245 side of one call: CESE, MSDSE, LCSE, round-trip
// liveness and the commands, combined. It is not safe for concurrent use;
// its owner (the call's goroutine) serialises calls, and sends what Drain
// returns in order.
type Session struct {
	cfg    Config
	out    outbox
	msd    msd
	tcs    ceseOut
	in     ceseIn
	choice *Choice
	chans  []*channel

	nextLCN int64
	reopen  [3]bool // per role index: our channel must follow the remote's
	held    bool
	opened  bool // our channels were opened for the current capabilities
	started bool
	ended   bool
	rtd     rtd

	plan     media.Plan
	planSent bool

	tok token // H.239 presentation token
}

// New returns a session; Start begins the procedures.
func New(cfg Config) *Session {
	cfg.defaults()
	s := &Session{cfg: cfg}
	s.msd = msd{terminalType: cfg.TerminalType, n100: cfg.N100, t106: cfg.T106, rand: cfg.Rand}
	s.tcs = ceseOut{retries: cfg.TCSRetries, t101: cfg.T101}
	return s
}

// Start sends our capability set and master/slave determination (H.323
// §8.2: both, at once, when the H.245 channel is up) and arms the
// round-trip liveness check.
func (s *Session) Start(now time.Time) {
	if s.started || s.ended {
		return
	}
	s.started = true
	s.tcs.start(now, s.cfg.Caps.TerminalCapabilitySet, &s.out)
	if !s.msd.done {
		s.msd.start(now, &s.out)
	}
	if s.cfg.RTDInterval > 0 {
		s.rtd.next = now.Add(s.cfg.RTDInterval)
	}
	s.after(now)
}

// Drain appends the pending outputs to dst, in order, and forgets them.
func (s *Session) Drain(dst []Output) []Output {
	dst = append(dst, s.out.q...)
	clear(s.out.q)
	s.out.q = s.out.q[:0]
	return dst
}

// Dropped is how many outputs were dropped because Drain was not called
// (more than 256 waiting).
func (s *Session) Dropped() int { return s.out.dropped }

// Master reports the master/slave result; ok is false until determined.
func (s *Session) Master() (master, ok bool) {
	return s.msd.status == msdMaster, s.msd.done
}

// Remote returns the remote's last capability set and our choice (nil
// before one arrived).
func (s *Session) Remote() (*RemoteCaps, *Choice) { return s.in.remote, s.choice }

// Held reports whether the remote paused the call with an empty set.
func (s *Session) Held() bool { return s.held }

func (s *Session) isMaster() bool { return s.msd.done && s.msd.status == msdMaster }

func roleIndex(r media.Role) int {
	switch r {
	case media.RoleAudio:
		return 0
	case media.RoleContent:
		return 2
	}
	return 1
}

func (s *Session) chosen(r media.Role) *RemoteCap {
	if s.choice == nil {
		return nil
	}
	switch r {
	case media.RoleAudio:
		return s.choice.Audio
	case media.RoleContent:
		return s.choice.Content
	}
	return s.choice.Video
}

func levelOf(l *media.H264Limits) h264.Level {
	if l.LevelIDC == 11 && l.Constraints&0x10 != 0 && l.ProfileIDC != 100 {
		return h264.Level1b
	}
	return h264.Level(l.LevelIDC)
}

// Handle processes one received message.
func (s *Session) Handle(now time.Time, m *h245.MultimediaSystemControlMessage) {
	if s.ended || m == nil {
		return
	}
	switch {
	case m.Request != nil:
		s.onRequest(now, m)
	case m.Response != nil:
		s.onResponse(now, m.Response)
	case m.Command != nil:
		s.onCommand(now, m)
	case m.Indication != nil:
		s.onIndication(now, m.Indication)
	}
	s.after(now)
}

func (s *Session) onRequest(now time.Time, m *h245.MultimediaSystemControlMessage) {
	r := m.Request
	switch {
	case r.MasterSlaveDetermination != nil:
		s.msd.onRequest(now, r.MasterSlaveDetermination, &s.out)
	case r.TerminalCapabilitySet != nil:
		s.onTCS(now, r.TerminalCapabilitySet)
	case r.OpenLogicalChannel != nil:
		s.onOLC(now, r.OpenLogicalChannel)
	case r.CloseLogicalChannel != nil:
		s.onCLC(r.CloseLogicalChannel)
	case r.RequestChannelClose != nil:
		s.onRCC(now, r.RequestChannelClose)
	case r.RoundTripDelayRequest != nil:
		s.out.send(h245.Response(h245.ResponseMessage{RoundTripDelayResponse: &h245.RoundTripDelayResponse{
			SequenceNumber: r.RoundTripDelayRequest.SequenceNumber}}))
	case r.RequestMode != nil:
		s.out.send(h245.Response(h245.ResponseMessage{RequestModeReject: &h245.RequestModeReject{
			SequenceNumber: r.RequestMode.SequenceNumber,
			Cause:          h245.RequestModeRejectCause{ModeUnavailable: &struct{}{}}}}))
	case r.MaintenanceLoopRequest != nil:
		t := r.MaintenanceLoopRequest.Type
		s.out.send(h245.Response(h245.ResponseMessage{MaintenanceLoopReject: &h245.MaintenanceLoopReject{
			Type: h245.MaintenanceLoopRejectType{SystemLoop: t.SystemLoop, MediaLoop: t.MediaLoop,
				LogicalChannelLoop: t.LogicalChannelLoop, UnknownAlternative: t.UnknownAlternative},
			Cause: h245.MaintenanceLoopRejectCause{CanNotPerformLoop: &struct{}{}}}}))
	case r.UnknownAlternative != nil:
		s.notUnderstood(&h245.FunctionNotUnderstood{Request: r})
	case r.GenericRequest != nil && s.onGeneric(now, m):
	default:
		s.notSupported(m)
	}
}

func (s *Session) onResponse(now time.Time, r *h245.ResponseMessage) {
	switch {
	case r.MasterSlaveDeterminationAck != nil:
		s.msd.onAck(r.MasterSlaveDeterminationAck, &s.out)
	case r.MasterSlaveDeterminationReject != nil:
		s.msd.onReject(now, &s.out)
	case r.TerminalCapabilitySetAck != nil:
		s.tcs.onAck(r.TerminalCapabilitySetAck)
	case r.TerminalCapabilitySetReject != nil:
		s.tcs.onReject(r.TerminalCapabilitySetReject, &s.out)
	case r.OpenLogicalChannelAck != nil:
		s.onOLCAck(now, r.OpenLogicalChannelAck)
	case r.OpenLogicalChannelReject != nil:
		s.onOLCReject(now, r.OpenLogicalChannelReject)
	case r.CloseLogicalChannelAck != nil:
		s.onCLCAck(r.CloseLogicalChannelAck)
	case r.RoundTripDelayResponse != nil:
		s.onRTDResponse(now, r.RoundTripDelayResponse)
	case r.GenericResponse != nil:
		s.onGeneric(now, &h245.MultimediaSystemControlMessage{Response: r})
	}
	// RequestChannelCloseAck/Reject: the remote's CLC (or its absence)
	// tells the rest. Responses we never asked for are ignored.
}

// onTCS runs the incoming CESE and what follows from it.
func (s *Session) onTCS(now time.Time, t *h245.TerminalCapabilitySet) {
	switch s.in.onTCS(t, &s.out) {
	case tcsHold:
		// H.323 §8.4.6: close what we send, forget the master/slave
		// result; both run again after the next set.
		s.held = true
		s.tokenLost("the remote paused the call (empty capability set)")
		for _, c := range s.chans {
			if c.out {
				s.closeOut(now, c)
			}
		}
		s.opened = false
		s.msd.reset()
	case tcsResume:
		s.held = false
		s.newCaps()
		s.msd.start(now, &s.out)
	case tcsCaps:
		s.newCaps()
	}
}

func (s *Session) newCaps() {
	c := Choose(s.in.remote, s.cfg.Caps)
	s.opened = false // open what the new set makes possible
	s.choice = &c
	s.out.event(Capabilities{Remote: s.in.remote, Choice: c})
}

// after runs what follows any input: opening our channels once the
// remote's capabilities and the master/slave result are known (H.323
// §8.2), and a new plan when it changed.
func (s *Session) after(now time.Time) {
	if !s.opened && !s.held && s.choice != nil && s.msd.done && !s.ended {
		s.opened = true
		for _, role := range []media.Role{media.RoleAudio, media.RoleMain} {
			if rc := s.chosen(role); rc != nil && s.byRole(role, true, chAwaitingAck, chEstablished) == nil {
				s.openOut(now, role, rc)
			}
		}
	}
	s.contentEarly(now)
	s.tokenAfter(now)
	s.emitPlan()
}

// Tick runs the timers that are due at now.
func (s *Session) Tick(now time.Time) {
	if s.ended {
		return
	}
	s.msd.tick(now, &s.out)
	s.tcs.tick(now, &s.out)
	s.tickChannels(now)
	s.tickRTD(now)
	s.tickToken(now)
	s.after(now)
}

// NextDeadline is when Tick must run next; ok is false when no timer runs.
func (s *Session) NextDeadline() (t time.Time, ok bool) {
	if s.ended {
		return t, false
	}
	add := func(d time.Time) {
		if !d.IsZero() && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	if s.msd.state != msdIdle {
		add(s.msd.deadline)
	}
	if s.tcs.state == ceseAwaiting {
		add(s.tcs.deadline)
	}
	for _, c := range s.chans {
		add(c.deadline)
	}
	add(s.tok.deadline)
	if s.rtd.pending {
		add(s.rtd.deadline)
	} else {
		add(s.rtd.next)
	}
	return t, !t.IsZero()
}

// Hold pauses the remote (H.323 §8.4.6) by sending an empty capability
// set; Resume sends ours again.
func (s *Session) Hold(now time.Time) {
	s.tcs.start(now, EmptyTerminalCapabilitySet, &s.out)
}

// Resume sends our capability set again after Hold.
func (s *Session) Resume(now time.Time) {
	s.tcs.start(now, s.cfg.Caps.TerminalCapabilitySet, &s.out)
}

// End sends endSessionCommand (H.245 §8.9): nothing is sent or handled
// after it.
func (s *Session) End() {
	if s.ended {
		return
	}
	s.out.send(h245.Command(h245.CommandMessage{EndSessionCommand: &h245.EndSessionCommand{Disconnect: &struct{}{}}}))
	s.remoteStopped("session ended")
	s.ended = true
}

// Ended reports whether endSessionCommand was sent or received.
func (s *Session) Ended() bool { return s.ended }
