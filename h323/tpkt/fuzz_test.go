package tpkt

import (
	"bytes"
	"testing"
)

// FuzzUnmarshal checks that any input either fails cleanly or survives
// Unmarshal → Marshal byte-identically, and that ReadFrame agrees.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{3, 0, 0, 4})
	f.Add([]byte{3, 0, 0, 6, 0x20, 0x80})
	f.Add([]byte{3, 0, 0, 7, 0x21, 0x80, 0x01, 3, 0, 0, 6, 0x20, 0xa0})
	f.Add([]byte{3, 0, 0xff, 0xff})
	f.Add([]byte{3, 0, 0, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		var p Packet
		n, err := p.Unmarshal(in)
		payload, rerr := ReadFrame(bytes.NewReader(in), 0)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("Unmarshal err %v but ReadFrame err %v", err, rerr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(payload, p.Payload) {
			t.Fatalf("ReadFrame payload %x != Unmarshal payload %x", payload, p.Payload)
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in[:n]) {
			t.Fatalf("round trip %x != %x", out, in[:n])
		}
	})
}
