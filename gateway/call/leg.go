package call

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/transcode/media"
)

// Leg is one room-system call as the call flow drives it, whatever its
// signalling: the SIP adapter and the H.323 adapter each implement it.
type Leg interface {
	// HangUp ends an established call (SIP BYE, H.225 ReleaseComplete) saying
	// why; a no-op when the room system already hung up.
	HangUp(reason string) error
	// RequestKeyframe asks the room system for a keyframe through its signalling
	// (SIP INFO picture_fast_update, H.245 videoFastUpdatePicture).
	RequestKeyframe(ctx context.Context) error
	// SetEvents installs the flow's handlers of what the room system does.
	SetEvents(Events)
	// Done is closed when the signalling ended the call.
	Done() <-chan struct{}
	// EndReason says who ended the call and how, once Done.
	EndReason() string
	// Close frees what the leg holds once the flow is done with the call (after
	// its hang-up or refusal), waiting for the leg's own goroutines.
	Close()
}

// Events are what a room system does during its call.
type Events struct {
	// OnDigit is a DTMF digit sent in the signalling (SIP INFO, H.245
	// userInputIndication, Q.931 keypad).
	OnDigit func(d byte)
	// OnKeyframeRequest is the room system asking for a keyframe in the
	// signalling.
	OnKeyframeRequest func()
	// OnVideoLimit is the room system asking for at most bitrate bit/s of video
	// (0: no limit).
	OnVideoLimit func(bitrate int)
	// OnPlan is a re-negotiation (hold, resume, new address, a channel opened
	// or closed); an error refuses it.
	OnPlan func(media.Plan) error
	// Log is the call's logger (call_id, leg, …) for the leg's own lines.
	Log *slog.Logger
}

// Identity is who the room system says it is.
type Identity struct {
	Vendor, Product, Version string
}

// Info describes an incoming call before it is answered.
type Info struct {
	// Leg is "sip-in" or "h323-in"; Protocol "sip" or "h323".
	Leg, Protocol string
	// ProtocolID is the signalling's own call identifier (SIP Call-ID, H.225
	// callIdentifier), logged beside the registry's call_id.
	ProtocolID string
	// Source is where the signalling came from.
	Source netip.AddrPort
	// Signalled are the addresses the signalling names for the room system (Peer).
	Signalled []netprofile.Field
	// Dialled are the dial strings to try in order: SIP Request-URI and To
	// user parts; H.323 destination aliases, then calledPartyNumber.
	Dialled []string
	// Caller is the room system's name (display name, else its user or alias).
	Caller   string
	Endpoint Identity
	// Attrs are more log attributes of the protocol (e.g. the User-Agent).
	Attrs []any
	// AdmitEarly asks for admission before the answer even when the media is
	// agreed only after it (H.323 without fastStart): the refusal then reaches
	// the room system as a cause it shows, not as a hang-up.
	AdmitEarly bool
}

// Inbound is an incoming call the flow answers or refuses.
type Inbound interface {
	Leg
	Info() Info
	// Negotiate answers the room system's media proposal (an SDP offer, fastStart
	// channels) with the gateway's ports; a plan without streams means the media
	// comes after the answer (an offer-less INVITE, H.245 after Connect). A
	// refusal is a *Error (NotAcceptable).
	Negotiate(local media.Local) (media.Plan, error)
	// Ringing tells the room system the call is being put through.
	Ringing() error
	// Answer accepts the call. It returns the plan once the media is agreed:
	// at once for a plan Negotiate made; after the SIP ACK or the H.245
	// exchange otherwise.
	Answer(ctx context.Context) (media.Plan, error)
	// Reject refuses the call before it is answered.
	Reject(r Refusal, detail string) error
}

// Outbound is a call the gateway placed (dial-out).
type Outbound interface {
	Leg
	// Wait waits for the answer and returns the agreed plan; the error of a
	// call that was not answered is a *DialError.
	Wait(ctx context.Context) (media.Plan, error)
	// Cancel gives up while the call rings.
	Cancel()
	// Peer is where the room system's signalling is.
	Peer() netip.AddrPort
	// Endpoint is who answered (empty when the protocol does not say).
	Endpoint() Identity
	// AnswerCode is the protocol's code of the answer (SIP 200; 0 if none).
	AnswerCode() int
}

// DialRequest is a dial-out as a leg's dialer sees it.
type DialRequest struct {
	// Address is what the host typed, e.g. "sip:room@host", "10.0.0.5:1720",
	// "10.0.0.5##alias", "alias".
	Address   string
	MeetingID string
	// Local is where the gateway receives the call's media.
	Local media.Local
	// OnRinging is called when the room system rings.
	OnRinging func()
}

// Dialer places calls for one protocol.
type Dialer interface {
	// Normalize checks the address and returns it as the registry shows it, and
	// the name to show until the room system says its own.
	Normalize(address string) (normalized, name string, err error)
	Dial(ctx context.Context, req DialRequest) (Outbound, error)
}

// DialState is how a dial-out that was not answered ended.
type DialState string

// Dial outcomes, as the API's call states.
const (
	DialBusy      DialState = "busy"
	DialDeclined  DialState = "declined"
	DialNoAnswer  DialState = "no_answer"
	DialFailed    DialState = "failed"
	DialCancelled DialState = "ended"
)

// DialError is a dial-out that was not answered.
type DialError struct {
	State DialState
	// Code is the protocol's final code (SIP status, Q.931 cause), 0 if none.
	Code   int
	Reason string
}

func (e *DialError) Error() string { return string(e.State) + ": " + e.Reason }
