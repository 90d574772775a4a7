package rtpsession

import (
	"errors"
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

func TestLatching(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      LatchMode
		moveIP    string // source IP the peer moves to
		wantMoved bool
	}{
		{name: "any/port change", mode: LatchAny, moveIP: "127.0.0.1", wantMoved: true},
		{name: "any/ip change", mode: LatchAny, moveIP: "127.0.0.2", wantMoved: true},
		{name: "signalled-ip/port change", mode: LatchSignalledIP, moveIP: "127.0.0.1", wantMoved: true},
		{name: "signalled-ip/ip change", mode: LatchSignalledIP, moveIP: "127.0.0.2", wantMoved: false},
		{name: "off/port change", mode: LatchOff, moveIP: "127.0.0.1", wantMoved: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Latch = tc.mode })
			out := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7, Timestamp: 160}, Payload: []byte{1, 2, 3}}
			// Before any RTP arrives, media goes to the signalled address.
			if err := h.s.WriteRTP(out); err != nil {
				t.Fatal(err)
			}
			got := &rtp.Packet{}
			if err := got.Unmarshal(readPacket(t, h.p.rtp)); err != nil {
				t.Fatal(err)
			}
			if got.SSRC != 0xCAFE0001 || got.SequenceNumber != 7 || string(got.Payload) != "\x01\x02\x03" {
				t.Fatalf("peer got %v", got)
			}
			// The room system's NAT moves its source.
			moved := listen(t, tc.moveIP)
			h.sendRTP(t, moved, 100, 0)
			in, src := mustRead(t, h.s)
			if src != addr(moved) || in.SequenceNumber != 100 {
				t.Fatalf("read seq %d from %s", in.SequenceNumber, src)
			}
			if err := h.s.WriteRTP(out); err != nil {
				t.Fatal(err)
			}
			want, other := h.p.rtp, moved
			if tc.wantMoved {
				want, other = moved, h.p.rtp
			}
			readPacket(t, want)
			other.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, _, err := other.ReadFromUDPAddrPort(make([]byte, 1500)); err == nil {
				t.Fatalf("packet also went to %s", addr(other))
			}
			if (h.s.Remote() == addr(moved)) != tc.wantMoved {
				t.Fatalf("Remote() = %s", h.s.Remote())
			}
		})
	}
}

func TestStrayStreamDoesNotStealLatch(t *testing.T) {
	h := newHarness(t, nil)
	h.sendRTP(t, h.p.rtp, 1, 0)
	mustRead(t, h.s)
	h.sendRTP(t, h.p.rtp, 2, 160)
	mustRead(t, h.s)
	// Another source with another SSRC while the peer is active: ignored for sending
	// and statistics.
	stray := listen(t, "127.0.0.1")
	b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 9000, SSRC: 0xBAD}}).Marshal()
	send := func() {
		if _, err := stray.WriteToUDPAddrPort(b, h.s.LocalRTP()); err != nil {
			t.Fatal(err)
		}
		if _, src, err := h.s.ReadRTP(); err != nil || src != addr(stray) {
			t.Fatalf("read %v from %s", err, src)
		}
	}
	send()
	if h.s.Remote() != addr(h.p.rtp) {
		t.Fatalf("stray stream moved the latch to %s", h.s.Remote())
	}
	h.s.mu.Lock()
	statsSSRC := h.s.recv.ssrc
	h.s.mu.Unlock()
	if statsSSRC != h.p.ssrc {
		t.Fatalf("statistics follow SSRC %x", statsSSRC)
	}
	// Once the peer has been silent long enough, a new stream takes over.
	h.clock.Advance(relatchIdle)
	send()
	if h.s.Remote() != addr(stray) {
		t.Fatalf("latch stayed on silent %s", h.s.Remote())
	}
}

func TestLatchWithoutSignalledAddress(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Remote, c.RemoteRTCP = netip.AddrPort{}, netip.AddrPort{} })
	if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}}); !errors.Is(err, ErrNoRemote) {
		t.Fatalf("write before any address: %v", err)
	}
	h.sendRTP(t, h.p.rtp, 1, 0)
	mustRead(t, h.s)
	if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}}); err != nil {
		t.Fatal(err)
	}
	readPacket(t, h.p.rtp)
}

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
				h.sendRTP(t, h.p.rtp, 1, 0)
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

