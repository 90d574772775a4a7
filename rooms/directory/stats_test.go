package directory

import (
	"math"
	"testing"
)

// chiSquare returns Pearson's statistic for counts against equal expected
// frequencies, and its degrees of freedom.
func chiSquare(counts []int) (stat float64, df int) {
	total := 0
	for _, c := range counts {
		total += c
	}
	exp := float64(total) / float64(len(counts))
	for _, c := range counts {
		d := float64(c) - exp
		stat += d * d / exp
	}
	return stat, len(counts) - 1
}

// chiSquarePValue returns P(X >= x) for X ~ χ²(df): the regularized upper
// incomplete gamma function Q(df/2, x/2), from the power series of the lower
// one. Accurate to ~1e-12 absolute for the small df and x used here, which is
// plenty for comparing against thresholds like 1e-6.
func chiSquarePValue(df int, x float64) float64 {
	a, z := float64(df)/2, x/2
	if z <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a + 1)
	term := math.Exp(a*math.Log(z) - z - lg) // z^a e^-z / Γ(a+1)
	sum := term
	for n := 1; n < 10000; n++ {
		term *= z / (a + float64(n))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return math.Max(0, 1-sum)
}

func TestChiSquarePValue(t *testing.T) {
	// Textbook critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
	for _, tc := range []struct {
		name string
		df   int
		x    float64
		want float64
	}{
		{"df8 at 0.05", 8, 15.507, 0.05},
		{"df8 at 0.001", 8, 26.124, 0.001},
		{"df9 at 0.05", 9, 16.919, 0.05},
		{"df9 at 0.001", 9, 27.877, 0.001},
		{"df9 at median", 9, 8.343, 0.5},
		{"df1 at 0.01", 1, 6.635, 0.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := chiSquarePValue(tc.df, tc.x)
			if math.Abs(got-tc.want) > tc.want*0.01 {
				t.Errorf("p(χ²(%d) ≥ %v) = %v, want %v", tc.df, tc.x, got, tc.want)
			}
		})
	}
}
