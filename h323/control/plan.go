package control

import (
	"github.com/roomgate/roomgate/transcode/media"
)

// Plan turns the established channels into the media plan: per role, our
// channel gives the codec, payload type and where to send (the remote's
// mediaChannel and mediaControlChannel from its Ack), the remote's channel
// where its RTCP goes when we do not send; H.264 streams carry the remote
// decoder's limits; keyframes are asked for with videoFastUpdatePicture,
// and with RTCP PLI too when the remote announced rtcpVideoControlCapability.
func (s *Session) Plan() media.Plan {
	var te uint8
	if s.choice != nil {
		te = s.choice.TelephoneEvent
	}
	return planOf(s.chans, s.held, te, s.in.remote != nil && s.in.remote.RTCPVideoControl)
}

// planOf builds a plan from established channels (a session's, or those
// fastStart agreed).
func planOf(chans []*channel, held bool, te uint8, pli bool) media.Plan {
	var p media.Plan
	established := func(r media.Role, out bool) *channel {
		for _, c := range chans {
			if c.role == r && c.out == out && c.state == chEstablished {
				return c
			}
		}
		return nil
	}
	for _, role := range []media.Role{media.RoleAudio, media.RoleMain, media.RoleContent} {
		out := established(role, true)
		in := established(role, false)
		if out == nil && in == nil {
			continue
		}
		st := media.Stream{Role: role, Hold: held}
		switch {
		case out != nil && in != nil:
			st.Direction = media.SendRecv
		case out != nil:
			st.Direction = media.SendOnly
		default:
			st.Direction = media.RecvOnly
		}
		src := out
		if src == nil {
			src = in
		} else {
			st.Remote, st.MaxBitrate = out.remote, out.bitrate
		}
		st.Codec, st.PT, st.RemoteRTCP = src.codec, src.pt, src.rtcp
		if !st.RemoteRTCP.IsValid() && in != nil {
			st.RemoteRTCP = in.rtcp
		}
		if src.h264 != nil {
			l := *src.h264
			st.H264 = &l
		}
		if role == media.RoleAudio && out != nil {
			st.TelephoneEvent = te
		}
		if role != media.RoleAudio {
			st.Keyframe = media.KeyframeSignalling
			if pli {
				st.Keyframe |= media.KeyframePLI
			}
		}
		p.Streams = append(p.Streams, st)
	}
	return p
}

// emitPlan sends PlanChanged when the plan differs from the last one sent.
func (s *Session) emitPlan() {
	p := s.Plan()
	if s.planSent && equalPlans(p, s.plan) || !s.planSent && len(p.Streams) == 0 {
		return // unchanged, or nothing agreed yet
	}
	s.plan, s.planSent = p, true
	s.out.event(PlanChanged{Plan: p})
}

func equalPlans(a, b media.Plan) bool {
	if len(a.Streams) != len(b.Streams) {
		return false
	}
	for i := range a.Streams {
		x, y := a.Streams[i], b.Streams[i]
		if (x.H264 == nil) != (y.H264 == nil) || x.H264 != nil && *x.H264 != *y.H264 {
			return false
		}
		x.H264, y.H264 = nil, nil
		if x != y {
			return false
		}
	}
	return true
}
