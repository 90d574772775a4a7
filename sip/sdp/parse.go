package sdp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Limits that keep a hostile body from costing more than a real one.
const (
	// MaxSize bounds an SDP body; room-system offers are 1–4 KiB.
	MaxSize = 64 << 10
	// MaxMedia bounds the number of m-lines.
	MaxMedia = 32
)

// staticPayloads are the RFC 3551 §6 static payload types we may see
// without an rtpmap.
var staticPayloads = map[uint8]Codec{
	0:  {PT: 0, Name: "PCMU", ClockRate: 8000, Channels: 1},
	3:  {PT: 3, Name: "GSM", ClockRate: 8000, Channels: 1},
	4:  {PT: 4, Name: "G723", ClockRate: 8000, Channels: 1},
	8:  {PT: 8, Name: "PCMA", ClockRate: 8000, Channels: 1},
	9:  {PT: 9, Name: "G722", ClockRate: 8000, Channels: 1},
	18: {PT: 18, Name: "G729", ClockRate: 8000, Channels: 1},
	31: {PT: 31, Name: "H261", ClockRate: 90000},
	34: {PT: 34, Name: "H263", ClockRate: 90000},
}

// Parse decodes an SDP body. Only a body that is not SDP at all, or that
// gives an active stream an address we cannot use, is a *SyntaxError: m-lines
// we cannot read are kept, marked Malformed, to be answered with port 0.
func Parse(b []byte) (*Session, error) {
	t, err := readText(b)
	if err != nil {
		return nil, err
	}
	s := fromText(t)
	if err := checkAddresses(t, s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkAddresses refuses an active stream whose connection address we
// could not send to (RFC 4566 §5.7): not an IP literal of the declared
// family (c=IN IP4 999.1.1.1), or multicast. A hold address (0.0.0.0,
// RFC 3264 §8.4), a stream without c= (reported by negotiation) and
// streams we do not understand (answered with port 0 anyway) pass.
func checkAddresses(t *textSession, s *Session) error {
	check := func(c *textConn) error {
		if c == nil {
			return nil
		}
		a, err := netip.ParseAddr(c.addr)
		switch {
		case err != nil:
			return &SyntaxError{Err: fmt.Errorf("%w %q", errBadAddress, c.addr)}
		case (c.addrType == "IP4") != a.Is4() && !(c.addrType == "IP6" && a.Is4In6()):
			return &SyntaxError{Err: fmt.Errorf("%w %q for %s", errBadAddress, c.addr, c.addrType)}
		case a.IsMulticast():
			return &SyntaxError{Err: fmt.Errorf("%w %q (multicast)", errBadAddress, c.addr)}
		}
		return nil
	}
	active := false
	for i := range t.media {
		m := &s.Media[i]
		if m.Port == 0 || m.Malformed || !(m.IsRTP() || m.IsBFCP()) {
			continue
		}
		active = true
		if err := check(t.media[i].conn); err != nil {
			return err
		}
	}
	if active {
		return check(t.conn)
	}
	return nil
}

func fromText(t *textSession) *Session {
	s := &Session{Origin: t.origin, ConnAddr: connAddr(t.conn)}
	s.BandwidthAS, s.BandwidthTIAS = bandwidth(t.bandwidth)
	sessDir := SendRecv
	for _, a := range t.attrs {
		if dir, ok := parseDirection(a.key); ok {
			sessDir = dir
		}
	}
	s.Media = make([]Media, 0, len(t.media))
	for i := range t.media {
		s.Media = append(s.Media, mediaFromText(i, &t.media[i], s.ConnAddr, sessDir))
	}
	return s
}

func connAddr(c *textConn) string {
	if c == nil {
		return ""
	}
	return c.addr
}

func bandwidth(bws []textBandwidth) (as, tias int) {
	for _, b := range bws {
		switch strings.ToUpper(b.typ) {
		case "AS":
			as = b.value
		case "TIAS":
			tias = b.value
		}
	}
	return as, tias
}

func mediaFromText(i int, md *textMedia, sessConn string, sessDir Direction) Media {
	m := Media{
		Index:     i,
		Kind:      md.kind,
		Port:      md.port,
		PortCount: md.portCount,
		Malformed: md.malformed,
		Proto:     md.proto,
		Formats:   append([]string(nil), md.formats...),
		ConnAddr:  connAddr(md.conn),
		Direction: sessDir,
	}
	if m.ConnAddr == "" {
		m.ConnAddr = sessConn
	}
	m.BandwidthAS, m.BandwidthTIAS = bandwidth(md.bandwidth)
	if m.IsRTP() {
		for _, f := range m.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil || m.codecRef(uint8(pt)) != nil {
				continue // not an RTP payload type, or listed twice: ignored
			}
			c := staticPayloads[uint8(pt)]
			c.PT = uint8(pt)
			m.Codecs = append(m.Codecs, c)
		}
	}
	var fbAll []string
	for _, a := range md.attrs {
		switch a.key {
		case "rtpmap":
			m.applyRtpmap(a.value)
		case "fmtp":
			if pt, rest, ok := ptPrefix(a.value); ok {
				if c := m.codecRef(pt); c != nil {
					c.Fmtp = strings.TrimSpace(rest)
				}
			}
		case "rtcp-fb":
			pt, rest, _ := strings.Cut(a.value, " ")
			rest = strings.Join(strings.Fields(rest), " ")
			if rest == "" {
				continue
			}
			if pt == "*" {
				fbAll = append(fbAll, rest)
			} else if n, err := strconv.ParseUint(pt, 10, 7); err == nil {
				if c := m.codecRef(uint8(n)); c != nil {
					c.Feedback = append(c.Feedback, rest)
				}
			}
		case "ptime":
			m.Ptime = atoiBounded(a.value, 1000)
		case "maxptime":
			m.MaxPtime = atoiBounded(a.value, 1000)
		case "rtcp":
			m.applyRTCP(a.value)
		case "content":
			m.Content = strings.TrimSpace(a.value)
		case "label":
			m.Label = strings.TrimSpace(a.value)
		case "crypto":
			m.Crypto = true
			if c, ok := parseCrypto(a.value); ok && len(m.Cryptos) < maxCryptos {
				m.Cryptos = append(m.Cryptos, c)
			}
		default:
			if dir, ok := parseDirection(a.key); ok {
				m.Direction = dir
			} else {
				m.applyBFCP(a.key, a.value)
			}
		}
	}
	for i := range m.Codecs {
		m.Codecs[i].Feedback = append(m.Codecs[i].Feedback, fbAll...)
	}
	return m
}

// ptPrefix splits "96 rest" into 96 and "rest".
func ptPrefix(v string) (uint8, string, bool) {
	pt, rest, _ := strings.Cut(v, " ")
	n, err := strconv.ParseUint(pt, 10, 7)
	if err != nil {
		return 0, "", false
	}
	return uint8(n), rest, true
}

func (m *Media) codecRef(pt uint8) *Codec {
	for i := range m.Codecs {
		if m.Codecs[i].PT == pt {
			return &m.Codecs[i]
		}
	}
	return nil
}

// applyRtpmap reads "a=rtpmap:<pt> <name>/<clock>[/<channels>]" (RFC 4566 §6).
func (m *Media) applyRtpmap(v string) {
	pt, rest, ok := ptPrefix(v)
	if !ok {
		return
	}
	c := m.codecRef(pt)
	if c == nil {
		return
	}
	parts := strings.Split(strings.TrimSpace(rest), "/")
	if parts[0] == "" {
		return
	}
	c.Name = parts[0]
	c.ClockRate, c.Channels = 0, 0
	if len(parts) > 1 {
		c.ClockRate = atoiBounded(parts[1], 1<<24)
	}
	if len(parts) > 2 {
		c.Channels = atoiBounded(parts[2], 255)
	}
	if c.Channels == 0 && m.Kind == KindAudio {
		c.Channels = 1
	}
}

// applyRTCP reads "a=rtcp:<port> [IN IP4 <addr>]" (RFC 3605 §2.1).
func (m *Media) applyRTCP(v string) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return
	}
	m.RTCPPort = atoiBounded(f[0], 65535)
	if len(f) == 4 {
		m.RTCPAddr = f[3]
	}
}

// atoiBounded parses a non-negative decimal, returning 0 when it is
// malformed or larger than limit.
func atoiBounded(s string, limit int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > limit {
		return 0
	}
	return n
}

// String renders a codec as rtpmap text, for logs.
func (c Codec) String() string {
	if c.Channels > 1 {
		return fmt.Sprintf("%d %s/%d/%d", c.PT, c.Name, c.ClockRate, c.Channels)
	}
	return fmt.Sprintf("%d %s/%d", c.PT, c.Name, c.ClockRate)
}
