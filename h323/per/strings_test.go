package per

import (
	"errors"
	"slices"
	"testing"
)

// H.225.0 AliasAddress dialedDigits: IA5String (SIZE (1..128)) (FROM ("0123456789#*,")).
var dialedDigits = NewAlphabet("0123456789#*,")

func TestX691_30_5_Alphabet(t *testing.T) {
	tests := []struct {
		name    string
		a       *Alphabet
		n, bits int
		indexed bool
	}{
		{"DialedDigits13Chars4BitsIndexed", dialedDigits, 13, 4, true},
		{"NumericString11Chars4BitsIndexed", KindAlphabet(NumericString), 11, 4, true},
		{"PrintableString74Chars8BitsRaw", KindAlphabet(PrintableString), 74, 8, false},
		{"IA5String128Chars8BitsRaw", KindAlphabet(IA5String), 128, 8, false},
		{"VisibleString95Chars8BitsRaw", KindAlphabet(VisibleString), 95, 8, false},
		{"BMPString16Bits", KindAlphabet(BMPStringKind), 65536, 16, false},
		{"AtoP16Chars4BitsIndexed", NewAlphabetRanges('A', 'P'), 16, 4, true},
		{"AtoZ26Chars8BitsRaw", NewAlphabetRanges('A', 'Z'), 26, 8, false},
		{"OneChar1Bit", NewAlphabet("x"), 1, 1, true},
		{"SmallValues2BitsRaw", NewAlphabet("\x00\x01\x02\x03"), 4, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.a.Len() != tc.n || tc.a.Bits() != tc.bits || tc.a.Indexed() != tc.indexed {
				t.Fatalf("N=%d b=%d indexed=%v", tc.a.Len(), tc.a.Bits(), tc.a.Indexed())
			}
		})
	}
	// §30.5.4 canonical order: '#'(35) '*'(42) ','(44) '0'..'9'.
	for i, c := range "#*,0123456789" {
		if v, ok := dialedDigits.code(uint32(c)); !ok || v != uint32(i) {
			t.Errorf("index of %q = %d, want %d", c, v, i)
		}
		if c2, ok := dialedDigits.char(uint32(i)); !ok || c2 != uint32(c) {
			t.Errorf("char %d = %q", i, rune(c2))
		}
	}
}

func TestX691_30_KnownMultiplierString(t *testing.T) {
	ext12 := SizeRange{Lb: 1, Ub: 2, HasUb: true, Ext: true}
	tests := []struct {
		name   string
		s      string
		kind   StringKind
		sz     SizeRange
		a      *Alphabet
		prefix bool
		want   string
	}{
		// length 5 → 4 in 7 bits, pad 1, then indexes 4 5 6 7 0.
		{"30_5_DialedDigitsIndexed", "1234#", IA5String, sz(1, 128), dialedDigits, false, "08 45 67 00"},
		{"30_5_DialedDigitsAllChars", "#*,9", IA5String, sz(1, 128), dialedDigits, true, "83 01 2c"},
		// " 0123456789": ' '=0, '0'=1 … → "123 " = 2 3 4 0.
		{"30_5_NumericStringUnconstrained", "123 ", NumericString, SizeRange{}, nil, false, "04 23 40"},
		{"30_5_PrintableString", "Hi", PrintableString, sz(1, 64), nil, false, "04 48 69"},
		// OSS Nokalva's examples: FROM("A".."P") → 4-bit indexes;
		// FROM("A".."Z") → 8-bit values.
		{"30_5_4_FromAtoPIndexed", "ABCD", PrintableString, SizeRange{}, NewAlphabetRanges('A', 'P'), false, "04 01 23"},
		{"30_5_4_FromAtoZRaw", "ABCD", PrintableString, SizeRange{}, NewAlphabetRanges('A', 'Z'), false, "04 41 42 43 44"},
		// §30.5.6/7: fixed size, ub*b ≤ 16 not aligned; > 16 aligned.
		{"30_5_7_FixedUbB16NotAligned", "ab", IA5String, sz(2, 2), nil, true, "b0 b1 00"},
		{"30_5_7_FixedUbB24Aligned", "abc", IA5String, sz(3, 3), nil, true, "80 61 62 63"},
		{"30_5_VisibleString", "~ ", VisibleString, sz(0, 10), nil, true, "90 7e 20"},
		{"30_4_ExtensibleInRoot", "AB", IA5String, ext12, NewAlphabet("AB"), false, "40 40"},
		// out of root: unconstrained length, full IA5 alphabet (8-bit values)
		{"30_4_ExtensibleOutOfRoot", "ABA", IA5String, ext12, NewAlphabet("AB"), false, "80 03 41 42 41"},
		{"30_EmptyUnconstrained", "", IA5String, SizeRange{}, nil, false, "00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeHex(t, tc.prefix, func(e *Encoder) error { return e.PutKnownString(tc.s, tc.kind, tc.sz, tc.a) })
			if got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
			d := decoderAfterPrefix(t, tc.want, tc.prefix)
			s, err := d.GetKnownString(tc.kind, tc.sz, tc.a)
			if err != nil || s != tc.s {
				t.Fatalf("decode = %q, %v", s, err)
			}
			if err := d.Finish(); err != nil {
				t.Fatal(err)
			}
		})
	}
	e := NewEncoder()
	if err := e.PutKnownString("12a", IA5String, sz(1, 128), dialedDigits); !errors.Is(err, ErrRange) {
		t.Errorf("char outside FROM: %v", err)
	}
	if err := e.PutKnownString("é", IA5String, SizeRange{}, nil); !errors.Is(err, ErrRange) {
		t.Errorf("non-ASCII IA5: %v", err)
	}
	// index 13..15 are not in the 13-character dialedDigits alphabet
	if _, err := NewDecoder(unhex(t, "00 f0")).GetKnownString(IA5String, sz(1, 128), dialedDigits); err == nil {
		t.Error("index 15 accepted")
	}
	// PrintableString value 0x21 '!' is not printable
	if _, err := NewDecoder(unhex(t, "01 21")).GetKnownString(PrintableString, SizeRange{}, nil); err == nil {
		t.Error("'!' accepted as PrintableString")
	}
}

