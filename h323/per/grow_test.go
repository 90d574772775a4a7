package per

import "testing"

// TestGetSequenceOfGrowBounded checks that the count announced to grow
// never exceeds the bits left nor maxGrow, whatever the length says, and
// that the elements are still all delivered.
func TestGetSequenceOfGrowBounded(t *testing.T) {
	cases := []struct {
		name      string
		in        []byte // length determinant then element octets
		wantGrow  int
		wantCount int
		wantErr   bool
	}{
		{"3_elements", []byte{0x03, 1, 2, 3}, 3, 3, false},
		{"count_above_input_capped_then_fails", []byte{0x7f, 1, 2}, 16, 0, true}, // 127 claimed, 16 bits left
		{"count_above_maxGrow", append([]byte{0x81, 0x2c}, make([]byte, 300)...), maxGrow, 300, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDecoder(c.in)
			grown, got := -1, 0
			n, err := d.GetSequenceOfGrow(SizeRange{}, func(n int) { grown = n }, func(int) error {
				_, err := d.GetBits(8)
				if err == nil {
					got++
				}
				return err
			})
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			if grown != c.wantGrow {
				t.Fatalf("grow(%d), want %d", grown, c.wantGrow)
			}
			if !c.wantErr && (n != c.wantCount || got != c.wantCount) {
				t.Fatalf("count %d, decoded %d, want %d", n, got, c.wantCount)
			}
		})
	}
}
