package q931

import (
	"bytes"
	"testing"
)

// FuzzMessage checks that any input either fails with an error or
// survives Unmarshal → Marshal byte for byte, and that every known element
// it contains is stable under decode → encode → decode → encode. Seeds
// come from the captures under ../shared/captures.
func FuzzMessage(f *testing.F) {
	for _, name := range []string{"ndpi__h323.pcap", "wswiki__rtp_example.raw.gz"} {
		for _, m := range captureMessages(f, name) {
			f.Add(m)
		}
	}
	f.Add([]byte{0x08, 0x02, 0x00, 0x07, 0x62, 0x7e, 0x00, 0x01, 0x05, 0x96, 0x7e, 0x02, 0xaa, 0xbb})
	f.Add([]byte{0x08, 0x02, 0x00, 0x07, 0x7b, 0x9d, 0x7e, 0x01, 0xaa, 0x2c, 0x01, 0x31})
	f.Add([]byte{0x08, 0x00, 0x7d, 0x08, 0x02, 0x80, 0x9e, 0x14, 0x01, 0x0a, 0x29, 0x03, 0x1a, 0x0b, 0x1b})
	f.Fuzz(func(t *testing.T, in []byte) {
		var m Message
		if _, err := m.Unmarshal(in); err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("Marshal after Unmarshal: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip\n got %x\nwant %x", out, in)
		}
		for _, ie := range m.IEs {
			e, known, err := DecodeElement(ie)
			if !known || err != nil {
				continue
			}
			c1, err := e.MarshalContents()
			if err != nil {
				t.Fatalf("%s: decoded %+v does not encode: %v", ie.ID.Name(), e, err)
			}
			e2, _, err := DecodeElement(IE{ID: ie.ID, Contents: c1})
			if err != nil {
				t.Fatalf("%s: re-decode of %x: %v", ie.ID.Name(), c1, err)
			}
			c2, err := e2.MarshalContents()
			if err != nil || !bytes.Equal(c1, c2) {
				t.Fatalf("%s: unstable %x -> %x (%v)", ie.ID.Name(), c1, c2, err)
			}
		}
	})
}
