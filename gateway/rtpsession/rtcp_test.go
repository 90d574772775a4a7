package rtpsession

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestReceiverReportAfterLoss(t *testing.T) {
	h := newHarness(t, nil)
	const first, last = 1000, 1099
	dropped := map[uint16]bool{}
	for seq := uint16(1010); seq < 1090; seq += 8 {
		dropped[seq] = true
	}
	// Packets arrive every 20 ms (160 timestamp units at 8 kHz); one arrives 10 ms late.
	var arrivals []int64 // arrival in timestamp units
	var stamps []uint32
	late := uint16(1095)
	base := h.clock.Now()
	for seq := uint16(first); seq <= last; seq++ {
		ts := uint32(seq-first) * 160
		if dropped[seq] {
			continue
		}
		at := time.Duration(seq-first) * 20 * time.Millisecond
		if seq == late {
			at += 10 * time.Millisecond
		}
		h.clock.mu.Lock()
		h.clock.t = base.Add(at)
		h.clock.mu.Unlock()
		h.sendRTP(t, h.p.rtp, seq, ts)
		p, _ := mustRead(t, h.s)
		if p.SequenceNumber != seq {
			t.Fatalf("read seq %d, want %d", p.SequenceNumber, seq)
		}
		if seq > first { // the first packet of a new source is in probation (RFC 3550 A.1)
			arrivals = append(arrivals, int64(at*8000/time.Second))
			stamps = append(stamps, ts)
		}
	}
	// Independent model of the interarrival jitter (RFC 3550 §6.4.1).
	var jitter float64
	for i := 1; i < len(arrivals); i++ {
		d := (arrivals[i] - int64(stamps[i])) - (arrivals[i-1] - int64(stamps[i-1]))
		if d < 0 {
			d = -d
		}
		jitter += (float64(d) - jitter) / 16
	}
	// The peer sends an SR; our RR 1.5 s later carries LSR and DLSR.
	srNTP := uint64(0x0123456789ABCDEF)
	h.sendRTCP(t, h.localRTCP(), &rtcp.SenderReport{SSRC: h.p.ssrc, NTPTime: srNTP})
	waitFor(t, func() bool { h.s.mu.Lock(); defer h.s.mu.Unlock(); return !h.s.recv.lastSRTime.IsZero() })
	h.clock.Advance(1500 * time.Millisecond)
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	pkts := readRTCP(t, h.p.rtcp)
	rr, ok := pkts[0].(*rtcp.ReceiverReport)
	if !ok || len(rr.Reports) != 1 {
		t.Fatalf("first packet %T %+v, want RR with one block", pkts[0], pkts[0])
	}
	if sd, ok := pkts[1].(*rtcp.SourceDescription); !ok || sd.Chunks[0].Items[0].Text != "gw@test" {
		t.Fatalf("second packet %+v, want SDES CNAME", pkts[1])
	}
	b := rr.Reports[0]
	expected := uint32(last - (first + 1) + 1) // base_seq is the first packet after probation
	lost := uint32(len(dropped))
	want := rtcp.ReceptionReport{
		SSRC:               h.p.ssrc,
		FractionLost:       uint8(lost * 256 / expected),
		TotalLost:          lost,
		LastSequenceNumber: last,
		Jitter:             uint32(jitter),
		LastSenderReport:   uint32(srNTP >> 16),
		Delay:              98304, // 1.5 s in 1/65536 s
	}
	if b != want {
		t.Fatalf("report block\n got %+v\nwant %+v", b, want)
	}
	if rr.SSRC != 0xCAFE0001 || want.Jitter == 0 || want.FractionLost == 0 {
		t.Fatalf("rr ssrc %x, jitter %d, fraction %d", rr.SSRC, want.Jitter, want.FractionLost)
	}
	// The next interval had no loss: fraction drops to 0, the cumulative count stays.
	h.sendRTP(t, h.p.rtp, last+1, (last+1-first)*160)
	mustRead(t, h.s)
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	b2 := readRTCP(t, h.p.rtcp)[0].(*rtcp.ReceiverReport).Reports[0]
	if b2.FractionLost != 0 || b2.TotalLost != lost || b2.LastSequenceNumber != last+1 {
		t.Fatalf("second interval block %+v", b2)
	}
}

