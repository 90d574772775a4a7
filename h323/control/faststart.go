package control

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// fastStart (H.323 §8.1.7): the caller proposes OpenLogicalChannels in its
// Setup, each PER-encoded, the callee returns the ones it accepts. A
// proposal for the callee to receive has a forward dataType and the
// caller's RTCP address (mediaControlChannel); the callee fills in
// mediaChannel and mediaControlChannel with its own RTP and RTCP. A proposal
// for the callee to send has forward dataType nullData and
// reverseLogicalChannelParameters with the caller's RTP (mediaChannel) and
// RTCP; the callee numbers it (forwardLogicalChannelNumber) and puts its RTCP
// in the reverse mediaControlChannel.

// Bounds on what a Setup's fastStart element may make us decode.
const (
	maxProposals    = 64
	maxProposalSize = 4096
)

// ErrNothingFits: no fastStart proposal is one the gateway can use; the
// call goes on with H.245 or is refused.
var ErrNothingFits = errors.New("control: no fastStart proposal fits")

// FastStartChannel is one channel fastStart agreed.
type FastStartChannel struct {
	Number int64
	// Outgoing: the gateway sends on it.
	Outgoing bool
	Role     media.Role
	Codec    media.Codec
	PT       uint8
	// Remote and RemoteRTCP: where the remote receives (RTP only for
	// outgoing channels).
	Remote, RemoteRTCP netip.AddrPort
	H264               *media.H264Limits
}

// FastStart is the outcome of a fastStart exchange.
type FastStart struct {
	// OLCs are the callee's encoded answers (AnswerFastStart only).
	OLCs     [][]byte
	Channels []FastStartChannel
	Plan     media.Plan
}

// proposal is one decoded OpenLogicalChannel with what it means to us.
type proposal struct {
	olc   h245.OpenLogicalChannel
	ch    *channel // role, codec, pt, h264 and remote addresses
	local bool     // we would receive on it (the remote transmits)
}

// AnswerFastStart is the callee's side: it picks at most one channel per
// role and direction among the Setup's proposals (our codec preference
// first), fills in our addresses from local, and returns the answers and
// the plan.
func AnswerFastStart(proposals [][]byte, caps *LocalCaps, local media.Local) (*FastStart, error) {
	if len(proposals) > maxProposals {
		proposals = proposals[:maxProposals]
	}
	var ps []proposal
	for _, b := range proposals {
		if len(b) > maxProposalSize {
			continue
		}
		var olc h245.OpenLogicalChannel
		if err := olc.Unmarshal(b); err != nil {
			continue
		}
		if p, ok := classify(olc, caps); ok {
			ps = append(ps, p)
		}
	}
	fs := &FastStart{}
	var chans []*channel
	next := int64(1)
	for _, role := range []media.Role{media.RoleAudio, media.RoleMain} {
		for _, receive := range []bool{true, false} {
			p := pick(ps, caps, role, receive)
			if p == nil || !local.RTP(role).IsValid() {
				continue
			}
			olc := p.olc
			if receive {
				h := olc.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters
				h.MediaChannel = h245.MustTransportAddress(local.RTP(role))
				h.MediaControlChannel = h245.MustTransportAddress(local.RTCP(role))
			} else {
				for slices.ContainsFunc(ps, func(q proposal) bool { return int64(q.olc.ForwardLogicalChannelNumber) == next }) {
					next++
				}
				olc.ForwardLogicalChannelNumber = h245.LogicalChannelNumber(next)
				next++
				olc.ReverseLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters.MediaControlChannel =
					h245.MustTransportAddress(local.RTCP(role))
			}
			b, err := olc.Marshal()
			if err != nil {
				return nil, fmt.Errorf("control: encoding fastStart answer: %w", err)
			}
			fs.OLCs = append(fs.OLCs, b)
			c := *p.ch
			c.number = int64(olc.ForwardLogicalChannelNumber)
			chans = append(chans, &c)
		}
	}
	if len(chans) == 0 {
		return nil, fmt.Errorf("%w: %d proposals, %d usable", ErrNothingFits, len(proposals), len(ps))
	}
	// The caller's RTCP for a session we only send on comes from its
	// receive proposal of the same session, when it made one.
	for _, c := range chans {
		if !c.rtcp.IsValid() {
			for _, p := range ps {
				if p.ch.role == c.role && p.ch.rtcp.IsValid() {
					c.rtcp = p.ch.rtcp
				}
			}
		}
	}
	fs.Channels, fs.Plan = fastChannels(chans), planOf(chans, false, 0, false)
	return fs, nil
}

