package control

import (
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// An Output is one thing a Session wants done: a message to send on the
// H.245 channel (Msg) or an event for the call (Event). Exactly one is set.
type Output struct {
	Msg   *h245.MultimediaSystemControlMessage
	Event Event
}

// An Event tells the call something happened on the control channel.
type Event interface{ event() }

// Hold: the remote sent an empty capability set (H.323 §8.4.6): media is
// paused, our outgoing channels were closed; the call stays up.
type Hold struct{}

// Resume: a capability set followed a Hold; channels are opened again once
// master/slave determination has run again.
type Resume struct{}

// Failure: a procedure failed (a timer expired, MSD could not decide, the
// remote rejected our capabilities, round trips went unanswered); the call
// should be released. Reason says which and why.
type Failure struct{ Reason string }

// MasterSlave: master/slave determination finished.
type MasterSlave struct{ Master bool }

// Capabilities: the remote's capability set was accepted; Choice is what we
// will send it (VideoReason says why there is no video, if there is none).
type Capabilities struct {
	Remote *RemoteCaps
	Choice Choice
}

// IncomingChannel asks the call to accept (Session.AcceptChannel, with the
// RTP/RTCP address where it receives) or reject (Session.RejectChannel) a
// channel the remote opens.
type IncomingChannel struct {
	Number int64
	Role   media.Role
	Codec  media.Codec
	PT     uint8
	// H264 is how the remote encodes and packetizes, for H.264.
	H264 *media.H264Limits
	// RemoteRTCP is where the remote receives RTCP for the session.
	RemoteRTCP netip.AddrPort
}

// ChannelRejected: the remote rejected one of our channels, or it timed
// out. Cause is the H.245 cause's ASN.1 name.
type ChannelRejected struct {
	Number int64
	Role   media.Role
	Cause  string
}

// ChannelClosed: a channel is gone (Outgoing: ours).
type ChannelClosed struct {
	Number   int64
	Role     media.Role
	Outgoing bool
}

// PlanChanged carries the media plan whenever the channels change it.
type PlanChanged struct{ Plan media.Plan }

// FastUpdate: the remote asks for a key frame on our stream of Role
// (miscellaneousCommand videoFastUpdatePicture).
type FastUpdate struct{ Role media.Role }

// FlowControl: the remote limits our stream of Role to Bitrate bit/s
// (flowControlCommand, carried in 100 bit/s); 0 lifts the limit. Role is
// empty when the command covers the whole multiplex.
type FlowControl struct {
	Role    media.Role
	Bitrate int
}

// UserInput: digits or text the remote sent (userInputIndication).
// Signal is set for a signal (one DTMF tone, Duration if given).
type UserInput struct {
	Text     string
	Signal   bool
	Duration time.Duration
}

// EndSession: the remote sent endSessionCommand; the call should release.
type EndSession struct{}

// RoundTrip: a RoundTripDelayResponse arrived after RTT.
type RoundTrip struct{ RTT time.Duration }

// TokenRequested: the remote asks for the H.239 presentation token to
// present on its content channel Channel (presentationTokenRequest). The
// call answers with Session.GrantToken or Session.DenyToken.
type TokenRequested struct{ Channel int64 }

// TokenOwner: the remote holds the presentation token and presents; sent
// when our grant went out (after the Ack of its content channel, if that
// was still waiting).
type TokenOwner struct{ Channel int64 }

// TokenReleased: the remote no longer presents: it released the token,
// gave it back on RevokeToken, closed its content channel, or the session
// ended. Reason says which.
type TokenReleased struct{ Reason string }

// TokenResponse answers our RequestToken (Revoke false: Granted means we
// present toward the remote now) or RevokeToken (Revoke true: Granted means
// the remote gave the token back). Granted false without Revoke also comes
// when we lose a token we held or asked for (our content channel refused
// or closed, an empty capability set, a simultaneous request that won).
// Reason says why when not granted.
type TokenResponse struct {
	Granted, Revoke bool
	Reason          string
}

func (Hold) event()            {}
func (Resume) event()          {}
func (Failure) event()         {}
func (MasterSlave) event()     {}
func (Capabilities) event()    {}
func (IncomingChannel) event() {}
func (ChannelRejected) event() {}
func (ChannelClosed) event()   {}
func (PlanChanged) event()     {}
func (FastUpdate) event()      {}
func (FlowControl) event()     {}
func (UserInput) event()       {}
func (EndSession) event()      {}
func (RoundTrip) event()       {}
func (TokenRequested) event()  {}
func (TokenOwner) event()      {}
func (TokenReleased) event()   {}
func (TokenResponse) event()   {}

// maxQueued bounds the outputs waiting for Drain: a peer cannot make a
// session that is never drained grow without limit. What does not fit is
// dropped and counted (Session.Dropped).
const maxQueued = 256

// outbox collects a Session's outputs in order.
type outbox struct {
	q       []Output
	dropped int
}

func (o *outbox) push(x Output) {
	if len(o.q) >= maxQueued {
		o.dropped++
		return
	}
	o.q = append(o.q, x)
}

func (o *outbox) send(m *h245.MultimediaSystemControlMessage) { o.push(Output{Msg: m}) }
func (o *outbox) event(e Event)                               { o.push(Output{Event: e}) }
