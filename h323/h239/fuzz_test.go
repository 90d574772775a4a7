package h239_test

import (
	"testing"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
)

// FuzzParse decodes H.245 messages; an H.239 message that parses is
// rebuilt, encoded, decoded and parsed again to the same value.
func FuzzParse(f *testing.F) {
	for k := h239.FlowControlReleaseRequest; k <= h239.PresentationTokenIndicateOwner; k++ {
		m, err := h239.Message{Kind: k, ChannelID: 3, TerminalLabel: 1, SymmetryBreaking: 5, BitRate: 100, Acknowledge: k%2 == 0}.MultimediaSystemControlMessage()
		if err != nil {
			f.Fatal(err)
		}
		b, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in h245.MultimediaSystemControlMessage
		if in.Unmarshal(b) != nil {
			return
		}
		g, ok := h239.Find(&in)
		if !ok {
			return
		}
		m, err := h239.Parse(g)
		if err != nil {
			return
		}
		out, err := m.MultimediaSystemControlMessage()
		if err != nil {
			t.Fatalf("parsed %+v does not build: %v", m, err)
		}
		enc, err := out.Marshal()
		if err != nil {
			t.Fatalf("rebuilt %+v does not encode: %v", m, err)
		}
		var back h245.MultimediaSystemControlMessage
		if err := back.Unmarshal(enc); err != nil {
			t.Fatal(err)
		}
		g2, _ := h239.Find(&back)
		m2, err := h239.Parse(g2)
		if err != nil || m2 != m {
			t.Fatalf("round trip: %+v, %v; want %+v", m2, err, m)
		}
	})
}