// classify reads a proposal; ok is false for one we cannot use.
func classify(olc h245.OpenLogicalChannel, caps *LocalCaps) (proposal, bool) {
	fw := &olc.ForwardLogicalChannelParameters
	p := proposal{olc: olc}
	var dt *h245.DataType
	var h *h245.H2250LogicalChannelParameters
	if fw.DataType.NullData == nil {
		dt, h, p.local = &fw.DataType, fw.MultiplexParameters.H2250LogicalChannelParameters, true
		if olc.ReverseLogicalChannelParameters != nil {
			return p, false // bidirectional: not for RTP
		}
	} else if r := olc.ReverseLogicalChannelParameters; r != nil && r.MultiplexParameters != nil {
		dt, h = &r.DataType, r.MultiplexParameters.H2250LogicalChannelParameters
	}
	if dt == nil || h == nil {
		return p, false
	}
	c := &channel{out: !p.local, state: chEstablished, session: h.SessionID}
	switch {
	case dt.AudioData != nil:
		c.role = media.RoleAudio
		c.codec, c.frames, _ = audioCodec(dt.AudioData)
		c.pt = staticPT(c.codec)
		if !slices.Contains(caps.Audio, c.codec) {
			return p, false
		}
	case dt.VideoData != nil && dt.VideoData.GenericVideoCapability != nil && h245.IsH264(dt.VideoData.GenericVideoCapability) && caps.H264 != nil:
		hc, err := h245.ParseH264(dt.VideoData.GenericVideoCapability)
		if err != nil {
			return p, false
		}
		if c.h264, err = limitsFromH241(hc); err != nil {
			return p, false
		}
		if hc.MaxBitRate > 0 {
			c.bitrate = int(hc.MaxBitRate) * 100
		}
		c.role, c.codec, c.pt = media.RoleMain, media.H264, caps.H264PT
		if mp := h.MediaPacketization; mp != nil && mp.RtpPayloadType != nil && mp.RtpPayloadType.PayloadDescriptor.Oid != nil {
			c.h264.PacketizationMode, _ = packetizationMode(*mp.RtpPayloadType.PayloadDescriptor.Oid)
		}
	default:
		return p, false
	}
	if pt := h.DynamicRTPPayloadType; pt != nil && *pt >= 96 && *pt <= 127 {
		c.pt = uint8(*pt)
	}
	var err error
	if h.MediaControlChannel != nil {
		if c.rtcp, err = h.MediaControlChannel.AddrPort(); err != nil {
			return p, false
		}
	}
	if !p.local {
		if h.MediaChannel == nil {
			return p, false
		}
		if c.remote, err = h.MediaChannel.AddrPort(); err != nil {
			return p, false
		}
	}
	p.ch = c
	return p, true
}

// pick returns the best proposal of role in one direction: our audio
// preference order, the first H.264.
func pick(ps []proposal, caps *LocalCaps, role media.Role, receive bool) *proposal {
	var best *proposal
	rank := len(caps.Audio) + 1
	for i := range ps {
		p := &ps[i]
		if p.ch.role != role || p.local != receive {
			continue
		}
		r := slices.Index(caps.Audio, p.ch.codec)
		if role != media.RoleAudio {
			r = 0
		}
		if r < rank {
			best, rank = p, r
		}
	}
	return best
}

func fastChannels(chans []*channel) []FastStartChannel {
	out := make([]FastStartChannel, 0, len(chans))
	for _, c := range chans {
		out = append(out, FastStartChannel{Number: c.number, Outgoing: c.out, Role: c.role, Codec: c.codec,
			PT: c.pt, Remote: c.remote, RemoteRTCP: c.rtcp, H264: c.h264})
	}
	return out
}

