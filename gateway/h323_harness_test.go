package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/h323/capture"
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/sip/siptest"
)

// The H.323 leg tested in-process: a gateway.Server with SIP off and H.323 on
// loopback, a fake meeting side (fakeMeetings) and hand-driven peers that speak
// bytes from ../shared/captures.

// Meeting IDs of fakeMeetings.
const (
	meetOpen     = "123456789" // admits into the waiting room (the call stays up)
	meetPassword = "234567891" // asks for the hardware password 424242
	meetLocked   = "345678912" // locked
	meetUnknown  = "987654321" // does not exist
	meetPIN      = "424242"
)

// fakeMeetings is the meeting side without a meeting core: every admitted call
// waits in the waiting room until its meeting ends (end) or its context does, so a
// call stays answered with its media running and the waiting prompt playing.
// Dial-outs are admitted once the test releases them (invited).
type fakeMeetings struct {
	mu      sync.Mutex
	joins   []api.RoomSystemJoin
	ended   map[string]chan struct{}
	invited chan struct{} // AdmitInvited blocks until this closes (or ctx ends)
	tickets int
	taps    atomic.Int32 // MeetingTap calls: none on the paths tested
}

var _ Meetings = (*fakeMeetings)(nil)

func newFakeMeetings() *fakeMeetings {
	return &fakeMeetings{ended: map[string]chan struct{}{}, invited: make(chan struct{})}
}

func (f *fakeMeetings) MeetingInfo(_ context.Context, id string) (bool, bool) {
	switch id {
	case meetOpen, meetLocked:
		return true, false
	case meetPassword:
		return true, true
	}
	return false, false
}

func (f *fakeMeetings) CheckRoomSystemPIN(_ context.Context, id, pin string, _ netip.Addr) error {
	if id == meetPassword && pin == meetPIN {
		return nil
	}
	return api.ErrWrongPassword
}

func (f *fakeMeetings) JoinRoomSystem(_ context.Context, j api.RoomSystemJoin) (api.RoomSystemAdmission, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joins = append(f.joins, j)
	switch j.MeetingID {
	case meetLocked:
		return api.RoomSystemAdmission{}, api.ErrLocked
	case meetOpen, meetPassword:
		f.tickets++
		return api.RoomSystemAdmission{Ticket: "ticket-" + strconv.Itoa(f.tickets)}, nil
	}
	return api.RoomSystemAdmission{}, api.ErrMeetingNotFound
}

// endCh is the channel that closes when the meeting ends.
func (f *fakeMeetings) endCh(id string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ended[id]
	if c == nil {
		c = make(chan struct{})
		f.ended[id] = c
	}
	return c
}

// end ends a meeting: the calls waiting for it are not admitted.
func (f *fakeMeetings) end(id string) { close(f.endCh(id)) }

func (f *fakeMeetings) WaitAdmission(ctx context.Context, id, _ string) (api.RoomSystemAdmission, error) {
	select {
	case <-ctx.Done():
		return api.RoomSystemAdmission{}, ctx.Err()
	case <-f.endCh(id):
		return api.RoomSystemAdmission{}, api.ErrMeetingNotFound
	}
}

func (f *fakeMeetings) AdmitInvited(ctx context.Context, j api.RoomSystemJoin) (api.RoomSystemAdmission, error) {
	f.mu.Lock()
	f.joins = append(f.joins, j)
	f.mu.Unlock()
	select {
	case <-ctx.Done():
		return api.RoomSystemAdmission{}, ctx.Err()
	case <-f.invited:
		return api.RoomSystemAdmission{}, api.ErrMeetingNotFound
	}
}

func (f *fakeMeetings) lastJoin() (api.RoomSystemJoin, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.joins) == 0 {
		return api.RoomSystemJoin{}, 0
	}
	return f.joins[len(f.joins)-1], len(f.joins)
}

// MeetingTap and Rooms are never reached on the paths these tests take: a call is
// admitted only through the waiting room, which never admits.
func (f *fakeMeetings) MeetingTap(context.Context, string) (string, string, error) {
	f.taps.Add(1)
	return "", "", api.ErrMeetingNotFound
}
func (f *fakeMeetings) Rooms() bridge.RoomService { return nil }

// testGateway is a running gateway with the H.323 leg only.
type testGateway struct {
	*Server
	meet *fakeMeetings
	logs *siptest.Buffer
}

// h323PortBase is the media range of these tests: high, away from the default
// 3000–10000 other gateways on this machine may use.
const h323PortBase = 46000

