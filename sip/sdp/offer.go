package sdp

import (
	"slices"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// Dynamic payload types used in our offers (RFC 3551 §3: 96–127).
const (
	ptOpus           = 111
	ptTelephoneEvent = 101
	ptH264Mode1      = 97
	ptH264Mode0      = 98
)

// BuildOffer makes an offer for dial-out and for INVITEs that arrive
// without one (RFC 3261 §13.2.1, RFC 3264 §5): one audio m-line with every
// codec of caps in preference order plus telephone-event, and, when caps
// allow video, one H.264 main-video m-line offering packetization modes 1
// and 0.
func BuildOffer(caps Capabilities, local Local) ([]byte, error) {
	d := newDescription(local)
	dir := orSendRecv(local.Direction)
	proto := []string{"RTP", "AVP"}
	if caps.SRTP == SRTPRequired {
		proto = []string{"RTP", "SAVP"}
	}
	keyed := caps.SRTP == SRTPRequired
	audio := &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media: KindAudio, Port: psdp.RangedPort{Value: local.AudioPort}, Protos: proto,
	}}
	for _, name := range caps.Audio {
		c, ok := offerCodec(name)
		if !ok {
			continue
		}
		audio.MediaName.Formats = append(audio.MediaName.Formats, strconv.Itoa(int(c.PT)))
		audio.Attributes = append(audio.Attributes, rtpmap(c))
		if c.Is(CodecOpus) {
			audio.Attributes = append(audio.Attributes, fmtp(c.PT, "useinbandfec=1"))
		}
	}
	if len(audio.MediaName.Formats) == 0 {
		return nil, &NegotiationError{Reason: "no audio codec in capabilities"}
	}
	if caps.TelephoneEvent {
		audio.MediaName.Formats = append(audio.MediaName.Formats, strconv.Itoa(ptTelephoneEvent))
		audio.Attributes = append(audio.Attributes,
			rtpmap(Codec{PT: ptTelephoneEvent, Name: "telephone-event", ClockRate: 8000}),
			fmtp(ptTelephoneEvent, "0-15"))
	}
	if caps.Ptime > 0 {
		audio.Attributes = append(audio.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(caps.Ptime)))
	}
	audio.Attributes = append(audio.Attributes, psdp.NewPropertyAttribute(string(dir)))
	if keyed {
		audio.Attributes = appendCryptos(audio.Attributes)
	}
	d.MediaDescriptions = append(d.MediaDescriptions, audio)

	if v := caps.Video; v != nil {
		d.MediaDescriptions = append(d.MediaDescriptions, offerVideo(*v, local.VideoPort, proto, dir, "main", "", keyed))
		if local.ContentPort > 0 {
			if p, ok := offerBFCPProto(local); ok {
				b := offeredBFCP(local, p)
				d.MediaDescriptions = append(d.MediaDescriptions, bfcpMedia(b, local.BFCPPort, "", local.BFCP.Fingerprint, true))
			}
			d.MediaDescriptions = append(d.MediaDescriptions, offerVideo(*v, local.ContentPort, proto, dir, "slides", defaultContentLabel, keyed))
		}
	}
	return d.Marshal()
}

// offerVideo is an H.264 m-line offering packetization modes 1 and 0.
func offerVideo(v H264Caps, port int, proto []string, dir Direction, content, label string, keyed bool) *psdp.MediaDescription {
	video := &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media: KindVideo, Port: psdp.RangedPort{Value: port}, Protos: proto,
		Formats: []string{strconv.Itoa(ptH264Mode1), strconv.Itoa(ptH264Mode0)},
	}}
	if v.BitrateKbps > 0 {
		video.Bandwidth = append(video.Bandwidth,
			psdp.Bandwidth{Type: "AS", Bandwidth: uint64(v.BitrateKbps)},
			psdp.Bandwidth{Type: "TIAS", Bandwidth: uint64(v.BitrateKbps) * 1000})
	}
	for _, mode := range []int{1, 0} {
		pt := uint8(ptH264Mode1)
		if mode == 0 {
			pt = ptH264Mode0
		}
		video.Attributes = append(video.Attributes,
			rtpmap(Codec{PT: pt, Name: "H264", ClockRate: 90000}),
			fmtp(pt, offerH264(v, mode).String()))
	}
	video.Attributes = append(video.Attributes,
		psdp.NewAttribute("rtcp-fb", "* nack"),
		psdp.NewAttribute("rtcp-fb", "* nack pli"),
		psdp.NewAttribute("rtcp-fb", "* ccm fir"),
		psdp.NewAttribute("content", content))
	if label != "" {
		video.Attributes = append(video.Attributes, psdp.NewAttribute("label", label))
	}
	video.Attributes = append(video.Attributes, psdp.NewPropertyAttribute(string(dir)))
	if keyed {
		video.Attributes = appendCryptos(video.Attributes)
	}
	return video
}

