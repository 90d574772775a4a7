package sdp

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// BFCPProto is the protocol of a BFCP m-line (RFC 8856 §4).
type BFCPProto string

// BFCP transports.
const (
	BFCPTCP    BFCPProto = "TCP/BFCP"
	BFCPUDP    BFCPProto = "UDP/BFCP"
	BFCPTLS    BFCPProto = "TCP/TLS/BFCP"
	BFCPUDPTLS BFCPProto = "UDP/TLS/BFCP" // DTLS (RFC 8856 §4)
)

// Secure reports whether the transport needs a certificate (TLS or DTLS).
func (p BFCPProto) Secure() bool { return strings.Contains(string(p), "TLS") }

// UDP reports whether BFCP runs over UDP (RFC 8855 §6.2).
func (p BFCPProto) UDP() bool { return strings.HasPrefix(string(p), "UDP/") }

// Setup is an RFC 4145 §4 a=setup value.
type Setup string

// Setup values.
const (
	SetupActive   Setup = "active"
	SetupPassive  Setup = "passive"
	SetupActPass  Setup = "actpass"
	SetupHoldConn Setup = "holdconn"
)

// Floor control roles (RFC 8856 §5, a=floorctrl).
const (
	FloorCtrlClient       = "c-only"
	FloorCtrlServer       = "s-only"
	FloorCtrlClientServer = "c-s"
)

// Versions of BFCP we speak: RFC 4582 (1) and RFC 8855 (2).
const maxBFCPVersion = 2

// Limits on the floor attributes of one m-line.
const (
	maxFloors      = 8
	maxFloorLabels = 8
)

// Floor is an a=floorid line: a floor and the labels (RFC 4574 a=label) of
// the media streams it controls (RFC 8856 §6).
type Floor struct {
	ID     uint16
	Labels []string
}

// BFCPConfig is how we take part in BFCP: always as the floor control
// server (a=floorctrl:s-only).
type BFCPConfig struct {
	// Transports lists the BFCP transports we accept; the first is the one we
	// offer. nil means TCP/BFCP, then UDP/BFCP. A TLS transport (TCP/TLS/BFCP,
	// UDP/TLS/BFCP) is accepted only when listed and Fingerprint is set,
	// since the far end checks our certificate against it (RFC 8856 §8).
	Transports []BFCPProto
	// Fingerprint is our certificate's RFC 4572 fingerprint
	// ("sha-256 AB:CD:…"), written for a TLS transport.
	Fingerprint string
	// ConfID, UserID and FloorID are announced to the floor control client
	// (RFC 8856 §6). Zero takes the value the offer gave, else 1.
	ConfID  uint32
	UserID  uint16
	FloorID uint16
	// Existing answers a=connection:existing to an offer that asks to keep
	// the current connection (RFC 4145 §5), when the caller still has it.
	Existing bool
}

func (c BFCPConfig) transports() []BFCPProto {
	if len(c.Transports) == 0 {
		return []BFCPProto{BFCPTCP, BFCPUDP}
	}
	return c.Transports
}

func (c BFCPConfig) accepts(p BFCPProto) bool {
	return slices.Contains(c.transports(), p) && (!p.Secure() || c.Fingerprint != "")
}

// BFCP is the negotiated floor control stream. The gateway is the floor
// control server; the room system is the client.
type BFCP struct {
	// Index is the m-line position.
	Index int
	Proto BFCPProto
	// Remote is the room system's address and m-line port: where we connect
	// when Setup is SetupActive, where UDP messages go; with SetupPassive we
	// listen on Local.BFCPPort and it connects to us.
	Remote netip.AddrPort
	// Setup is our TCP role as written in our SDP (RFC 4145 §4): active,
	// passive, or holdconn (no connection for now); empty over UDP.
	Setup Setup
	// Existing: our SDP says a=connection:existing, keep the current
	// connection; else a new one is made (RFC 4145 §5).
	Existing bool
	// Version is the BFCP version agreed through a=bfcpver (RFC 8856 §7);
	// 0 when the offer did not announce versions (RFC 4582-era endpoints,
	// e.g. the Tandberg TE4.1.1 capture offers UDP/BFCP without a=bfcpver):
	// answer the version the client's first message carries.
	Version int
	// FloorCtrl is our role (s-only); RemoteFloorCtrl the room system's
	// a=floorctrl as given ("c-only", "c-s", or empty: client by default).
	FloorCtrl       string
	RemoteFloorCtrl string
	// ConfID, UserID and FloorID are what our SDP announced; the client
	// uses them in its BFCP messages.
	ConfID  uint32
	UserID  uint16
	FloorID uint16
	// ContentLabel is the a=label of our content stream, the one FloorID
	// controls.
	ContentLabel string
	// RemoteFloors are the floors the room system's SDP listed.
	RemoteFloors []Floor
	// RemoteFingerprint is the room system's certificate fingerprint (TLS).
	RemoteFingerprint string
}

// IsBFCP reports whether the m-line is a BFCP stream (RFC 8856 §4).
func (m *Media) IsBFCP() bool {
	return m.Kind == KindApplication && strings.HasSuffix(m.Proto, "/BFCP")
}

