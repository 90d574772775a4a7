package media

import (
	"net/netip"
)

// A Plan is what a call's signalling agreed about its media, in no protocol's
// words: SIP's offer/answer (sip/sdp) and H.323's capability exchange and
// logical channels (h323/control) each translate to it, and the gateway's media
// bridge takes nothing else. One Stream per role; a role that was not agreed is
// absent.
type Plan struct {
	Streams []Stream
}

// Role is what a stream carries in the call.
type Role string

// Roles of a room-system call's streams.
const (
	RoleAudio   Role = "audio"
	RoleMain    Role = "main"    // people video (SIP's first video m-line, H.245 session 2)
	RoleContent Role = "content" // dual-stream content: BFCP slides, H.239 presentation
	RoleFECC    Role = "fecc"    // far-end camera control (H.224/H.281)
)

// Direction is which way a stream flows, seen from the gateway.
type Direction string

// Directions as in SDP (RFC 3264 §6.1); the empty Direction means SendRecv.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly" // the gateway sends, the room system does not
	RecvOnly Direction = "recvonly" // the room system sends, the gateway does not
	Inactive Direction = "inactive"
)

// Sends reports whether the gateway sends on a stream of direction d.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly || d == "" }

// Receives reports whether the gateway receives on a stream of direction d.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly || d == "" }

// Keyframe is a bit set of the ways a room system takes keyframe requests.
type Keyframe uint8

// Keyframe request methods. A room system that takes none of the RTCP ones is
// asked through its signalling (SIP INFO picture_fast_update, RFC 5168; H.245
// videoFastUpdatePicture).
const (
	KeyframeFIR        Keyframe = 1 << iota // RTCP FIR (RFC 5104)
	KeyframePLI                             // RTCP PLI (RFC 4585)
	KeyframeSignalling                      // the call's signalling
)

// Stream is one negotiated RTP stream.
type Stream struct {
	Role  Role
	Codec Codec
	// PT is the RTP payload type both sides use for Codec.
	PT uint8
	// Remote is where the gateway sends RTP, RemoteRTCP where it sends RTCP
	// (the zero value: RTP port + 1).
	Remote, RemoteRTCP netip.AddrPort
	// TelephoneEvent is the RFC 4733 payload type on an audio stream (0: none).
	TelephoneEvent uint8
	// H264 is what the room system's decoder takes (and how it wants RTP
	// packetized), for an H.264 stream.
	H264 *H264Limits
	// MaxBitrate is the room system's receive limit in bit/s (SDP b=TIAS/AS,
	// H.245 maxBitRate); 0: not given.
	MaxBitrate int
	// Keyframe is how the room system takes keyframe requests.
	Keyframe Keyframe
	// Direction is the stream's direction from the gateway's side; Hold is
	// set when the room system put it on hold (SDP sendonly/inactive, an
	// empty H.245 capability set).
	Direction Direction
	Hold      bool
	// SRTP keys the stream (SDES, RFC 4568); nil: plain RTP.
	SRTP *SRTP
}

// H264Limits are the H.264 limits of a room system's decoder (RFC 6184 §8.1, H.241
// §8.3), in RFC 6184 units. The Table A-1 values of a level live in
// transcode/h264.
type H264Limits struct {
	ProfileIDC  uint8
	Constraints uint8 // profile-iop
	LevelIDC    uint8
	// MaxMBPS (macroblocks/s), MaxFS (macroblocks) and MaxBRKbps (kbit/s)
	// raise the level's limits; 0: absent.
	MaxMBPS, MaxFS, MaxBRKbps int
	// PacketizationMode is RFC 6184's: 0 single NAL unit, 1 non-interleaved.
	PacketizationMode int
}

// SRTP is one stream's SDES keying.
type SRTP struct {
	// LocalKey protects what the gateway sends, RemoteKey what the room system
	// sends (master key || master salt).
	LocalKey, RemoteKey []byte
	// Tag32 selects AES_CM_128_HMAC_SHA1_32 (else _80).
	Tag32 bool
}

// Stream returns the plan's stream of role r.
func (p Plan) Stream(r Role) (Stream, bool) {
	for _, s := range p.Streams {
		if s.Role == r {
			return s, true
		}
	}
	return Stream{}, false
}

// Codecs names the plan's codecs in stream order (for the participant list).
func (p Plan) Codecs() []string {
	var out []string
	for _, s := range p.Streams {
		out = append(out, string(s.Codec))
	}
	return out
}

// Local is where the gateway receives a call's media: one RTP port per role
// (RTCP on the next port), at the address advertised to the room system.
type Local struct {
	Addr  netip.Addr
	Ports map[Role]int
}

// RTP is the gateway's RTP address for role r (invalid when it has none).
func (l Local) RTP(r Role) netip.AddrPort {
	p, ok := l.Ports[r]
	if !ok || p == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(l.Addr, uint16(p))
}

// RTCP is the gateway's RTCP address for role r.
func (l Local) RTCP(r Role) netip.AddrPort {
	a := l.RTP(r)
	if !a.IsValid() {
		return a
	}
	return netip.AddrPortFrom(a.Addr(), a.Port()+1)
}
