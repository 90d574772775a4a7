package audio

import (
	"math"
	"testing"
)

func TestDominantTone(t *testing.T) {
	cases := []struct {
		name string
		hz   float64
		amp  float64
		want float64
		loud bool
	}{
		{"440 Hz at 8 kHz", 440, 0.3, 440, true},
		{"1000 Hz", 1000, 0.5, 1000, true},
		{"silence", 0, 0, 0, false},
		{"below the floor", 700, 0.005, 0, false},
	}
	for _, rate := range []int{8000, 16000} {
		for _, c := range cases {
			s := make([]int16, rate*2)
			for i := range s {
				s[i] = int16(c.amp * 32767 * math.Sin(2*math.Pi*c.hz*float64(i)/float64(rate)))
			}
			r := DominantTone(s, rate)
			if r.Windows != 40 {
				t.Errorf("%s @%d: %d windows, want 40", c.name, rate, r.Windows)
			}
			if !c.loud {
				if r.LoudWindows != 0 {
					t.Errorf("%s @%d: %+v, want no loud window", c.name, rate, r)
				}
				continue
			}
			if r.LoudWindows != 40 || math.Abs(r.Hz-c.want) > 10 || r.PeakShare < 0.99 {
				t.Errorf("%s @%d: %+v, want %.0f Hz in every window", c.name, rate, r, c.want)
			}
		}
	}
	if r := DominantTone(nil, 0); r != (ToneReport{}) {
		t.Errorf("empty input: %+v", r)
	}
}
