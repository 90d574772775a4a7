package rtpsession

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func srtpPair(t testing.TB, tag32 bool) (a, b *srtpContexts) {
	t.Helper()
	k1, k2 := bytes.Repeat([]byte{1}, 30), bytes.Repeat([]byte{2}, 30)
	a, err := newSRTPContexts(SRTPConfig{LocalKey: k1, RemoteKey: k2, Tag32: tag32})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = newSRTPContexts(SRTPConfig{LocalKey: k2, RemoteKey: k1, Tag32: tag32}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func srtpRTPBytes(t testing.TB, seq uint16, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 0x1234}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keep(dst *[]byte) func([]byte) error {
	return func(b []byte) error { *dst = append((*dst)[:0], b...); return nil }
}

func TestSRTPRoundTripAndRejects(t *testing.T) {
	for _, tag32 := range []bool{false, true} {
		a, b := srtpPair(t, tag32)
		plain := srtpRTPBytes(t, 1, []byte("hello room system"))
		var wire, got []byte
		if err := a.protectRTP(plain, keep(&wire)); err != nil {
			t.Fatal(err)
		}
		tag := 10
		if tag32 {
			tag = 4
		}
		if len(wire) != len(plain)+tag || bytes.Contains(wire, []byte("hello")) {
			t.Fatalf("tag32=%v: protected packet %d bytes (plain %d) or payload in clear", tag32, len(wire), len(plain))
		}
		if err := b.unprotectRTP(wire, keep(&got)); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("tag32=%v: unprotect = %v, %x; want the plain packet", tag32, err, got)
		}
		if err := b.unprotectRTP(wire, keep(&got)); err == nil {
			t.Errorf("tag32=%v: a replayed packet was accepted", tag32)
		}
		bad := append([]byte(nil), wire...)
		bad[len(bad)-1] ^= 1
		if err := b.unprotectRTP(bad, keep(&got)); err == nil {
			t.Errorf("tag32=%v: a tampered packet was accepted", tag32)
		}
		// An outsider without the key: plain RTP, or SRTP under another key.
		if err := b.unprotectRTP(srtpRTPBytes(t, 2, make([]byte, 160)), keep(&got)); err == nil {
			t.Errorf("tag32=%v: plain RTP accepted by an SRTP session", tag32)
		}
		other, _ := srtpPair(t, tag32)
		var forged []byte
		_ = other.protectRTP(srtpRTPBytes(t, 3, make([]byte, 160)), keep(&forged))
		if err := a.unprotectRTP(forged, keep(&got)); err == nil {
			t.Errorf("tag32=%v: SRTP under a foreign key accepted", tag32)
		}

		rr, _ := (&rtcp.ReceiverReport{SSRC: 0x1234}).Marshal()
		if err := a.protectRTCP(rr, keep(&wire)); err != nil {
			t.Fatal(err)
		}
		if err := b.unprotectRTCP(wire, keep(&got)); err != nil || !bytes.Equal(got, rr) {
			t.Fatalf("tag32=%v: SRTCP round trip = %v", tag32, err)
		}
		if err := b.unprotectRTCP(wire, keep(&got)); err == nil {
			t.Errorf("tag32=%v: a replayed SRTCP packet was accepted", tag32)
		}
		if err := b.unprotectRTCP(rr, keep(&got)); err == nil {
			t.Errorf("tag32=%v: plain RTCP accepted by an SRTP session", tag32)
		}
	}
	if _, err := newSRTPContexts(SRTPConfig{LocalKey: make([]byte, 16), RemoteKey: make([]byte, 30)}); err == nil {
		t.Error("short key accepted")
	}
}

// BenchmarkSRTPProtectUnprotect: one 20 ms G.711 packet protected and unprotected.
func BenchmarkSRTPProtectUnprotect(b *testing.B) {
	tx, rx := srtpPair(b, false)
	var seq uint16
	plain := srtpRTPBytes(b, 0, make([]byte, 160))
	var wire []byte
	keepWire := keep(&wire)
	drop := func([]byte) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		seq++
		plain[2], plain[3] = byte(seq>>8), byte(seq)
		if err := tx.protectRTP(plain, keepWire); err != nil {
			b.Fatal(err)
		}
		if err := rx.unprotectRTP(wire, drop); err != nil {
			b.Fatal(err)
		}
	}
}

// srtpKeys are the two directions of an SDES-keyed call: the gateway's session sends
// with gw and receives with room's key.
var (
	gwKey   = bytes.Repeat([]byte{0x51}, 30)
	roomKey = bytes.Repeat([]byte{0x52}, 30)
)

