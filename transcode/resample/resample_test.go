package resample

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func tone(freq float64, rate, n int, peak float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(peak * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

func rms(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(s)))
}

// runFrames feeds in through r in chunks of frame samples.
func runFrames(r *Resampler, in []int16, frame int) []int16 {
	var out, buf []int16
	for off := 0; off < len(in); off += frame {
		buf = r.Process(in[off:min(off+frame, len(in))], buf)
		out = append(out, buf...)
	}
	return out
}

// snrAt compares got (delayed by lag) with ref over ref[skip:len-skip].
func snrAt(ref, got []int16, lag, skip int) float64 {
	var sig, noise float64
	for i := skip; i+lag < len(got) && i < len(ref)-skip; i++ {
		r := float64(ref[i])
		d := r - float64(got[i+lag])
		sig += r * r
		noise += d * d
	}
	return 10 * math.Log10(sig/noise)
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		in, out int
	}{
		{"zero in", 0, 8000},
		{"negative out", 8000, -1},
		{"prime ratio", 48000, 47993},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.in, tc.out); !errors.Is(err, errRate) {
				t.Errorf("err = %v, want errRate", err)
			}
		})
	}
}

func TestFrameSizes(t *testing.T) {
	tests := []struct {
		name       string
		in, out    int
		inN, wantN int
	}{
		{"8k->48k", 8000, 48000, 160, 960},
		{"48k->8k", 48000, 8000, 960, 160},
		{"16k->48k", 16000, 48000, 320, 960},
		{"48k->16k", 48000, 16000, 960, 320},
		{"8k->16k", 8000, 16000, 160, 320},
		{"16k->8k", 16000, 8000, 320, 160},
		{"same rate", 48000, 48000, 960, 960},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.in, tc.out)
			if err != nil {
				t.Fatal(err)
			}
			var buf []int16
			for i := 0; i < 10; i++ {
				buf = r.Process(make([]int16, tc.inN), buf)
				if len(buf) != tc.wantN {
					t.Fatalf("frame %d: %d samples out, want %d", i, len(buf), tc.wantN)
				}
			}
		})
	}
}

func TestRoundTripSNR(t *testing.T) {
	tests := []struct {
		name   string
		rate   int
		freq   float64
		minSNR float64
	}{
		{"1kHz 8k->48k->8k", 8000, 1000, 40},
		{"3kHz 8k->48k->8k", 8000, 3000, 40},
		{"1kHz 16k->48k->16k", 16000, 1000, 40},
		{"6kHz 16k->48k->16k", 16000, 6000, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, _ := New(tc.rate, 48000)
			down, _ := New(48000, tc.rate)
			in := tone(tc.freq, tc.rate, tc.rate, 16000)
			mid := runFrames(up, in, tc.rate/50)
			out := runFrames(down, mid, 960)
			// Delay of the chain in input-rate samples.
			lag := up.Delay()*tc.rate/48000 + down.Delay()
			best, bestLag := math.Inf(-1), 0
			for l := lag - 2; l <= lag+2; l++ {
				if s := snrAt(in, out, l, tc.rate/10); s > best {
					best, bestLag = s, l
				}
			}
			t.Logf("%s: SNR %.1f dB (lag %d, expected %d)", tc.name, best, bestLag, lag)
			if best < tc.minSNR {
				t.Errorf("SNR %.1f dB < %.0f dB", best, tc.minSNR)
			}
		})
	}
}

func TestAntiAlias(t *testing.T) {
	tests := []struct {
		name    string
		in, out int
		freq    float64
		// maxDB is the highest output level allowed relative to the input.
		maxDB float64
	}{
		// These would fold back into the audible band without filtering.
		{"7kHz 48k->8k folds to 1kHz", 48000, 8000, 7000, -60},
		{"12kHz 48k->16k folds to 4kHz", 48000, 16000, 12000, -60},
		{"9kHz 48k->16k folds to 7kHz", 48000, 16000, 9000, -60},
		{"5kHz 16k->8k folds to 3kHz", 16000, 8000, 5000, -60},
		// Just past the new Nyquist frequency, where the filter is weakest.
		{"8.1kHz 48k->16k folds to 7.9kHz", 48000, 16000, 8100, -60},
		{"4.05kHz 48k->8k folds to 3.95kHz", 48000, 8000, 4050, -60},
		// 7 kHz is inside 16k's 8 kHz band, in the transition region
		// (passband ends at 6.8 kHz): attenuated, not removed.
		{"7kHz 48k->16k transition band", 48000, 16000, 7000, -0.1},
		// Imaging on upsampling: 8k->48k of a 3 kHz tone must not create
		// energy at 5 kHz (8k-3k); checked by the passband test below.
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := New(tc.in, tc.out)
			in := tone(tc.freq, tc.in, tc.in, 16000)
			out := runFrames(r, in, tc.in/50)
			out = out[len(out)/4:]
			db := 20 * math.Log10(max(rms(out), 1e-9)/rms(in))
			t.Logf("%s: %.1f dB", tc.name, db)
			if db > tc.maxDB {
				t.Errorf("output at %.1f dB, want <= %.0f dB", db, tc.maxDB)
			}
		})
	}
}