func startH323Gateway(t testing.TB, mut func(*configs.Config)) *testGateway {
	t.Helper()
	c := configs.Default()
	cfg := &c
	cfg.SIP.Enabled = false
	cfg.H323.Enabled = true
	cfg.H323.Listen = "127.0.0.1:0"
	cfg.H323.RASListen = ""
	cfg.H323.MediaTimeout = 2 * time.Second
	cfg.Media.PortMin, cfg.Media.PortMax = h323PortBase, h323PortBase+399
	cfg.Media.Quarantine = 0 // none: a test's next call may take the same pair
	if mut != nil {
		mut(cfg)
	}
	logs := &siptest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	meet := newFakeMeetings()
	s, err := Start(cfg, meet, "test", log)
	if err != nil {
		t.Fatal(err)
	}
	g := &testGateway{Server: s, meet: meet, logs: logs}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() && os.Getenv("H323_TEST_LOGS") != "" {
			t.Log(logs.String())
		}
	})
	return g
}

func (g *testGateway) addr() netip.AddrPort { return g.h323.svc.Addr() }

// portsInUse is how many media port pairs calls hold.
func (g *testGateway) portsInUse() int { return g.media.ports.Stats().InUse }

// settled waits until no call holds ports or runs in the H.323 service and the
// goroutines are back to base; it fails the test with a goroutine dump if not.
func (g *testGateway) settled(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		inUse, active, n := g.portsInUse(), g.h323.svc.Stats().Active, runtime.NumGoroutine()
		if inUse == 0 && active == 0 && n <= base {
			if k := g.meet.taps.Load(); k != 0 {
				t.Errorf("%d meeting taps asked for: a call was joined to a meeting", k)
			}
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("after the call: %d port pairs in use, %d calls active, %d goroutines (base %d)\n%s", inUse, active, n, base, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// --- a hand-driven H.323 peer ---

// sigPeer is the peer's call signalling connection.
type sigPeer struct {
	t testing.TB
	c net.Conn
}

func dialSig(t testing.TB, addr netip.AddrPort) *sigPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &sigPeer{t: t, c: c}
}

func (p *sigPeer) send(m *q931.Message) { sendFrame(p.t, p.c, m) }

// sendFrame writes one message in a TPKT.
func sendFrame(t testing.TB, c net.Conn, m interface{ Marshal() ([]byte, error) }) {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := tpkt.WriteFrame(c, b); err != nil {
		t.Fatal(err)
	}
}

// readFrame reads the next non-empty TPKT (an empty one is a keepalive); nil at
// EOF or after 10 s.
func readFrame(c net.Conn) []byte {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		b, err := tpkt.ReadFrame(c, 0)
		if err != nil {
			return nil
		}
		if len(b) > 0 {
			return b
		}
	}
}

// next reads the next Q.931 message with its H.225.0 user information (nil, nil
// once the gateway closed the connection or nothing came for 10 s).
func (p *sigPeer) next() (*q931.Message, *h225.H323UserInformation) {
	p.t.Helper()
	b := readFrame(p.c)
	if b == nil {
		return nil, nil
	}
	var m q931.Message
	if _, err := m.Unmarshal(b); err != nil {
		p.t.Fatalf("the gateway's Q.931 does not decode: %v", err)
	}
	uu, err := m.UserUser()
	if err != nil {
		return &m, nil
	}
	var ui h225.H323UserInformation
	if err := ui.Unmarshal(uu.Data); err != nil {
		p.t.Fatalf("the gateway's user-user information does not decode: %v", err)
	}
	return &m, &ui
}

// expect reads messages until one of type want, failing on anything but
// Facility/Progress/Notify/Status (and CallProceeding before a ReleaseComplete)
// on the way.
func (p *sigPeer) expect(want q931.MessageType) (*q931.Message, *h225.H323UserInformation) {
	p.t.Helper()
	for {
		m, ui := p.next()
		if m == nil {
			p.t.Fatalf("connection ended, want %v", want)
		}
		if m.Type == want {
			return m, ui
		}
		switch m.Type {
		case q931.Facility, q931.Progress, q931.Notify, q931.Status:
			continue
		case q931.CallProceeding:
			if want == q931.ReleaseComplete {
				continue // a refusal after the Setup was taken in hand
			}
		}
		cause, _ := m.Cause()
		p.t.Fatalf("got %v (cause %d), want %v", m.Type, cause.Value, want)
	}
}

// expectRelease reads up to the gateway's ReleaseComplete, checks its cause and
// that the gateway then closes the connection; it returns the user information.
func (p *sigPeer) expectRelease(cause q931.CauseValue) *h225.H323UserInformation {
	p.t.Helper()
	m, ui := p.expect(q931.ReleaseComplete)
	if c, err := m.Cause(); err != nil || c.Value != cause {
		p.t.Errorf("ReleaseComplete cause %+v %v, want %d", c, err, cause)
	}
	if !p.closed() {
		p.t.Error("the gateway kept the connection after ReleaseComplete")
	}
	return ui
}

// closed reports whether the gateway closed the connection within 10 s.
func (p *sigPeer) closed() bool {
	_ = p.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, p.c)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// h245Peer is the peer's separate H.245 connection.
type h245Peer struct {
	t testing.TB
	c net.Conn
}

func (p *h245Peer) send(m *h245.MultimediaSystemControlMessage) { sendFrame(p.t, p.c, m) }

// next reads the gateway's next H.245 PDU (nil at EOF or after 10 s).
func (p *h245Peer) next() *h245.MultimediaSystemControlMessage {
	p.t.Helper()
	b := readFrame(p.c)
	if b == nil {
		return nil
	}
	m := new(h245.MultimediaSystemControlMessage)
	if err := m.Unmarshal(b); err != nil {
		p.t.Fatalf("the gateway's H.245 does not decode: %v", err)
	}
	return m
}

// pduName names an H.245 PDU by its alternative ("terminalCapabilitySetAck").
func pduName(m *h245.MultimediaSystemControlMessage) string {
	if m == nil {
		return "<nil>"
	}
	outer := reflect.ValueOf(m).Elem()
	for i := range outer.NumField() {
		f := outer.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.Struct {
			continue
		}
		inner := f.Elem()
		for j := range inner.NumField() {
			g := inner.Field(j)
			if g.Kind() == reflect.Pointer && !g.IsNil() {
				n := inner.Type().Field(j).Name
				return strings.ToLower(n[:1]) + n[1:]
			}
		}
	}
	return "unknown"
}

// --- the capture ---

const captureName = "ndpi__h323.pcap"

// The flows of the Callgen323 ↔ 310i call in the capture.
const (
	capCallerSig  = "10.1.3.143:32803>10.1.6.18:1720"
	capCalleeSig  = "10.1.6.18:1720>10.1.3.143:32803"
	capCallerH245 = "10.1.3.143:32804>10.1.6.18:1232"
	capCalleeH245 = "10.1.6.18:1232>10.1.3.143:32804"
)

// captureFrames returns the TPKT payloads of each direction of the TCP flows in a
// capture of ../shared/captures, keyed "src>dst", in order (h323/capture). The
// capture is present in CI: the test fails without it.
func captureFrames(t testing.TB, name string) map[string][][]byte {
	t.Helper()
	path, err := capture.Shared(name)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := capture.Frames(path)
	if err != nil {
		t.Fatalf("%v (the shared captures are next to the repository)", err)
	}
	return frames
}

// q931Frame decodes a capture's Q.931 message and its H.225.0 user information.
func q931Frame(t testing.TB, b []byte) (*q931.Message, *h225.H323UserInformation) {
	t.Helper()
	var m q931.Message
	if _, err := m.Unmarshal(b); err != nil {
		t.Fatalf("capture Q.931: %v", err)
	}
	uu, err := m.UserUser()
	if err != nil {
		t.Fatalf("capture Q.931 %v: %v", m.Type, err)
	}
	var ui h225.H323UserInformation
	if err := ui.Unmarshal(uu.Data); err != nil {
		t.Fatalf("capture H.225.0: %v", err)
	}
	return &m, &ui
}

// setUUIE replaces a message's user-user information.
func setUUIE(t testing.TB, m *q931.Message, ui *h225.H323UserInformation) {
	t.Helper()
	b, err := ui.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Set(q931.UserUser{Protocol: q931.UserUserProtocolX208, Data: b}); err != nil {
		t.Fatal(err)
	}
}

// h245Frames decodes a capture flow's H.245 PDUs.
func h245Frames(t testing.TB, frames [][]byte) []*h245.MultimediaSystemControlMessage {
	t.Helper()
	var out []*h245.MultimediaSystemControlMessage
	for _, b := range frames {
		m := new(h245.MultimediaSystemControlMessage)
		if err := m.Unmarshal(b); err != nil {
			t.Fatalf("capture H.245: %v", err)
		}
		out = append(out, m)
	}
	return out
}

// findPDU returns the first PDU named name.
func findPDU(t testing.TB, pdus []*h245.MultimediaSystemControlMessage, name string) *h245.MultimediaSystemControlMessage {
	t.Helper()
	for _, m := range pdus {
		if pduName(m) == name {
			return m
		}
	}
	t.Fatalf("capture: no %s", name)
	return nil
}

// h245Addr is an H.245 unicast IPv4 address.
func h245Addr(t testing.TB, ap netip.AddrPort) *h245.TransportAddress {
	t.Helper()
	a, err := h245.NewTransportAddress(ap)
	if err != nil {
		t.Fatal(err)
	}
	return &a
}

// udpPeer is a UDP socket of the peer's media on 127.0.0.1.
func udpPeer(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func udpAddr(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }
