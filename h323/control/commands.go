package control

import (
	"fmt"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// Commands and indications (H.245 §8.9–8.13, §6.2.10), round-trip delay
// (H.245 §8.7) and answers to what we do not understand or support.

// maxUserInput bounds one user input string passed on to the call.
const maxUserInput = 64

func (s *Session) onCommand(now time.Time, m *h245.MultimediaSystemControlMessage) {
	c := m.Command
	switch {
	case c.MiscellaneousCommand != nil:
		if c.MiscellaneousCommand.Type.VideoFastUpdatePicture != nil {
			// The number is of our channel: the remote wants our key frame.
			if ch := s.find(int64(c.MiscellaneousCommand.LogicalChannelNumber), true); ch != nil {
				s.out.event(FastUpdate{Role: ch.role})
			} else {
				s.out.event(FastUpdate{Role: media.RoleMain})
			}
		}
	case c.FlowControlCommand != nil:
		s.onFlowControl(c.FlowControlCommand)
	case c.EndSessionCommand != nil:
		// H.323 §8.5: answer with our own endSessionCommand, then the call
		// releases.
		s.End()
		s.out.event(EndSession{})
	case c.SendTerminalCapabilitySet != nil:
		s.tcs.start(now, s.cfg.Caps.TerminalCapabilitySet, &s.out)
	case c.UnknownAlternative != nil:
		s.notUnderstood(&h245.FunctionNotUnderstood{Command: c})
	case c.GenericCommand != nil && s.onGeneric(now, m):
	case c.NonStandard != nil:
		// Vendor extensions: ignored.
	default:
		s.notSupported(m)
	}
}

func (s *Session) onFlowControl(f *h245.FlowControlCommand) {
	ev := FlowControl{}
	if r := f.Restriction.MaximumBitRate; r != nil {
		ev.Bitrate = int(min(max(*r, 0), 1<<24)) * 100 // H.245 bounds it to 0..16777215
	}
	if n := f.Scope.LogicalChannelNumber; n != nil {
		ch := s.find(int64(*n), true)
		if ch == nil {
			return // not one of ours
		}
		ev.Role = ch.role
	}
	s.out.event(ev)
}

func (s *Session) onIndication(now time.Time, i *h245.IndicationMessage) {
	switch {
	case i.GenericIndication != nil:
		s.onGeneric(now, &h245.MultimediaSystemControlMessage{Indication: i})
	case i.UserInput != nil:
		s.onUserInput(i.UserInput)
	case i.MasterSlaveDeterminationRelease != nil:
		s.msd.onRelease(&s.out)
	}
	// Indications are never answered; FunctionNotUnderstood and
	// FunctionNotSupported about our messages only inform.
}

func (s *Session) onUserInput(u *h245.UserInputIndication) {
	var ev UserInput
	switch {
	case u.Alphanumeric != nil:
		ev.Text = *u.Alphanumeric
	case u.Signal != nil:
		ev.Text, ev.Signal = u.Signal.SignalType, true
		if d := u.Signal.Duration; d != nil && *d > 0 {
			ev.Duration = time.Duration(min(*d, 60000)) * time.Millisecond
		}
	case u.ExtendedAlphanumeric != nil:
		ev.Text = u.ExtendedAlphanumeric.Alphanumeric
	default:
		return // signalUpdate, userInputSupportIndication: nothing to pass on
	}
	if len(ev.Text) > maxUserInput {
		ev.Text = ev.Text[:maxUserInput]
	}
	if ev.Text != "" {
		s.out.event(ev)
	}
}

// notUnderstood returns a message of a kind this H.245 version does not
// know (indication functionNotUnderstood, H.245 §6.2.10 / Annex A).
func (s *Session) notUnderstood(f *h245.FunctionNotUnderstood) {
	s.out.send(h245.Indication(h245.IndicationMessage{FunctionNotUnderstood: f}))
}

// notSupported answers a request or command we understand but do not
// implement: functionNotSupported, unknownFunction, with the message.
func (s *Session) notSupported(m *h245.MultimediaSystemControlMessage) {
	fns := &h245.FunctionNotSupported{Cause: h245.FunctionNotSupportedCause{UnknownFunction: &struct{}{}}}
	if b, err := m.Marshal(); err == nil && len(b) <= 1024 {
		fns.ReturnedFunction = b
	}
	s.out.send(h245.Indication(h245.IndicationMessage{FunctionNotSupported: fns}))
}

// RequestFastUpdate asks the remote for a key frame on the channel it
// sends us for role (videoFastUpdatePicture).
func (s *Session) RequestFastUpdate(role media.Role) error {
	c := s.byRole(role, false, chEstablished)
	if c == nil {
		return fmt.Errorf("control: no incoming %s channel", role)
	}
	s.out.send(h245.NewVideoFastUpdatePicture(c.number))
	return nil
}

// LimitBitrate asks the remote to send at most bitrate bit/s on its channel
// of role (flowControlCommand in 100 bit/s; 0 lifts the limit).
func (s *Session) LimitBitrate(role media.Role, bitrate int) error {
	c := s.byRole(role, false, chEstablished)
	if c == nil {
		return fmt.Errorf("control: no incoming %s channel", role)
	}
	if bitrate <= 0 {
		lcn := h245.LogicalChannelNumber(c.number)
		s.out.send(h245.Command(h245.CommandMessage{FlowControlCommand: &h245.FlowControlCommand{
			Scope:       h245.FlowControlCommandScope{LogicalChannelNumber: &lcn},
			Restriction: h245.FlowControlCommandRestriction{NoRestriction: &struct{}{}}}}))
		return nil
	}
	s.out.send(h245.NewFlowControlCommand(c.number, int64(min(bitrate/100, 1<<24-1))))
	return nil
}

// SendUserInput sends digits or text: each DTMF character as a signal when
// the remote takes dtmf, else the whole string as alphanumeric.
func (s *Session) SendUserInput(text string, duration time.Duration) {
	if text == "" || s.ended {
		return
	}
	rc := s.remote()
	if rc.DTMF && !rc.Alphanumeric || rc.DTMF && isDTMF(text) {
		for i := 0; i < len(text); i++ {
			s.out.send(h245.NewUserInputSignal(text[i], duration.Milliseconds()))
		}
		return
	}
	s.out.send(h245.NewUserInputAlphanumeric(text))
}

func isDTMF(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '*', c == '#', c >= 'A' && c <= 'D', c == '!':
		default:
			return false
		}
	}
	return s != ""
}

