package per

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestX691_25_ObjectIdentifier(t *testing.T) {
	tests := []struct {
		name string
		oid  []uint32
		want string
	}{
		{"H225ProtocolIdentifierV4", []uint32{0, 0, 8, 2250, 0, 4}, "06 00 08 91 4a 00 04"},
		{"H241", []uint32{0, 0, 8, 241, 0, 0, 1}, "07 00 08 81 71 00 00 01"},
		{"H239", []uint32{0, 0, 8, 239, 1, 1}, "06 00 08 81 6f 01 01"},
		{"X690Example2.999.3", []uint32{2, 999, 3}, "03 88 37 03"},
		{"MaxArc", []uint32{1, 2, 4294967295}, "06 2a 8f ff ff ff 7f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeHex(t, false, func(e *Encoder) error { return e.PutObjectIdentifier(tc.oid) })
			if got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
			oid, err := NewDecoder(unhex(t, tc.want)).GetObjectIdentifier()
			if err != nil || !slices.Equal(oid, tc.oid) {
				t.Fatalf("decode %v %v", oid, err)
			}
		})
	}
	for _, bad := range [][]uint32{{3, 1}, {0, 40}, {1}} {
		if err := NewEncoder().PutObjectIdentifier(bad); !errors.Is(err, ErrRange) {
			t.Errorf("PutObjectIdentifier(%v) = %v", bad, err)
		}
	}
	for _, bad := range []string{"00", "02 80 01", "01 81", "06 2a 90 80 80 80 00"} {
		if _, err := NewDecoder(unhex(t, bad)).GetObjectIdentifier(); err == nil {
			t.Errorf("GetObjectIdentifier(%s) accepted", bad)
		}
	}
}

func TestX691_14_Enumerated(t *testing.T) {
	tests := []struct {
		name      string
		idx, root int
		ext       bool
		want      string
	}{
		{"14_2_Root3", 2, 3, false, "80"},
		{"14_2_SingleValueNoBits", 0, 1, false, "00"},
		{"14_3_ExtensibleInRoot", 2, 3, true, "40"},
		{"14_3_FirstExtensionValue", 3, 3, true, "80"},
		{"14_3_ThirdExtensionValue", 5, 3, true, "82"},
		{"14_3_ExtensionValue70", 73, 3, true, "c0 01 46"},
		{"14_2_Root256OneOctet", 200, 256, false, "c8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeHex(t, false, func(e *Encoder) error { return e.PutEnumerated(tc.idx, tc.root, tc.ext) })
			if got != tc.want {
				t.Fatalf("got %s want %s", got, tc.want)
			}
			idx, err := NewDecoder(unhex(t, tc.want)).GetEnumerated(tc.root, tc.ext)
			if err != nil || idx != tc.idx {
				t.Fatalf("decode %d %v", idx, err)
			}
		})
	}
	if err := NewEncoder().PutEnumerated(3, 3, false); !errors.Is(err, ErrRange) {
		t.Errorf("idx beyond non-extensible root: %v", err)
	}
	if _, err := NewDecoder([]byte{0xc0}).GetEnumerated(3, false); err == nil {
		t.Error("index 3 of 3 accepted")
	}
}

