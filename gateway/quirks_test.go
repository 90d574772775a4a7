package gateway

import "testing"

func TestH245Quirks(t *testing.T) {
	cases := []struct {
		product string
		norepro bool
	}{
		{"Polycom HDX 8000 HD", true},
		{"POLYCOM VSX 7000", true},
		{"TANDBERG 6000 MXP", false},
		{"LifeSize Room 220", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := h245Quirks(tc.product).NoReproposeAfterConflict; got != tc.norepro {
			t.Errorf("%q: NoReproposeAfterConflict %v, want %v", tc.product, got, tc.norepro)
		}
	}
}
