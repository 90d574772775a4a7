package pdutest

import (
	"bytes"
	"reflect"
	"testing"
)

// Message is what a generated top-level PDU type has.
type Message[T any] interface {
	*T
	Unmarshal([]byte) error
	Marshal() ([]byte, error)
}

// RoundTrip is the fuzzing property of STYLE.md: whatever decodes must
// re-encode, decode again to an equal value, and re-encode to the same
// bytes. Use it as f.Fuzz(pdutest.RoundTrip[h225.RasMessage]).
func RoundTrip[T any, P Message[T]](t *testing.T, b []byte) {
	var v T
	if P(&v).Unmarshal(b) != nil {
		return
	}
	out, err := P(&v).Marshal()
	if err != nil {
		t.Fatalf("decoded value does not re-encode: %v", err)
	}
	var w T
	if err := P(&w).Unmarshal(out); err != nil {
		t.Fatalf("re-encoding does not decode: %v\n% x", err, out)
	}
	if !reflect.DeepEqual(v, w) {
		t.Fatalf("values differ after a round trip:\n%+v\n%+v", v, w)
	}
	out2, err := P(&w).Marshal()
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("second encoding differs (%v):\n% x\n% x", err, out, out2)
	}
}

// Encode marshals v for a seed corpus, failing the test on error.
func Encode[T any, P Message[T]](tb testing.TB, v P) []byte {
	tb.Helper()
	b, err := v.Marshal()
	if err != nil {
		tb.Fatalf("%T: %v", v, err)
	}
	return b
}