// offerBFCPProto is the first configured BFCP transport we can offer.
func offerBFCPProto(local Local) (BFCPProto, bool) {
	if local.BFCPPort <= 0 {
		return "", false
	}
	for _, p := range local.BFCP.transports() {
		if local.BFCP.accepts(p) {
			return p, true
		}
	}
	return "", false
}

// offeredBFCP is the floor control we offer: server, ids from the config
// (else 1), TCP with actpass (RFC 4145 §4.1) so the answerer picks.
func offeredBFCP(local Local, p BFCPProto) *BFCP {
	b := &BFCP{Proto: p, FloorCtrl: FloorCtrlServer, ConfID: local.BFCP.ConfID, UserID: local.BFCP.UserID,
		FloorID: local.BFCP.FloorID, ContentLabel: defaultContentLabel}
	b.ConfID = max(b.ConfID, 1)
	b.UserID = max(b.UserID, 1)
	b.FloorID = max(b.FloorID, 1)
	if !p.UDP() || p.Secure() {
		b.Setup = SetupActPass
	}
	return b
}

// appendCryptos adds our offered a=crypto lines (RFC 4568 §6.1).
func appendCryptos(attrs []psdp.Attribute) []psdp.Attribute {
	for _, c := range offerCryptos() {
		attrs = append(attrs, c.attribute())
	}
	return attrs
}

func offerH264(v H264Caps, mode int) H264Params {
	// 42e0xx: Constrained Baseline, what every room system decodes.
	return H264Params{
		ProfileIDC: 0x42, ProfileIOP: 0xe0, LevelIDC: max(v.MaxLevel, 10), PacketizationMode: mode, HasProfile: true,
	}.withExtensions(v)
}

func offerCodec(name string) (Codec, bool) {
	switch strings.ToLower(name) {
	case "opus":
		return Codec{PT: ptOpus, Name: "opus", ClockRate: 48000, Channels: 2}, true
	case "g722":
		return staticPayloads[9], true
	case "pcmu":
		return staticPayloads[0], true
	case "pcma":
		return staticPayloads[8], true
	}
	return Codec{}, false
}

// ParseAnswer reads the answer to an offer we made (RFC 3264 §6, §7): it
// must keep our m-lines in order; the first audio codec and the H.264
// payload it lists are what the remote side will send.
func ParseAnswer(offer, answer []byte) (*Result, error) {
	off, err := Parse(offer)
	if err != nil {
		return nil, err
	}
	ans, err := Parse(answer)
	if err != nil {
		return nil, err
	}
	if len(ans.Media) > len(off.Media) {
		return nil, &NegotiationError{Reason: "answer has " + strconv.Itoa(len(ans.Media)) +
			" m-lines, offer had " + strconv.Itoa(len(off.Media))}
	}
	res := &Result{SDP: offer, Remote: ans}
	for i := range ans.Media {
		m, o := &ans.Media[i], &off.Media[i]
		if m.Port == 0 || m.Kind != o.Kind {
			res.Rejected = append(res.Rejected, i)
			continue
		}
		dir := o.Direction.intersect(m.Direction.Reverse())
		keys, ok := answeredSRTP(o, m)
		if !ok {
			// We offered RTP/SAVP and the answer keys none of our suites.
			res.Rejected = append(res.Rejected, i)
			continue
		}
		switch {
		case m.Kind == KindAudio && res.Audio == nil:
			a := answeredAudio(m)
			if a == nil {
				res.Rejected = append(res.Rejected, i)
				continue
			}
			a.Direction = dir
			a.Stream.fill(m)
			a.SRTP = keys
			res.Audio = a
		case m.Kind == KindVideo && o.Slides() && res.Content == nil:
			v := answeredVideo(o, m, ans, dir, keys)
			if v == nil {
				res.Rejected = append(res.Rejected, i)
				continue
			}
			v.Label = o.Label
			res.Content = v
		case o.IsBFCP() && m.IsBFCP() && res.BFCP == nil:
			b := answeredBFCP(o, m)
			if b == nil {
				res.Rejected = append(res.Rejected, i)
				continue
			}
			res.BFCP = b
		case m.Kind == KindVideo && !o.Slides() && res.Video == nil:
			v := answeredVideo(o, m, ans, dir, keys)
			if v == nil {
				res.Rejected = append(res.Rejected, i)
				continue
			}
			res.Video = v
		default:
			res.Rejected = append(res.Rejected, i)
		}
	}
	// RFC 3264 §6 wants every offered line answered; endpoints that do not know
	// content or BFCP answer only the lines they know, in order: the missing ones
	// at the end count as refused.
	for i := len(ans.Media); i < len(off.Media); i++ {
		res.Rejected = append(res.Rejected, i)
	}
	if res.Audio == nil && res.Video == nil {
		return nil, &NegotiationError{Reason: "answer accepted no audio or video"}
	}
	if res.Content == nil && res.BFCP != nil {
		// Floor control for content the answer refused is of no use.
		res.Rejected = append(res.Rejected, res.BFCP.Index)
		slices.Sort(res.Rejected)
		res.BFCP = nil
	}
	return res, nil
}

