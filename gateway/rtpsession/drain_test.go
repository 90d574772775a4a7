//go:build linux

package rtpsession

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// DrainRTP returns at once with what is queued: every RTP packet in order, each with
// the kernel's arrival time (before the drain, not the time of the read), RTCP on the
// RTP port handled, and nothing (and no wait) when the socket is empty.
func TestDrainRTP(t *testing.T) {
	var reports int
	h := newHarness(t, func(c *Config) {
		c.Now = time.Now // arrival times are compared with the real clock
		c.OnReport = func(rtcp.Packet) { reports++ }
	})
	type got struct {
		seq uint16
		src netip.AddrPort
		at  time.Time
	}
	var pkts []got
	drain := func() {
		t.Helper()
		if err := h.s.DrainRTP(func(p *rtp.Packet, src netip.AddrPort, at time.Time) {
			pkts = append(pkts, got{p.SequenceNumber, src, at})
		}); err != nil {
			t.Fatal(err)
		}
	}
	drain() // an empty socket: returns at once (a drain that waited would hang here)
	if len(pkts) != 0 {
		t.Fatalf("empty socket: %d packets", len(pkts))
	}

	// The kernel turns time-stamping on shortly after the first socket asks (a
	// deferred switch): until then a datagram is stamped when it is read. Wait for it.
	stamped := false
	for deadline := time.Now().Add(2 * time.Second); !stamped && time.Now().Before(deadline); {
		h.sendRTP(t, h.p.rtp, 1, 160)
		time.Sleep(5 * time.Millisecond)
		before := time.Now()
		pkts = pkts[:0]
		drain()
		stamped = len(pkts) == 1 && pkts[0].at.Before(before)
	}
	if !stamped {
		t.Fatal("no kernel receive time after 2 s")
	}
	pkts = pkts[:0]

	sent := time.Now()
	for seq := uint16(10); seq < 15; seq++ {
		h.sendRTP(t, h.p.rtp, seq, uint32(seq)*160)
	}
	// RTCP multiplexed on the RTP port (RFC 5761): a receiver report.
	b, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: h.p.ssrc}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.rtp.WriteToUDPAddrPort(b, h.s.LocalRTP()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // queued well before the drain
	before := time.Now()
	drain()
	if len(pkts) != 5 {
		t.Fatalf("drained %d packets, want 5", len(pkts))
	}
	for i, p := range pkts {
		if p.seq != uint16(10+i) || p.src != addr(h.p.rtp) {
			t.Errorf("packet %d: seq %d from %v", i, p.seq, p.src)
		}
		if p.at.Before(sent) || !p.at.Before(before) {
			t.Errorf("packet %d arrived at %v: not between the send (%v) and the drain (%v)", i, p.at, sent, before)
		}
	}
	if reports != 1 {
		t.Errorf("%d RTCP reports surfaced from the RTP port, want 1", reports)
	}
	if h.s.LastPacket().IsZero() {
		t.Error("the media timer did not see the drained packets")
	}
	h.s.Close()
	if err := h.s.DrainRTP(func(*rtp.Packet, netip.AddrPort, time.Time) {}); err != ErrClosed {
		t.Errorf("drain after Close: %v, want ErrClosed", err)
	}
}

// A drain of one queued packet, as the audio clock does for each call every 20 ms,
// against ReadRTP's blocking read of the same packet (BenchmarkReadRTP).
func BenchmarkDrainRTP(b *testing.B) {
	h := newHarnessTB(b)
	pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 5}, Payload: make([]byte, 160)}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	f := func(*rtp.Packet, netip.AddrPort, time.Time) { n++ }
	for b.Loop() {
		pkt[3]++
		if _, err := h.p.rtp.WriteToUDPAddrPort(pkt, h.s.LocalRTP()); err != nil {
			b.Fatal(err)
		}
		if err := h.s.DrainRTP(f); err != nil {
			b.Fatal(err)
		}
	}
	if n == 0 {
		b.Fatal("nothing drained")
	}
}

// A socket bound to the wildcard address is dual-stack (AF_INET6): the source of an
// IPv4 datagram arrives v4-mapped and must compare equal to the signalled IPv4 address.
func TestDrainRTPDualStackSource(t *testing.T) {
	wild, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.RTP = wild })
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), h.s.LocalRTP().Port())
	var got []netip.AddrPort
	for seq := uint16(1); len(got) == 0 && seq < 200; seq++ {
		if _, err := h.p.rtp.WriteToUDPAddrPort(rtpBytes(h.p.ssrc, seq, 0), to); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
		if err := h.s.DrainRTP(func(_ *rtp.Packet, src netip.AddrPort, _ time.Time) { got = append(got, src) }); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) == 0 || got[0] != addr(h.p.rtp) {
		t.Fatalf("drained from %v, want %s (counters %+v)", got, addr(h.p.rtp), h.s.Counters())
	}
}
