package control

import (
	"slices"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// Our side of capability exchange (H.245 §8.3) and the mapping between
// H.245 audio/video capabilities and media codecs.

// H.241 §8.1.1 RTP packetization identifiers: mode 0 (single NAL unit) and
// mode 1 (non-interleaved), announced in H2250Capability
// mediaPacketizationCapability and in an OLC's mediaPacketization.
var (
	oidSingleNAL      = []uint32{0, 0, 8, 241, 0, 0, 0, 0}
	oidNonInterleaved = []uint32{0, 0, 8, 241, 0, 0, 0, 1}
	// Polycom sends the packetization OID one element short; it can only
	// mean the single NAL unit mode.
	oidPolycomShort = []uint32{0, 0, 8, 241, 0, 0, 0}
)

// Static RTP payload types (RFC 3551) and the dynamic ones we use.
const (
	ptPCMU = 0
	ptPCMA = 8
	ptG722 = 9
	// DefaultH264PT and DefaultTelephoneEventPT are the dynamic payload
	// types of our H.264 channels and RFC 2833 receive capability.
	DefaultH264PT           = 96
	DefaultTelephoneEventPT = 101
)

// LocalCaps is what the gateway takes and sends.
type LocalCaps struct {
	// Audio codecs in preference order (PCMU, PCMA, G722).
	Audio []media.Codec
	// H264 is our H.264 decoder capability (nil: no video).
	H264 *h245.H264Capability
	// Content is our H.239 presentation decoder capability (H.264; nil: no
	// H.239, no content channels).
	Content *h245.H264Capability
	// H264PT is the dynamic payload type of our H.264 channels (people
	// video and content).
	H264PT uint8
	// TelephoneEventPT is the RFC 2833 payload type we receive DTMF on
	// (0: no receiveRTPAudioTelephonyEventCapability).
	TelephoneEventPT uint8
	// AudioFrames is the packet duration we send in ms, AudioFramesMax
	// the longest we take.
	AudioFrames, AudioFramesMax int64
}

// DefaultCaps returns G.722, G.711 µ-law and A-law, and H.264 Baseline up to
// 1080p30 at 3 Mbit/s: level 4 (8192 macroblocks a frame, 245760 a second,
// Table A-1) covers 1920×1088 at 30 fps without custom parameters, and
// maxBitRate 30000 (×100 bit/s) caps the rate; H.239 content as
// DefaultContent describes.
func DefaultCaps() *LocalCaps {
	return &LocalCaps{
		Audio: []media.Codec{media.G722, media.PCMU, media.PCMA},
		H264: &h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level4,
			MaxBitRate: 30000},
		Content:          DefaultContent(),
		H264PT:           DefaultH264PT,
		TelephoneEventPT: DefaultTelephoneEventPT,
		AudioFrames:      20,
		AudioFramesMax:   60,
	}
}

// audioCapability returns the H.245 AudioCapability of codec c with frames
// (ms per packet), or nil for a codec H.245 has no plain capability for.
func audioCapability(c media.Codec, frames int64) *h245.AudioCapability {
	f := frames
	switch c {
	case media.PCMU:
		return &h245.AudioCapability{G711Ulaw64k: &f}
	case media.PCMA:
		return &h245.AudioCapability{G711Alaw64k: &f}
	case media.G722:
		return &h245.AudioCapability{G72264k: &f}
	}
	return nil
}

// audioCodec returns the codec of a, its frames value and a name for logs;
// codec is empty for codecs we do not handle.
func audioCodec(a *h245.AudioCapability) (media.Codec, int64, string) {
	switch {
	case a.G711Ulaw64k != nil:
		return media.PCMU, *a.G711Ulaw64k, "g711Ulaw64k"
	case a.G711Alaw64k != nil:
		return media.PCMA, *a.G711Alaw64k, "g711Alaw64k"
	case a.G72264k != nil:
		return media.G722, *a.G72264k, "g722-64k"
	case a.G729 != nil, a.G729AnnexA != nil, a.G729wAnnexB != nil, a.G729AnnexAwAnnexB != nil:
		return "", 0, "g729"
	case a.G7231 != nil:
		return "", 0, "g7231"
	case a.G728 != nil:
		return "", 0, "g728"
	case a.GenericAudioCapability != nil:
		return "", 0, "genericAudio"
	}
	return "", 0, "audio"
}

