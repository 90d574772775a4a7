package rtpsession

import (
	"testing"

	"github.com/pion/rtcp"
)

func TestSnapshot(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Latch = LatchSignalled })
	a := newAddrs(h)
	now := h.clock.Now()
	if s := h.s.Snapshot(); s.Latched || s.Signalled != a.room || s.Remote != a.room || s.Source != a.room || s.Latch != LatchSignalled {
		t.Fatalf("before media: %+v", s)
	}
	// Ten packets with two lost (seq 5 and 6), and an attacker's packet.
	for seq := uint16(1); seq <= 12; seq++ {
		if seq == 5 || seq == 6 {
			continue
		}
		if h.s.datagram(rtpBytes(roomSSRC, seq, 0), a.room, now) == nil {
			t.Fatalf("packet %d from the room dropped", seq)
		}
	}
	if h.s.datagram(rtpBytes(otherSSRC, 1, 0), a.attacker, now) != nil {
		t.Fatal("attacker's packet accepted")
	}
	// The room reports 3 of our packets lost, jitter 80 samples (10 ms at 8 kHz).
	rr := &rtcp.ReceiverReport{SSRC: roomSSRC, Reports: []rtcp.ReceptionReport{
		{SSRC: 0x99999999, TotalLost: 50}, // about another stream: ignored
		{SSRC: h.s.SSRC(), TotalLost: 3, Jitter: 80},
	}}
	b, err := rtcp.Marshal([]rtcp.Packet{rr})
	if err != nil {
		t.Fatal(err)
	}
	h.s.handleRTCP(b, addr(h.p.rtcp))
	s := h.s.Snapshot()
	if !s.Latched || s.Source != a.room || s.RX.Packets != 10 || s.RX.Lost != 2 || s.DroppedRTP != 1 {
		t.Fatalf("rx snapshot %+v: want latched from the room, 10 packets, 2 lost, 1 dropped", s)
	}
	if s.TX.Lost != 3 || s.TX.JitterMs != 10 {
		t.Fatalf("tx from the peer's report: lost %d jitter %.2f ms, want 3 and 10", s.TX.Lost, s.TX.JitterMs)
	}
}