// rtd is the round-trip delay liveness check (H.245 §8.7, timer T105).
type rtd struct {
	seq      int64
	pending  bool
	sentAt   time.Time
	deadline time.Time
	next     time.Time
	misses   int
}

func (s *Session) tickRTD(now time.Time) {
	r := &s.rtd
	if r.pending && !now.Before(r.deadline) {
		r.pending = false
		r.misses++
		if r.misses >= s.cfg.RTDMisses {
			r.next = time.Time{}
			s.out.event(Failure{Reason: fmt.Sprintf("round trip delay: %d requests in a row unanswered (T105 %s)", r.misses, s.cfg.T105)})
			return
		}
		r.next = now
	}
	if !r.pending && !r.next.IsZero() && !now.Before(r.next) {
		r.seq = (r.seq + 1) % 256
		r.pending, r.sentAt, r.deadline = true, now, now.Add(s.cfg.T105)
		s.out.send(h245.Request(h245.RequestMessage{RoundTripDelayRequest: &h245.RoundTripDelayRequest{
			SequenceNumber: h245.SequenceNumber(r.seq)}}))
	}
}

func (s *Session) onRTDResponse(now time.Time, resp *h245.RoundTripDelayResponse) {
	r := &s.rtd
	if !r.pending || int64(resp.SequenceNumber) != r.seq {
		return
	}
	r.pending, r.misses = false, 0
	r.next = now.Add(s.cfg.RTDInterval)
	s.out.event(RoundTrip{RTT: now.Sub(r.sentAt)})
}
