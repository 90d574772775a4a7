package per

import (
	"errors"
	"math"
	"testing"
)

var (
	u8      = IntRange{Lb: 0, Ub: 255, HasLb: true, HasUb: true}
	u16     = IntRange{Lb: 0, Ub: 65535, HasLb: true, HasUb: true}
	u32     = IntRange{Lb: 0, Ub: 4294967295, HasLb: true, HasUb: true}
	natural = IntRange{Lb: 0, HasLb: true}
)

func rng(lb, ub int64) IntRange { return IntRange{Lb: lb, Ub: ub, HasLb: true, HasUb: true} }

func TestX691_Integer(t *testing.T) {
	tests := []struct {
		name   string
		r      IntRange
		v      int64
		prefix bool
		want   string
	}{
		// §11.5.7.1: range ≤ 255 → minimal bit-field, not aligned.
		{"11_5_7_1_BitField_0..7", rng(0, 7), 5, true, "d0"},
		{"11_5_7_1_BitField_range255", rng(0, 254), 0xaa, true, "d5 00"},
		{"11_5_7_1_NegativeLb", rng(-5, 5), -5, true, "80"},
		{"11_5_7_1_NegativeLbTop", rng(-5, 5), 5, true, "d0"},
		{"11_5_7_1_SingleValue", rng(5, 5), 5, true, "80"},
		// §11.5.7.2: range = 256 → one octet, aligned.
		{"11_5_7_2_OneOctetAligned", u8, 0xaa, true, "80 aa"},
		// §11.5.7.3: range ≤ 64K → two octets, aligned.
		{"11_5_7_3_TwoOctetAligned", u16, 0x1234, true, "80 12 34"},
		{"11_5_7_3_TwoOctetRange257", rng(0, 256), 256, true, "80 01 00"},
		{"11_5_7_3_RequestSeqNum", rng(1, 65535), 1, false, "00 00"},
		// §11.5.7.4: range > 64K → length (1..4 octets: 2 bits) + octets.
		{"11_5_7_4_Indefinite_256", u32, 256, true, "a0 01 00"},
		{"11_5_7_4_Indefinite_0", u32, 0, true, "80 00"},
		{"11_5_7_4_Indefinite_max", u32, 4294967295, false, "c0 ff ff ff ff"},
		{"11_5_7_4_FullInt64", rng(math.MinInt64, math.MaxInt64), math.MinInt64, false, "00 00"},
		{"11_5_7_4_FullInt64Max", rng(math.MinInt64, math.MaxInt64), math.MaxInt64, false, "e0 ff ff ff ff ff ff ff ff"},
		// §11.7: semi-constrained → length octet + minimal unsigned octets.
		{"11_7_SemiConstrained_0", natural, 0, true, "80 01 00"},
		{"11_7_SemiConstrained_256", natural, 256, true, "80 02 01 00"},
		{"11_7_SemiConstrained_Lb1", IntRange{Lb: 1, HasLb: true}, 1, false, "01 00"},
		{"11_7_SemiConstrained_LbMinus1", IntRange{Lb: -1, HasLb: true}, 254, false, "01 ff"},
		// §11.8: unconstrained → length octet + minimal 2's complement.
		{"11_8_Unconstrained_0", IntRange{}, 0, false, "01 00"},
		{"11_8_Unconstrained_-1", IntRange{}, -1, false, "01 ff"},
		{"11_8_Unconstrained_127", IntRange{}, 127, false, "01 7f"},
		{"11_8_Unconstrained_128", IntRange{}, 128, false, "02 00 80"},
		{"11_8_Unconstrained_-128", IntRange{}, -128, false, "01 80"},
		{"11_8_Unconstrained_-129", IntRange{}, -129, true, "80 02 ff 7f"},
		{"11_8_Unconstrained_MinInt64", IntRange{}, math.MinInt64, false, "08 80 00 00 00 00 00 00 00"},
		{"11_8_Unconstrained_MaxInt64", IntRange{}, math.MaxInt64, false, "08 7f ff ff ff ff ff ff ff"},
		{"11_8_UbOnlyIsUnconstrained", IntRange{Ub: 10, HasUb: true}, 300, false, "02 01 2c"},
		// §13.1 / §13.2: extensible root: bit 0 + root encoding, or bit 1 +
		// unconstrained.
		{"13_1_ExtensibleInRoot", IntRange{Lb: 0, Ub: 7, HasLb: true, HasUb: true, Ext: true}, 5, false, "50"},
		{"13_1_ExtensibleOutOfRoot", IntRange{Lb: 0, Ub: 7, HasLb: true, HasUb: true, Ext: true}, 8, false, "80 01 08"},
		{"13_1_ExtensibleOutOfRootNegative", IntRange{Lb: 0, Ub: 7, HasLb: true, HasUb: true, Ext: true}, -1, false, "80 01 ff"},
		{"13_1_ExtensibleOutOfRoot1000", IntRange{Lb: 0, Ub: 7, HasLb: true, HasUb: true, Ext: true}, 1000, true, "c0 02 03 e8"},
		{"13_1_Extensible64K", IntRange{Lb: 0, Ub: 65535, HasLb: true, HasUb: true, Ext: true}, 65536, false, "80 03 01 00 00"},
		{"13_1_ExtensibleSemiInRoot", IntRange{Lb: 0, HasLb: true, Ext: true}, 3, false, "00 01 03"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeHex(t, tc.prefix, func(e *Encoder) error { return e.PutInteger(tc.v, tc.r) })
			if got != tc.want {
				t.Fatalf("PutInteger(%d, %s) = %s, want %s", tc.v, tc.r, got, tc.want)
			}
			d := decoderAfterPrefix(t, tc.want, tc.prefix)
			v, err := d.GetInteger(tc.r)
			if err != nil || v != tc.v {
				t.Fatalf("GetInteger = %d, %v; want %d", v, err, tc.v)
			}
			if err := d.Finish(); err != nil {
				t.Fatalf("Finish: %v", err)
			}
		})
	}
}

