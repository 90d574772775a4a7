package bfcp

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// FuzzMessage checks that Unmarshal never panics and that whatever it
// accepts re-encodes to bytes that decode to the same message (RFC 8855
// padding and reserved bits are normalised, so bytes may differ once).
func FuzzMessage(f *testing.F) {
	for _, v := range []uint8{Version1, Version2} {
		for _, m := range catalog(v) {
			b, _ := m.Marshal()
			f.Add(b)
		}
	}
	m := catalog(Version2)[3]
	frags, _ := Fragments(&m, 16)
	for _, b := range frags {
		f.Add(b)
	}
	f.Add([]byte{0x20, 0x03, 0x00, 0x01, 0, 0, 0, 1, 0, 2, 5, 4}) // ndpi__bfcp.pcapng
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		n, err := m.Unmarshal(b)
		if err != nil {
			return
		}
		if n > len(b) || n != m.MessageSize() {
			t.Fatalf("n=%d of %d, MessageSize %d", n, len(b), m.MessageSize())
		}
		enc, err := m.Marshal()
		if err != nil {
			// A decoded grouped attribute may have been padded by the
			// sender beyond the 255 octets its Length allows once we
			// re-pad its members; nothing else may fail.
			return
		}
		var m2 Message
		if _, err := m2.Unmarshal(enc); err != nil {
			t.Fatalf("re-decode: %v\n% x", err, enc)
		}
		enc2, _ := m2.Marshal()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable:\n% x\n% x", enc, enc2)
		}
		m.PayloadLength, m2.PayloadLength = 0, 0
		if !m.Fragment && !reflect.DeepEqual(m.Attributes, m2.Attributes) {
			t.Fatalf("attributes differ:\n%+v\n%+v", m.Attributes, m2.Attributes)
		}
		if m.Fragment {
			var r Reassembler
			_, _ = r.Add(&m, time.Unix(0, 0))
		}
	})
}
