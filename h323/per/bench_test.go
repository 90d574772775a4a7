package per

import "testing"

func BenchmarkPutIntegerTwoOctet(b *testing.B) {
	e := NewEncoder()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Reset()
		for j := range 64 {
			e.PutBit(j&1 == 0)
			e.PutInteger(int64(i+j)&0xffff, u16)
		}
	}
}

func BenchmarkGetIntegerTwoOctet(b *testing.B) {
	e := NewEncoder()
	for j := range 64 {
		e.PutBit(j&1 == 0)
		e.PutInteger(int64(j*977), u16)
	}
	buf := e.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		d := NewDecoder(buf)
		for range 64 {
			d.GetBit()
			if _, err := d.GetInteger(u16); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkPutBitsUnaligned(b *testing.B) {
	e := NewEncoder()
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		for j := range 256 {
			e.PutBits(uint64(j), 5)
		}
	}
}

func BenchmarkOctetString1K(b *testing.B) {
	in := pattern(1024)
	e := NewEncoder()
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		e.Reset()
		e.PutBit(true)
		e.PutOctetString(in, SizeRange{})
		d := NewDecoder(e.Bytes())
		d.GetBit()
		if _, err := d.GetOctetString(SizeRange{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDialedDigitsRoundTrip(b *testing.B) {
	e := NewEncoder()
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		if err := e.PutKnownString("0123456789#*", IA5String, sz(1, 128), dialedDigits); err != nil {
			b.Fatal(err)
		}
		if _, err := NewDecoder(e.Bytes()).GetKnownString(IA5String, sz(1, 128), dialedDigits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBMPStringRoundTrip(b *testing.B) {
	u := BMPFromString("Conference Room 4 — Polycom")
	e := NewEncoder()
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		if err := e.PutBMPString(u, sz(1, 256), nil); err != nil {
			b.Fatal(err)
		}
		if _, err := NewDecoder(e.Bytes()).GetBMPString(sz(1, 256), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObjectIdentifierRoundTrip(b *testing.B) {
	oid := []uint32{0, 0, 8, 2250, 0, 4}
	e := NewEncoder()
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		e.PutObjectIdentifier(oid)
		if _, err := NewDecoder(e.Bytes()).GetObjectIdentifier(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSequenceWithExtensions(b *testing.B) {
	f, c := true, int64(42)
	v := seqExample{a: true, b: &f, c: &c}
	e := NewEncoder()
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		if err := v.encode(e, 2); err != nil {
			b.Fatal(err)
		}
		var back seqExample
		if err := back.decode(NewDecoder(e.Bytes()), 2); err != nil {
			b.Fatal(err)
		}
	}
}