func TestSequenceWrapInReport(t *testing.T) {
	h := newHarness(t, nil)
	for i, seq := 0, uint16(65530); i < 12; i, seq = i+1, seq+1 {
		h.sendRTP(t, h.p.rtp, seq, uint32(i)*160)
		mustRead(t, h.s)
	}
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	b := readRTCP(t, h.p.rtcp)[0].(*rtcp.ReceiverReport).Reports[0]
	if b.LastSequenceNumber != 1<<16+5 || b.TotalLost != 0 {
		t.Fatalf("block after wrap %+v", b)
	}
}

func TestSenderReport(t *testing.T) {
	h := newHarness(t, nil)
	for i := 0; i < 5; i++ {
		if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i) * 160}, Payload: make([]byte, 100)}); err != nil {
			t.Fatal(err)
		}
		readPacket(t, h.p.rtp)
	}
	h.clock.Advance(10 * time.Millisecond)
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	sr, ok := readRTCP(t, h.p.rtcp)[0].(*rtcp.SenderReport)
	if !ok {
		t.Fatal("no SR after sending RTP")
	}
	want := rtcp.SenderReport{SSRC: 0xCAFE0001, NTPTime: ntpTime(h.clock.Now()), RTPTime: 4*160 + 80, PacketCount: 5, OctetCount: 500}
	if sr.SSRC != want.SSRC || sr.NTPTime != want.NTPTime || sr.RTPTime != want.RTPTime || sr.PacketCount != want.PacketCount || sr.OctetCount != want.OctetCount || len(sr.Reports) != 0 {
		t.Fatalf("SR %+v, want %+v", sr, want)
	}
	// Nothing sent since: the next report is an RR.
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	if p := readRTCP(t, h.p.rtcp)[0]; func() bool { _, ok := p.(*rtcp.ReceiverReport); return !ok }() {
		t.Fatalf("idle report is %T, want RR", p)
	}
}

func TestNTPTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    time.Time
		want uint64
	}{
		{name: "unix epoch", t: time.Unix(0, 0), want: 2208988800 << 32},
		{name: "half second", t: time.Unix(1, 500_000_000), want: (2208988801 << 32) | 1<<31},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ntpTime(tc.t); got != tc.want {
				t.Fatalf("ntpTime = %x, want %x", got, tc.want)
			}
		})
	}
}

