package jitter

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const frame = 20 * time.Millisecond

func pkt(ssrc uint32, seq uint16, ts uint32) Packet {
	return Packet{SSRC: ssrc, Seq: seq, Timestamp: ts, Payload: []byte{byte(seq >> 8), byte(seq)}}
}

// seqOf recovers the sequence number the test put into the payload.
func seqOf(f Frame) uint16 { return uint16(f.Packet.Payload[0])<<8 | uint16(f.Packet.Payload[1]) }

// drain pops every 20 ms starting at start until n frames came out.
func drain(t *testing.T, b *Buffer, start time.Time, n int) []Frame {
	t.Helper()
	var out []Frame
	now := start
	for i := 0; len(out) < n && i < 10*n+100; i++ {
		if f, ok := b.Pop(now); ok {
			out = append(out, f)
		}
		now = now.Add(frame)
	}
	return out
}

func describe(fs []Frame) []int {
	var r []int
	for _, f := range fs {
		if f.Lost {
			r = append(r, -1)
		} else {
			r = append(r, int(seqOf(f)))
		}
	}
	return r
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPlayout(t *testing.T) {
	tests := []struct {
		name string
		seqs []uint16 // arrival order, all at t0 + i ms
		want []int    // played seqs, -1 for a concealed slot
	}{
		{"in order", []uint16{10, 11, 12, 13}, []int{10, 11, 12, 13}},
		{"reordered", []uint16{10, 12, 11, 13}, []int{10, 11, 12, 13}},
		{"lost packet is concealed", []uint16{10, 11, 13, 14}, []int{10, 11, -1, 13, 14}},
		{"two lost", []uint16{10, 13, 14}, []int{10, -1, -1, 13, 14}},
		{"seq wrap", []uint16{65534, 65535, 0, 1}, []int{65534, 65535, 0, 1}},
		{"reorder across wrap", []uint16{65534, 0, 65535, 1}, []int{65534, 65535, 0, 1}},
		{"first packet arrives after its successor", []uint16{11, 10, 12}, []int{10, 11, 12}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Config{ClockRate: 8000})
			for i, s := range tc.seqs {
				ts := uint32(uint16(s+10)) * 160 // continuous across the wrap
				if err := b.Push(pkt(1, s, ts), t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
					t.Fatalf("push %d: %v", s, err)
				}
			}
			got := describe(drain(t, b, t0, len(tc.want)))
			if !equalInts(got, tc.want) {
				t.Errorf("played %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWaitsForTargetDelay(t *testing.T) {
	b := New(Config{ClockRate: 8000, InitialDelay: 60 * time.Millisecond})
	_ = b.Push(pkt(1, 1, 160), t0)
	if _, ok := b.Pop(t0.Add(59 * time.Millisecond)); ok {
		t.Fatal("played before the target delay")
	}
	f, ok := b.Pop(t0.Add(60 * time.Millisecond))
	if !ok || f.Lost || seqOf(f) != 1 {
		t.Fatalf("got %+v ok=%v", f, ok)
	}
	if !f.Reset {
		t.Error("first frame of a stream should carry Reset")
	}
}

func TestDuplicateAndLate(t *testing.T) {
	b := New(Config{ClockRate: 8000})
	for _, s := range []uint16{1, 2, 4} {
		_ = b.Push(pkt(1, s, uint32(s)*160), t0)
	}
	if err := b.Push(pkt(1, 2, 320), t0); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: err = %v", err)
	}
	got := describe(drain(t, b, t0.Add(time.Second), 3))
	if !equalInts(got, []int{1, 2, -1}) {
		t.Fatalf("played %v", got)
	}
	before := b.TargetDelay()
	if err := b.Push(pkt(1, 3, 480), t0.Add(time.Second)); !errors.Is(err, ErrLate) {
		t.Errorf("late: err = %v", err)
	}
	if b.TargetDelay() <= before {
		t.Errorf("target delay did not grow after a late packet: %v -> %v", before, b.TargetDelay())
	}
	st := b.Stats()
	if st.Duplicates != 1 || st.Late != 1 || st.Lost != 1 || st.Played != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestLostFrameOffersNextForFEC(t *testing.T) {
	b := New(Config{ClockRate: 48000})
	_ = b.Push(pkt(1, 1, 960), t0)
	_ = b.Push(pkt(1, 3, 2880), t0)
	fs := drain(t, b, t0.Add(time.Second), 2)
	if !fs[1].Lost || fs[1].Next == nil || fs[1].Next[1] != 3 {
		t.Errorf("lost frame 2 should offer packet 3's payload, got %+v", fs[1])
	}
}

func TestResync(t *testing.T) {
	tests := []struct {
		name  string
		first Packet
		then  Packet
	}{
		{"ssrc change", pkt(1, 100, 16000), pkt(2, 5000, 999)},
		{"sequence jump", pkt(1, 100, 16000), pkt(1, 100+4000, 16160)},
		{"timestamp jump", pkt(1, 100, 16000), pkt(1, 101, 16000+8000*30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Config{ClockRate: 8000})
			_ = b.Push(tc.first, t0)
			fs := drain(t, b, t0.Add(time.Second), 1)
			if len(fs) != 1 || !fs[0].Reset {
				t.Fatalf("first stream: %+v", fs)
			}
			if err := b.Push(tc.then, t0.Add(2*time.Second)); err != nil {
				t.Fatalf("push after jump: %v", err)
			}
			fs = drain(t, b, t0.Add(3*time.Second), 1)
			if len(fs) != 1 || fs[0].Lost || fs[0].Packet.Seq != tc.then.Seq || !fs[0].Reset {
				t.Errorf("after resync got %+v", fs)
			}
			if b.Stats().Resyncs != 1 {
				t.Errorf("resyncs = %d", b.Stats().Resyncs)
			}
		})
	}
}

func TestSilenceSuppressionIsNotAJump(t *testing.T) {
	// RFC 3551 §4.1: during silence the timestamp advances, the sequence
	// number does not. 2 s of silence must not resynchronize.
	b := New(Config{ClockRate: 8000})
	_ = b.Push(pkt(1, 1, 160), t0)
	_ = b.Push(pkt(1, 2, 320+16000), t0.Add(2*time.Second))
	if b.Stats().Resyncs != 0 {
		t.Errorf("resynced on a talk spurt")
	}
}

func TestUnderrunRebuffers(t *testing.T) {
	b := New(Config{ClockRate: 8000, InitialDelay: 40 * time.Millisecond})
	_ = b.Push(pkt(1, 1, 160), t0)
	if _, ok := b.Pop(t0.Add(40 * time.Millisecond)); !ok {
		t.Fatal("no frame")
	}
	if _, ok := b.Pop(t0.Add(60 * time.Millisecond)); ok {
		t.Fatal("frame from an empty buffer")
	}
	if b.Stats().Underruns != 1 {
		t.Errorf("underruns = %d", b.Stats().Underruns)
	}
	// The delayed packet 2 arrives and is not treated as late.
	if err := b.Push(pkt(1, 2, 320), t0.Add(70*time.Millisecond)); err != nil {
		t.Fatalf("push: %v", err)
	}
	fs := drain(t, b, t0.Add(200*time.Millisecond), 1)
	if len(fs) != 1 || fs[0].Lost || fs[0].Packet.Seq != 2 {
		t.Errorf("got %+v", fs)
	}
}

func TestOverflow(t *testing.T) {
	b := New(Config{ClockRate: 8000, MaxPackets: 8})
	for s := uint16(0); s < 20; s++ {
		_ = b.Push(pkt(1, s, uint32(s)*160), t0)
	}
	if b.Len() != 8 || b.Stats().Overflow != 12 {
		t.Errorf("len %d overflow %d", b.Len(), b.Stats().Overflow)
	}
}

// simulate sends packets every 20 ms with a random network delay in
// [0, spread) and pops every 20 ms; it returns the buffer after n packets.
func simulate(spread time.Duration, n int, seed uint64) *Buffer {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := New(Config{ClockRate: 8000})
	type arrival struct {
		at time.Time
		p  Packet
	}
	var q []arrival
	for i := 0; i < n; i++ {
		d := time.Duration(rng.Int64N(int64(spread) + 1))
		q = append(q, arrival{t0.Add(time.Duration(i)*frame + d), pkt(7, uint16(i), uint32(i*160))})
	}
	now := t0
	for len(q) > 0 || b.Len() > 0 {
		// deliver everything due by now, in arrival order
		rest := q[:0]
		var due []arrival
		for _, a := range q {
			if !a.at.After(now) {
				due = append(due, a)
			} else {
				rest = append(rest, a)
			}
		}
		q = rest
		for i := 1; i < len(due); i++ { // insertion sort by time
			for j := i; j > 0 && due[j].at.Before(due[j-1].at); j-- {
				due[j], due[j-1] = due[j-1], due[j]
			}
		}
		for _, a := range due {
			_ = b.Push(a.p, a.at)
		}
		b.Pop(now)
		now = now.Add(frame)
	}
	return b
}

func TestAdaptiveDelay(t *testing.T) {
	tests := []struct {
		name           string
		spread         time.Duration
		minT, maxT     time.Duration
		maxLossPercent float64
	}{
		{"calm network shrinks to the minimum", 2 * time.Millisecond, 40 * time.Millisecond, 40 * time.Millisecond, 0.5},
		{"60 ms jitter raises the delay", 60 * time.Millisecond, 60 * time.Millisecond, 200 * time.Millisecond, 3},
		{"huge jitter is capped at MaxDelay", 600 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := simulate(tc.spread, 3000, 42)
			st := b.Stats()
			loss := 100 * float64(st.Lost+st.Late) / 3000
			t.Logf("target %v jitter %v stats %+v (loss+late %.2f%%)", b.TargetDelay(), b.Jitter(), st, loss)
			if d := b.TargetDelay(); d < tc.minT || d > tc.maxT {
				t.Errorf("target %v not in [%v, %v]", d, tc.minT, tc.maxT)
			}
			if loss > tc.maxLossPercent {
				t.Errorf("loss+late %.2f%% > %.2f%%", loss, tc.maxLossPercent)
			}
		})
	}
}

func BenchmarkPushPop(b *testing.B) {
	buf := New(Config{ClockRate: 48000})
	p := Packet{SSRC: 1, Payload: make([]byte, 80)}
	now := t0
	for i := 0; i < 5; i++ {
		p.Seq, p.Timestamp = uint16(i), uint32(i*960)
		_ = buf.Push(p, now)
	}
	i := 5
	b.ReportAllocs()
	for b.Loop() {
		p.Seq, p.Timestamp = uint16(i), uint32(i*960)
		_ = buf.Push(p, now)
		buf.Pop(now)
		now = now.Add(frame)
		i++
	}
}
