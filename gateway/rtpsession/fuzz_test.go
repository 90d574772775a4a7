package rtpsession

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// FuzzHandleRTCP feeds arbitrary datagrams to the RTCP path: they must never panic,
// and a valid compound packet must still be parsed after garbage.
func FuzzHandleRTCP(f *testing.F) {
	seed := func(pkts ...rtcp.Packet) []byte {
		b, err := rtcp.Marshal(pkts)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(seed(&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2, FractionLost: 3}}}))
	f.Add(seed(&rtcp.SenderReport{SSRC: 1, NTPTime: 5}, &rtcp.Goodbye{Sources: []uint32{1}, Reason: "x"}))
	f.Add(seed(&rtcp.ReceiverReport{SSRC: 1}, &rtcp.FullIntraRequest{FIR: []rtcp.FIREntry{{SSRC: 7, SequenceNumber: 1}}}))
	f.Add(seed(&rtcp.ReceiverReport{SSRC: 1}, &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 1, LostPackets: 0xffff}}}))
	f.Add([]byte{0x80, 0xc8, 0xff, 0xff})
	byes := 0
	src := netip.MustParseAddrPort("127.0.0.1:9")
	s, err := New(Config{
		RTP: listenRaw(f), RTCP: listenRaw(f), ClockRate: 8000, SSRC: 7, Remote: src,
		Tick: make(chan time.Time), MediaTimeout: -1,
		OnBYE:             func([]uint32, string) { byes++ },
		OnKeyframeRequest: func(KeyframeRequest) {},
		OnNACK:            func(*rtcp.TransportLayerNack) {},
		OnReport:          func(rtcp.Packet) {},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	// The peer's RTP (SSRC 9) from the signalled address: a BYE naming 9 from there
	// ends the call.
	if s.datagram(rtpBytes(9, 1, 0), src, time.Now()) == nil {
		f.Fatal("RTP from the signalled address not accepted")
	}
	bye := seed(&rtcp.ReceiverReport{SSRC: 9}, &rtcp.Goodbye{Sources: []uint32{9}})
	f.Fuzz(func(t *testing.T, b []byte) {
		s.handleRTCP(b, src)
		before := byes
		s.handleRTCP(bye, src)
		if byes != before+1 {
			t.Fatal("valid BYE not surfaced after fuzz input")
		}
	})
}

// FuzzReceive feeds arbitrary RTP header sequences to the statistics: no panic, and the
// report block stays within its field limits.
func FuzzReceive(f *testing.F) {
	f.Add(uint16(65530), uint32(0), []byte{1, 1, 1, 200, 1})
	f.Add(uint16(0), uint32(1<<31), []byte{0, 0, 255, 3})
	f.Fuzz(func(t *testing.T, seq uint16, ts uint32, steps []byte) {
		var st recvStats
		st.clockRate = 8000
		now := time.Unix(1000, 0)
		st.reset(1, seq)
		for _, d := range steps {
			seq += uint16(d) - 8 // mostly forward, sometimes back
			ts += uint32(d) * 160
			now = now.Add(time.Duration(d) * time.Millisecond)
			if st.updateSeq(seq) {
				st.updateJitter(ts, now)
			}
		}
		rr := st.report(now)
		if rr.TotalLost > 0x7fffff {
			t.Fatalf("cumulative lost %d beyond 24 bits", rr.TotalLost)
		}
		if _, err := (&rtcp.ReceiverReport{SSRC: 2, Reports: []rtcp.ReceptionReport{rr}}).Marshal(); err != nil {
			t.Fatalf("report block does not marshal: %v", err)
		}
	})
}

func BenchmarkWriteRTP(b *testing.B) {
	peer := listen(b, "127.0.0.1")
	s, err := New(Config{RTP: listenRaw(b), RTCP: listenRaw(b), Remote: addr(peer), ClockRate: 90000, Tick: make(chan time.Time), MediaTimeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := peer.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: make([]byte, 1200)}
	b.SetBytes(1200)
	for b.Loop() {
		pkt.SequenceNumber++
		if err := s.WriteRTP(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadRTP(b *testing.B) {
	h := newHarnessTB(b)
	pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 5}, Payload: make([]byte, 1200)}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		pkt[3]++ // sequence number low byte
		if _, err := h.p.rtp.WriteToUDPAddrPort(pkt, h.s.LocalRTP()); err != nil {
			b.Fatal(err)
		}
		if _, _, err := h.s.ReadRTP(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDatagram feeds arbitrary datagrams from the attacker's address, the room's IP
// with another port, or the room itself to the RTP port: no panic, no BYE surfaced from
// anywhere but the room's IP, the media source never leaves the room's IP for the attacker's,
// and the room's next packet is always accepted.
func FuzzDatagram(f *testing.F) {
	f.Add(byte(0), rtpBytes(0xBAD, 1, 0))
	f.Add(byte(1), rtpBytes(roomSSRC, 7, 0))
	bye, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: roomSSRC}, &rtcp.Goodbye{Sources: []uint32{roomSSRC}}})
	f.Add(byte(0), bye)
	f.Add(byte(2), []byte{0x80, 0xc8, 0, 1})
	room := netip.MustParseAddrPort("127.0.0.1:4000")
	from := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:6000"), netip.MustParseAddrPort("127.0.0.1:4002"), room}
	byes := 0
	s, err := New(Config{RTP: listenRaw(f), RTCP: listenRaw(f), Remote: room, Latch: LatchSignalledIP, ClockRate: 8000,
		Tick: make(chan time.Time), MediaTimeout: -1, OnBYE: func([]uint32, string) { byes++ }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	seq := uint16(0)
	f.Fuzz(func(t *testing.T, which byte, b []byte) {
		src := from[int(which)%len(from)]
		before := byes
		s.datagram(b, src, time.Now())
		if byes != before && src.Addr() != room.Addr() {
			t.Fatalf("BYE from %s surfaced", src)
		}
		if got := s.Source(); got.Addr() != room.Addr() {
			t.Fatalf("media source moved to %s", got)
		}
		seq++
		if s.datagram(rtpBytes(roomSSRC, seq, 0), room, time.Now()) == nil {
			t.Fatalf("the room's packet %d dropped after %x from %s", seq, b, src)
		}
	})
}
