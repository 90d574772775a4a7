package mixer

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func fill(n int, v int16) []int16 {
	f := make([]int16, n)
	for i := range f {
		f[i] = v
	}
	return f
}

func TestMixMinus(t *testing.T) {
	tests := []struct {
		name string
		in   [][]int16
		want [][]int16
	}{
		{"two talk", [][]int16{{100, -5}, {7, 8}}, [][]int16{{7, 8}, {100, -5}}},
		{"three, one silent", [][]int16{{1, 2}, nil, {10, 20}}, [][]int16{{10, 20}, {11, 22}, {1, 2}}},
		{"alone hears silence", [][]int16{{5, 5}}, [][]int16{{0, 0}}},
		{"all silent", [][]int16{nil, nil}, [][]int16{{0, 0}, {0, 0}}},
		{"positive saturation", [][]int16{{30000, 0}, {30000, 0}, {30000, 0}},
			[][]int16{{32767, 0}, {32767, 0}, {32767, 0}}},
		{"negative saturation", [][]int16{{-30000, 1}, {-30000, 1}, {0, 1}},
			[][]int16{{-30000, 2}, {-30000, 2}, {-32768, 2}}},
		// The own frame is removed before clamping: a participant must not
		// hear a distorted version of the others because of its own level.
		{"own loudness does not clip others", [][]int16{{32767, 0}, {100, 0}, {200, 0}},
			[][]int16{{300, 0}, {32767, 0}, {32767, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := make([][]int16, len(tc.in))
			for i := range out {
				out[i] = make([]int16, 2)
			}
			if err := MixMinus(out, tc.in, 2, nil); err != nil {
				t.Fatal(err)
			}
			for i := range out {
				if !slices.Equal(out[i], tc.want[i]) {
					t.Errorf("out[%d] = %v, want %v", i, out[i], tc.want[i])
				}
			}
		})
	}
}

func TestMixMinusErrors(t *testing.T) {
	tests := []struct {
		name string
		out  [][]int16
		in   [][]int16
	}{
		{"count mismatch", [][]int16{make([]int16, 2)}, [][]int16{nil, nil}},
		{"short input", [][]int16{make([]int16, 2)}, [][]int16{{1}}},
		{"short output", [][]int16{make([]int16, 1)}, [][]int16{{1, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := MixMinus(tc.out, tc.in, 2, nil); !errors.Is(err, errFrameSize) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestMixerLifecycle(t *testing.T) {
	m := New(4)
	for _, id := range []string{"room", "alice", "bob"} {
		if err := m.Add(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Add("bob"); !errors.Is(err, errExists) {
		t.Errorf("duplicate add: %v", err)
	}
	if err := m.Write("carol", fill(4, 1)); !errors.Is(err, errUnknown) {
		t.Errorf("unknown write: %v", err)
	}
	if err := m.Write("room", fill(3, 1)); !errors.Is(err, errFrameSize) {
		t.Errorf("short write: %v", err)
	}
	_ = m.Write("room", fill(4, 1000))
	_ = m.Write("alice", fill(4, 20))
	_ = m.Write("bob", fill(4, 3))
	m.Mix()
	for id, want := range map[string]int16{"room": 23, "alice": 1003, "bob": 1020} {
		if got := m.Output(id); !slices.Equal(got, fill(4, want)) {
			t.Errorf("%s hears %v, want %d", id, got, want)
		}
	}
	// Next tick: only alice talks; inputs from the last tick are gone.
	_ = m.Write("alice", fill(4, 5))
	m.Mix()
	for id, want := range map[string]int16{"room": 5, "alice": 0, "bob": 5} {
		if got := m.Output(id); !slices.Equal(got, fill(4, want)) {
			t.Errorf("tick 2: %s hears %v, want %d", id, got, want)
		}
	}
	m.Remove("alice")
	m.Remove("nobody")
	_ = m.Write("room", fill(4, 9))
	m.Mix()
	if got := m.Output("bob"); !slices.Equal(got, fill(4, 9)) {
		t.Errorf("after remove bob hears %v", got)
	}
	if m.Output("alice") != nil || m.Len() != 2 {
		t.Errorf("alice still present")
	}
}

func BenchmarkMix10(b *testing.B) {
	m := New(960)
	frame := make([]int16, 960)
	for i := range frame {
		frame[i] = int16(i * 31)
	}
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprint("p", i)
		_ = m.Add(ids[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, id := range ids {
			_ = m.Write(id, frame)
		}
		m.Mix()
	}
}

func TestAccumulateClampMinus(t *testing.T) {
	a := []int16{1000, -2000, 30000, -30000}
	b := []int16{500, 500, 10000, -10000}
	sum := make([]int32, 4)
	Accumulate(sum, a)
	Accumulate(sum, b)
	out := make([]int16, 4)
	got, err := ClampMinus(out, sum)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int16{1500, -1500, 32767, -32768}; !slices.Equal(got, want) {
		t.Errorf("full mix = %v, want %v (clamped)", got, want)
	}
	// The same as MixMinus gives a participant that contributes nothing, and as
	// MixMinus gives a and b when their own frame is taken out.
	mm := [][]int16{make([]int16, 4), make([]int16, 4), make([]int16, 4)}
	if err := MixMinus(mm, [][]int16{a, b, nil}, 4, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mm[2], got) {
		t.Errorf("full mix %v differs from the mix-minus of a silent participant %v", got, mm[2])
	}
	for i, own := range [][]int16{a, b} {
		got, err := ClampMinus(make([]int16, 4), sum, own)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, mm[i]) {
			t.Errorf("ClampMinus of participant %d = %v, MixMinus = %v", i, got, mm[i])
		}
	}
	// Two own frames (a participant with two streams): nothing is left.
	if got, _ := ClampMinus(out, sum, a, b); !slices.Equal(got, make([]int16, 4)) {
		t.Errorf("sum less both frames = %v, want silence", got)
	}
	if got, _ := ClampMinus(out, make([]int32, 4)); !slices.Equal(got, make([]int16, 4)) {
		t.Errorf("mix of nothing = %v, want silence", got)
	}
	if _, err := ClampMinus(out, sum, []int16{1, 2}); err == nil {
		t.Error("short own frame accepted")
	}
}

func BenchmarkAccumulateClamp(b *testing.B) {
	in := make([][]int16, 4)
	for i := range in {
		in[i] = make([]int16, 960)
	}
	out := make([]int16, 960)
	sum := make([]int32, 960)
	for b.Loop() {
		clear(sum)
		for _, f := range in {
			Accumulate(sum, f)
		}
		_, _ = ClampMinus(out, sum)
	}
}
