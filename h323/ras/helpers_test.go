package ras

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// gatewayCS is the gateway's call signalling address in the tests.
var gatewayCS = netip.MustParseAddrPort("127.0.0.1:1720")

// ownsMeeting makes nine-digit dialledDigits (optionally with #PIN) the
// gateway's, as meeting IDs are.
func ownsMeeting(a Alias) bool {
	id, _, _ := strings.Cut(a.Value, "#")
	return a.Kind == KindDialledDigits && len(id) == 9
}

type testGK struct {
	*Gatekeeper
	t       *testing.T
	clock   *manualClock
	mu      sync.Mutex
	changes []Change
}

func newTestGK(t *testing.T, mut func(*Config)) *testGK { return newTappedGK(t, mut, nil) }

func newTappedGK(t *testing.T, mut func(*Config), tap func(from, to netip.AddrPort, b []byte)) *testGK {
	t.Helper()
	tg := &testGK{t: t, clock: newManualClock()}
	cfg := Config{
		Listen: "127.0.0.1:0", GatekeeperID: "gk-test", CallSignal: []netip.AddrPort{gatewayCS},
		OwnsAlias: ownsMeeting, Clock: tg.clock, SweepInterval: 24 * time.Hour,
		Limits: Limits{RequestsPerSecond: 1e6, Burst: 1e6},
		OnChange: func(c Change) {
			tg.mu.Lock()
			tg.changes = append(tg.changes, c)
			tg.mu.Unlock()
		},
	}
	if mut != nil {
		mut(&cfg)
	}
	g, err := NewGatekeeper(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tap != nil {
		g.tap = tap
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	tg.Gatekeeper = g
	return tg
}

func (tg *testGK) kinds() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	var out []string
	for _, c := range tg.changes {
		out = append(out, c.Kind.String())
	}
	return out
}

// exchange feeds m to the gatekeeper as a datagram from src and returns
// the decoded answer (nil: none), checking the amplification bound.
func (tg *testGK) exchange(src string, m *h225.RasMessage) *h225.RasMessage {
	tg.t.Helper()
	b, err := m.Marshal()
	if err != nil {
		tg.t.Fatal(err)
	}
	reply := tg.datagram(b, netip.MustParseAddrPort(src))
	tg.flush()
	if reply == nil {
		return nil
	}
	if len(reply) > len(b)+MaxReplyGrowth {
		tg.t.Errorf("answer of %d octets to a request of %d", len(reply), len(b))
	}
	var ans h225.RasMessage
	if err := ans.Unmarshal(reply); err != nil {
		tg.t.Fatalf("answer not decodable: %v", err)
	}
	return &ans
}

// describe names an answer "message/reason" ("registrationReject/duplicateAlias").
func describe(m *h225.RasMessage) string {
	if m == nil {
		return "none"
	}
	name, alt := choice(m)
	if r := alt.Elem().FieldByName("RejectReason"); r.IsValid() {
		return name + "/" + choiceName(r.Addr().Interface())
	}
	if r := alt.Elem().FieldByName("NakReason"); r.IsValid() {
		return name + "/" + choiceName(r.Addr().Interface())
	}
	return name
}

func ta(s string) h225.TransportAddress { return h225.MustTransportAddress(netip.MustParseAddrPort(s)) }

func h323ID(s string) h225.AliasAddress { return h225.AliasAddress{H323ID: &s} }
func digits(s string) h225.AliasAddress { return h225.AliasAddress{DialledDigits: &s} }

var polycom = h225.VendorIdentifier{Vendor: h225.H221NonStandard{T35CountryCode: 0xB5, ManufacturerCode: 0x2331},
	ProductId: []byte("Polycom HDX 8000\x00"), VersionId: []byte("Release 3.1.0\x00")}

// endpoint is a room system at ip (call signalling on 1720, RAS on 1719).
func endpoint(ip string, aliases ...h225.AliasAddress) *h225.RASEndpoint {
	return &h225.RASEndpoint{RAS: ta(ip + ":1719"), CallSignal: ta(ip + ":1720"), Vendor: polycom, Aliases: aliases}
}

// register registers ep from ip:1719 and returns its endpoint ID.
func (tg *testGK) register(ip string, ep *h225.RASEndpoint, seq int64) string {
	tg.t.Helper()
	ans := tg.exchange(ip+":1719", ep.RegistrationRequest(seq, false, 60))
	if ans == nil || ans.RegistrationConfirm == nil {
		tg.t.Fatalf("register %s: %s", ip, describe(ans))
	}
	ep.ID = ans.RegistrationConfirm.EndpointIdentifier
	return string(ep.ID)
}

// udpPeer is a raw RAS socket on 127.0.0.x for socket-level tests.
type udpPeer struct {
	t    *testing.T
	conn *net.UDPConn
	to   netip.AddrPort
}

func newPeer(t *testing.T, ip string, to netip.AddrPort) *udpPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(ip+":0")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &udpPeer{t: t, conn: conn, to: to}
}

func (p *udpPeer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *udpPeer) send(m *h225.RasMessage) {
	p.t.Helper()
	b, err := m.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(b)
}

func (p *udpPeer) sendRaw(b []byte) {
	if _, err := p.conn.WriteToUDPAddrPort(b, p.to); err != nil {
		p.t.Fatal(err)
	}
}

// recv waits for the next datagram (a safety deadline, not a timing check).
func (p *udpPeer) recv() *h225.RasMessage {
	p.t.Helper()
	buf := make([]byte, maxDatagram)
	p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("no datagram: %v", err)
	}
	var m h225.RasMessage
	if err := m.Unmarshal(buf[:n]); err != nil {
		p.t.Fatal(err)
	}
	return &m
}

func decode(t *testing.T, b []byte) *h225.RasMessage {
	t.Helper()
	var m h225.RasMessage
	if err := m.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	return &m
}
