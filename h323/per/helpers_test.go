package per

import (
	"encoding/hex"
	"strings"
	"testing"
)

// unhex parses "80 AB cd" style hex.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// encodeHex runs put on a fresh encoder, optionally after one '1' prefix
// bit that shows whether a field is aligned, and returns the spaced hex.
func encodeHex(t testing.TB, prefix bool, put func(e *Encoder) error) string {
	t.Helper()
	e := NewEncoder()
	if prefix {
		e.PutBit(true)
	}
	if err := put(e); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return spaced(e.Bytes())
}

func spaced(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// decoderAfterPrefix returns a decoder over h that has consumed the '1'
// prefix bit when prefix is set.
func decoderAfterPrefix(t testing.TB, h string, prefix bool) *Decoder {
	t.Helper()
	d := NewDecoder(unhex(t, h))
	if prefix {
		if b, err := d.GetBit(); err != nil || !b {
			t.Fatalf("prefix bit: %v %v", b, err)
		}
	}
	return d
}
