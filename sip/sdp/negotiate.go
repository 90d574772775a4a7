package sdp

import (
	"net/netip"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// Audio codec names understood in Capabilities.Audio.
const (
	CodecOpus = "opus"
	CodecG722 = "G722"
	CodecPCMU = "PCMU"
	CodecPCMA = "PCMA"
)

// Capabilities is what the gateway can handle on a call.
type Capabilities struct {
	// Audio lists accepted audio codecs, most preferred first (CodecOpus,
	// CodecG722, CodecPCMU, CodecPCMA). The answer carries the first one the
	// offer contains, whatever the offer's own order.
	Audio []string
	// TelephoneEvent accepts RFC 4733 telephone-event/8000 next to the codec.
	TelephoneEvent bool
	// Video accepts one main H.264 video stream; nil means audio only.
	Video *H264Caps
	// Ptime is announced in offers (ms); 0 leaves it out.
	Ptime int
	// SRTP says whether media is encrypted (SDES); the zero value is SRTPOff.
	SRTP SRTPMode
}

// DefaultCapabilities prefers wideband audio and accepts H.264 up to level
// 4.0 (1080p30), 3 Mbit/s.
func DefaultCapabilities() Capabilities {
	return Capabilities{
		Audio:          []string{CodecOpus, CodecG722, CodecPCMU, CodecPCMA},
		TelephoneEvent: true,
		Video:          &H264Caps{MaxLevel: 40, MaxBR: 3000, BitrateKbps: 3000},
		Ptime:          20,
	}
}

// Local is our side of the session: where we receive and how we present.
type Local struct {
	// Addr is the advertised media address (the public side of a 1:1 NAT).
	Addr      netip.Addr
	AudioPort int
	VideoPort int
	// SessionID and Version fill the o= line (RFC 4566 §5.2); bump Version
	// on every changed re-offer or re-answer (RFC 3264 §8).
	SessionID uint64
	Version   uint64
	Username  string
	// Direction limits what we do, e.g. SendOnly to put the remote on hold;
	// empty means sendrecv.
	Direction Direction
	// AudioKey, VideoKey and ContentKey are the SRTP master keys (key || salt)
	// to answer with again in a re-negotiation; nil: fresh ones.
	AudioKey, VideoKey, ContentKey []byte
	// ContentPort is where we receive the content video (a=content:slides,
	// RFC 4796); 0 refuses content, and with it BFCP.
	ContentPort int
	// BFCPPort is our BFCP port (RFC 8856): the TCP port we listen on or
	// connect from, the UDP port we receive on; 0 refuses BFCP.
	BFCPPort int
	// BFCP is how we answer and offer floor control.
	BFCP BFCPConfig
}

// Stream is a negotiated RTP stream.
type Stream struct {
	// Index is the m-line position in the offer.
	Index int
	Codec Codec
	// Remote is where to send RTP, RemoteRTCP where to send RTCP.
	Remote     netip.AddrPort
	RemoteRTCP netip.AddrPort
	// Direction is our direction as written in the answer.
	Direction Direction
	// RemoteHold reports that the remote side put the stream on hold.
	RemoteHold bool
	// SRTP is the stream's keying; nil for plain RTP.
	SRTP *SRTP
}

// AudioStream is the negotiated audio.
type AudioStream struct {
	Stream
	// TelephoneEvent is the RFC 4733 payload type, valid if HasTelephoneEvent.
	TelephoneEvent    uint8
	HasTelephoneEvent bool
	// Ptime is the remote's requested packet time in ms (0: not given).
	Ptime int
}

// VideoStream is the negotiated main video.
type VideoStream struct {
	Stream
	// Label is the stream's a=label in our SDP (RFC 4574): the content
	// stream's, which the BFCP floor names; empty on the main video.
	Label string
	// Remote parameters: what the endpoint can receive (size our encoder).
	H264 H264Params
	// Answered parameters: what we said we receive.
	Answered H264Params
	// MaxBitrate is the remote's limit in bit/s from b=TIAS, else b=AS
	// (media, then session level); 0 when not given.
	MaxBitrate int
	NACK       bool
	PLI        bool
	FIR        bool
}

// Result is the outcome of an offer/answer exchange.
type Result struct {
	// SDP is the body we send: the answer for Negotiate, the offer for
	// BuildOffer and ParseAnswer.
	SDP []byte
	// Remote is the other side's parsed description.
	Remote *Session
	Audio  *AudioStream
	Video  *VideoStream
	// Content is the dual-stream content video (RFC 4796 slides), nil when
	// none was agreed.
	Content *VideoStream
	// BFCP is the floor control stream for Content (RFC 8856); nil when the
	// room system offered none (an active content stream then means it
	// presents) or we refused it.
	BFCP *BFCP
	// Rejected lists the m-line indexes answered with port 0.
	Rejected []int
}

// Negotiate answers an offer (RFC 3264 §6). Every offered m-line appears in
// the answer in the same order; the first usable audio line, the first
// usable main-video line, and, when local gives the ports, the first usable
// content video line (a=content:slides or named by a BFCP floor) and the
// BFCP line controlling it are accepted; all others, including m-lines we
// cannot read, are rejected with port 0.
func Negotiate(offer []byte, caps Capabilities, local Local) (*Result, error) {
	remote, err := Parse(offer)
	if err != nil {
		return nil, err
	}
	return NegotiateSession(remote, caps, local)
}

// NegotiateSession is Negotiate on an already parsed offer.
func NegotiateSession(remote *Session, caps Capabilities, local Local) (*Result, error) {
	res := &Result{Remote: remote}
	ans := newDescription(local)
	labels := floorLabels(remote)
	content := chooseContent(remote, caps, local, labels)
	var bfcp *BFCP
	if content != nil {
		for i := range remote.Media {
			if m := &remote.Media[i]; m.IsBFCP() {
				if bfcp = acceptBFCP(m, local.BFCP, local.BFCPPort, content.Label); bfcp != nil {
					break
				}
			}
		}
	}
	for i := range remote.Media {
		m := &remote.Media[i]
		switch {
		case content != nil && i == content.Index:
			res.Content = content
			md := videoMedia(m.Proto, local.ContentPort, content, *caps.Video, "slides")
			md.Attributes = append(md.Attributes, psdp.NewAttribute("label", content.Label))
			ans.MediaDescriptions = append(ans.MediaDescriptions, withCrypto(md, content.SRTP))
			continue
		case bfcp != nil && i == bfcp.Index:
			res.BFCP = bfcp
			ans.MediaDescriptions = append(ans.MediaDescriptions, bfcpMedia(bfcp, local.BFCPPort, m.floorKeyword, local.BFCP.Fingerprint, false))
			continue
		case res.Audio == nil && acceptableRTP(m, KindAudio, caps.SRTP):
			if a := chooseAudio(m, caps); a != nil {
				a.Direction = m.Direction.Reverse().intersect(orSendRecv(local.Direction))
				a.Stream.fill(m)
				a.SRTP = answerSRTP(m, caps.SRTP, local.AudioKey)
				res.Audio = a
				ans.MediaDescriptions = append(ans.MediaDescriptions, withCrypto(audioMedia(m.Proto, local.AudioPort, a, m.Ptime), a.SRTP))
				continue
			}
		case res.Video == nil && caps.Video != nil && acceptableRTP(m, KindVideo, caps.SRTP) && !isContent(m, labels):
			if v := chooseVideo(m, remote, *caps.Video); v != nil {
				v.Direction = m.Direction.Reverse().intersect(orSendRecv(local.Direction))
				v.Stream.fill(m)
				v.SRTP = answerSRTP(m, caps.SRTP, local.VideoKey)
				res.Video = v
				ans.MediaDescriptions = append(ans.MediaDescriptions, withCrypto(videoMedia(m.Proto, local.VideoPort, v, *caps.Video, m.Content), v.SRTP))
				continue
			}
		}
		res.Rejected = append(res.Rejected, i)
		ans.MediaDescriptions = append(ans.MediaDescriptions, rejectedMedia(m))
	}
	if res.Audio == nil && res.Video == nil {
		if caps.SRTP == SRTPRequired {
			return nil, &NegotiationError{Reason: "no common audio or video codec with SRTP (SDES) keying"}
		}
		return nil, &NegotiationError{Reason: "no common audio or video codec"}
	}
	b, err := ans.Marshal()
	if err != nil {
		return nil, err
	}
	res.SDP = b
	return res, nil
}

// defaultContentLabel labels our content stream when the offer gave it none.
const defaultContentLabel = "3"

// chooseContent picks the content video line we accept: the first usable
// one, with limits as for the main video.
func chooseContent(remote *Session, caps Capabilities, local Local, labels []string) *VideoStream {
	if caps.Video == nil || local.ContentPort <= 0 {
		return nil
	}
	for i := range remote.Media {
		m := &remote.Media[i]
		if !isContent(m, labels) || !acceptableRTP(m, KindVideo, caps.SRTP) {
			continue
		}
		v := chooseVideo(m, remote, *caps.Video)
		if v == nil {
			continue
		}
		v.Direction = m.Direction.Reverse().intersect(orSendRecv(local.Direction))
		v.Stream.fill(m)
		v.SRTP = answerSRTP(m, caps.SRTP, local.ContentKey)
		v.Label = defaultContentLabel
		if isToken(m.Label) {
			v.Label = m.Label
		}
		return v
	}
	return nil
}

func orSendRecv(d Direction) Direction {
	if d == "" {
		return SendRecv
	}
	return d
}

func (s *Stream) fill(m *Media) {
	s.Index = m.Index
	s.Remote = m.RTPAddr()
	s.RemoteRTCP = m.RTCPAddrPort()
	s.RemoteHold = m.OnHold()
}

// acceptableRTP: an active RTP stream of the kind whose protection fits the SRTP mode
// (RTP/SAVP needs a crypto suite we key; SRTPRequired refuses plain RTP).
func acceptableRTP(m *Media, kind string, mode SRTPMode) bool {
	if mode == "" {
		mode = SRTPOff
	}
	return m.Kind == kind && m.Port > 0 && m.IsRTP() && srtpAcceptable(m, mode)
}

// withCrypto adds the answer's a=crypto line to md when the stream is keyed.
func withCrypto(md *psdp.MediaDescription, s *SRTP) *psdp.MediaDescription {
	if s != nil {
		md.Attributes = append(md.Attributes, s.attribute())
	}
	return md
}

func chooseAudio(m *Media, caps Capabilities) *AudioStream {
	var a *AudioStream
	for _, want := range caps.Audio {
		for _, c := range m.Codecs {
			if audioMatches(c, want) {
				a = &AudioStream{Stream: Stream{Codec: c}, Ptime: m.Ptime}
				break
			}
		}
		if a != nil {
			break
		}
	}
	if a == nil {
		return nil
	}
	if caps.TelephoneEvent {
		for _, c := range m.Codecs {
			if c.Is("telephone-event") && c.ClockRate == 8000 {
				a.TelephoneEvent, a.HasTelephoneEvent = c.PT, true
				break
			}
		}
	}
	return a
}

func audioMatches(c Codec, want string) bool {
	if !c.Is(want) {
		return false
	}
	switch strings.ToLower(want) {
	case "opus":
		return c.ClockRate == 48000 && c.Channels == 2 && c.PT >= 96
	case "g722":
		// RFC 3551 §4.5.2 says 8000; some endpoints write the real 16000.
		return (c.ClockRate == 8000 || c.ClockRate == 16000) && c.Channels <= 1
	case "pcmu", "pcma":
		return c.ClockRate == 8000 && c.Channels <= 1
	}
	return false
}

// chooseVideo picks the H.264 payload: packetization-mode 1 if offered,
// else mode 0 (RFC 6184 §6.2, §6.3), of a profile we handle.
func chooseVideo(m *Media, sess *Session, caps H264Caps) *VideoStream {
	var best *Codec
	var bestP H264Params
	for i := range m.Codecs {
		c := &m.Codecs[i]
		if !c.Is("H264") || c.ClockRate != 90000 {
			continue
		}
		p := ParseH264(c.Fmtp)
		if !supportedProfile(p.ProfileIDC) || p.PacketizationMode > 1 {
			continue
		}
		if best == nil || (p.PacketizationMode == 1 && bestP.PacketizationMode == 0) {
			best, bestP = c, p
		}
	}
	if best == nil {
		return nil
	}
	// Answer the offered profile at a level no higher than offered
	// (RFC 6184 §8.2.2), extended by max-* to what we can receive.
	ans := H264Params{
		ProfileIDC:        bestP.ProfileIDC,
		ProfileIOP:        bestP.ProfileIOP,
		LevelIDC:          min(bestP.LevelIDC, max(caps.MaxLevel, 10)),
		PacketizationMode: bestP.PacketizationMode,
		HasProfile:        true,
	}.withExtensions(caps)
	v := &VideoStream{
		Stream:   Stream{Codec: *best},
		H264:     bestP,
		Answered: ans,
		NACK:     best.HasFeedback("nack"),
		PLI:      best.HasFeedback("nack pli"),
		FIR:      best.HasFeedback("ccm fir"),
	}
	switch {
	case m.BandwidthTIAS > 0:
		v.MaxBitrate = m.BandwidthTIAS
	case m.BandwidthAS > 0:
		v.MaxBitrate = m.BandwidthAS * 1000
	case sess.BandwidthTIAS > 0:
		v.MaxBitrate = sess.BandwidthTIAS
	case sess.BandwidthAS > 0:
		v.MaxBitrate = sess.BandwidthAS * 1000
	}
	return v
}