// applyBFCP reads the RFC 8856 and RFC 4145/4572 attributes.
func (m *Media) applyBFCP(key, v string) {
	v = strings.TrimSpace(v)
	switch key {
	case "floorctrl":
		m.FloorCtrl = strings.Join(strings.Fields(v), " ")
	case "confid":
		if n, err := strconv.ParseUint(v, 10, 32); err == nil {
			m.ConfID, m.HasConfID = uint32(n), true
		}
	case "userid":
		if n, err := strconv.ParseUint(v, 10, 16); err == nil {
			m.UserID, m.HasUserID = uint16(n), true
		}
	case "floorid":
		if f, kw, ok := parseFloor(v); ok && len(m.Floors) < maxFloors {
			m.Floors = append(m.Floors, f)
			if m.floorKeyword == "" {
				m.floorKeyword = kw
			}
		}
	case "setup":
		switch s := Setup(strings.ToLower(v)); s {
		case SetupActive, SetupPassive, SetupActPass, SetupHoldConn:
			m.Setup = s
		}
	case "connection":
		m.Connection = strings.ToLower(v)
	case "bfcpver":
		m.BFCPVersions = m.BFCPVersions[:0]
		for _, f := range strings.Fields(v) {
			if n := atoiBounded(f, 255); n > 0 && len(m.BFCPVersions) < maxFloors {
				m.BFCPVersions = append(m.BFCPVersions, n)
			}
		}
	case "fingerprint":
		m.Fingerprint = v
	}
}

// parseFloor reads "<floor-id> [mstrm:<label> …]"; RFC 4583 wrote
// "m-stream:", and some endpoints "mstream:" (RFC 8856 §6 asks to accept
// both). It returns the keyword used, to answer in the same words.
func parseFloor(v string) (Floor, string, bool) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return Floor{}, "", false
	}
	id, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil {
		return Floor{}, "", false
	}
	fl := Floor{ID: uint16(id)}
	kw := ""
	for _, tok := range f[1:] {
		if k, label, ok := strings.Cut(tok, ":"); ok {
			switch strings.ToLower(k) {
			case "mstrm", "m-stream", "mstream":
				if kw == "" {
					kw = k
				}
				tok = label
			}
		}
		if kw != "" && isToken(tok) && len(fl.Labels) < maxFloorLabels {
			fl.Labels = append(fl.Labels, tok)
		}
	}
	return fl, kw, true
}

// isToken: an RFC 4566 token, safe to write back into our SDP.
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// clientRole reports whether the floorctrl value lets the far end be the
// floor control client (RFC 8856 §5: absent means the offerer is client).
func clientRole(floorctrl string) bool {
	if floorctrl == "" {
		return true
	}
	for _, r := range strings.Fields(floorctrl) {
		if r == FloorCtrlClient || r == FloorCtrlClientServer {
			return true
		}
	}
	return false
}

// bfcpVersion picks the highest offered version we speak; 0 with ok when none
// was offered, !ok when none of the offered ones is ours.
func bfcpVersion(offered []int) (int, bool) {
	if len(offered) == 0 {
		return 0, true
	}
	best := 0
	for _, v := range offered {
		if v <= maxBFCPVersion && v > best {
			best = v
		}
	}
	return best, best > 0
}

// answerSetup is our a=setup for an offered one (RFC 4145 §4.1: absent in an
// offer means active; actpass is answered passive: we listen).
func answerSetup(offered Setup) Setup {
	switch offered {
	case SetupPassive:
		return SetupActive
	case SetupHoldConn:
		return SetupHoldConn
	}
	return SetupPassive
}

// floorLabels lists every label a floor of the session controls.
func floorLabels(s *Session) []string {
	var labels []string
	for i := range s.Media {
		if s.Media[i].IsBFCP() {
			for _, f := range s.Media[i].Floors {
				labels = append(labels, f.Labels...)
			}
		}
	}
	return labels
}

// isContent reports whether an m-line is a content video stream: marked
// a=content:slides (RFC 4796), or controlled by a floor (RFC 8856 §6).
func isContent(m *Media, labels []string) bool {
	return m.Kind == KindVideo && (m.Slides() || (m.Label != "" && slices.Contains(labels, m.Label)))
}

// acceptBFCP decides whether an offered BFCP m-line is answered, and how.
// contentLabel is the label of the content stream we accept ("" when none:
// floor control without content is refused).
func acceptBFCP(m *Media, cfg BFCPConfig, port int, contentLabel string) *BFCP {
	proto := BFCPProto(m.Proto)
	if port <= 0 || contentLabel == "" || m.Port == 0 || m.Malformed ||
		!cfg.accepts(proto) || !clientRole(m.FloorCtrl) {
		return nil
	}
	ver, ok := bfcpVersion(m.BFCPVersions)
	if !ok {
		return nil
	}
	b := &BFCP{
		Index: m.Index, Proto: proto, Remote: m.RTPAddr(), Version: ver,
		FloorCtrl: FloorCtrlServer, RemoteFloorCtrl: m.FloorCtrl,
		ConfID: cfg.ConfID, UserID: cfg.UserID, FloorID: cfg.FloorID,
		ContentLabel: contentLabel, RemoteFloors: m.Floors, RemoteFingerprint: m.Fingerprint,
	}
	if b.ConfID == 0 {
		b.ConfID = 1
		if m.HasConfID && m.ConfID != 0 {
			b.ConfID = m.ConfID
		}
	}
	if b.UserID == 0 {
		b.UserID = 1
		if m.HasUserID && m.UserID != 0 {
			b.UserID = m.UserID
		}
	}
	if b.FloorID == 0 {
		b.FloorID = 1
		// Keep the client's floor number for our content stream: a c-s
		// client (Tandberg) may already have numbered it.
		for _, f := range m.Floors {
			if slices.Contains(f.Labels, contentLabel) && f.ID != 0 {
				b.FloorID = f.ID
				break
			}
		}
	}
	if !proto.UDP() || proto.Secure() {
		b.Setup = answerSetup(m.Setup)
		b.Existing = cfg.Existing && m.Connection == "existing"
	}
	return b
}
