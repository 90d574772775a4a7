package rtpsession

import (
	"context"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

const (
	roomSSRC  = 0x11223344
	otherSSRC = 0xBAD0BAD0
)

// addrs are the sources of the source-rule tables: the signalled address of the room
// system, its IP with another port (a port-rewriting NAT), another IP (the room system
// moved, or a NAT that rewrites addresses), and the attacker.
type addrs struct{ room, nat, far, attacker netip.AddrPort }

func newAddrs(h *harness) addrs {
	room := addr(h.p.rtp)
	return addrs{
		room:     room,
		nat:      netip.AddrPortFrom(room.Addr(), room.Port()+2),
		far:      netip.MustParseAddrPort("127.0.0.3:5004"),
		attacker: netip.MustParseAddrPort("127.0.0.2:6000"),
	}
}

func (a addrs) named(n string) netip.AddrPort {
	return map[string]netip.AddrPort{"room": a.room, "nat": a.nat, "far": a.far, "attacker": a.attacker}[n]
}

// step sends n RTP packets of ssrc with sequence numbers from seq on (or, with rtcp,
// one receiver report) from a named source, after advancing the clock by wait; accepted
// is how many of them must reach the caller.
type step struct {
	from     string
	ssrc     uint32
	seq      uint16
	n        int
	rtcp     bool
	wait     time.Duration
	accepted int
}

func TestSourceRules(t *testing.T) {
	for _, tc := range []struct {
		name        string
		mode        LatchMode
		noSignal    bool // offer-less: no address signalled
		steps       []step
		wantSource  string // "" : none
		wantSending string // where WriteRTP sends
		wantDropped uint64 // RTP and RTCP dropped
	}{
		{name: "signalled->rtp-from-signalled->accepted", mode: LatchSignalledIP,
			steps:      []step{{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5}},
			wantSource: "room", wantSending: "room"},
		{name: "signalled->rtp-from-other-ip->dropped", mode: LatchSignalledIP,
			steps: []step{
				{from: "attacker", ssrc: otherSSRC, seq: 1, n: 10},
				{from: "room", ssrc: roomSSRC, seq: 1, n: 3, accepted: 3},
			},
			wantSource: "room", wantSending: "room", wantDropped: 10},
		{name: "signalled->nat-port->learnt-after-probation", mode: LatchSignalledIP,
			steps:      []step{{from: "nat", ssrc: roomSSRC, seq: 1, n: 6, accepted: 3}},
			wantSource: "nat", wantSending: "nat", wantDropped: 3},
		{name: "signalled->other-ip->learnt-after-probation(any)", mode: LatchAny,
			steps:      []step{{from: "far", ssrc: roomSSRC, seq: 1, n: 6, accepted: 3}},
			wantSource: "far", wantSending: "far", wantDropped: 3},
		{name: "probation->ssrc-change->reset", mode: LatchSignalledIP,
			steps: []step{
				{from: "nat", ssrc: roomSSRC, seq: 1, n: 3},
				{from: "nat", ssrc: otherSSRC, seq: 4, n: 3},
				{from: "nat", ssrc: otherSSRC, seq: 7, n: 1, accepted: 1},
			},
			wantSource: "nat", wantSending: "nat", wantDropped: 6},
		{name: "probation->sequence-gap->reset", mode: LatchSignalledIP,
			steps: []step{
				{from: "nat", ssrc: roomSSRC, seq: 1, n: 3},
				{from: "nat", ssrc: roomSSRC, seq: 10, n: 3},
				{from: "nat", ssrc: roomSSRC, seq: 13, n: 1, accepted: 1},
			},
			wantSource: "nat", wantSending: "nat", wantDropped: 6},
		{name: "probation->other-source-interleaved->reset", mode: LatchAny,
			steps: []step{
				{from: "far", ssrc: roomSSRC, seq: 1, n: 3},
				{from: "attacker", ssrc: roomSSRC, seq: 4, n: 1},
				{from: "far", ssrc: roomSSRC, seq: 5, n: 3},
			},
			wantSource: "room", wantSending: "room", wantDropped: 7},
		{name: "latched->other-ssrc-other-port->not-moved", mode: LatchSignalledIP,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "nat", ssrc: otherSSRC, seq: 100, n: 20},
			},
			wantSource: "room", wantSending: "room", wantDropped: 20},
		{name: "latched->ssrc-match-alone->not-moved", mode: LatchAny,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "attacker", ssrc: roomSSRC, seq: 6000, n: 20}, // in sequence, not with the room's
				{from: "attacker", ssrc: roomSSRC, seq: 6, n: 1},
				{from: "attacker", ssrc: roomSSRC, seq: 8, n: 1},
				{from: "attacker", ssrc: roomSSRC, seq: 10, n: 1},
			},
			wantSource: "room", wantSending: "room", wantDropped: 23},
		{name: "latched->rtcp-from-other->not-moved", mode: LatchAny,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "attacker", rtcp: true},
				{from: "attacker", ssrc: roomSSRC, seq: 6, n: 1},
			},
			wantSource: "room", wantSending: "room", wantDropped: 2},
		{name: "latched->nat-rebinding->followed", mode: LatchSignalledIP,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "nat", ssrc: roomSSRC, seq: 8, n: 6, accepted: 3}, // 6, 7 lost while the NAT moved
			},
			wantSource: "nat", wantSending: "nat", wantDropped: 3},
		{name: "latched->nat-rebinding-to-other-ip->followed(any)", mode: LatchAny,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "far", ssrc: roomSSRC, seq: 6, n: 4, accepted: 1},
			},
			wantSource: "far", wantSending: "far", wantDropped: 3},
		{name: "latched->nat-rebinding-to-other-ip->not-followed(signalled-ip)", mode: LatchSignalledIP,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "far", ssrc: roomSSRC, seq: 6, n: 10},
			},
			wantSource: "room", wantSending: "room", wantDropped: 10},
		{name: "latched->stray-after-silence->not-moved", mode: LatchAny,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "attacker", ssrc: otherSSRC, seq: 1, n: 20, wait: 10 * time.Second},
			},
			wantSource: "room", wantSending: "room", wantDropped: 20},
		{name: "latched->ssrc-change-from-source->accepted", mode: LatchSignalledIP,
			steps: []step{
				{from: "room", ssrc: roomSSRC, seq: 1, n: 5, accepted: 5},
				{from: "room", ssrc: otherSSRC, seq: 900, n: 2, accepted: 2}, // the room system restarted its stream
			},
			wantSource: "room", wantSending: "room"},
		{name: "prelatch-spray->learnt->signalled-takes-back(any)", mode: LatchAny,
			steps: []step{
				{from: "attacker", ssrc: otherSSRC, seq: 1, n: 6, accepted: 3},
				{from: "room", ssrc: roomSSRC, seq: 1, n: 2, accepted: 2},
				{from: "attacker", ssrc: otherSSRC, seq: 7, n: 10},
			},
			wantSource: "room", wantSending: "room", wantDropped: 13},
		{name: "off->other-port->dropped", mode: LatchOff,
			steps: []step{
				{from: "nat", ssrc: roomSSRC, seq: 1, n: 10},
				{from: "room", ssrc: roomSSRC, seq: 11, n: 1, accepted: 1},
			},
			wantSource: "room", wantSending: "room", wantDropped: 10},
		{name: "signalled(exact)->other-port->dropped", mode: LatchSignalled,
			steps: []step{
				{from: "nat", ssrc: roomSSRC, seq: 1, n: 10},
				{from: "far", ssrc: roomSSRC, seq: 11, n: 6},
				{from: "room", ssrc: roomSSRC, seq: 17, n: 2, accepted: 2},
			},
			wantSource: "room", wantSending: "room", wantDropped: 16},
		{name: "unsignalled->first-source->learnt-after-probation", mode: LatchSignalledIP, noSignal: true,
			steps: []step{
				{from: "far", ssrc: roomSSRC, seq: 1, n: 2},
				{from: "attacker", ssrc: otherSSRC, seq: 1, n: 2},
				{from: "far", ssrc: roomSSRC, seq: 3, n: 5, accepted: 2},
			},
			wantSource: "far", wantSending: "far", wantDropped: 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Latch = tc.mode
				if tc.noSignal {
					c.Remote, c.RemoteRTCP = netip.AddrPort{}, netip.AddrPort{}
				}
			})
			a := newAddrs(h)
			rtcpBefore := h.s.remoteRTCP
			for i, st := range tc.steps {
				h.clock.Advance(st.wait)
				from := a.named(st.from)
				if st.rtcp {
					b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: st.ssrc}})
					h.s.handleRTCP(b, from)
					continue
				}
				got := 0
				for k := range st.n {
					if h.s.datagram(rtpBytes(st.ssrc, st.seq+uint16(k), 0), from, h.clock.Now()) != nil {
						got++
					}
				}
				if got != st.accepted {
					t.Fatalf("step %d (%s): %d of %d packets accepted, want %d", i, st.from, got, st.n, st.accepted)
				}
			}
			if got, want := h.s.Source(), a.named(tc.wantSource); got != want {
				t.Errorf("source %s, want %s (%s)", got, want, tc.wantSource)
			}
			if got, want := h.s.Remote(), a.named(tc.wantSending); got != want {
				t.Errorf("sending to %s, want %s (%s)", got, want, tc.wantSending)
			}
			c := h.s.Counters()
			if got := c.DroppedRTP + c.DroppedRTCP; got != tc.wantDropped {
				t.Errorf("dropped %d, want %d (%+v)", got, tc.wantDropped, c)
			}
			if tc.wantSending == "room" && h.s.remoteRTCP != rtcpBefore {
				t.Errorf("RTCP goes to %s, was %s", h.s.remoteRTCP, rtcpBefore)
			}
		})
	}
}

