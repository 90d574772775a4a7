package audio

import (
	"math"
	"slices"
)

// GoertzelPower is the power of samples s (at rate Hz) at frequency hz
// (the Goertzel algorithm: one DFT bin, at any frequency).
func GoertzelPower(s []float64, rate int, hz float64) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := x + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// ToneReport is what DominantTone found.
type ToneReport struct {
	Hz          float64 `json:"hz"`           // median of the loud windows' peak frequencies
	LoudWindows int     `json:"loud_windows"` // 50 ms windows above the energy floor
	Windows     int     `json:"windows"`
	PeakShare   float64 `json:"peak_share"` // share of the loud windows whose peak is within 5 % of Hz
}

// DominantTone scans 50 ms windows of samples (at rate Hz) and keeps the loud ones:
// RMS above -40 dBFS and within 10 dB of the loudest window (so the fade-outs of a
// beeping source do not count). It finds each one's peak frequency on a 10 Hz grid
// (100–3500 Hz) with Goertzel, over the 50 ms around it that hold the most energy: a
// beep that straddles two windows is analysed whole, not as two truncated halves
// whose peaks are tens of hertz off. The report carries the median peak and how
// consistent it is.
func DominantTone(samples []int16, rate int) ToneReport {
	win := rate / 20
	r := ToneReport{}
	if win < 2 {
		return r
	}
	type window struct {
		off int
		rms float64
	}
	var all []window
	maxRMS := 0.0
	for off := 0; off+win <= len(samples); off += win {
		r.Windows++
		var e float64
		for _, v := range samples[off : off+win] {
			e += float64(v) * float64(v)
		}
		rms := math.Sqrt(e/float64(win)) / 32768
		all = append(all, window{off, rms})
		maxRMS = max(maxRMS, rms)
	}
	var peaks []float64
	x := make([]float64, win)
	for _, w := range all {
		if w.rms < 0.01 || w.rms < maxRMS/math.Sqrt(10) {
			continue
		}
		at := loudestSpan(samples, w.off, win)
		for i := range x {
			// Hann window against leakage.
			x[i] = float64(samples[at+i]) / 32768 * (0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(win-1)))
		}
		best, bestP := 0.0, 0.0
		for hz := 100.0; hz <= 3500 && hz < float64(rate)/2; hz += 10 {
			if p := GoertzelPower(x, rate, hz); p > bestP {
				best, bestP = hz, p
			}
		}
		peaks = append(peaks, best)
	}
	r.LoudWindows = len(peaks)
	if len(peaks) == 0 {
		return r
	}
	slices.Sort(peaks)
	r.Hz = peaks[len(peaks)/2]
	near := 0
	for _, p := range peaks {
		if math.Abs(p-r.Hz) <= 0.05*r.Hz+10 {
			near++
		}
	}
	r.PeakShare = float64(near) / float64(len(peaks))
	return r
}

// loudestSpan is the start of the win samples with the most energy among those that
// start within half a window of off, in tenths of a window.
func loudestSpan(samples []int16, off, win int) int {
	best, bestE := off, -1.0
	for at := off - win/2; at <= off+win/2; at += max(1, win/10) {
		if at < 0 || at+win > len(samples) {
			continue
		}
		var e float64
		for _, v := range samples[at : at+win] {
			e += float64(v) * float64(v)
		}
		if e > bestE {
			best, bestE = at, e
		}
	}
	return best
}
