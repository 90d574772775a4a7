package rtpsession

import (
	"bytes"
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