// An RTCP BYE ends the call only from the call's source and naming the SSRC we
// receive; a sweep of the media range with BYEs ends nothing.
func TestBYERules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rtpSeen bool // the room's RTP arrived before the BYE
		from    string
		ssrcs   []uint32
		muxed   bool // on the RTP port
		wantBYE bool
	}{
		{name: "latched->bye-from-source-with-peer-ssrc->honoured", rtpSeen: true, from: "room", ssrcs: []uint32{roomSSRC}, wantBYE: true},
		{name: "latched->muxed-bye-from-source-with-peer-ssrc->honoured", rtpSeen: true, from: "room", ssrcs: []uint32{roomSSRC}, muxed: true, wantBYE: true},
		{name: "latched->bye-from-source-ip-other-port->honoured", rtpSeen: true, from: "nat", ssrcs: []uint32{1, roomSSRC}, wantBYE: true},
		{name: "latched->bye-from-other-ip->ignored", rtpSeen: true, from: "attacker", ssrcs: []uint32{roomSSRC}},
		{name: "latched->muxed-bye-from-other-ip->ignored", rtpSeen: true, from: "attacker", ssrcs: []uint32{roomSSRC}, muxed: true},
		{name: "latched->bye-from-source-other-ssrc->ignored", rtpSeen: true, from: "room", ssrcs: []uint32{otherSSRC}},
		{name: "signalled->bye-before-any-rtp->ignored", from: "room", ssrcs: []uint32{roomSSRC}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			byes := 0
			h := newHarness(t, func(c *Config) { c.OnBYE = func([]uint32, string) { byes++ } })
			a := newAddrs(h)
			if tc.rtpSeen && h.s.datagram(rtpBytes(roomSSRC, 1, 0), a.room, h.clock.Now()) == nil {
				t.Fatal("room's RTP not accepted")
			}
			b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: tc.ssrcs[0]}, &rtcp.Goodbye{Sources: tc.ssrcs}})
			if tc.muxed {
				h.s.datagram(b, a.named(tc.from), h.clock.Now())
			} else {
				h.s.handleRTCP(b, a.named(tc.from))
			}
			if (byes == 1) != tc.wantBYE {
				t.Fatalf("BYE surfaced %d times, want %v (%+v)", byes, tc.wantBYE, h.s.Counters())
			}
			c := h.s.Counters()
			if !tc.wantBYE && c.DroppedRTCP+c.IgnoredBYE != 1 {
				t.Fatalf("ignored BYE not counted: %+v", c)
			}
		})
	}
}