// staticPT is the RTP payload type of an audio codec.
func staticPT(c media.Codec) uint8 {
	switch c {
	case media.PCMA:
		return ptPCMA
	case media.G722:
		return ptG722
	}
	return ptPCMU
}

// TerminalCapabilitySet builds our capability set with sequence number seq:
// one receive capability per audio codec (alternatives of one another), the
// H.264 capability, the H.239 content capability and control capability,
// user input (basicString, dtmf) and RFC 2833, in one simultaneous
// capability descriptor, with the H.225.0 multiplex capability announcing
// both H.264 packetization modes.
func (c *LocalCaps) TerminalCapabilitySet(seq int64) *h245.MultimediaSystemControlMessage {
	var caps []h245.Capability
	var sim [][]int
	var audio []int
	for _, a := range c.Audio {
		if ac := audioCapability(a, c.AudioFramesMax); ac != nil {
			audio = append(audio, len(caps))
			caps = append(caps, h245.Capability{ReceiveAudioCapability: ac})
		}
	}
	if len(audio) > 0 {
		sim = append(sim, audio)
	}
	if c.H264 != nil {
		v := c.H264.VideoCapability()
		sim = append(sim, []int{len(caps)})
		caps = append(caps, h245.Capability{ReceiveVideoCapability: &v})
	}
	caps, sim = contentCapabilities(c, caps, sim)
	for _, ui := range []h245.UserInputCapability{{BasicString: &struct{}{}}, {Dtmf: &struct{}{}}} {
		sim = append(sim, []int{len(caps)})
		caps = append(caps, h245.Capability{ReceiveAndTransmitUserInputCapability: &ui})
	}
	if c.TelephoneEventPT != 0 {
		sim = append(sim, []int{len(caps)})
		caps = append(caps, h245.Capability{ReceiveRTPAudioTelephonyEventCapability: &h245.AudioTelephonyEventCapability{
			DynamicRTPPayloadType: int64(c.TelephoneEventPT), AudioTelephoneEvent: "0-16"}})
	}
	m := h245.NewTerminalCapabilitySet(seq, caps, sim)
	m.Request.TerminalCapabilitySet.MultiplexCapability = &h245.MultiplexCapability{H2250Capability: h2250Capability(c.H264 != nil)}
	return m
}

// h2250Capability is the multiplex capability H.323 §6.2.8 wants in a
// capability set: no multipoint, and the H.264 packetization modes.
func h2250Capability(video bool) *h245.H2250Capability {
	none := func() h245.MultipointCapability {
		return h245.MultipointCapability{MediaDistributionCapability: []h245.MediaDistributionCapability{{}}}
	}
	h := &h245.H2250Capability{
		MaximumAudioDelayJitter:                60,
		ReceiveMultipointCapability:            none(),
		TransmitMultipointCapability:           none(),
		ReceiveAndTransmitMultipointCapability: none(),
	}
	if video {
		for _, oid := range [][]uint32{oidSingleNAL, oidNonInterleaved} {
			o := h245.ObjectIdentifier(slices.Clone(oid))
			h.MediaPacketizationCapability.RtpPayloadType = append(h.MediaPacketizationCapability.RtpPayloadType,
				h245.RTPPayloadType{PayloadDescriptor: h245.RTPPayloadTypePayloadDescriptor{Oid: &o}})
		}
	}
	return h
}

// EmptyTerminalCapabilitySet is H.323 §8.4.6's pause: a capability set
// without table and descriptors.
func EmptyTerminalCapabilitySet(seq int64) *h245.MultimediaSystemControlMessage {
	return h245.Request(h245.RequestMessage{TerminalCapabilitySet: &h245.TerminalCapabilitySet{
		SequenceNumber: h245.SequenceNumber(seq), ProtocolIdentifier: h245.NewProtocolIdentifier()}})
}

// packetizationMode maps an H.241 packetization OID to RFC 6184's mode;
// ok is false for OIDs that are not H.264 packetization.
func packetizationMode(oid []uint32) (mode int, ok bool) {
	switch {
	case slices.Equal(oid, oidNonInterleaved):
		return 1, true
	case slices.Equal(oid, oidSingleNAL), slices.Equal(oid, oidPolycomShort):
		return 0, true
	}
	return 0, false
}
