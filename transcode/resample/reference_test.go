package resample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// reference resamples the whole of in the straightforward way, as Process
// did before it was optimised: history of taps-1 zeros, then one sequential
// float32 dot product per output over the full (untrimmed) phase.
func reference(r *Resampler, in []int16) []int16 {
	if r.coef == nil {
		return slices.Clone(in)
	}
	taps, l, m := r.taps, r.l, r.m
	x := make([]float32, taps-1, taps-1+len(in))
	for _, s := range in {
		x = append(x, float32(s))
	}
	var out []int16
	for pos := (taps - 1) * l; pos/l < len(x); pos += m {
		n, p := pos/l, pos%l
		c := r.coef[p*taps : (p+1)*taps]
		w := x[n-taps+1 : n+1]
		var acc float32
		for k := range c {
			acc += c[k] * w[k]
		}
		out = append(out, clamp16(acc))
	}
	return out
}

// runSplits feeds in through r in chunks whose sizes cycle through sizes.
func runSplits(r *Resampler, in []int16, sizes []int) []int16 {
	var out, buf []int16
	for off, i := 0, 0; off < len(in); i++ {
		end := min(off+sizes[i%len(sizes)], len(in))
		buf = r.Process(in[off:end], buf)
		out = append(out, buf...)
		off = end
	}
	return out
}

// testSignal is silence, a tone, noise (with full-scale spikes), then
// silence again, with the transitions falling mid-frame.
func testSignal(rate int, rng *rand.Rand) []int16 {
	var s []int16
	s = append(s, make([]int16, rate/7)...)
	s = append(s, tone(1234.5, rate, rate/5, 20000)...)
	for range rate / 5 {
		v := int16(rng.IntN(1 << 16))
		if rng.IntN(50) != 0 {
			v /= 2
		}
		s = append(s, v)
	}
	s = append(s, make([]int16, rate/3+13)...)
	s = append(s, tone(300, rate, rate/11, 32767)...)
	s = append(s, make([]int16, rate/4)...)
	return s
}

var splitPatterns = [][]int{
	{37},
	{1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 997},
	{161, 959, 321},
	{4096},
}

var allRates = [][2]int{
	{8000, 48000}, {48000, 8000}, {16000, 48000}, {48000, 16000},
	{8000, 16000}, {16000, 8000}, {22050, 16000}, {44100, 48000}, {48000, 48000},
}

func TestMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rates := range allRates {
		in := testSignal(rates[0], rng)
		r, err := New(rates[0], rates[1])
		if err != nil {
			t.Fatal(err)
		}
		want := reference(r, in)
		for _, sizes := range splitPatterns {
			r.Reset()
			got := runSplits(r, in, sizes)
			if len(got) != len(want) {
				t.Fatalf("%d->%d splits %v: %d samples, want %d", rates[0], rates[1], sizes, len(got), len(want))
			}
			diffs := 0
			for i := range got {
				d := int(got[i]) - int(want[i])
				if d < -1 || d > 1 {
					t.Fatalf("%d->%d splits %v: sample %d = %d, reference %d", rates[0], rates[1], sizes, i, got[i], want[i])
				}
				if d != 0 {
					diffs++
				}
			}
			if sizes[0] == 37 {
				t.Logf("%d->%d: %d of %d samples differ by 1 LSB", rates[0], rates[1], diffs, len(got))
			}
		}
	}
}

func TestSilenceShortcutExact(t *testing.T) {
	// Skipping outputs whose window is all zeros must not change a single
	// sample: compare with the shortcut disabled.
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rates := range allRates {
		in := testSignal(rates[0], rng)
		// Single non-zero samples inside silence: the window edges matter.
		in = append(in, make([]int16, 500)...)
		in = append(in, 1)
		in = append(in, make([]int16, 700)...)
		in = append(in, -1)
		in = append(in, make([]int16, 3000)...)
		for _, sizes := range append(splitPatterns, []int{rates[0] / 50}) {
			fast, _ := New(rates[0], rates[1])
			slow, _ := New(rates[0], rates[1])
			slow.noSkip = true
			got := runSplits(fast, in, sizes)
			want := runSplits(slow, in, sizes)
			if !slices.Equal(got, want) {
				t.Errorf("%d->%d splits %v: output with silence shortcut differs", rates[0], rates[1], sizes)
			}
		}
	}
}

func TestSilenceAfterSignalIsZero(t *testing.T) {
	// Once the history has flushed, silent frames give exact zeros, and the
	// shortcut keeps the stream position: a tone after the silence comes out
	// exactly as without the shortcut.
	for _, rates := range allRates[:4] {
		fast, _ := New(rates[0], rates[1])
		slow, _ := New(rates[0], rates[1])
		slow.noSkip = true
		frame := rates[0] / 50
		var bf, bs []int16
		feed := func(in []int16) {
			bf = fast.Process(in, bf)
			bs = slow.Process(in, bs)
			if !slices.Equal(bf, bs) {
				t.Fatalf("%d->%d: frames differ", rates[0], rates[1])
			}
		}
		feed(tone(440, rates[0], frame, 10000))
		for range 10 {
			feed(make([]int16, frame))
		}
		if slices.ContainsFunc(bf, func(v int16) bool { return v != 0 }) {
			t.Errorf("%d->%d: silent frame after flush not zero", rates[0], rates[1])
		}
		if fast.zeros < len(fast.hist) {
			t.Errorf("%d->%d: zeros %d < history %d after silence", rates[0], rates[1], fast.zeros, len(fast.hist))
		}
		feed(tone(440, rates[0], frame, 10000))
		feed(make([]int16, frame))
	}
}

func TestDotMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 70; n++ {
		c := make([]float32, n)
		x := make([]float32, n)
		var want float64
		for i := range c {
			c[i] = rng.Float32()*2 - 1
			x[i] = float32(rng.IntN(65536) - 32768)
			want += float64(c[i]) * float64(x[i])
		}
		if got := dot(c, x); math.Abs(float64(got)-want) > 1e-5*float64(n)*32768 {
			t.Errorf("n=%d: dot %v, want %v", n, got, want)
		}
	}
}
