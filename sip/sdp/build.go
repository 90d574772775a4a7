package sdp

import (
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

func newDescription(l Local) *psdp.SessionDescription {
	user := l.Username
	if user == "" {
		user = "roomgate"
	}
	addrType, addr := "IP4", "0.0.0.0"
	if l.Addr.IsValid() {
		addr = l.Addr.String()
		if l.Addr.Is6() && !l.Addr.Is4In6() {
			addrType = "IP6"
		}
	}
	return &psdp.SessionDescription{
		Origin: psdp.Origin{
			Username:       user,
			SessionID:      l.SessionID,
			SessionVersion: l.Version,
			NetworkType:    "IN",
			AddressType:    addrType,
			UnicastAddress: addr,
		},
		SessionName: "roomgate",
		ConnectionInformation: &psdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType, Address: &psdp.Address{Address: addr},
		},
		TimeDescriptions: []psdp.TimeDescription{{}},
	}
}

// rejectedMedia answers an m-line with port 0 and the offered formats
// (RFC 3264 §6: "the media formats MUST be those of the offer").
func rejectedMedia(m *Media) *psdp.MediaDescription {
	formats := m.Formats
	if len(formats) == 0 {
		formats = []string{"0"}
	}
	proto := m.Proto
	if proto == "" {
		proto = "RTP/AVP"
	}
	kind := m.Kind
	if kind == "" {
		kind = KindApplication // an m-line without even a media type
	}
	return &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media:   kind,
		Port:    psdp.RangedPort{Value: 0},
		Protos:  strings.Split(proto, "/"),
		Formats: append([]string(nil), formats...),
	}}
}

func rtpmap(c Codec) psdp.Attribute {
	v := strconv.Itoa(int(c.PT)) + " " + c.Name + "/" + strconv.Itoa(c.ClockRate)
	if c.Channels > 1 {
		v += "/" + strconv.Itoa(c.Channels)
	}
	return psdp.NewAttribute("rtpmap", v)
}

func fmtp(pt uint8, v string) psdp.Attribute {
	return psdp.NewAttribute("fmtp", strconv.Itoa(int(pt))+" "+v)
}

func audioMedia(proto string, port int, a *AudioStream, ptime int) *psdp.MediaDescription {
	md := &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media:   KindAudio,
		Port:    psdp.RangedPort{Value: port},
		Protos:  strings.Split(proto, "/"),
		Formats: []string{strconv.Itoa(int(a.Codec.PT))},
	}}
	md.Attributes = append(md.Attributes, rtpmap(a.Codec))
	if a.Codec.Is(CodecOpus) {
		md.Attributes = append(md.Attributes, fmtp(a.Codec.PT, "useinbandfec=1"))
	}
	if a.HasTelephoneEvent {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(a.TelephoneEvent)))
		md.Attributes = append(md.Attributes,
			rtpmap(Codec{PT: a.TelephoneEvent, Name: "telephone-event", ClockRate: 8000}),
			fmtp(a.TelephoneEvent, "0-15"))
	}
	if ptime > 0 {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(ptime)))
	}
	md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute(string(a.Direction)))
	return md
}

func videoMedia(proto string, port int, v *VideoStream, caps H264Caps, content string) *psdp.MediaDescription {
	md := &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media:   KindVideo,
		Port:    psdp.RangedPort{Value: port},
		Protos:  strings.Split(proto, "/"),
		Formats: []string{strconv.Itoa(int(v.Codec.PT))},
	}}
	if caps.BitrateKbps > 0 {
		md.Bandwidth = append(md.Bandwidth,
			psdp.Bandwidth{Type: "AS", Bandwidth: uint64(caps.BitrateKbps)},
			psdp.Bandwidth{Type: "TIAS", Bandwidth: uint64(caps.BitrateKbps) * 1000})
	}
	pt := strconv.Itoa(int(v.Codec.PT))
	md.Attributes = append(md.Attributes,
		rtpmap(Codec{PT: v.Codec.PT, Name: "H264", ClockRate: 90000}),
		fmtp(v.Codec.PT, v.Answered.String()))
	// Echo only the feedback the offer asked for (RFC 4585 §4.2).
	if v.NACK {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("rtcp-fb", pt+" nack"))
	}
	if v.PLI {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("rtcp-fb", pt+" nack pli"))
	}
	if v.FIR {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("rtcp-fb", pt+" ccm fir"))
	}
	if content != "" {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("content", content))
	}
	md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute(string(v.Direction)))
	return md
}

// bfcpMedia writes our BFCP m-line as floor control server (RFC 8856 §5–§7):
// in an answer the chosen version and setup; in an offer every version we
// speak and actpass.
func bfcpMedia(b *BFCP, port int, keyword, fingerprint string, offer bool) *psdp.MediaDescription {
	md := &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media:   KindApplication,
		Port:    psdp.RangedPort{Value: port},
		Protos:  strings.Split(string(b.Proto), "/"),
		Formats: []string{"*"},
	}}
	if keyword == "" {
		keyword = "mstrm"
	}
	md.Attributes = append(md.Attributes,
		psdp.NewAttribute("floorctrl", FloorCtrlServer),
		psdp.NewAttribute("confid", strconv.FormatUint(uint64(b.ConfID), 10)),
		psdp.NewAttribute("userid", strconv.Itoa(int(b.UserID))),
		psdp.NewAttribute("floorid", strconv.Itoa(int(b.FloorID))+" "+keyword+":"+b.ContentLabel))
	if b.Setup != "" {
		conn := "new"
		if b.Existing {
			conn = "existing"
		}
		md.Attributes = append(md.Attributes,
			psdp.NewAttribute("setup", string(b.Setup)),
			psdp.NewAttribute("connection", conn))
	}
	switch {
	case offer && b.Proto.UDP():
		md.Attributes = append(md.Attributes, psdp.NewAttribute("bfcpver", "2")) // RFC 8855 §6.2: UDP is version 2
	case offer:
		md.Attributes = append(md.Attributes, psdp.NewAttribute("bfcpver", "1 2"))
	case b.Version > 0:
		md.Attributes = append(md.Attributes, psdp.NewAttribute("bfcpver", strconv.Itoa(b.Version)))
	}
	if b.Proto.Secure() && fingerprint != "" {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("fingerprint", fingerprint))
	}
	return md
}
