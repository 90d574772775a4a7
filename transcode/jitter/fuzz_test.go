package jitter

import (
	"testing"
	"time"
)

// FuzzBuffer drives the buffer with arbitrary pushes and pops: it must not
// panic, must respect its capacity, and within one stream (between Reset
// frames) must never play a sequence number that is not after the last one.
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 2, 0, 1, 0, 3, 255, 255, 9, 0, 1})
	f.Add([]byte{0, 0x10, 0, 0, 0, 0x12, 0, 1, 1, 0, 0x11, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		b := New(Config{ClockRate: 8000, MaxPackets: 16})
		now := t0
		seq := uint16(0)
		var last uint16
		haveLast := false
		for len(ops) >= 4 {
			op, a, c, d := ops[0], ops[1], ops[2], ops[3]
			ops = ops[4:]
			switch op % 3 {
			case 0: // push a packet near the current sequence number
				s := seq + uint16(int8(a))
				ssrc := uint32(1)
				if c == 0xFF {
					ssrc = 2
				}
				_ = b.Push(Packet{SSRC: ssrc, Seq: s, Timestamp: uint32(s)*160 + uint32(d)*8000, Payload: []byte{a}}, now)
				seq++
			case 1: // pop
				fr, ok := b.Pop(now)
				if ok && fr.Reset {
					haveLast = false
				}
				if ok && !fr.Lost {
					if haveLast && int16(fr.Packet.Seq-last) <= 0 {
						t.Fatalf("played %d after %d", fr.Packet.Seq, last)
					}
					last, haveLast = fr.Packet.Seq, true
				}
				now = now.Add(20 * time.Millisecond)
			case 2: // time passes
				now = now.Add(time.Duration(a) * time.Millisecond)
			}
			if b.Len() > 16 {
				t.Fatalf("len %d over capacity", b.Len())
			}
		}
	})
}
