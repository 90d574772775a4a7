package rtpsession

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// fakeClock is the injected time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func listen(t testing.TB, ip string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addr(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// peer is the "room system": its own RTP and RTCP sockets on loopback.
type peer struct {
	rtp, rtcp *net.UDPConn
	ssrc      uint32
}

func newPeer(t testing.TB) *peer {
	return &peer{rtp: listen(t, "127.0.0.1"), rtcp: listen(t, "127.0.0.1"), ssrc: 0x11223344}
}

type harness struct {
	s     *Session
	p     *peer
	clock *fakeClock
	tick  chan time.Time
}

func newHarness(t *testing.T, mod func(*Config)) *harness { return newHarnessTB(t, mod) }

func newHarnessTB(t testing.TB, mod ...func(*Config)) *harness {
	t.Helper()
	h := &harness{p: newPeer(t), clock: newFakeClock(), tick: make(chan time.Time)}
	cfg := Config{
		RTP: listenRaw(t), RTCP: listenRaw(t),
		Remote: addr(h.p.rtp), RemoteRTCP: addr(h.p.rtcp),
		ClockRate: 8000, SSRC: 0xCAFE0001, CNAME: "gw@test",
		Now: h.clock.Now, Tick: h.tick,
	}
	for _, m := range mod {
		if m != nil {
			m(&cfg)
		}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h.s = s
	return h
}

// listenRaw is a socket the session will own and close.
func listenRaw(t testing.TB) *net.UDPConn {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tickSync delivers two ticks at the current fake time: the second is only taken once
// the first has been fully handled, and a repeated tick at the same instant is a no-op.
func (h *harness) tickSync() {
	now := h.clock.Now()
	h.tick <- now
	h.tick <- now
}

func (h *harness) sendRTP(t *testing.T, from *net.UDPConn, seq uint16, ts uint32) {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: h.p.ssrc}, Payload: make([]byte, 160)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := from.WriteToUDPAddrPort(b, h.s.LocalRTP()); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) sendRTCP(t *testing.T, to netip.AddrPort, pkts ...rtcp.Packet) {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.rtcp.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) localRTCP() netip.AddrPort { return addr(h.s.cfg.RTCP) }

func readPacket(t *testing.T, c *net.UDPConn) []byte {
	t.Helper()
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("peer read: %v", err)
	}
	return buf[:n]
}

func readRTCP(t *testing.T, c *net.UDPConn) []rtcp.Packet {
	t.Helper()
	pkts, err := rtcp.Unmarshal(readPacket(t, c))
	if err != nil {
		t.Fatalf("peer got bad rtcp: %v", err)
	}
	return pkts
}

func mustRead(t *testing.T, s *Session) (*rtp.Packet, netip.AddrPort) {
	t.Helper()
	p, src, err := s.ReadRTP()
	if err != nil {
		t.Fatal(err)
	}
	return p, src
}

// rtpBytes is a 20 ms PCMU packet (payload type pt) of ssrc with sequence number seq.
func rtpBytes(ssrc uint32, seq uint16, pt uint8) []byte {
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: ssrc}, Payload: make([]byte, 160)}).Marshal()
	if err != nil {
		panic(err)
	}
	return b
}
