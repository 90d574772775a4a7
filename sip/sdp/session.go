package sdp

import (
	"net/netip"
	"strings"
)

// Media kinds (RFC 4566 §5.14 <media>).
const (
	KindAudio       = "audio"
	KindVideo       = "video"
	KindApplication = "application"
)

// Direction is a stream direction attribute (RFC 3264 §5.1, RFC 4566 §6).
type Direction string

// Directions. The zero value means "not given", which RFC 4566 §6 defines
// as sendrecv.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse is the direction seen from the other end (RFC 3264 §6.1).
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// Sends reports whether media flows from the side this direction describes.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly || d == "" }

// Receives reports whether the side this direction describes accepts media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly || d == "" }

// intersect keeps only what both directions allow.
func (d Direction) intersect(o Direction) Direction {
	send := d.Sends() && o.Sends()
	recv := d.Receives() && o.Receives()
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

func parseDirection(key string) (Direction, bool) {
	switch Direction(key) {
	case SendRecv, SendOnly, RecvOnly, Inactive:
		return Direction(key), true
	}
	return "", false
}

// Origin is the o= line (RFC 4566 §5.2).
type Origin struct {
	Username  string
	SessionID uint64
	Version   uint64
	Address   string
}

// Session is a parsed session description.
type Session struct {
	Origin Origin
	// ConnAddr is the session-level c= address, empty if absent.
	ConnAddr string
	// BandwidthAS is the session-level b=AS in kbit/s, 0 if absent.
	BandwidthAS int
	// BandwidthTIAS is the session-level b=TIAS in bit/s, 0 if absent.
	BandwidthTIAS int
	Media         []Media
}

// Media is one m-line with its attributes resolved: the connection
// address and direction fall back to the session level.
type Media struct {
	Index int
	Kind  string
	Port  int
	// PortCount is the m-line's "/<number of ports>" (RFC 4566 §5.14), 0
	// when absent; only the first port is used.
	PortCount int
	// Malformed reports an m-line we could not read (a port of "*", missing
	// fields); Port is then 0 and the line is answered as rejected.
	Malformed bool
	Proto     string
	Formats   []string
	// ConnAddr is the effective c= address (media level, else session level).
	ConnAddr string
	// RTCPPort and RTCPAddr come from a=rtcp (RFC 3605); RTCPPort is 0 when
	// absent (RTCP then uses Port+1, RFC 3550 §11).
	RTCPPort int
	RTCPAddr string
	// Direction is the effective direction (media, session, else sendrecv).
	Direction     Direction
	Ptime         int
	MaxPtime      int
	BandwidthAS   int // kbit/s
	BandwidthTIAS int // bit/s
	// Content is a=content (RFC 4796): "main", "slides", … or empty.
	Content string
	Label   string
	// Crypto reports a=crypto lines (SDES, RFC 4568); Cryptos are those we can use.
	Crypto  bool
	Cryptos []Crypto
	// Codecs lists the RTP payload formats in offered order; empty for
	// non-RTP streams.
	Codecs []Codec
	// Floor control attributes of a BFCP m-line (RFC 8856 §5–§7).
	FloorCtrl string // "c-only", "s-only", "c-s", or empty
	ConfID    uint32 // a=confid; valid if HasConfID
	HasConfID bool
	UserID    uint16 // a=userid; valid if HasUserID
	HasUserID bool
	// Floors are the a=floorid lines with the labels of the streams each
	// floor controls (mstrm:, legacy m-stream: / mstream:).
	Floors []Floor
	// Setup and Connection are RFC 4145 a=setup / a=connection; empty when absent.
	Setup      Setup
	Connection string
	// BFCPVersions is a=bfcpver (RFC 8856 §7); nil when absent.
	BFCPVersions []int
	// Fingerprint is the RFC 4572 a=fingerprint value ("sha-256 AB:…").
	Fingerprint string
	// floorKeyword is how the a=floorid lines named streams ("mstrm",
	// legacy "m-stream"), to answer in the same words.
	floorKeyword string
}

// Codec is one RTP payload format with its rtpmap, fmtp and rtcp-fb lines.
type Codec struct {
	PT        uint8
	Name      string
	ClockRate int
	Channels  int
	Fmtp      string
	// Feedback holds the rtcp-fb values for this payload type, including
	// those given for "*" (RFC 4585 §4.2), e.g. "nack", "nack pli", "ccm fir".
	Feedback []string
}

// Is reports whether the codec has the given encoding name (case-insensitive).
func (c Codec) Is(name string) bool { return strings.EqualFold(c.Name, name) }

// HasFeedback reports whether the rtcp-fb value was given for this codec.
func (c Codec) HasFeedback(v string) bool {
	for _, f := range c.Feedback {
		if strings.EqualFold(f, v) {
			return true
		}
	}
	return false
}

// IsRTP reports whether the m-line uses an RTP profile.
func (m *Media) IsRTP() bool { return strings.HasPrefix(m.Proto, "RTP/") }

// Secure reports whether the profile requires SRTP.
func (m *Media) Secure() bool { return strings.Contains(m.Proto, "SAVP") }

// Slides reports whether the stream is a content (presentation) stream.
func (m *Media) Slides() bool { return strings.EqualFold(m.Content, "slides") }

// OnHold reports whether the remote side put this stream on hold: it will not
// send, or it gave the RFC 2543 hold address 0.0.0.0 (RFC 3264 §8.4).
func (m *Media) OnHold() bool {
	return m.Direction == SendOnly || m.Direction == Inactive || m.ConnAddr == "0.0.0.0"
}

// RTPAddr is the address the remote side receives RTP on.
func (m *Media) RTPAddr() netip.AddrPort { return addrPort(m.ConnAddr, m.Port) }

// RTCPAddrPort is where the remote side receives RTCP.
func (m *Media) RTCPAddrPort() netip.AddrPort {
	if m.RTCPPort == 0 {
		if m.Port == 0 {
			return netip.AddrPort{}
		}
		return addrPort(m.ConnAddr, m.Port+1)
	}
	host := m.RTCPAddr
	if host == "" {
		host = m.ConnAddr
	}
	return addrPort(host, m.RTCPPort)
}

func addrPort(host string, port int) netip.AddrPort {
	a, err := netip.ParseAddr(host)
	if err != nil || port <= 0 || port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(port))
}

// Codec returns the codec for a payload type.
func (m *Media) Codec(pt uint8) (Codec, bool) {
	for _, c := range m.Codecs {
		if c.PT == pt {
			return c, true
		}
	}
	return Codec{}, false
}

// OnHold reports whether every active stream of the session is on hold.
func (s *Session) OnHold() bool {
	active := 0
	for i := range s.Media {
		m := &s.Media[i]
		if m.Port == 0 {
			continue
		}
		active++
		if !m.OnHold() {
			return false
		}
	}
	return active > 0
}