func TestIncomingRTCPSurfaced(t *testing.T) {
	type event struct {
		kind string
		kf   KeyframeRequest
		ssrc []uint32
		why  string
	}
	events := make(chan event, 16)
	h := newHarness(t, func(c *Config) {
		c.OnBYE = func(ssrcs []uint32, reason string) { events <- event{kind: "bye", ssrc: ssrcs, why: reason} }
		c.OnKeyframeRequest = func(k KeyframeRequest) { events <- event{kind: "keyframe", kf: k} }
		c.OnNACK = func(n *rtcp.TransportLayerNack) { events <- event{kind: "nack", ssrc: []uint32{n.MediaSSRC}} }
		c.OnReport = func(p rtcp.Packet) { events <- event{kind: "report"} }
	})
	// A BYE counts only from the source whose RTP we receive, naming its SSRC.
	h.sendRTP(t, h.p.rtp, 1, 0)
	mustRead(t, h.s)
	rr := &rtcp.ReceiverReport{SSRC: h.p.ssrc}
	for _, tc := range []struct {
		name string
		via  func() netip.AddrPort
		pkts []rtcp.Packet
		want []event
	}{
		{name: "rr", via: h.localRTCP, pkts: []rtcp.Packet{rr}, want: []event{{kind: "report"}}},
		{name: "pli", via: h.localRTCP, pkts: []rtcp.Packet{rr, &rtcp.PictureLossIndication{SenderSSRC: h.p.ssrc, MediaSSRC: 0xCAFE0001}},
			want: []event{{kind: "report"}, {kind: "keyframe", kf: KeyframeRequest{Sender: h.p.ssrc}}}},
		{name: "fir for us and for another source", via: h.localRTCP, pkts: []rtcp.Packet{rr, &rtcp.FullIntraRequest{SenderSSRC: h.p.ssrc, FIR: []rtcp.FIREntry{{SSRC: 0xCAFE0001, SequenceNumber: 9}, {SSRC: 42, SequenceNumber: 1}}}},
			want: []event{{kind: "report"}, {kind: "keyframe", kf: KeyframeRequest{FIR: true, SeqNr: 9, Sender: h.p.ssrc}}}},
		{name: "nack", via: h.localRTCP, pkts: []rtcp.Packet{rr, &rtcp.TransportLayerNack{SenderSSRC: h.p.ssrc, MediaSSRC: 0xCAFE0001, Nacks: []rtcp.NackPair{{PacketID: 5}}}},
			want: []event{{kind: "report"}, {kind: "nack", ssrc: []uint32{0xCAFE0001}}}},
		{name: "bye", via: h.localRTCP, pkts: []rtcp.Packet{rr, &rtcp.Goodbye{Sources: []uint32{h.p.ssrc}, Reason: "hangup"}},
			want: []event{{kind: "report"}, {kind: "bye", ssrc: []uint32{h.p.ssrc}, why: "hangup"}}},
		{name: "bye multiplexed on the rtp port", via: h.s.LocalRTP, pkts: []rtcp.Packet{rr, &rtcp.Goodbye{Sources: []uint32{h.p.ssrc}}},
			want: []event{{kind: "report"}, {kind: "bye", ssrc: []uint32{h.p.ssrc}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			viaRTP := tc.via() == h.s.LocalRTP()
			h.sendRTCP(t, tc.via(), tc.pkts...)
			if viaRTP {
				// Multiplexed RTCP is handled by the ReadRTP caller; an RTP packet after it
				// makes ReadRTP return.
				h.sendRTP(t, h.p.rtp, 2, 0)
				mustRead(t, h.s)
			}
			for _, w := range tc.want {
				select {
				case e := <-events:
					if e.kind != w.kind || e.kf != w.kf || e.why != w.why || len(e.ssrc) != len(w.ssrc) || (len(e.ssrc) > 0 && e.ssrc[0] != w.ssrc[0]) {
						t.Fatalf("event %+v, want %+v", e, w)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("no %s event", w.kind)
				}
			}
			select {
			case e := <-events:
				t.Fatalf("unexpected event %+v", e)
			case <-time.After(50 * time.Millisecond):
			}
		})
	}
}

func TestSendKeyframeRequests(t *testing.T) {
	h := newHarness(t, nil)
	h.sendRTP(t, h.p.rtp, 1, 0)
	mustRead(t, h.s)
	if err := h.s.SendPLI(); err != nil {
		t.Fatal(err)
	}
	pkts := readRTCP(t, h.p.rtcp)
	if len(pkts) != 3 {
		t.Fatalf("PLI compound has %d packets, want RR+SDES+PLI", len(pkts))
	}
	if pli, ok := pkts[2].(*rtcp.PictureLossIndication); !ok || pli.MediaSSRC != h.p.ssrc || pli.SenderSSRC != 0xCAFE0001 {
		t.Fatalf("got %+v", pkts[2])
	}
	if err := h.s.SendFIR(4); err != nil {
		t.Fatal(err)
	}
	pkts = readRTCP(t, h.p.rtcp)
	fir, ok := pkts[len(pkts)-1].(*rtcp.FullIntraRequest)
	if !ok || len(fir.FIR) != 1 || fir.FIR[0].SSRC != h.p.ssrc || fir.FIR[0].SequenceNumber != 4 || fir.MediaSSRC != 0 {
		t.Fatalf("got %+v", pkts[len(pkts)-1])
	}
}