// The media timer counts only the call's packets: someone else's RTP does not keep a
// dead room system's call alive.
func TestMediaTimeoutIgnoresDroppedPackets(t *testing.T) {
	fired := make(chan time.Time, 1)
	h := newHarness(t, func(c *Config) {
		c.MediaTimeout = 30 * time.Second
		c.OnTimeout = func(last time.Time) { fired <- last }
	})
	a := newAddrs(h)
	if h.s.datagram(rtpBytes(roomSSRC, 1, 0), a.room, h.clock.Now()) == nil {
		t.Fatal("room's RTP not accepted")
	}
	last := h.clock.Now()
	// The room system dies; an attacker streams at the port, in sequence, for a minute.
	for i := range 3000 {
		h.clock.Advance(20 * time.Millisecond)
		h.s.datagram(rtpBytes(otherSSRC, uint16(i), 0), a.attacker, h.clock.Now())
		if i == 1499 { // 30 s after the room's last packet
			h.tickSync()
			select {
			case got := <-fired:
				if !got.Equal(last) {
					t.Fatalf("OnTimeout(%s), want the room's last packet %s", got, last)
				}
			default:
				t.Fatal("the attacker's RTP kept the call alive")
			}
		}
	}
	if !h.s.LastPacket().Equal(last) {
		t.Fatalf("LastPacket %s, want %s", h.s.LastPacket(), last)
	}
}