// TestSessionSRTP: a keyed session sends only SRTP/SRTCP, takes the room's SRTP, and
// drops (and counts) plain RTP, SRTP under another key and replays, whatever the
// source: an outside sender can neither inject, nor end the call with a BYE, nor move it.
func TestSessionSRTP(t *testing.T) {
	var byes int
	h := newHarness(t, func(c *Config) {
		c.SRTP = &SRTPConfig{LocalKey: gwKey, RemoteKey: roomKey}
		c.Latch = LatchAny
		c.OnBYE = func([]uint32, string) { byes++ }
	})
	room, err := newSRTPContexts(SRTPConfig{LocalKey: roomKey, RemoteKey: gwKey})
	if err != nil {
		t.Fatal(err)
	}
	attacker, _ := newSRTPContexts(SRTPConfig{LocalKey: bytes.Repeat([]byte{9}, 30), RemoteKey: gwKey})
	a := newAddrs(h)
	now := h.clock.Now()
	protect := func(c *srtpContexts, b []byte) []byte {
		var out []byte
		if err := c.protectRTP(b, keep(&out)); err != nil {
			t.Fatal(err)
		}
		return out
	}

	plain := rtpBytes(roomSSRC, 1, 0)
	wire := protect(room, plain)
	if p := h.s.datagram(wire, a.room, now); p == nil || p.SSRC != roomSSRC || p.SequenceNumber != 1 {
		t.Fatalf("the room's SRTP was not taken: %+v", p)
	}
	if p := h.s.datagram(wire, a.room, now); p != nil {
		t.Error("a replayed SRTP packet was taken")
	}
	if p := h.s.datagram(rtpBytes(roomSSRC, 2, 0), a.room, now); p != nil {
		t.Error("plain RTP taken by an SRTP session (from the room's own address)")
	}
	// The attacker knows the SSRC and the next sequence numbers, not the key: however
	// many in-sequence packets, nothing is taken and the latch does not move.
	for seq := uint16(2); seq < 20; seq++ {
		if p := h.s.datagram(protect(attacker, rtpBytes(roomSSRC, seq, 0)), a.attacker, now); p != nil {
			t.Fatalf("forged SRTP (seq %d) taken", seq)
		}
	}
	if got := h.s.Remote(); got != a.room {
		t.Errorf("remote moved to %v by forged SRTP", got)
	}
	bye, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: roomSSRC}, &rtcp.Goodbye{Sources: []uint32{roomSSRC}}})
	h.s.handleProtectedRTCP(bye, addr(h.p.rtcp)) // plain RTCP BYE with the right SSRC, from the room's address
	var forged []byte
	_ = attacker.protectRTCP(bye, keep(&forged))
	h.s.handleProtectedRTCP(forged, addr(h.p.rtcp))
	if byes != 0 {
		t.Fatalf("an unauthenticated BYE ended the call")
	}
	if c := h.s.Counters(); c.SRTPFailures < 21 {
		t.Errorf("SRTP failures counted %d, want at least 21 (replay, plain, 18 forged, 2 RTCP)", c.SRTPFailures)
	}
	var good []byte
	_ = room.protectRTCP(bye, keep(&good))
	h.s.handleProtectedRTCP(good, addr(h.p.rtcp))
	if byes != 1 {
		t.Errorf("the room's own SRTCP BYE: %d BYEs seen, want 1", byes)
	}

	// What we send is SRTP the room decrypts, and no cleartext payload leaves.
	out := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7, Timestamp: 1120}, Payload: []byte("meeting audio in the clear?")}
	if err := h.s.WriteRTP(out); err != nil {
		t.Fatal(err)
	}
	got := readPacket(t, h.p.rtp)
	if bytes.Contains(got, []byte("meeting audio")) {
		t.Fatal("RTP payload sent in the clear")
	}
	var dec []byte
	if err := room.unprotectRTP(got, keep(&dec)); err != nil {
		t.Fatalf("the room cannot decrypt what we sent: %v", err)
	}
	if !bytes.HasSuffix(dec, []byte("meeting audio in the clear?")) {
		t.Errorf("decrypted payload %q", dec)
	}
	if err := h.s.SendReport(); err != nil {
		t.Fatal(err)
	}
	rep := readPacket(t, h.p.rtcp)
	if err := room.unprotectRTCP(rep, keep(&dec)); err != nil {
		t.Errorf("our report is not SRTCP under our key: %v", err)
	}
}

// BenchmarkDatagramSRTP: the receive path of a keyed session (authenticate and decrypt,
// then the source rules), beside BenchmarkDatagram's plain one.
func BenchmarkDatagramSRTP(b *testing.B) {
	h := newHarnessTB(b, func(c *Config) { c.SRTP = &SRTPConfig{LocalKey: gwKey, RemoteKey: roomKey} })
	room, _ := newSRTPContexts(SRTPConfig{LocalKey: roomKey, RemoteKey: gwKey})
	a := newAddrs(h)
	now := h.clock.Now()
	pkt := rtpBytes(roomSSRC, 1, 0)
	pkt = append(pkt, make([]byte, 160)...)
	wires := make([][]byte, 4096)
	for i := range wires {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i+1))
		_ = room.protectRTP(pkt, func(w []byte) error { wires[i] = append([]byte(nil), w...); return nil })
	}
	b.ReportAllocs()
	i, round := 0, 0
	for b.Loop() {
		if i == len(wires) { // new sequence numbers past the replay window
			b.StopTimer()
			round++
			base := uint16(round*len(wires) + 1)
			for j := range wires {
				binary.BigEndian.PutUint16(pkt[2:], base+uint16(j))
				_ = room.protectRTP(pkt, func(w []byte) error { wires[j] = append(wires[j][:0], w...); return nil })
			}
			i = 0
			b.StartTimer()
		}
		if h.s.datagram(wires[i], a.room, now) == nil {
			b.Fatal("dropped")
		}
		i++
	}
}
