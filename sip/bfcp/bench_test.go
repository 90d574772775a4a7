package bfcp

import "testing"

// BenchmarkMarshalFloorRequestStatus encodes the largest message the
// server sends per floor change (nested groups).
func BenchmarkMarshalFloorRequestStatus(b *testing.B) {
	m := catalog(Version2)[3]
	buf := make([]byte, m.MarshalSize())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.MarshalTo(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalFloorRequestStatus(b *testing.B) {
	m := catalog(Version2)[3]
	raw, _ := m.Marshal()
	b.ReportAllocs()
	for b.Loop() {
		var d Message
		if _, err := d.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
	}
}