// A re-INVITE that keeps the signalled address keeps the learnt source; a new address
// starts over.
func TestSetRemoteKeepsLearntSource(t *testing.T) {
	h := newHarness(t, nil)
	a := newAddrs(h)
	for k := range uint16(DefaultProbation) {
		h.s.datagram(rtpBytes(roomSSRC, 1+k, 0), a.nat, h.clock.Now())
	}
	if h.s.Source() != a.nat {
		t.Fatalf("source %s, want %s", h.s.Source(), a.nat)
	}
	h.s.SetRemote(a.room, netip.AddrPort{})
	if h.s.Source() != a.nat || h.s.Remote() != a.nat {
		t.Fatalf("hold/resume re-INVITE lost the learnt source: %s / %s", h.s.Source(), h.s.Remote())
	}
	h.s.SetRemote(a.far, netip.AddrPort{})
	if h.s.Source() != a.far || h.s.Remote() != a.far {
		t.Fatalf("new address: source %s, sending to %s", h.s.Source(), h.s.Remote())
	}
	if h.s.datagram(rtpBytes(roomSSRC, 5, 0), a.nat, h.clock.Now()) != nil {
		t.Fatal("the old source is still accepted after the address changed")
	}
}

// logRecorder keeps the records of a slog handler.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// drops returns the lines about dropped packets and their dropped_rtp values.
func (l *logRecorder) drops() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int64
	for _, r := range l.recs {
		if r.Level != slog.LevelWarn {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "dropped_rtp" {
				out = append(out, int64(a.Value.Uint64()))
			}
			return true
		})
	}
	return out
}

// Dropped packets are counted and logged in one line per dropLogEvery, never per packet.
func TestDropsCountedAndLoggedAggregated(t *testing.T) {
	rec := &logRecorder{}
	h := newHarness(t, func(c *Config) { c.Log = slog.New(rec) })
	a := newAddrs(h)
	spray := func(n int) {
		for i := range n {
			h.s.datagram(rtpBytes(otherSSRC, uint16(i*7), 0), a.attacker, h.clock.Now())
		}
	}
	spray(1000)
	h.clock.Advance(dropLogEvery)
	h.tickSync()
	spray(500)
	h.clock.Advance(time.Second)
	h.tickSync() // within dropLogEvery of the last line: nothing
	if got := rec.drops(); len(got) != 1 || got[0] != 1000 {
		t.Fatalf("drop log lines %v, want one of 1000", got)
	}
	h.clock.Advance(dropLogEvery)
	h.tickSync()
	h.clock.Advance(dropLogEvery)
	h.tickSync() // no new drops: nothing
	if got := rec.drops(); len(got) != 2 || got[1] != 500 {
		t.Fatalf("drop log lines %v, want 1000 then 500", got)
	}
	if c := h.s.Counters(); c.DroppedRTP != 1500 || c.LastDropped != a.attacker || c.AcceptedRTP != 0 {
		t.Fatalf("counters %+v", c)
	}
	spray(3)
	h.s.Close() // the rest is logged at the end of the call
	if got := rec.drops(); len(got) != 3 || got[2] != 3 {
		t.Fatalf("drop log lines %v, want a last one of 3 at Close", got)
	}
}

