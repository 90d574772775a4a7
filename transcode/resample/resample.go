// Package resample converts 16-bit PCM between sample rates with a polyphase
// windowed-sinc FIR (Kaiser window): the signal is conceptually upsampled by
// L, low-pass filtered below the lower of the two Nyquist frequencies, and
// decimated by M, computing only the output samples that are kept.
//
// A Resampler keeps the filter history between calls, so audio cut into
// 20 ms frames is resampled exactly as if it were one continuous block: no
// clicks at frame edges. It is a plain struct, not safe for concurrent use.
package resample

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

var errRate = errors.New("resample: invalid rate")

// Quality settings. The filter has tapsPerLowRate·max(L,M) taps, which gives
// a transition band from passEdge to 1.0 of the lower Nyquist frequency with
// about stopbandDB of attenuation.
const (
	tapsPerLowRate = 64
	passEdge       = 0.85 // 3.4 kHz for 8 kHz, 6.8 kHz for 16 kHz
	stopbandDB     = 80.0
	maxFactor      = 1024 // bound on L and M so coefficients stay small
)

// Resampler converts a mono (or per-channel) stream from one rate to another.
type Resampler struct {
	inRate, outRate int
	l, m            int       // reduced up/down factors
	taps            int       // taps per phase
	delay           int       // group delay in output samples
	coef            []float32 // phase-major: coef[p*taps+taps-1-k] multiplies x[n-k]
	phases          []phase   // per phase: coef with leading zero taps trimmed
	hist            []float32 // input history; hist[len-1] is the newest sample
	pos             int       // next output position in upsampled units, relative to hist[0]
	zeros           int       // trailing zero samples in hist (may exceed len(hist))

	// noSkip disables the silence shortcut (tests compare both paths).
	noSkip bool
}

// histSlack is the history capacity reserved beyond the filter length: a
// 20 ms frame at 48 kHz plus headroom, so Process does not grow hist.
const histSlack = 1024

// phase is one polyphase branch: c multiplies hist[n-taps+1+lo : n+1]. The
// exactly-zero oldest taps (padding up to taps per phase) are left out.
type phase struct {
	c  []float32
	lo int
}

// New returns a Resampler from inRate to outRate Hz.
func New(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 {
		return nil, fmt.Errorf("%w: %d -> %d", errRate, inRate, outRate)
	}
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	if l > maxFactor || m > maxFactor {
		return nil, fmt.Errorf("%w: ratio %d/%d too complex", errRate, l, m)
	}
	r := &Resampler{inRate: inRate, outRate: outRate, l: l, m: m}
	if l == 1 && m == 1 {
		return r, nil
	}
	r.design()
	r.Reset()
	return r, nil
}

// InRate is the input sample rate.
func (r *Resampler) InRate() int { return r.inRate }

// OutRate is the output sample rate.
func (r *Resampler) OutRate() int { return r.outRate }

// Delay is the filter's group delay in output samples.
func (r *Resampler) Delay() int {
	if r.coef == nil {
		return 0
	}
	return r.delay
}

// Reset clears the history, as for a new stream.
func (r *Resampler) Reset() {
	if r.coef == nil {
		return
	}
	if n := r.taps - 1; cap(r.hist) < n+histSlack {
		r.hist = make([]float32, n, n+histSlack)
	} else {
		r.hist = r.hist[:n]
		clear(r.hist)
	}
	r.pos = (r.taps - 1) * r.l
	r.zeros = len(r.hist)
}

// design computes the polyphase filter bank.
func (r *Resampler) design() {
	f := max(r.l, r.m)
	// Symmetric filter of 2D+1 taps, delay D upsampled samples. D is made a
	// multiple of L·M when possible so the delay is a whole number of both
	// input and output samples: a tone survives a round trip sample-exact.
	d := tapsPerLowRate * f / 2
	if unit := r.l * r.m; unit <= d {
		d -= d % unit
	}
	r.delay = d / r.m
	n := 2*d + 1
	r.taps = (n + r.l - 1) / r.l
	// Cut-off midway through the transition band, in cycles per upsampled
	// sample; the gain of L restores the amplitude lost by zero-stuffing.
	fc := (passEdge + 1) / 2 * 0.5 / float64(f)
	beta := kaiserBeta(stopbandDB)
	i0b := besselI0(beta)
	center := float64(d)
	r.coef = make([]float32, r.taps*r.l) // taps past n stay zero
	for i := 0; i < n; i++ {
		t := float64(i) - center
		h := 2 * fc * sinc(2*fc*t)
		w := besselI0(beta*math.Sqrt(1-sq(t/center))) / i0b
		v := h * w * float64(r.l)
		// Tap i belongs to phase i%L at delay i/L; stored oldest-first so
		// the inner loop walks coefficients and history in step.
		r.coef[(i%r.l)*r.taps+r.taps-1-i/r.l] = float32(v)
	}
	r.phases = make([]phase, r.l)
	for p := range r.phases {
		c := r.coef[p*r.taps : (p+1)*r.taps]
		lo := 0
		for lo < len(c)-1 && c[lo] == 0 {
			lo++
		}
		r.phases[p] = phase{c: c[lo:], lo: lo}
	}
}

