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
	hist            []float32 // input history; hist[len-1] is the newest sample
	pos             int       // next output position in upsampled units, relative to hist[0]
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
	r.hist = append(r.hist[:0], make([]float32, r.taps-1)...)
	r.pos = (r.taps - 1) * r.l
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
}

// Process resamples in and appends the output to dst[:0]. For rates that
// divide evenly (8k↔48k, 16k↔48k, 8k↔16k) a 20 ms frame in gives a 20 ms
// frame out.
func (r *Resampler) Process(in, dst []int16) []int16 {
	dst = dst[:0]
	if r.coef == nil {
		return append(dst, in...)
	}
	for _, s := range in {
		r.hist = append(r.hist, float32(s))
	}
	for {
		n := r.pos / r.l // newest input sample this output needs
		if n >= len(r.hist) {
			break
		}
		p := r.pos % r.l
		c := r.coef[p*r.taps : (p+1)*r.taps]
		x := r.hist[n-r.taps+1 : n+1]
		x = x[:len(c)]
		var acc float32
		for k, cv := range c {
			acc += cv * x[k]
		}
		dst = append(dst, clamp16(acc))
		r.pos += r.m
	}
	// Drop history no future output needs.
	if drop := r.pos/r.l - (r.taps - 1); drop > 0 {
		drop = min(drop, len(r.hist))
		r.hist = r.hist[:copy(r.hist, r.hist[drop:])]
		r.pos -= drop * r.l
	}
	return dst
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