// The per-packet work of a received datagram without the socket: the source rules,
// parsing and statistics for an accepted packet, the rules alone for a dropped one.
func BenchmarkDatagram(b *testing.B) {
	for _, bc := range []struct {
		name string
		from func(addrs) netip.AddrPort
		want bool
	}{
		{name: "accepted", from: func(a addrs) netip.AddrPort { return a.room }, want: true},
		{name: "dropped-other-ip", from: func(a addrs) netip.AddrPort { return a.attacker }},
		{name: "dropped-probation", from: func(a addrs) netip.AddrPort { return a.nat }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarnessTB(b, func(c *Config) { c.Latch = LatchSignalledIP })
			a := newAddrs(h)
			src := bc.from(a)
			if bc.name == "dropped-probation" {
				// The room's stream is accepted; the candidate never continues it.
				h.s.datagram(rtpBytes(roomSSRC, 1, 0), a.room, h.clock.Now())
			}
			pkt := rtpBytes(roomSSRC, 1, 0)
			ssrc := otherSSRC
			if bc.want {
				ssrc = roomSSRC
			}
			binary.BigEndian.PutUint32(pkt[8:], uint32(ssrc))
			now := h.clock.Now()
			b.ReportAllocs()
			seq := uint16(100)
			for b.Loop() {
				seq++
				binary.BigEndian.PutUint16(pkt[2:], seq)
				if got := h.s.datagram(pkt, src, now) != nil; got != bc.want {
					b.Fatalf("accepted %v", got)
				}
			}
		})
	}
}

// A room system behind a NAT that writes its private address into SDP: its media comes
// from the NAT's public address, the one its signalling came from. LatchSignalledIP
// learns that address after probation; an attacker's address it never learns.
func TestLearnsSignallingIP(t *testing.T) {
	private := netip.MustParseAddrPort("127.0.0.9:4000") // stands for 192.168.1.20 in SDP
	h := newHarness(t, func(c *Config) {
		c.Latch = LatchSignalledIP
		c.Remote, c.RemoteRTCP = private, netip.AddrPortFrom(private.Addr(), private.Port()+1)
		c.SignallingIP = netip.MustParseAddr("127.0.0.1")
	})
	nat := addr(h.p.rtp) // 127.0.0.1: the NAT's public side, where the SIP came from
	attacker := netip.MustParseAddrPort("127.0.0.2:6000")
	now := h.clock.Now()
	for seq := uint16(1); seq <= 8; seq++ {
		if h.s.datagram(rtpBytes(otherSSRC, seq, 0), attacker, now) != nil {
			t.Fatalf("attacker packet %d accepted", seq)
		}
	}
	var accepted int
	for seq := uint16(1); seq <= 6; seq++ {
		if h.s.datagram(rtpBytes(roomSSRC, seq, 0), nat, now) != nil {
			accepted++
		}
	}
	if want := 6 - (DefaultProbation - 1); accepted != want {
		t.Errorf("accepted %d packets from the signalling address, want %d (after probation)", accepted, want)
	}
	if got := h.s.Remote(); got != nat {
		t.Errorf("sending to %v, want the learnt NAT address %v", got, nat)
	}
	// Without the signalling address, the same NAT is never learnt.
	h2 := newHarness(t, func(c *Config) {
		c.Latch = LatchSignalledIP
		c.Remote, c.RemoteRTCP = private, netip.AddrPortFrom(private.Addr(), private.Port()+1)
	})
	for seq := uint16(1); seq <= 8; seq++ {
		if h2.s.datagram(rtpBytes(roomSSRC, seq, 0), nat, now) != nil {
			t.Fatalf("packet %d from an address neither signalled nor signalling accepted", seq)
		}
	}
}