func TestX691_23_ChoiceWithExtensionAlternative(t *testing.T) {
	// CHOICE {a, b, c, d, ..., e BOOLEAN}: e is extension alternative 0:
	// bit 1, normally small 0 (0000000), then an open type holding TRUE.
	e := NewEncoder()
	if err := e.PutChoiceIndex(4, 4, true); err != nil {
		t.Fatal(err)
	}
	if err := e.PutOpenTypeFunc(func(e *Encoder) error { e.PutBoolean(true); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := spaced(e.Bytes()), "80 01 80"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	// Root alternative 2 of 4, extensible: 0 10.
	if got := encodeHex(t, false, func(e *Encoder) error { return e.PutChoiceIndex(2, 4, true) }); got != "40" {
		t.Fatalf("root alternative: %s", got)
	}
	// A decoder that does not know alternative e keeps it raw and
	// re-encodes the same bytes.
	in := unhex(t, "80 01 80")
	d := NewDecoder(in)
	idx, err := d.GetChoiceIndex(4, true)
	if err != nil || idx != 4 {
		t.Fatalf("GetChoiceIndex %d %v", idx, err)
	}
	raw, err := d.GetOpenType()
	if err != nil {
		t.Fatal(err)
	}
	re := NewEncoder()
	re.PutChoiceIndex(idx, 4, true)
	re.PutOpenType(raw)
	if !bytes.Equal(re.Bytes(), in) {
		t.Fatalf("re-encoded % x", re.Bytes())
	}
}

func TestX691_11_2_OpenType(t *testing.T) {
	// An empty value (NULL) is the complete encoding 0x00 (§11.1).
	got := encodeHex(t, true, func(e *Encoder) error { return e.PutOpenTypeFunc(func(*Encoder) error { return nil }) })
	if got != "80 01 00" {
		t.Fatalf("NULL open type: %s", got)
	}
	d := decoderAfterPrefix(t, got, true)
	if err := d.GetOpenTypeFunc(func(*Decoder) error { return nil }); err != nil {
		t.Fatalf("decode NULL open type: %v", err)
	}
	// Unread octets inside an open type are an error.
	d = NewDecoder(unhex(t, "02 80 00"))
	err := d.GetOpenTypeFunc(func(d *Decoder) error { _, err := d.GetBoolean(); return err })
	var syn *SyntaxError
	if !errors.As(err, &syn) {
		t.Fatalf("trailing octet: %v", err)
	}
	// Zero-length open type is not a complete encoding.
	if _, err := NewDecoder([]byte{0}).GetOpenType(); err == nil {
		t.Error("empty open type accepted")
	}
	// Nested depth is shared with the outer decoder.
	d = NewDecoder(unhex(t, "01 80"), WithMaxDepth(1))
	d.Enter()
	err = d.GetOpenTypeFunc(func(d *Decoder) error { return d.Enter() })
	if !errors.Is(err, ErrDepth) {
		t.Fatalf("depth through open type: %v", err)
	}
}

// seqExample is SEQUENCE { a BOOLEAN, ..., b BOOLEAN, c INTEGER (0..255) }.
type seqExample struct {
	a   bool
	b   *bool
	c   *int64
	ext Extensions
}

func (s *seqExample) encode(e *Encoder, known int) error {
	ext := s.ext.Present() || s.b != nil || (known > 1 && s.c != nil)
	e.PutBit(ext)
	e.PutBoolean(s.a)
	if !ext {
		return nil
	}
	present := func(i int) bool { return (i == 0 && s.b != nil) || (i == 1 && s.c != nil) }
	return e.PutExtensions(known, &s.ext, present, func(i int, e *Encoder) error {
		if i == 0 {
			e.PutBoolean(*s.b)
			return nil
		}
		return e.PutInteger(*s.c, u8)
	})
}

func (s *seqExample) decode(d *Decoder, known int) error {
	if err := d.Enter(); err != nil {
		return err
	}
	defer d.Leave()
	ext, err := d.GetBit()
	if err != nil {
		return err
	}
	if s.a, err = d.GetBoolean(); err != nil || !ext {
		return err
	}
	s.ext, err = d.GetExtensions(known, func(i int, d *Decoder) error {
		if i == 0 {
			b, err := d.GetBoolean()
			s.b = &b
			return err
		}
		c, err := d.GetInteger(u8)
		s.c = &c
		return err
	})
	return err
}

func TestX691_19_ExtensionBitmap(t *testing.T) {
	f, c := false, int64(200)
	v := seqExample{a: true, b: &f, c: &c}
	// ext 1, a 1, bitmap length 2 → '0' 000001, bits 1 1, pad; then open
	// types 01 00 (b FALSE) and 01 c8 (c 200).
	const want = "c0 e0 01 00 01 c8"
	got := encodeHex(t, false, func(e *Encoder) error { return v.encode(e, 2) })
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	tests := []struct {
		name    string
		known   int
		unknown int
	}{
		{"KnowsBoth", 2, 0},
		{"KnowsOnlyB_KeepsCRaw", 1, 1},
		{"KnowsNone_KeepsBothRaw", 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var back seqExample
			d := NewDecoder(unhex(t, want))
			if err := back.decode(d, tc.known); err != nil {
				t.Fatal(err)
			}
			if err := d.Finish(); err != nil {
				t.Fatal(err)
			}
			if len(back.ext.Unknown) != tc.unknown || back.ext.BitmapLen != 2 {
				t.Fatalf("ext = %+v", back.ext)
			}
			if tc.known == 2 && (*back.b || *back.c != 200) {
				t.Fatalf("values %v %v", *back.b, *back.c)
			}
			if tc.known == 1 && (back.ext.Unknown[0].Index != 1 || !bytes.Equal(back.ext.Unknown[0].Data, []byte{0xc8})) {
				t.Fatalf("raw = %+v", back.ext.Unknown)
			}
			re := encodeHex(t, false, func(e *Encoder) error { return back.encode(e, tc.known) })
			if re != want {
				t.Fatalf("re-encoded %s, want %s", re, want)
			}
		})
	}
	// A longer bitmap from a newer sender (3 additions, only b present) is
	// reproduced, trailing zero bits included.
	newer := "c1 40 01 00" // 1 1 0000010 100, pad; open type b FALSE
	var back seqExample
	if err := back.decode(NewDecoder(unhex(t, newer)), 2); err != nil {
		t.Fatal(err)
	}
	if back.b == nil || *back.b || back.c != nil || back.ext.BitmapLen != 3 || len(back.ext.Unknown) != 0 {
		t.Fatalf("newer sender decoded as %+v", back)
	}
	// Index 2 (unknown to us) present instead: kept raw.
	var back2 seqExample
	if err := back2.decode(NewDecoder(unhex(t, "c1 10 01 00")), 2); err != nil {
		t.Fatal(err)
	}
	if len(back2.ext.Unknown) != 1 || back2.ext.Unknown[0].Index != 2 {
		t.Fatalf("unknown index 2: %+v", back2.ext)
	}
	if re := encodeHex(t, false, func(e *Encoder) error { return back2.encode(e, 2) }); re != "c1 10 01 00" {
		t.Fatalf("unknown index 2 re-encoded %s", re)
	}
	if re := encodeHex(t, false, func(e *Encoder) error { return back.encode(e, 2) }); re != newer {
		t.Fatalf("newer sender re-encoded %s, want %s", re, newer)
	}
	// No additions: just the two bits.
	if got := encodeHex(t, false, func(e *Encoder) error { return (&seqExample{a: true}).encode(e, 2) }); got != "40" {
		t.Fatalf("no additions: %s", got)
	}
}

func TestX691_11_9_3_4_LongExtensionBitmap(t *testing.T) {
	present := make([]bool, 70)
	present[69] = true
	e := NewEncoder()
	if err := e.PutExtensionBitmap(present); err != nil {
		t.Fatal(err)
	}
	// '1', pad, length 70 (0x46), then 70 bits with only the last set.
	b := e.Bytes()
	if b[0] != 0x80 || b[1] != 0x46 || len(b) != 2+9 || b[10] != 0x04 {
		t.Fatalf("got % x", b)
	}
	got, err := NewDecoder(b).GetExtensionBitmap()
	if err != nil || !slices.Equal(got, present) {
		t.Fatalf("decode %v", err)
	}
}
