package call

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/roomgate/roomgate/gateway/ivr"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/transcode/media"
)

// Media is the media bridge of one call: its RTP ports, audio and video paths and,
// once admitted, its participant in the meeting. The gateway implements it; the
// flow only drives it.
type Media interface {
	// Local is where the call receives its media.
	Local() media.Local
	// Start opens the plan's streams; signalling is where the call's signalling
	// comes from (a media source the latch may trust), onDigit receives RFC 4733
	// digits, requestKeyframe asks the room system through its signalling.
	Start(plan media.Plan, signalling netip.AddrPort, onDigit func(byte), requestKeyframe func()) error
	// Update applies a re-negotiation.
	Update(plan media.Plan) error
	// KeyframeFromRoom forwards a room system's keyframe request to the meeting.
	KeyframeFromRoom()
	// LimitVideo is the room system asking for at most bitrate bit/s of video (H.245
	// flowControlCommand; 0 lifts the limit).
	LimitVideo(bitrate int)
	// Play plays prompts one after the other to the room system (replacing what
	// plays); Silence stops them; Playing reports whether one still plays.
	Play(prompts ...ivr.Prompt)
	Silence()
	Playing() bool
	// Join puts the call in the meeting with an admission.
	Join(ctx context.Context, adm api.RoomSystemAdmission, meetingID string) error
	// OnEnded sets what to call once when the media ends the call (timeout, RTCP
	// BYE, removed from the meeting); it must not block. Ended says why ("" if
	// it did not).
	OnEnded(func())
	Ended() string
	// Close stops everything and frees the ports; idempotent.
	Close()
}

// NetworkReporter is a Media that reports its call's network diagnostics.
type NetworkReporter interface {
	Network() api.Network
}

// reportNetwork lets the registry read m's network diagnostics, if it has them.
func (f *Flow) reportNetwork(id string, m Media) {
	if nr, ok := m.(NetworkReporter); ok {
		f.Registry.SetNetwork(id, nr.Network)
	}
}

// Network is the network diagnostics of a room system's call by its participant
// identity (api.Networks).
func (f *Flow) Network(identity string) (api.Network, bool) { return f.Registry.Network(identity) }

var _ api.Networks = (*Flow)(nil)

// Meetings is the meeting side as the call flow sees it: admission only.
type Meetings interface {
	// MeetingInfo: whether the ID can be a meeting, and whether it asks for a password.
	MeetingInfo(ctx context.Context, id string) (exists, needsPassword bool)
	CheckRoomSystemPIN(ctx context.Context, meetingID, pin string, src netip.Addr) error
	JoinRoomSystem(ctx context.Context, j api.RoomSystemJoin) (api.RoomSystemAdmission, error)
	WaitAdmission(ctx context.Context, meetingID, ticket string) (api.RoomSystemAdmission, error)
	// AdmitInvited admits a room system the host called (no password, no waiting room).
	AdmitInvited(ctx context.Context, j api.RoomSystemJoin) (api.RoomSystemAdmission, error)
}

var _ Meetings = (*api.Server)(nil)

// NewMedia allocates a call's media bridge for a room system whose signalling comes
// from peer (its NAT/ALG profile is matched by peer.Source; zero: not known yet, as
// for a dial-out to a name); an error refuses the call (NoMediaPorts).
type NewMedia func(log *slog.Logger, peer Peer) (Media, error)

// Peer is the room system as the call's signalling sees it.
type Peer struct {
	// Source is where its signalling comes from (the observed address).
	Source netip.AddrPort
	// Signalled are the addresses its signalling names for itself (SIP Via, Contact,
	// From, Call-ID, SDP o=/c=; H.225 h245Address), for the ALG check and diagnostics.
	Signalled []netprofile.Field
}

// ActiveCalls lists the live calls (api.CallLister).
func (f *Flow) ActiveCalls() []api.ActiveCall { return f.Registry.ActiveCalls() }

var _ api.CallLister = (*Flow)(nil)
