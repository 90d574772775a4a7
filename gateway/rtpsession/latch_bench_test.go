package rtpsession

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// datagramNoChecks is datagram for plain RTP without the source rules: the per-packet
// path as it would be with no latching checks at all (the benchmark's baseline).
func (s *Session) datagramNoChecks(b []byte, now time.Time) *rtp.Packet {
	if _, _, ok := rtpHeader(b); !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.pkt.Unmarshal(b); err != nil {
		return nil
	}
	s.receivedLocked(&s.pkt, now)
	return &s.pkt
}

// BenchmarkLatchModes: one accepted RTP packet through the per-packet path, without
// source checks (baseline) and under each latch mode of the NAT/ALG profiles — from
// the signalled address, and (signalled_ip, any) from a source learnt by latching.
// Latching adds a comparison or two per packet and no allocation.
func BenchmarkLatchModes(b *testing.B) {
	type src int
	const (
		signalled src = iota
		learnt        // the signalled IP with another port (a port-rewriting NAT)
	)
	for _, bc := range []struct {
		name  string
		mode  LatchMode
		from  src
		check bool
	}{
		{"no-checks", LatchOff, signalled, false},
		{"off", LatchOff, signalled, true},
		{"signalled", LatchSignalled, signalled, true},
		{"signalled_ip", LatchSignalledIP, signalled, true},
		{"signalled_ip/learnt", LatchSignalledIP, learnt, true},
		{"any", LatchAny, signalled, true},
		{"any/learnt", LatchAny, learnt, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarnessTB(b, func(c *Config) { c.Latch = bc.mode })
			a := newAddrs(h)
			from := a.room
			now := h.clock.Now()
			seq := uint16(1)
			if bc.from == learnt {
				from = a.nat
				for range DefaultProbation { // latch onto it first
					h.s.datagram(rtpBytes(roomSSRC, seq, 0), from, now)
					seq++
				}
				if h.s.Source() != from {
					b.Fatalf("source %v not learnt", from)
				}
			}
			pkt := rtpBytes(roomSSRC, seq, 0)
			b.ReportAllocs()
			for b.Loop() {
				seq++
				binary.BigEndian.PutUint16(pkt[2:], seq)
				var p *rtp.Packet
				if bc.check {
					p = h.s.datagram(pkt, from, now)
				} else {
					p = h.s.datagramNoChecks(pkt, now)
				}
				if p == nil {
					b.Fatal("dropped")
				}
			}
		})
	}
}
