package control

import (
	"fmt"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

// The remote's capability set, parsed into a neutral list (H.245 §8.3,
// §6.2.8), and the choice of what we send it.

// Limits on a remote capability set beyond which it is rejected with
// tableEntryCapacityExceeded / descriptorCapacityExceeded (H.245 §8.3.2):
// no room system needs more, and they bound the work per set.
const (
	maxTableEntries    = 256
	maxDescriptors     = 32
	maxAlternativeSets = 64
)

// CapKind is what a remote capability is about.
type CapKind uint8

// Capability kinds.
const (
	KindOther CapKind = iota
	KindAudio
	KindVideo
	KindUserInput
	KindTelephoneEvent
	// KindContent is an H.239 extendedVideoCapability; Codec is set for
	// the presentation role around H.264.
	KindContent
)

// RemoteCap is one entry of the remote's capability table.
type RemoteCap struct {
	Entry int64
	Kind  CapKind
	// Receive and Transmit say which way the remote can use it.
	Receive, Transmit bool
	// Codec is empty for codecs the gateway does not handle; Name is the
	// H.245 name for logs ("h263VideoCapability", "g729" …).
	Codec media.Codec
	Name  string
	// Frames is an audio capability's packet size (maxAl-sduAudioFrames).
	Frames int64
	// H264 holds the remote decoder's limits for an H.264 capability, and
	// MaxBitrate its maxBitRate in bit/s (0: not given).
	H264       *media.H264Limits
	MaxBitrate int
}

// RemoteCaps is the remote's capability set.
type RemoteCaps struct {
	Caps []RemoteCap
	// Simultaneous lists each capability descriptor's alternative sets as
	// indexes into Caps: one capability of each set can be used at once.
	Simultaneous [][][]int
	// Alphanumeric and DTMF: user input the remote takes; TelephoneEvent
	// is its RFC 2833 payload type (0: none).
	Alphanumeric, DTMF bool
	TelephoneEvent     uint8
	// PacketizationMode1: the remote takes H.264 non-interleaved mode
	// (RFC 6184 mode 1); otherwise only single NAL units.
	PacketizationMode1 bool
	// RTCPVideoControl: rtcpVideoControlCapability (the remote answers
	// RTCP picture loss / full intra requests).
	RTCPVideoControl bool
	// H239: the H.239 control capability (genericControlCapability
	// 0.0.8.239.1.1): the remote takes the presentation token messages.
	H239 bool
}

// TCSError is why a capability set is rejected, with the H.245 cause.
type TCSError struct {
	Cause  h245.TerminalCapabilitySetRejectCause
	Reason string
}

func (e *TCSError) Error() string { return "control: capability set rejected: " + e.Reason }

// IsEmptyTCS reports whether t is H.323 §8.4.6's pause (no table, no
// descriptors).
func IsEmptyTCS(t *h245.TerminalCapabilitySet) bool {
	return len(t.CapabilityTable) == 0 && len(t.CapabilityDescriptors) == 0
}

// ParseTCS reads a remote capability set. Capabilities it does not know
// are kept with an empty Codec; structural faults (too many entries or
// descriptors, a descriptor naming an undefined entry) are a *TCSError.
func ParseTCS(t *h245.TerminalCapabilitySet) (*RemoteCaps, error) {
	if n := len(t.CapabilityTable); n > maxTableEntries {
		hi := h245.CapabilityTableEntryNumber(t.CapabilityTable[maxTableEntries-1].CapabilityTableEntryNumber)
		return nil, &TCSError{Cause: h245.TerminalCapabilitySetRejectCause{TableEntryCapacityExceeded: &h245.TerminalCapabilitySetRejectCauseTableEntryCapacityExceeded{
			HighestEntryNumberProcessed: &hi}}, Reason: fmt.Sprintf("%d capability table entries", n)}
	}
	if n := len(t.CapabilityDescriptors); n > maxDescriptors {
		return nil, &TCSError{Cause: h245.TerminalCapabilitySetRejectCause{DescriptorCapacityExceeded: &struct{}{}},
			Reason: fmt.Sprintf("%d capability descriptors", n)}
	}
	rc := &RemoteCaps{}
	index := make(map[int64]int, len(t.CapabilityTable))
	for i := range t.CapabilityTable {
		e := &t.CapabilityTable[i]
		if e.Capability == nil {
			continue // an entry without capability deletes it (H.245 §8.3.2)
		}
		c := parseCapability(rc, int64(e.CapabilityTableEntryNumber), e.Capability)
		index[c.Entry] = len(rc.Caps)
		rc.Caps = append(rc.Caps, c)
	}
	if mc := t.MultiplexCapability; mc != nil && mc.H2250Capability != nil {
		rc.RTCPVideoControl = mc.H2250Capability.RtcpVideoControlCapability
		for _, p := range mc.H2250Capability.MediaPacketizationCapability.RtpPayloadType {
			if o := p.PayloadDescriptor.Oid; o != nil {
				if mode, ok := packetizationMode(*o); ok && mode == 1 {
					rc.PacketizationMode1 = true
				}
			}
		}
	}
	for _, d := range t.CapabilityDescriptors {
		if len(d.SimultaneousCapabilities) > maxAlternativeSets {
			return nil, &TCSError{Cause: h245.TerminalCapabilitySetRejectCause{DescriptorCapacityExceeded: &struct{}{}},
				Reason: fmt.Sprintf("descriptor %d has %d alternative sets", d.CapabilityDescriptorNumber, len(d.SimultaneousCapabilities))}
		}
		var sets [][]int
		for _, alt := range d.SimultaneousCapabilities {
			var set []int
			for _, n := range alt {
				i, ok := index[int64(n)]
				if !ok {
					return nil, &TCSError{Cause: h245.TerminalCapabilitySetRejectCause{UndefinedTableEntryUsed: &struct{}{}},
						Reason: fmt.Sprintf("descriptor %d uses undefined entry %d", d.CapabilityDescriptorNumber, n)}
				}
				set = append(set, i)
			}
			sets = append(sets, set)
		}
		rc.Simultaneous = append(rc.Simultaneous, sets)
	}
	return rc, nil
}

// parseCapability reads one table entry; user input and RFC 2833 entries
// also set rc's flags.
func parseCapability(rc *RemoteCaps, entry int64, c *h245.Capability) RemoteCap {
	rcap := RemoteCap{Entry: entry, Name: "other"}
	var audio *h245.AudioCapability
	var video *h245.VideoCapability
	var ui *h245.UserInputCapability
	switch {
	case c.ReceiveAudioCapability != nil:
		audio, rcap.Receive = c.ReceiveAudioCapability, true
	case c.TransmitAudioCapability != nil:
		audio, rcap.Transmit = c.TransmitAudioCapability, true
	case c.ReceiveAndTransmitAudioCapability != nil:
		audio, rcap.Receive, rcap.Transmit = c.ReceiveAndTransmitAudioCapability, true, true
	case c.ReceiveVideoCapability != nil:
		video, rcap.Receive = c.ReceiveVideoCapability, true
	case c.TransmitVideoCapability != nil:
		video, rcap.Transmit = c.TransmitVideoCapability, true
	case c.ReceiveAndTransmitVideoCapability != nil:
		video, rcap.Receive, rcap.Transmit = c.ReceiveAndTransmitVideoCapability, true, true
	case c.ReceiveUserInputCapability != nil:
		ui, rcap.Receive = c.ReceiveUserInputCapability, true
	case c.TransmitUserInputCapability != nil:
		ui, rcap.Transmit = c.TransmitUserInputCapability, true
	case c.ReceiveAndTransmitUserInputCapability != nil:
		ui, rcap.Receive, rcap.Transmit = c.ReceiveAndTransmitUserInputCapability, true, true
	case c.ReceiveRTPAudioTelephonyEventCapability != nil:
		rcap.Kind, rcap.Receive, rcap.Name = KindTelephoneEvent, true, "receiveRTPAudioTelephonyEventCapability"
		if pt := c.ReceiveRTPAudioTelephonyEventCapability.DynamicRTPPayloadType; pt >= 96 && pt <= 127 {
			rc.TelephoneEvent = uint8(pt)
		}
	case c.GenericControlCapability != nil:
		if h239.IsControlCapability(c) {
			rc.H239, rcap.Name = true, "h239ControlCapability"
		}
	}
	switch {
	case audio != nil:
		rcap.Kind = KindAudio
		rcap.Codec, rcap.Frames, rcap.Name = audioCodec(audio)
	case video != nil && video.ExtendedVideoCapability != nil:
		rcap.Kind = KindVideo
		parseExtendedVideo(&rcap, video)
	case video != nil:
		rcap.Kind = KindVideo
		parseVideo(&rcap, video)
	case ui != nil:
		rcap.Kind, rcap.Name = KindUserInput, "userInput"
		if rcap.Receive {
			rc.Alphanumeric = rc.Alphanumeric || ui.BasicString != nil || ui.IA5String != nil || ui.GeneralString != nil
			rc.DTMF = rc.DTMF || ui.Dtmf != nil
		}
	}
	return rcap
}

func parseVideo(rcap *RemoteCap, v *h245.VideoCapability) {
	switch {
	case v.H261VideoCapability != nil:
		rcap.Name = "h261VideoCapability"
	case v.H263VideoCapability != nil:
		rcap.Name = "h263VideoCapability"
	case v.GenericVideoCapability != nil && h245.IsH264(v.GenericVideoCapability):
		rcap.Name = "h264"
		hc, err := h245.ParseH264(v.GenericVideoCapability)
		if err != nil {
			rcap.Name = "h264 (" + err.Error() + ")"
			return
		}
		lim, err := limitsFromH241(hc)
		if err != nil {
			rcap.Name = "h264 (" + err.Error() + ")"
			return
		}
		rcap.Codec, rcap.H264 = media.H264, lim
		if hc.MaxBitRate > 0 {
			rcap.MaxBitrate = int(hc.MaxBitRate) * 100
		}
	case v.ExtendedVideoCapability != nil:
		rcap.Name = "extendedVideoCapability"
	default:
		rcap.Name = "video"
	}
}

// limitsFromH241 converts H.241 values to RFC 6184 units: profile bits to
// profile_idc (the most capable offered: a High decoder also decodes
// Baseline streams of the constrained subset), level to level_idc,
// CustomMaxMBPS ×500, CustomMaxFS ×256, CustomMaxBRandCPB ×25 kbit/s.
func limitsFromH241(c h245.H264Capability) (*media.H264Limits, error) {
	l := &media.H264Limits{}
	switch {
	case c.Profile&h245.H264ProfileHigh != 0:
		l.ProfileIDC = 100
	case c.Profile&h245.H264ProfileMain != 0:
		l.ProfileIDC = 77
	case c.Profile&h245.H264ProfileBaseline != 0:
		l.ProfileIDC = 66
	default:
		return nil, fmt.Errorf("no Baseline, Main or High profile in %#x", c.Profile)
	}
	lvl, err := LevelFromH241(c.Level)
	if err != nil {
		return nil, err
	}
	l.LevelIDC = uint8(lvl)
	if lvl == h264.Level1b {
		l.LevelIDC, l.Constraints = 11, 0x10 // RFC 6184 §8.1
	}
	x := h264.LimitsFromH241(int(c.CustomMaxMBPS), int(c.CustomMaxFS), int(c.CustomMaxBRandCPB))
	l.MaxMBPS, l.MaxFS, l.MaxBRKbps = x.MaxMBPS, x.MaxFS, x.MaxBR
	return l, nil
}

// Choice is what we send the remote: one audio and at most one video
// capability it can receive at the same time.
type Choice struct {
	Audio, Video *RemoteCap
	// TelephoneEvent is the remote's RFC 2833 payload type, when it takes
	// RFC 2833 and we send audio.
	TelephoneEvent uint8
	// VideoReason says why there is no video (empty when there is).
	VideoReason string
	// Content is the remote's H.239 presentation capability our content
	// channel is sent to (nil: no content toward it; ContentReason says
	// why). Content runs together with audio and people video.
	Content       *RemoteCap
	ContentReason string
}

// Choose picks, within one simultaneous capability descriptor, the audio
// codec the remote receives that comes first in our preference and an H.264
// capability in another alternative set. A set without descriptors is
// taken as all entries usable together (lenient; H.245 would have none).
func Choose(rc *RemoteCaps, local *LocalCaps) Choice {
	descs := rc.Simultaneous
	if len(descs) == 0 {
		var all [][]int
		for i := range rc.Caps {
			all = append(all, []int{i})
		}
		descs = [][][]int{all}
	}
	best, bestScore := Choice{}, -1
	for _, sets := range descs {
		for ai, set := range sets {
			a, rank := bestAudio(rc, local, set)
			// Audio matters most (a call without it is no call), then
			// video, then our audio preference.
			score := 0
			if a != nil {
				score = 1000 + 50 - rank
			}
			var v *RemoteCap
			if local.H264 != nil {
				for vi, vset := range sets {
					if vi == ai && a != nil {
						continue
					}
					if v = firstH264(rc, vset); v != nil {
						score += 100
						break
					}
				}
			}
			if score > bestScore {
				best, bestScore = Choice{Audio: a, Video: v}, score
			}
		}
	}
	if best.Audio != nil {
		best.TelephoneEvent = rc.TelephoneEvent
	}
	if best.Video == nil {
		best.VideoReason = videoReason(rc, local)
	}
	best.Content, best.ContentReason = chooseContent(rc, local)
	return best
}

func bestAudio(rc *RemoteCaps, local *LocalCaps, set []int) (*RemoteCap, int) {
	var best *RemoteCap
	bestRank := len(local.Audio)
	for _, i := range set {
		c := &rc.Caps[i]
		if c.Kind != KindAudio || !c.Receive || c.Codec == "" {
			continue
		}
		for r, want := range local.Audio {
			if want == c.Codec && r < bestRank {
				best, bestRank = c, r
			}
		}
	}
	return best, bestRank
}

func firstH264(rc *RemoteCaps, set []int) *RemoteCap {
	for _, i := range set {
		if c := &rc.Caps[i]; c.Kind == KindVideo && c.Receive && c.Codec == media.H264 {
			return c
		}
	}
	return nil
}

// videoReason explains an audio-only choice for the call's log.
func videoReason(rc *RemoteCaps, local *LocalCaps) string {
	if local.H264 == nil {
		return "video disabled on our side"
	}
	var names []string
	h264Seen := false
	for _, c := range rc.Caps {
		if c.Kind == KindVideo && c.Receive {
			names = append(names, c.Name)
			h264Seen = h264Seen || c.Codec == media.H264
		}
	}
	switch {
	case len(names) == 0:
		return "the remote offers no video"
	case h264Seen:
		return "the remote's H.264 cannot be used together with its audio"
	}
	return fmt.Sprintf("the remote offers only %v video, no H.264: audio only", names)
}

// Plan expresses the choice as send-only streams without addresses (those
// come with the channels' Acks; Session.Plan has them): codec, payload
// type, the remote decoder's H.264 limits with the packetization mode it
// takes, its maximum bitrate and RFC 2833 payload type.
func (c Choice) Plan(rc *RemoteCaps, local *LocalCaps) media.Plan {
	var p media.Plan
	if c.Audio != nil {
		p.Streams = append(p.Streams, media.Stream{Role: media.RoleAudio, Codec: c.Audio.Codec, PT: staticPT(c.Audio.Codec),
			TelephoneEvent: c.TelephoneEvent, Direction: media.SendOnly})
	}
	if c.Video != nil && c.Video.H264 != nil {
		l := *c.Video.H264
		if rc.PacketizationMode1 {
			l.PacketizationMode = 1
		}
		st := media.Stream{Role: media.RoleMain, Codec: media.H264, PT: local.H264PT, H264: &l,
			MaxBitrate: c.Video.MaxBitrate, Keyframe: media.KeyframeSignalling, Direction: media.SendOnly}
		if rc.RTCPVideoControl {
			st.Keyframe |= media.KeyframePLI
		}
		p.Streams = append(p.Streams, st)
	}
	return p
}
