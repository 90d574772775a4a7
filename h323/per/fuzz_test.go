package per

import (
	"bytes"
	"fmt"
	"testing"
)

// shape is one PER-visible type the fuzzers decode, with the encoder that
// must reproduce the bytes the decoder accepted.
type shape struct {
	name string
	dec  func(d *Decoder) (any, error)
	enc  func(e *Encoder, v any) error
	seed []any // values to seed the corpus with
}

func intShape(r IntRange, seeds ...int64) shape {
	s := shape{
		name: "INTEGER " + r.String(),
		dec:  func(d *Decoder) (any, error) { return d.GetInteger(r) },
		enc:  func(e *Encoder, v any) error { return e.PutInteger(v.(int64), r) },
	}
	for _, v := range seeds {
		s.seed = append(s.seed, v)
	}
	return s
}

func octetShape(s SizeRange, seeds ...[]byte) shape {
	sh := shape{
		name: "OCTET STRING " + s.String(),
		dec:  func(d *Decoder) (any, error) { return d.GetOctetString(s) },
		enc:  func(e *Encoder, v any) error { return e.PutOctetString(v.([]byte), s) },
	}
	for _, v := range seeds {
		sh.seed = append(sh.seed, v)
	}
	return sh
}

type bitsVal struct {
	b []byte
	n int
}

func bitShape(s SizeRange, seeds ...bitsVal) shape {
	sh := shape{
		name: "BIT STRING " + s.String(),
		dec: func(d *Decoder) (any, error) {
			b, n, err := d.GetBitString(s)
			return bitsVal{b, n}, err
		},
		enc: func(e *Encoder, v any) error { bv := v.(bitsVal); return e.PutBitString(bv.b, bv.n, s) },
	}
	for _, v := range seeds {
		sh.seed = append(sh.seed, v)
	}
	return sh
}

func stringShape(kind StringKind, s SizeRange, a *Alphabet, seeds ...string) shape {
	sh := shape{
		name: fmt.Sprintf("string kind %d %s", kind, s),
		dec:  func(d *Decoder) (any, error) { return d.GetKnownString(kind, s, a) },
		enc:  func(e *Encoder, v any) error { return e.PutKnownString(v.(string), kind, s, a) },
	}
	for _, v := range seeds {
		sh.seed = append(sh.seed, v)
	}
	return sh
}

func bmpShape(s SizeRange, a *Alphabet, seeds ...string) shape {
	sh := shape{
		name: "BMPString " + s.String(),
		dec:  func(d *Decoder) (any, error) { return d.GetBMPString(s, a) },
		enc:  func(e *Encoder, v any) error { return e.PutBMPString(v.([]uint16), s, a) },
	}
	for _, v := range seeds {
		sh.seed = append(sh.seed, BMPFromString(v))
	}
	return sh
}

type choiceVal struct {
	idx int
	raw []byte
}

func choiceShape(root int) shape {
	return shape{
		name: fmt.Sprintf("CHOICE root %d, ...", root),
		dec: func(d *Decoder) (any, error) {
			idx, err := d.GetChoiceIndex(root, true)
			if err != nil || idx < root {
				return choiceVal{idx: idx}, err
			}
			raw, err := d.GetOpenType()
			return choiceVal{idx, raw}, err
		},
		enc: func(e *Encoder, v any) error {
			cv := v.(choiceVal)
			if err := e.PutChoiceIndex(cv.idx, root, true); err != nil || cv.idx < root {
				return err
			}
			return e.PutOpenType(cv.raw)
		},
		seed: []any{choiceVal{idx: 1}, choiceVal{idx: root + 2, raw: []byte{0x80}}},
	}
}

func seqShape(known int) shape {
	c := int64(7)
	return shape{
		name: fmt.Sprintf("SEQUENCE with %d known additions", known),
		dec: func(d *Decoder) (any, error) {
			var s seqExample
			return &s, s.decode(d, known)
		},
		enc:  func(e *Encoder, v any) error { return v.(*seqExample).encode(e, known) },
		seed: []any{&seqExample{a: true, c: &c}},
	}
}

