package per

import (
	"bytes"
	"errors"
	"testing"
)

func sz(lb, ub int) SizeRange { return SizeRange{Lb: lb, Ub: ub, HasUb: true} }

func TestX691_11_9_LengthDeterminant(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		s      SizeRange
		prefix bool
		want   string
	}{
		{"11_9_3_6_OneOctet5", 5, SizeRange{}, true, "80 05"},
		{"11_9_3_6_OneOctet127", 127, SizeRange{}, false, "7f"},
		{"11_9_3_7_TwoOctet128", 128, SizeRange{}, false, "80 80"},
		{"11_9_3_7_TwoOctet16383", 16383, SizeRange{}, false, "bf ff"},
		{"11_9_3_3_ConstrainedBitField", 5, sz(1, 128), true, "84"},
		{"11_9_3_3_Constrained64K", 300, sz(0, 65535), false, "01 2c"},
		{"11_9_3_3_Ub64KIsUnconstrained", 300, sz(0, 65536), false, "81 2c"},
		{"11_9_3_3_FixedNoBits", 3, sz(3, 3), true, "80"},
		{"11_9_ExtensibleInRoot", 2, SizeRange{Lb: 1, Ub: 4, HasUb: true, Ext: true}, false, "20"},
		{"11_9_ExtensibleOutOfRoot", 6, SizeRange{Lb: 1, Ub: 4, HasUb: true, Ext: true}, false, "80 06"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := encodeHex(t, tc.prefix, func(e *Encoder) error { return e.PutLength(tc.n, tc.s) })
			if got != tc.want {
				t.Fatalf("PutLength(%d, %s) = %s, want %s", tc.n, tc.s, got, tc.want)
			}
			n, err := decoderAfterPrefix(t, tc.want, tc.prefix).GetLength(tc.s)
			if err != nil || n != tc.n {
				t.Fatalf("GetLength = %d, %v", n, err)
			}
		})
	}
	if err := NewEncoder().PutLength(16384, SizeRange{}); !errors.Is(err, ErrRange) {
		t.Errorf("PutLength(16K) = %v, want ErrRange", err)
	}
	if err := NewEncoder().PutLength(5, sz(6, 9)); !errors.Is(err, ErrRange) {
		t.Errorf("PutLength outside SIZE = %v", err)
	}
	for _, bad := range []string{"80 05", "c5", "c1"} {
		if _, err := NewDecoder(unhex(t, bad)).GetLength(SizeRange{}); err == nil {
			t.Errorf("GetLength(%s) accepted", bad)
		}
	}
	// An extension bit of 1 with a length inside the root is not canonical.
	if _, err := NewDecoder(unhex(t, "80 02")).GetLength(SizeRange{Lb: 1, Ub: 4, HasUb: true, Ext: true}); err == nil {
		t.Error("in-root length in extension form accepted")
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// TestX691_11_9_3_8_Fragmentation checks the 16K-unit fragments: C4 = 4×16K,
// C1 = 1×16K, a final short length (0x00 when nothing is left).
func TestX691_11_9_3_8_Fragmentation(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		headers map[int][]byte // offset → expected header bytes
		total   int
	}{
		{"70000", 70000, map[int][]byte{0: {0xc4}, 65537: {0x91, 0x70}}, 70003},
		{"Exactly16K", 16384, map[int][]byte{0: {0xc1}, 16385: {0x00}}, 16386},
		{"32K+5", 32768 + 5, map[int][]byte{0: {0xc2}, 32769: {0x05}}, 32775},
		{"48K", 49152, map[int][]byte{0: {0xc3}, 49153: {0x00}}, 49154},
		{"128K", 131072, map[int][]byte{0: {0xc4}, 65537: {0xc4}, 131074: {0x00}}, 131075},
		{"16383NoFragment", 16383, map[int][]byte{0: {0xbf, 0xff}}, 16385},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := pattern(tc.n)
			e := NewEncoder()
			if err := e.PutOctetString(in, SizeRange{}); err != nil {
				t.Fatal(err)
			}
			out := e.Bytes()
			if len(out) != tc.total {
				t.Fatalf("encoded %d octets, want %d", len(out), tc.total)
			}
			for off, h := range tc.headers {
				if !bytes.Equal(out[off:off+len(h)], h) {
					t.Errorf("header at %d = % x, want % x", off, out[off:off+len(h)], h)
				}
			}
			d := NewDecoder(out)
			got, err := d.GetOctetString(SizeRange{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, in) {
				t.Fatal("round trip differs")
			}
			if err := d.Finish(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestX691_20_SequenceOfFragmented(t *testing.T) {
	const n = 20000 // C1, 16384 one-bit components, then 3616 = 0x0E20
	e := NewEncoder()
	err := e.PutSequenceOf(n, SizeRange{}, func(i int) error { e.PutBoolean(i%3 == 0); return nil })
	if err != nil {
		t.Fatal(err)
	}
	out := e.Bytes()
	if out[0] != 0xc1 || out[2049] != 0x8e || out[2050] != 0x20 || len(out) != 1+2048+2+452 {
		t.Fatalf("headers % x / % x, len %d", out[0], out[2049:2051], len(out))
	}
	d := NewDecoder(out)
	var got []bool
	cnt, err := d.GetSequenceOf(SizeRange{}, func(i int) error {
		b, err := d.GetBoolean()
		got = append(got, b)
		return err
	})
	if err != nil || cnt != n || len(got) != n {
		t.Fatalf("GetSequenceOf = %d, %v", cnt, err)
	}
	for i, b := range got {
		if b != (i%3 == 0) {
			t.Fatalf("component %d = %v", i, b)
		}
	}
}

func TestX691_20_SequenceOfConstrained(t *testing.T) {
	// SEQUENCE (SIZE(0..7)) OF INTEGER(0..3): 3-bit count then 2 bits each,
	// no alignment anywhere.
	vals := []int64{3, 0, 2}
	got := encodeHex(t, true, func(e *Encoder) error {
		return e.PutSequenceOf(len(vals), sz(0, 7), func(i int) error { return e.PutInteger(vals[i], rng(0, 3)) })
	})
	// 1 011 11 00 10 → 1011 1100 1000 0000
	if got != "bc 80" {
		t.Fatalf("got %s", got)
	}
	d := decoderAfterPrefix(t, got, true)
	var dec []int64
	if _, err := d.GetSequenceOf(sz(0, 7), func(int) error {
		v, err := d.GetInteger(rng(0, 3))
		dec = append(dec, v)
		return err
	}); err != nil || len(dec) != 3 || dec[0] != 3 || dec[2] != 2 {
		t.Fatalf("decoded %v, %v", dec, err)
	}
}

func TestDecoderLimits(t *testing.T) {
	in := pattern(70000)
	e := NewEncoder()
	if err := e.PutOctetString(in, SizeRange{}); err != nil {
		t.Fatal(err)
	}
	_, err := NewDecoder(e.Bytes(), WithMaxLen(65536)).GetOctetString(SizeRange{})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("MaxLen 64K: %v, want ErrLimit", err)
	}
	// A length claiming 100 octets in a 3-octet buffer fails before allocating.
	if _, err := NewDecoder([]byte{100, 1, 2}).GetOctetString(SizeRange{}); !errors.Is(err, ErrTruncated) {
		t.Errorf("short buffer: %v", err)
	}
	// A fragment header alone (64K claimed) is truncated, not allocated.
	allocs := testing.AllocsPerRun(10, func() {
		NewDecoder([]byte{0xc4, 0, 0}).GetOctetString(SizeRange{})
	})
	if allocs > 3 {
		t.Errorf("fragment header alone: %v allocs", allocs)
	}
	d := NewDecoder(nil, WithMaxDepth(2))
	if d.Enter() != nil || d.Enter() != nil {
		t.Fatal("depth 2 refused")
	}
	if err := d.Enter(); !errors.Is(err, ErrDepth) {
		t.Errorf("depth 3: %v", err)
	}
	d.Leave()
	if err := d.Enter(); err != nil {
		t.Errorf("after Leave: %v", err)
	}
}
