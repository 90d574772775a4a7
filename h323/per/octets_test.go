package per

import (
	"bytes"
	"testing"
)

func TestX691_17_OctetString(t *testing.T) {
	tests := []struct {
		name   string
		b      string
		s      SizeRange
		prefix bool
		want   string
	}{
		{"17_5_Empty", "", sz(0, 0), true, "80"},
		{"17_6_FixedTwoOctetsNotAligned", "ab cd", sz(2, 2), true, "d5 e6 80"},
		{"17_6_FixedOneOctetNotAligned", "ff", sz(1, 1), true, "ff 80"},
		{"17_7_FixedThreeOctetsAligned", "01 02 03", sz(3, 3), true, "80 01 02 03"},
		// OSS Nokalva's examples: BOOLEAN TRUE then OCTET STRING
		// (SIZE(0..7)) '1234'H → A0 12 34; SIZE(0..255) → 80 02 12 34.
		{"17_8_ConstrainedLength3Bits", "12 34", sz(0, 7), true, "a0 12 34"},
		{"17_8_ConstrainedLengthOctet", "12 34", sz(0, 255), true, "80 02 12 34"},
		{"17_8_Unconstrained", "12 34", SizeRange{}, false, "02 12 34"},
		{"17_8_EmptyVariable", "", sz(0, 7), true, "80"},
		{"17_3_ExtensibleOutOfRoot", "01 02 03", SizeRange{Lb: 1, Ub: 2, HasUb: true, Ext: true}, false, "80 03 01 02 03"},
		{"17_3_ExtensibleInRoot", "01 02", SizeRange{Lb: 1, Ub: 2, HasUb: true, Ext: true}, false, "40 01 02"},
		{"17_H225_GUID16", "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff", sz(16, 16), true,
			"80 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(t, tc.b)
			got := encodeHex(t, tc.prefix, func(e *Encoder) error { return e.PutOctetString(in, tc.s) })
			if got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
			d := decoderAfterPrefix(t, tc.want, tc.prefix)
			b, err := d.GetOctetString(tc.s)
			if err != nil || !bytes.Equal(b, in) {
				t.Fatalf("decode = % x, %v", b, err)
			}
			if err := d.Finish(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestX691_16_BitString(t *testing.T) {
	tests := []struct {
		name   string
		b      string
		nbits  int
		s      SizeRange
		prefix bool
		want   string
	}{
		{"16_9_Fixed4BitsNotAligned", "b0", 4, sz(4, 4), true, "d8"},
		{"16_9_Fixed16BitsNotAligned", "ab cd", 16, sz(16, 16), true, "d5 e6 80"},
		{"16_10_Fixed20BitsAligned", "ab cd e0", 20, sz(20, 20), true, "80 ab cd e0"},
		{"16_11_ConstrainedLength", "a0", 3, sz(0, 7), true, "b0 a0"},
		{"16_11_Unconstrained12Bits", "ab c0", 12, SizeRange{}, false, "0c ab c0"},
		{"16_ExtensibleOutOfRoot", "ff", 8, SizeRange{Lb: 1, Ub: 4, HasUb: true, Ext: true}, false, "80 08 ff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(t, tc.b)
			got := encodeHex(t, tc.prefix, func(e *Encoder) error { return e.PutBitString(in, tc.nbits, tc.s) })
			if got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
			d := decoderAfterPrefix(t, tc.want, tc.prefix)
			b, n, err := d.GetBitString(tc.s)
			if err != nil || n != tc.nbits || !bytes.Equal(b, in) {
				t.Fatalf("decode = % x (%d bits), %v", b, n, err)
			}
		})
	}
}

func TestX691_16_BitStringFragmented(t *testing.T) {
	const nbits = 16384*5 + 13 // C4, 64K bits; C1, 16K bits; 13 bits
	in := pattern((nbits + 7) / 8)
	in[len(in)-1] &= 0xf8 // only 13 bits are significant in the last octets
	e := NewEncoder()
	if err := e.PutBitString(in, nbits, SizeRange{}); err != nil {
		t.Fatal(err)
	}
	out := e.Bytes()
	if out[0] != 0xc4 || out[1+8192] != 0xc1 || out[1+8192+1+2048] != 13 {
		t.Fatalf("fragment headers wrong")
	}
	b, n, err := NewDecoder(out).GetBitString(SizeRange{})
	if err != nil || n != nbits || !bytes.Equal(b, in) {
		t.Fatalf("round trip: %d bits, %v", n, err)
	}
}