func seqOfShape(s SizeRange) shape {
	return shape{
		name: "SEQUENCE OF INTEGER(0..3) " + s.String(),
		dec: func(d *Decoder) (any, error) {
			var vs []int64
			_, err := d.GetSequenceOf(s, func(int) error {
				v, err := d.GetInteger(rng(0, 3))
				vs = append(vs, v)
				return err
			})
			return vs, err
		},
		enc: func(e *Encoder, v any) error {
			vs := v.([]int64)
			return e.PutSequenceOf(len(vs), s, func(i int) error { return e.PutInteger(vs[i], rng(0, 3)) })
		},
		seed: []any{[]int64{1, 2, 3}},
	}
}

var (
	extSize12 = SizeRange{Lb: 1, Ub: 2, HasUb: true, Ext: true}
	extInt07  = IntRange{Lb: 0, Ub: 7, HasLb: true, HasUb: true, Ext: true}
)

func integerShapes() []shape {
	return []shape{
		intShape(u8, 0, 255),
		intShape(rng(0, 7), 5),
		intShape(u16, 1, 65535),
		intShape(u32, 0, 256, 1<<31),
		intShape(rng(-5, 5), -5),
		intShape(extInt07, 3, 1000, -1),
		intShape(natural, 0, 1<<40),
		intShape(IntRange{}, -129, 1<<62),
		{
			name: "normally small",
			dec:  func(d *Decoder) (any, error) { return d.GetNormallySmallNumber() },
			enc:  func(e *Encoder, v any) error { return e.PutNormallySmallNumber(v.(int)) },
			seed: []any{3, 64, 1000},
		},
		{
			name: "ENUMERATED root 3, ...",
			dec:  func(d *Decoder) (any, error) { return d.GetEnumerated(3, true) },
			enc:  func(e *Encoder, v any) error { return e.PutEnumerated(v.(int), 3, true) },
			seed: []any{1, 9},
		},
	}
}

func octetShapes() []shape {
	return []shape{
		octetShape(SizeRange{}, []byte{1, 2, 3}, pattern(200)),
		octetShape(sz(0, 7), []byte{0x12, 0x34}),
		octetShape(sz(2, 2), []byte{0xab, 0xcd}),
		octetShape(sz(3, 3), []byte{1, 2, 3}),
		octetShape(extSize12, []byte{1, 2, 3}),
		octetShape(sz(0, 65535), pattern(300)),
		bitShape(sz(4, 4), bitsVal{[]byte{0xb0}, 4}),
		bitShape(sz(20, 20), bitsVal{[]byte{0xab, 0xcd, 0xe0}, 20}),
		bitShape(SizeRange{}, bitsVal{[]byte{0xab, 0xc0}, 12}),
		bitShape(extSize12, bitsVal{[]byte{0xff}, 8}),
	}
}

func stringShapes() []shape {
	return []shape{
		stringShape(IA5String, sz(1, 128), dialedDigits, "1234#", "#*,"),
		stringShape(NumericString, SizeRange{}, nil, "123 "),
		stringShape(PrintableString, sz(1, 64), nil, "Hi"),
		stringShape(IA5String, sz(2, 2), nil, "ab"),
		stringShape(IA5String, extSize12, NewAlphabet("AB"), "AB", "ABA"),
		stringShape(VisibleString, sz(0, 10), nil, "~ "),
		bmpShape(sz(1, 256), nil, "Ab€"),
		bmpShape(SizeRange{}, NewAlphabetRanges('0', '9'), "907"),
		{
			name: "UTF8String",
			dec:  func(d *Decoder) (any, error) { return d.GetUTF8String() },
			enc:  func(e *Encoder, v any) error { return e.PutUTF8String(v.(string)) },
			seed: []any{"né"},
		},
	}
}

