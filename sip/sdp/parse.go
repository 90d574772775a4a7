package sdp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
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

// Parse decodes an SDP body. Syntax problems are reported as *SyntaxError.
func Parse(b []byte) (*Session, error) {
	desc, err := unmarshal(b)
	if err != nil {
		return nil, err
	}
	s := fromPion(desc)
	if err := checkAddresses(desc, s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkAddresses refuses an active stream whose connection address we
// could not send to (RFC 4566 §5.7): not an IP literal of the declared
// family (c=IN IP4 999.1.1.1), or multicast. A hold address (0.0.0.0,
// RFC 3264 §8.4) and a stream without c= (reported by negotiation) pass.
func checkAddresses(d *psdp.SessionDescription, s *Session) error {
	check := func(c *psdp.ConnectionInformation) error {
		if c == nil || c.Address == nil {
			return nil
		}
		a, err := netip.ParseAddr(c.Address.Address)
		switch {
		case err != nil:
			return &SyntaxError{Err: fmt.Errorf("%w %q", errBadAddress, c.Address.Address)}
		case (c.AddressType == "IP4") != a.Is4() && !(c.AddressType == "IP6" && a.Is4In6()):
			return &SyntaxError{Err: fmt.Errorf("%w %q for %s", errBadAddress, c.Address.Address, c.AddressType)}
		case a.IsMulticast():
			return &SyntaxError{Err: fmt.Errorf("%w %q (multicast)", errBadAddress, c.Address.Address)}
		}
		return nil
	}
	active := false
	for i, md := range d.MediaDescriptions {
		if s.Media[i].Port == 0 {
			continue
		}
		active = true
		if err := check(md.ConnectionInformation); err != nil {
			return err
		}
	}
	if active {
		return check(d.ConnectionInformation)
	}
	return nil
}

func unmarshal(b []byte) (*psdp.SessionDescription, error) {
	if len(b) > MaxSize {
		return nil, &SyntaxError{Err: errTooLarge}
	}
	var desc psdp.SessionDescription
	if err := desc.UnmarshalString(string(b)); err != nil {
		return nil, &SyntaxError{Err: err}
	}
	if len(desc.MediaDescriptions) > MaxMedia {
		return nil, &SyntaxError{Err: errTooManyMedia}
	}
	return &desc, nil
}

func fromPion(d *psdp.SessionDescription) *Session {
	s := &Session{
		Origin: Origin{
			Username:  d.Origin.Username,
			SessionID: d.Origin.SessionID,
			Version:   d.Origin.SessionVersion,
			Address:   d.Origin.UnicastAddress,
		},
		ConnAddr: connAddr(d.ConnectionInformation),
	}
	s.BandwidthAS, s.BandwidthTIAS = bandwidth(d.Bandwidth)
	sessDir := SendRecv
	for _, a := range d.Attributes {
		if dir, ok := parseDirection(a.Key); ok {
			sessDir = dir
		}
	}
	s.Media = make([]Media, 0, len(d.MediaDescriptions))
	for i, md := range d.MediaDescriptions {
		s.Media = append(s.Media, mediaFromPion(i, md, s.ConnAddr, sessDir))
	}
	return s
}

func connAddr(c *psdp.ConnectionInformation) string {
	if c == nil || c.Address == nil {
		return ""
	}
	return c.Address.Address
}

func bandwidth(bws []psdp.Bandwidth) (as, tias int) {
	for _, b := range bws {
		v := int(min(b.Bandwidth, 1<<31-1))
		switch strings.ToUpper(b.Type) {
		case "AS":
			as = v
		case "TIAS":
			tias = v
		}
	}
	return as, tias
}

func mediaFromPion(i int, md *psdp.MediaDescription, sessConn string, sessDir Direction) Media {
	m := Media{
		Index:     i,
		Kind:      md.MediaName.Media,
		Port:      md.MediaName.Port.Value,
		Proto:     strings.Join(md.MediaName.Protos, "/"),
		Formats:   append([]string(nil), md.MediaName.Formats...),
		ConnAddr:  connAddr(md.ConnectionInformation),
		Direction: sessDir,
	}
	if m.ConnAddr == "" {
		m.ConnAddr = sessConn
	}
	m.BandwidthAS, m.BandwidthTIAS = bandwidth(md.Bandwidth)
	if m.IsRTP() {
		for _, f := range m.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue // not an RTP payload type: ignored, never accepted
			}
			c := staticPayloads[uint8(pt)]
			c.PT = uint8(pt)
			m.Codecs = append(m.Codecs, c)
		}
	}
	var fbAll []string
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			m.applyRtpmap(a.Value)
		case "fmtp":
			if pt, rest, ok := ptPrefix(a.Value); ok {
				if c := m.codecRef(pt); c != nil {
					c.Fmtp = strings.TrimSpace(rest)
				}
			}
		case "rtcp-fb":
			pt, rest, _ := strings.Cut(a.Value, " ")
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
			m.Ptime = atoiBounded(a.Value, 1000)
		case "maxptime":
			m.MaxPtime = atoiBounded(a.Value, 1000)
		case "rtcp":
			m.applyRTCP(a.Value)
		case "content":
			m.Content = strings.TrimSpace(a.Value)
		case "label":
			m.Label = strings.TrimSpace(a.Value)
		case "crypto":
			m.Crypto = true
			if c, ok := parseCrypto(a.Value); ok && len(m.Cryptos) < maxCryptos {
				m.Cryptos = append(m.Cryptos, c)
			}
		case "floorctrl":
			m.FloorCtrl = strings.TrimSpace(a.Value)
		default:
			if dir, ok := parseDirection(a.Key); ok {
				m.Direction = dir
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
