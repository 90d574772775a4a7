package sdp

import "github.com/roomgate/roomgate/transcode/media"

// Plan is the outcome of the offer/answer in the media plan's words, for the
// gateway's media bridge: the audio stream, the main video and the content
// video (RoleContent; BFCP, not RTP, stays in Result.BFCP), each with its codec
// and payload type, where to send, what the room system's decoder takes, how it
// takes keyframe requests, hold and SRTP keys. A Result without streams (an offer we
// sent that is not answered yet) gives an empty plan.
func (r *Result) Plan() media.Plan {
	var p media.Plan
	if r == nil {
		return p
	}
	if a := r.Audio; a != nil {
		s := a.Stream.plan(media.RoleAudio)
		if a.HasTelephoneEvent {
			s.TelephoneEvent = a.TelephoneEvent
		}
		p.Streams = append(p.Streams, s)
	}
	if v := r.Video; v != nil {
		p.Streams = append(p.Streams, v.plan(media.RoleMain))
	}
	if v := r.Content; v != nil {
		p.Streams = append(p.Streams, v.plan(media.RoleContent))
	}
	return p
}

// plan is an H.264 stream (main or content) with its own decoder limits.
func (v *VideoStream) plan(role media.Role) media.Stream {
	s := v.Stream.plan(role)
	lim := v.H264.Limits()
	s.H264 = &lim
	s.MaxBitrate = v.MaxBitrate
	// SIP INFO picture_fast_update (RFC 5168) works with every SIP room system,
	// RTCP FIR and PLI where a=rtcp-fb offered them.
	s.Keyframe = media.KeyframeSignalling
	if v.FIR {
		s.Keyframe |= media.KeyframeFIR
	}
	if v.PLI {
		s.Keyframe |= media.KeyframePLI
	}
	return s
}

func (s *Stream) plan(role media.Role) media.Stream {
	codec, ok := media.ParseCodec(s.Codec.Name)
	if !ok {
		codec = media.Codec(s.Codec.Name)
	}
	return media.Stream{Role: role, Codec: codec, PT: s.Codec.PT, Remote: s.Remote, RemoteRTCP: s.RemoteRTCP,
		Direction: media.Direction(s.Direction), Hold: s.RemoteHold, SRTP: s.SRTP.plan()}
}

// plan is the keying in the media plan's words (nil: plain RTP).
func (s *SRTP) plan() *media.SRTP {
	if s == nil {
		return nil
	}
	return &media.SRTP{LocalKey: s.LocalKey, RemoteKey: s.RemoteKey, Tag32: s.Suite == SuiteAES128SHA1_32}
}
