package rtpsession

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
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

// The keep-alive asks the stream's owner for a packet only after Keepalive without
// sending, and not while sending is paused.
func TestKeepaliveWhenIdle(t *testing.T) {
	idle := 0
	var h *harness
	h = newHarness(t, func(c *Config) {
		c.Keepalive = 5 * time.Second
		c.OnIdle = func() {
			idle++
			_ = h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: []byte{0x0c, 0xff, 0x80}})
		}
	})
	step := func(d time.Duration, want int) {
		t.Helper()
		h.clock.Advance(d)
		h.tickSync()
		if idle != want {
			t.Fatalf("after %v: %d keep-alives asked, want %d", d, idle, want)
		}
	}
	step(4*time.Second, 0)
	step(time.Second, 1) // 5 s since the session started, nothing sent
	if pkt := readPacket(t, h.p.rtp); len(pkt) != 15 || pkt[12] != 0x0c {
		t.Fatalf("keep-alive packet % x did not reach the peer", pkt)
	}
	step(0, 1)             // it was sent: not due again at once
	step(4*time.Second, 1) // 4 s after it
	step(time.Second, 2)
	h.s.SetSending(false) // on hold: the room system must not receive media
	step(10*time.Second, 2)
}