func TestPassband(t *testing.T) {
	// Speech band edges pass flat: 3.3 kHz for 8 kHz (telephony 300–3400),
	// 6.5 kHz for 16 kHz (G.722 50–7000).
	tests := []struct {
		name    string
		in, out int
		freq    float64
	}{
		{"3.3kHz 48k->8k", 48000, 8000, 3300},
		{"6.5kHz 48k->16k", 48000, 16000, 6500},
		{"3.3kHz 8k->48k", 8000, 48000, 3300},
		{"300Hz 48k->8k", 48000, 8000, 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := New(tc.in, tc.out)
			in := tone(tc.freq, tc.in, tc.in, 16000)
			out := runFrames(r, in, tc.in/50)
			db := 20 * math.Log10(rms(out[len(out)/4:])/rms(in))
			t.Logf("%s: %.3f dB", tc.name, db)
			if math.Abs(db) > 0.1 {
				t.Errorf("gain %.3f dB, want within ±0.1 dB", db)
			}
		})
	}
}

func TestUpsampleNoImages(t *testing.T) {
	// A 3 kHz tone at 8 kHz upsampled to 48 kHz must be a clean 3 kHz tone:
	// compare with an ideal 3 kHz sine at 48 kHz (after alignment).
	r, _ := New(8000, 48000)
	in := tone(3000, 8000, 8000, 16000)
	out := runFrames(r, in, 160)
	ideal := tone(3000, 48000, 48000+r.Delay(), 16000)
	// out[i+delay] ≈ ideal[i]
	best := math.Inf(-1)
	for l := r.Delay() - 3; l <= r.Delay()+3; l++ {
		best = max(best, snrAt(ideal[:40000], out, l, 4800))
	}
	t.Logf("3 kHz 8k->48k vs ideal: %.1f dB", best)
	if best < 40 {
		t.Errorf("SNR vs ideal %.1f dB < 40 dB: images or distortion", best)
	}
}

func TestFrameSplitInvariance(t *testing.T) {
	// No clicks at frame edges: frame-by-frame output equals one-shot output.
	for _, rates := range [][2]int{{8000, 48000}, {48000, 8000}, {16000, 48000}, {48000, 16000}, {22050, 16000}} {
		r1, err := New(rates[0], rates[1])
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := New(rates[0], rates[1])
		in := tone(440, rates[0], rates[0]/2, 20000)
		whole := r1.Process(in, nil)
		parts := runFrames(r2, in, 37) // odd chunk size on purpose
		if !slices.Equal(whole, parts) {
			t.Errorf("%d->%d: chunked output differs from one-shot (%d vs %d samples)",
				rates[0], rates[1], len(parts), len(whole))
		}
	}
}

func TestSaturation(t *testing.T) {
	// A full-scale square wave overshoots after filtering (Gibbs): must clamp.
	r, _ := New(8000, 48000)
	in := make([]int16, 800)
	for i := range in {
		if (i/20)%2 == 0 {
			in[i] = 32767
		} else {
			in[i] = -32768
		}
	}
	out := r.Process(in, nil)
	var hi, lo bool
	for _, v := range out {
		hi = hi || v == 32767
		lo = lo || v == -32768
	}
	if !hi || !lo {
		t.Errorf("expected clamped peaks, hi=%v lo=%v", hi, lo)
	}
}

func BenchmarkResample(b *testing.B) {
	for _, tc := range []struct {
		name    string
		in, out int
	}{{"8k-48k", 8000, 48000}, {"48k-8k", 48000, 8000}, {"16k-48k", 16000, 48000}, {"48k-16k", 48000, 16000}} {
		// A 20 ms frame of a tone, and of silence (the exact zero path).
		for _, sig := range []string{"tone", "silence"} {
			b.Run(tc.name+"/"+sig, func(b *testing.B) {
				r, _ := New(tc.in, tc.out)
				in := make([]int16, tc.in/50)
				if sig == "tone" {
					in = tone(440, tc.in, tc.in/50, 10000)
				}
				var out []int16
				b.ReportAllocs()
				for b.Loop() {
					out = r.Process(in, out)
				}
			})
		}
	}
}