func TestMediaTimeout(t *testing.T) {
	fired := make(chan time.Time, 4)
	h := newHarness(t, func(c *Config) {
		c.MediaTimeout = 30 * time.Second
		c.OnTimeout = func(last time.Time) { fired <- last }
	})
	expectFire := func(want bool, wantLast time.Time) {
		t.Helper()
		h.tickSync()
		select {
		case last := <-fired:
			if !want {
				t.Fatalf("timeout fired at +%s", h.clock.Now().Sub(h.s.started))
			}
			if !last.Equal(wantLast) {
				t.Fatalf("OnTimeout(%s), want %s", last, wantLast)
			}
		default:
			if want {
				t.Fatalf("timeout did not fire at +%s", h.clock.Now().Sub(h.s.started))
			}
		}
	}
	h.clock.Advance(29 * time.Second)
	expectFire(false, time.Time{})
	h.clock.Advance(time.Second)
	expectFire(true, time.Time{}) // no RTP ever
	h.clock.Advance(time.Minute)
	expectFire(false, time.Time{}) // fires once
	// Media resumes, then stops again.
	h.sendRTP(t, h.p.rtp, 1, 0)
	mustRead(t, h.s)
	lastRTP := h.clock.Now()
	if !h.s.LastPacket().Equal(lastRTP) {
		t.Fatalf("LastPacket %s, want %s", h.s.LastPacket(), lastRTP)
	}
	h.clock.Advance(29 * time.Second)
	expectFire(false, time.Time{})
	h.clock.Advance(2 * time.Second)
	expectFire(true, lastRTP)

	// On hold the check is off; after resuming, silence counts from the resume.
	h.s.SetMediaTimeout(-1)
	h.clock.Advance(10 * time.Minute)
	expectFire(false, time.Time{})
	h.s.SetMediaTimeout(30 * time.Second)
	resumed := h.clock.Now()
	h.clock.Advance(29 * time.Second)
	expectFire(false, time.Time{})
	h.clock.Advance(time.Second)
	expectFire(true, resumed)
}

func TestTimerSendsReports(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RTCPInterval = 5 * time.Second })
	h.clock.Advance(2 * time.Second) // below the earliest randomised interval (2.5 s)
	h.tickSync()
	h.p.rtcp.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, _, err := h.p.rtcp.ReadFromUDPAddrPort(make([]byte, 1500)); err == nil {
		t.Fatal("report before the interval")
	}
	h.clock.Advance(6 * time.Second) // past the latest (7.5 s)
	h.tick <- h.clock.Now()
	if _, ok := readRTCP(t, h.p.rtcp)[0].(*rtcp.ReceiverReport); !ok {
		t.Fatal("timer report is not an RR")
	}
}

func TestClose(t *testing.T) {
	h := newHarness(t, nil)
	readErr := make(chan error, 1)
	go func() {
		_, _, err := h.s.ReadRTP()
		readErr <- err
	}()
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := <-readErr; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked ReadRTP returned %v, want ErrClosed", err)
	}
	// The peer was told goodbye.
	pkts := readRTCP(t, h.p.rtcp)
	bye, ok := pkts[len(pkts)-1].(*rtcp.Goodbye)
	if !ok || len(bye.Sources) != 1 || bye.Sources[0] != 0xCAFE0001 {
		t.Fatalf("last packet %+v, want BYE", pkts[len(pkts)-1])
	}
	if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := h.s.SendPLI(); !errors.Is(err, ErrClosed) {
		t.Fatalf("PLI after close: %v", err)
	}
}

func TestNewNeedsSockets(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without sockets succeeded")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSetRemote(t *testing.T) {
	h := newHarness(t, nil)
	h.sendRTP(t, h.p.rtp, 1, 0)
	mustRead(t, h.s)
	// A re-INVITE moves the media elsewhere: sending follows, latching starts over.
	next := newPeer(t)
	h.s.SetRemote(addr(next.rtp), addr(next.rtcp))
	if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}}); err != nil {
		t.Fatal(err)
	}
	readPacket(t, next.rtp)
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	readRTCP(t, next.rtcp)
}