func TestX691_30_BMPString(t *testing.T) {
	// H.225.0 h323-ID: BMPString (SIZE (1..256)): range 256 → one aligned
	// octet for the length, then 16-bit characters aligned.
	u := BMPFromString("Ab€")
	got := encodeHex(t, true, func(e *Encoder) error { return e.PutBMPString(u, sz(1, 256), nil) })
	if want := "80 02 00 41 00 62 20 ac"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	d := decoderAfterPrefix(t, got, true)
	back, err := d.GetBMPString(sz(1, 256), nil)
	if err != nil || !slices.Equal(back, u) || BMPToString(back) != "Ab€" {
		t.Fatalf("decode = %v, %v", back, err)
	}
	// Lone surrogates survive as code units.
	lone := []uint16{0xd800, 0x41}
	e := NewEncoder()
	if err := e.PutBMPString(lone, SizeRange{}, nil); err != nil {
		t.Fatal(err)
	}
	if back, err := NewDecoder(e.Bytes()).GetBMPString(SizeRange{}, nil); err != nil || !slices.Equal(back, lone) {
		t.Fatalf("lone surrogate: %v %v", back, err)
	}
	// BMPString (FROM ("0".."9")): 10 chars → 4-bit indexes.
	digits := NewAlphabetRanges('0', '9')
	got = encodeHex(t, false, func(e *Encoder) error { return e.PutBMPString(BMPFromString("907"), SizeRange{}, digits) })
	if want := "03 90 70"; got != want {
		t.Fatalf("BMP FROM digits: got %s want %s", got, want)
	}
}

func TestX691_30_6_UTF8String(t *testing.T) {
	got := encodeHex(t, true, func(e *Encoder) error { return e.PutUTF8String("né") })
	if want := "80 03 6e c3 a9"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	d := decoderAfterPrefix(t, got, true)
	if s, err := d.GetUTF8String(); err != nil || s != "né" {
		t.Fatalf("decode %q %v", s, err)
	}
	// GeneralString (H.245 UserInputIndication alphanumeric) is the same
	// unknown-multiplier form.
	got = encodeHex(t, false, func(e *Encoder) error { return e.PutGeneralString("#1") })
	if got != "02 23 31" {
		t.Fatalf("GeneralString: %s", got)
	}
	if s, err := NewDecoder(unhex(t, got)).GetGeneralString(); err != nil || s != "#1" {
		t.Fatalf("GeneralString decode %q %v", s, err)
	}
}