func TestX691_Integer_Errors(t *testing.T) {
	e := NewEncoder()
	if err := e.PutInteger(8, rng(0, 7)); !errors.Is(err, ErrRange) {
		t.Errorf("out of non-extensible root: %v", err)
	}
	var se *StructuralError
	if err := e.PutInteger(1, rng(7, 0)); !errors.As(err, &se) {
		t.Errorf("lb > ub: %v", err)
	}
	decodeErr := []struct {
		name string
		r    IntRange
		in   string
	}{
		{"BitFieldAboveUb", rng(0, 4), "e0"},       // 3 bits = 7 > 4
		{"TwoOctetAboveUb", rng(0, 1000), "03 e9"}, // 1001
		{"IndefiniteNotMinimal", u32, "40 00 01"},  // 2 octets for 1
		{"SemiNotMinimal", natural, "02 00 01"},    // 00 01
		{"UnconstrainedNotMinimal", IntRange{}, "02 00 7f"},
		{"UnconstrainedNotMinimalNeg", IntRange{}, "02 ff 80"},
		{"UnconstrainedTooLong", IntRange{}, "09 01 02 03 04 05 06 07 08 09"},
		{"UnconstrainedZeroLength", IntRange{}, "00"},
		{"ExtensionFormForRootValue", IntRange{Lb: 0, Ub: 7, HasLb: true, HasUb: true, Ext: true}, "80 01 05"},
		{"Truncated", u16, "12"},
		{"NonZeroPadding", IntRange{}, ""},
	}
	for _, tc := range decodeErr {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in == "" {
				// a '0' bit then padding '1's before an aligned length
				d := NewDecoder([]byte{0x01, 0x01, 0x00})
				d.GetBit()
				if _, err := d.GetInteger(tc.r); err == nil {
					t.Fatal("non-zero padding accepted")
				}
				return
			}
			_, err := NewDecoder(unhex(t, tc.in)).GetInteger(tc.r)
			var syn *SyntaxError
			if !errors.As(err, &syn) {
				t.Fatalf("GetInteger(%s) err = %v, want *SyntaxError", tc.in, err)
			}
		})
	}
}

func TestX691_11_6_NormallySmallNumber(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"Zero", 0, "00"},
		{"Five", 5, "0a"},
		{"63", 63, "7e"},
		{"64SemiConstrained", 64, "80 01 40"},
		{"300", 300, "80 02 01 2c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeHex(t, false, func(e *Encoder) error { return e.PutNormallySmallNumber(tc.n) })
			if got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
			n, err := NewDecoder(unhex(t, tc.want)).GetNormallySmallNumber()
			if err != nil || n != tc.n {
				t.Fatalf("decode = %d, %v", n, err)
			}
		})
	}
	if _, err := NewDecoder(unhex(t, "80 01 05")).GetNormallySmallNumber(); err == nil {
		t.Error("long form for 5 accepted")
	}
}