// answeredVideo is the H.264 stream the answer m accepted on our offered
// line o: what the remote side sends, and what we said we receive.
func answeredVideo(o, m *Media, ans *Session, dir Direction, keys *SRTP) *VideoStream {
	v := chooseVideo(m, ans, H264Caps{MaxLevel: 255})
	if v == nil {
		return nil
	}
	v.Direction = dir
	v.Stream.fill(m)
	v.SRTP = keys
	if oc, ok := o.Codec(v.Codec.PT); ok {
		v.Answered = ParseH264(oc.Fmtp)
	}
	return v
}

// answeredBFCP reads the answer to our BFCP offer o: the answerer must be
// the client (RFC 8856 §5), on the transport we offered; our TCP role is
// the opposite of its a=setup (absent in an answer means passive, RFC 4145
// §4.1).
func answeredBFCP(o, m *Media) *BFCP {
	if m.Proto != o.Proto || m.Malformed || (m.FloorCtrl != "" && m.FloorCtrl != FloorCtrlClient && m.FloorCtrl != FloorCtrlClientServer) {
		return nil
	}
	b := &BFCP{
		Index: m.Index, Proto: BFCPProto(m.Proto), Remote: m.RTPAddr(),
		FloorCtrl: FloorCtrlServer, RemoteFloorCtrl: m.FloorCtrl,
		ConfID: o.ConfID, UserID: o.UserID, RemoteFloors: m.Floors, RemoteFingerprint: m.Fingerprint,
	}
	if len(o.Floors) > 0 {
		b.FloorID = o.Floors[0].ID
		if len(o.Floors[0].Labels) > 0 {
			b.ContentLabel = o.Floors[0].Labels[0]
		}
	}
	if v, ok := bfcpVersion(m.BFCPVersions); ok {
		b.Version = v
	} else {
		return nil
	}
	if o.Setup != "" {
		switch m.Setup {
		case SetupActive:
			b.Setup = SetupPassive
		case SetupHoldConn:
			b.Setup = SetupHoldConn
		case SetupActPass:
			return nil // not a valid answer (RFC 4145 §4.1)
		default:
			b.Setup = SetupActive
		}
		b.Existing = m.Connection == "existing"
	}
	return b
}

func answeredAudio(m *Media) *AudioStream {
	var a *AudioStream
	for _, c := range m.Codecs {
		if a == nil {
			for _, name := range []string{CodecOpus, CodecG722, CodecPCMU, CodecPCMA} {
				if audioMatches(c, name) {
					a = &AudioStream{Stream: Stream{Codec: c}, Ptime: m.Ptime}
					break
				}
			}
		}
	}
	if a == nil {
		return nil
	}
	for _, c := range m.Codecs {
		if c.Is("telephone-event") {
			a.TelephoneEvent, a.HasTelephoneEvent = c.PT, true
			break
		}
	}
	return a
}
