package audio

import (
	"math"
)

// tone returns n samples of a sine of freq Hz at rate with the given peak.
func tone(freq float64, rate, n int, peak float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(peak * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// speechLike synthesizes a voiced, speech-like signal: a glottal pulse train
// with a gliding pitch, shaped by three formant resonators (vowel-like) and a
// syllable-rate amplitude envelope.
func speechLike(rate, n int) []int16 {
	type res struct{ a1, a2, y1, y2 float64 }
	mk := func(f, bw float64) res {
		r := math.Exp(-math.Pi * bw / float64(rate))
		return res{a1: 2 * r * math.Cos(2*math.Pi*f/float64(rate)), a2: -r * r}
	}
	formants := []res{mk(700, 110), mk(1220, 120), mk(2600, 160)}
	out := make([]int16, n)
	phase := 0.0
	maxAbs := 0.0
	tmp := make([]float64, n)
	for i := range tmp {
		t := float64(i) / float64(rate)
		f0 := 120 + 30*math.Sin(2*math.Pi*1.3*t)
		phase += f0 / float64(rate)
		x := 0.0
		if phase >= 1 {
			phase--
			x = 1
		}
		for k := range formants {
			f := &formants[k]
			y := x + f.a1*f.y1 + f.a2*f.y2
			f.y2, f.y1 = f.y1, y
			x = y
		}
		env := 0.55 + 0.45*math.Sin(2*math.Pi*4*t)
		tmp[i] = x * env
		maxAbs = max(maxAbs, math.Abs(tmp[i]))
	}
	for i, v := range tmp {
		out[i] = int16(v / maxAbs * 16000)
	}
	return out
}

// alignedSNR finds the lag (0..maxLag) at which got best matches ref and
// returns the SNR in dB over ref[skip:], and the lag.
func alignedSNR(ref, got []int16, skip, maxLag int) (snr float64, lag int) {
	best := math.Inf(-1)
	n := min(len(ref), len(got)) - maxLag
	for l := 0; l <= maxLag; l++ {
		var c float64
		for i := skip; i < n; i++ {
			c += float64(ref[i]) * float64(got[i+l])
		}
		if c > best {
			best, lag = c, l
		}
	}
	var sig, noise float64
	for i := skip; i < n; i++ {
		r := float64(ref[i])
		d := r - float64(got[i+lag])
		sig += r * r
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1), lag
	}
	return 10 * math.Log10(sig/noise), lag
}