// ProposeFastStart is the caller's side: for each of our codecs, a
// proposal to send (with our RTCP) and one to receive (with our RTP and
// RTCP), in our preference order, encoded for the Setup's fastStart.
func ProposeFastStart(caps *LocalCaps, local media.Local) ([][]byte, error) {
	var out [][]byte
	n := int64(0)
	add := func(role media.Role, dt h245.DataType, pt int64) error {
		if !local.RTP(role).IsValid() {
			return nil
		}
		n++
		tx := h245.Channel{Number: n, SessionID: sessionOf(role), DataType: dt, RTCP: local.RTCP(role),
			PayloadType: pt, Audio: role == media.RoleAudio}
		olc, err := tx.OpenLogicalChannel()
		if err != nil {
			return err
		}
		if role != media.RoleAudio {
			// H.241 §8.3: without mediaPacketization an H.264 channel is single NAL
			// unit mode, and an IDR picture larger than the MTU cannot be sent in
			// it; we take and send non-interleaved mode (both directions copy this).
			o := h245.ObjectIdentifier(slices.Clone(oidNonInterleaved))
			olc.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters.MediaPacketization =
				&h245.H2250LogicalChannelParametersMediaPacketization{RtpPayloadType: &h245.RTPPayloadType{
					PayloadDescriptor: h245.RTPPayloadTypePayloadDescriptor{Oid: &o}, PayloadType: &pt}}
		}
		b, err := olc.Marshal()
		if err != nil {
			return err
		}
		out = append(out, b)
		n++
		rev := olc.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters
		rev.MediaChannel = h245.MustTransportAddress(local.RTP(role))
		rx := h245.OpenLogicalChannel{
			ForwardLogicalChannelNumber: h245.LogicalChannelNumber(n),
			ForwardLogicalChannelParameters: h245.OpenLogicalChannelForwardLogicalChannelParameters{
				DataType:            h245.DataType{NullData: &struct{}{}},
				MultiplexParameters: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{None: &struct{}{}}},
			ReverseLogicalChannelParameters: &h245.OpenLogicalChannelReverseLogicalChannelParameters{DataType: dt,
				MultiplexParameters: &h245.OpenLogicalChannelReverseLogicalChannelParametersMultiplexParameters{
					H2250LogicalChannelParameters: rev}},
		}
		b, err = rx.Marshal()
		if err != nil {
			return err
		}
		out = append(out, b)
		return nil
	}
	for _, a := range caps.Audio {
		if ac := audioCapability(a, caps.AudioFrames); ac != nil {
			if err := add(media.RoleAudio, h245.DataType{AudioData: ac}, 0); err != nil {
				return nil, err
			}
		}
	}
	if caps.H264 != nil {
		if err := add(media.RoleMain, h245.DataType{VideoData: new(caps.H264.VideoCapability())}, int64(caps.H264PT)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AcceptedFastStart is the caller's side of the answer: the OLCs the
// callee returned (in Alerting, Connect, …) become channels and a plan.
func AcceptedFastStart(answers [][]byte, caps *LocalCaps) (*FastStart, error) {
	var chans []*channel
	for i, b := range answers {
		if i >= maxProposals || len(b) > maxProposalSize {
			break
		}
		var olc h245.OpenLogicalChannel
		if err := olc.Unmarshal(b); err != nil {
			return nil, fmt.Errorf("control: fastStart answer %d: %w", i, err)
		}
		p, ok := classify(olc, caps)
		if !ok {
			continue
		}
		// The remote's forward answer (we send) has its RTP in
		// mediaChannel; classify took it as a receive proposal of ours.
		c := p.ch
		c.number = int64(olc.ForwardLogicalChannelNumber)
		if p.local {
			h := olc.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters
			if h.MediaChannel == nil {
				continue
			}
			a, err := h.MediaChannel.AddrPort()
			if err != nil {
				continue
			}
			c.out, c.remote = true, a
		} else {
			c.out, c.remote = false, netip.AddrPort{}
		}
		if !slices.ContainsFunc(chans, func(x *channel) bool { return x.role == c.role && x.out == c.out }) {
			chans = append(chans, c)
		}
	}
	if len(chans) == 0 {
		return nil, ErrNothingFits
	}
	return &FastStart{Channels: fastChannels(chans), Plan: planOf(chans, false, 0, false)}, nil
}

// AdoptFastStart makes the channels fastStart opened part of the session,
// as H.323 §8.1.7 wants once H.245 runs: they are established, take
// commands, and count as opened (no OLC is sent for their roles).
func (s *Session) AdoptFastStart(fs *FastStart) {
	for _, fc := range fs.Channels {
		if len(s.chans) >= maxChannels || s.find(fc.Number, fc.Outgoing) != nil {
			continue
		}
		s.chans = append(s.chans, &channel{number: fc.Number, out: fc.Outgoing, state: chEstablished, role: fc.Role,
			codec: fc.Codec, pt: fc.PT, session: sessionOf(fc.Role), h264: fc.H264, remote: fc.Remote, rtcp: fc.RemoteRTCP})
		if fc.Outgoing && fc.Number > s.nextLCN {
			s.nextLCN = fc.Number
		}
	}
	s.emitPlan()
}