// Process resamples in and appends the output to dst[:0]. For rates that
// divide evenly (8k↔48k, 16k↔48k, 8k↔16k) a 20 ms frame in gives a 20 ms
// frame out.
//
// Outputs whose whole filter window lies in silence (digital zeros) are
// exactly zero and are emitted without computing the dot product: a silent
// frame after enough silence costs next to nothing.
func (r *Resampler) Process(in, dst []int16) []int16 {
	dst = dst[:0]
	if r.coef == nil {
		return append(dst, in...)
	}
	taps, l, m := r.taps, r.l, r.m

	// Append the input to the history as float32, converted once.
	old := len(r.hist)
	if cap(r.hist)-old < len(in) {
		r.hist = append(make([]float32, 0, old+len(in)+histSlack), r.hist...)
	}
	hist := r.hist[:old+len(in)]
	r.hist = hist
	h := hist[old:]
	h = h[:len(in)]
	for i, s := range in {
		h[i] = float32(s)
	}

	// Zero runs in hist: hist[:lead] and hist[zstart:] are all zero. An
	// output whose window hist[n-taps+1 : n+1] lies inside either is 0
	// (every product is ±0, and +0 + ±0 is +0, as the full sum would give).
	oldZero := r.zeros >= old
	t := len(in)
	for t > 0 && in[t-1] == 0 {
		t--
	}
	if t == 0 {
		r.zeros = min(r.zeros+len(in), 1<<30)
	} else {
		r.zeros = len(in) - t
	}
	lead, zstart := 0, len(hist)+taps // defaults: no shortcut
	if !r.noSkip {
		if oldZero {
			f := 0
			for f < len(in) && in[f] == 0 {
				f++
			}
			lead = old + f
		}
		zstart = len(hist) - min(r.zeros, len(hist))
	}

	// Outputs due: positions pos + i·m whose newest input sample
	// (pos + i·m)/l is in hist.
	count := 0
	if end := len(hist) * l; r.pos < end {
		count = (end - r.pos + m - 1) / m
	}
	dst = slices.Grow(dst, count)[:count]

	// Leading outputs with n < lead are zero: skip them arithmetically.
	i := 0
	if end := lead * l; r.pos < end {
		i = min((end-r.pos+m-1)/m, count)
	}
	clear(dst[:i])
	// Walk the rest as n (newest input sample) and p (phase), avoiding a
	// division per output.
	pos := r.pos + i*m
	n, p := pos/l, pos%l
	dn, dp := m/l, m%l
	for ; i < count && n-(taps-1) < zstart; i++ {
		ph := &r.phases[p]
		dst[i] = clamp16(dot(ph.c, hist[n-(taps-1)+ph.lo:n+1]))
		n, p = n+dn, p+dp
		if p >= l {
			n, p = n+1, p-l
		}
	}
	clear(dst[i:])
	r.pos += count * m

	// Drop history no future output needs.
	if drop := r.pos/l - (taps - 1); drop > 0 {
		drop = min(drop, len(hist))
		r.hist = hist[:copy(hist, hist[drop:])]
		r.pos -= drop * l
	}
	return dst
}

// dot returns Σ c[k]·x[k] over len(c) terms. Four independent accumulators,
// eight terms per iteration, so the sum is not one chain of dependent adds
// (Go does not vectorise); the rounding differs from a sequential sum only
// in the last float32 bits.
func dot(c, x []float32) float32 {
	n := len(c)
	x = x[:n]
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		cc := c[i : i+8 : i+8]
		xx := x[i : i+8 : i+8]
		a0 += cc[0]*xx[0] + cc[4]*xx[4]
		a1 += cc[1]*xx[1] + cc[5]*xx[5]
		a2 += cc[2]*xx[2] + cc[6]*xx[6]
		a3 += cc[3]*xx[3] + cc[7]*xx[7]
	}
	for ; i < n; i++ {
		a0 += c[i] * x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

func clamp16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v < 0:
		return int16(v - 0.5)
	}
	return int16(v + 0.5)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sq(x float64) float64 { return x * x }

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiserBeta is Kaiser's empirical formula for the window parameter that
// yields a stopband attenuation of a dB.
func kaiserBeta(a float64) float64 {
	switch {
	case a > 50:
		return 0.1102 * (a - 8.7)
	case a >= 21:
		return 0.5842*math.Pow(a-21, 0.4) + 0.07886*(a-21)
	}
	return 0
}

// besselI0 is the zeroth-order modified Bessel function of the first kind,
// summed as a power series until terms vanish.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= sq(x / (2 * float64(k)))
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}