func structureShapes() []shape {
	return []shape{
		{
			name: "OBJECT IDENTIFIER",
			dec:  func(d *Decoder) (any, error) { return d.GetObjectIdentifier() },
			enc:  func(e *Encoder, v any) error { return e.PutObjectIdentifier(v.([]uint32)) },
			seed: []any{[]uint32{0, 0, 8, 2250, 0, 4}, []uint32{2, 999, 3}},
		},
		choiceShape(4),
		seqShape(0),
		seqShape(1),
		seqShape(2),
		seqOfShape(SizeRange{}),
		seqOfShape(sz(0, 7)),
		{
			name: "BOOLEAN",
			dec:  func(d *Decoder) (any, error) { return d.GetBoolean() },
			enc:  func(e *Encoder, v any) error { e.PutBoolean(v.(bool)); return nil },
			seed: []any{true},
		},
	}
}

// roundTrip decodes data[1:] as up to three shapes picked by the bits of
// data[0]; when the decoder accepts the whole input, re-encoding the
// values must reproduce it byte for byte.
func roundTrip(t *testing.T, shapes []shape, data []byte) {
	if len(data) < 1 {
		return
	}
	picks := []shape{shapes[int(data[0])%len(shapes)]}
	if data[0]&0x80 != 0 {
		picks = append(picks, shapes[int(data[0]>>3)%len(shapes)])
	}
	in := data[1:]
	d := NewDecoder(in, WithMaxLen(1<<16), WithMaxDepth(8))
	vals := make([]any, 0, len(picks))
	for _, s := range picks {
		v, err := s.dec(d)
		if err != nil {
			return
		}
		vals = append(vals, v)
	}
	if d.Finish() != nil {
		return
	}
	e := NewEncoder()
	for i, s := range picks {
		if err := s.enc(e, vals[i]); err != nil {
			t.Fatalf("%s: decoded %#v from % x but cannot re-encode: %v", s.name, vals[i], in, err)
		}
	}
	if !bytes.Equal(e.Bytes(), in) {
		t.Fatalf("%v: % x decoded as %#v re-encodes as % x", names(picks), in, vals, e.Bytes())
	}
}

func names(ss []shape) []string {
	var n []string
	for _, s := range ss {
		n = append(n, s.name)
	}
	return n
}

// addSeeds adds one encoded seed per shape value.
func addSeeds(f *testing.F, shapes []shape) {
	for i, s := range shapes {
		for _, v := range s.seed {
			e := NewEncoder()
			if err := s.enc(e, v); err != nil {
				f.Fatalf("seed %s %v: %v", s.name, v, err)
			}
			f.Add(append([]byte{byte(i)}, e.Bytes()...))
		}
	}
	f.Add([]byte{0x80, 0xc4, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff})
}

func fuzzShapes(f *testing.F, shapes []shape) {
	addSeeds(f, shapes)
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, shapes, data) })
}

func FuzzDecoderInteger(f *testing.F)   { fuzzShapes(f, integerShapes()) }
func FuzzDecoderOctets(f *testing.F)    { fuzzShapes(f, octetShapes()) }
func FuzzDecoderStrings(f *testing.F)   { fuzzShapes(f, stringShapes()) }
func FuzzDecoderStructure(f *testing.F) { fuzzShapes(f, structureShapes()) }

// FuzzDecoderMixed combines every shape so that fields start at every bit
// offset.
func FuzzDecoderMixed(f *testing.F) {
	var all []shape
	for _, g := range [][]shape{integerShapes(), octetShapes(), stringShapes(), structureShapes()} {
		all = append(all, g...)
	}
	fuzzShapes(f, all)
}

// TestShapesRoundTripSeeds checks every seed value encodes and decodes to
// the same bytes, so the fuzzers start from valid encodings.
func TestShapesRoundTripSeeds(t *testing.T) {
	for _, g := range [][]shape{integerShapes(), octetShapes(), stringShapes(), structureShapes()} {
		for i, s := range g {
			for _, v := range s.seed {
				e := NewEncoder()
				if err := s.enc(e, v); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				d := NewDecoder(e.Bytes())
				if _, err := s.dec(d); err != nil {
					t.Fatalf("%s: decode own encoding % x: %v", s.name, e.Bytes(), err)
				}
				if err := d.Finish(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				roundTrip(t, g, append([]byte{byte(i)}, e.Bytes()...))
			}
		}
	}
}
