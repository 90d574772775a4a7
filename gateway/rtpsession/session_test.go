package rtpsession

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Sending follows the accepted source: a NAT that rewrites the room system's port (or
// address, in LatchAny) is followed once the new source passed its probation; where the
// mode does not allow the move, media keeps going to the signalled address.
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
			// The room system's NAT moves its source before its first packet: the new
			// source is accepted after its probation (the last packet is read back).
			moved := listen(t, tc.moveIP)
			for seq := uint16(100); seq < 100+DefaultProbation; seq++ {
				h.sendRTP(t, moved, seq, 0)
			}
			if tc.wantMoved {
				in, src := mustRead(t, h.s)
				if src != addr(moved) || in.SequenceNumber != 100+DefaultProbation-1 {
					t.Fatalf("read seq %d from %s", in.SequenceNumber, src)
				}
			} else {
				// Dropped: the signalled source is still read.
				h.sendRTP(t, h.p.rtp, 1, 0)
				if _, src := mustRead(t, h.s); src != addr(h.p.rtp) {
					t.Fatalf("read from %s", src)
				}
				if c := h.s.Counters(); c.DroppedRTP != DefaultProbation {
					t.Fatalf("counters %+v, want %d dropped", c, DefaultProbation)
				}
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

func TestLatchWithoutSignalledAddress(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Remote, c.RemoteRTCP = netip.AddrPort{}, netip.AddrPort{} })
	if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}}); !errors.Is(err, ErrNoRemote) {
		t.Fatalf("write before any address: %v", err)
	}
	// Nothing signalled: the first source is learnt after its probation.
	for seq := uint16(1); seq <= DefaultProbation; seq++ {
		h.sendRTP(t, h.p.rtp, seq, 0)
	}
	if p, _ := mustRead(t, h.s); p.SequenceNumber != DefaultProbation {
		t.Fatalf("first packet read: seq %d", p.SequenceNumber)
	}
	if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2}}); err != nil {
		t.Fatal(err)
	}
	readPacket(t, h.p.rtp)
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

// While the peer holds the stream, nothing is sent; sending resumes with it.
func TestSetSending(t *testing.T) {
	h := newHarness(t, nil)
	pkt := func(seq uint16) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: 160}, Payload: []byte{1}}
	}
	h.s.SetSending(false)
	if err := h.s.WriteRTP(pkt(1)); err != nil {
		t.Fatal(err)
	}
	h.p.rtp.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, _, err := h.p.rtp.ReadFromUDPAddrPort(make([]byte, 1500)); err == nil {
		t.Fatal("a held stream sent RTP")
	}
	h.s.SetSending(true)
	if err := h.s.WriteRTP(pkt(2)); err != nil {
		t.Fatal(err)
	}
	got := &rtp.Packet{}
	if err := got.Unmarshal(readPacket(t, h.p.rtp)); err != nil || got.SequenceNumber != 2 {
		t.Fatalf("after resume: %v %v", got, err)
	}
}
