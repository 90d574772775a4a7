package h245_test

import (
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func benchmarkMSCM(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var v h245.MultimediaSystemControlMessage
		if err := v.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
		if _, err := v.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTCSRoundTrip: decode + encode of the Callgen323
// TerminalCapabilitySet, ndpi__h323.pcap frame 29.
func BenchmarkTCSRoundTrip(b *testing.B) {
	benchmarkMSCM(b, pdutest.Frame(b, "ndpi__h323.pcap", 29).Data)
}

// BenchmarkOLCRoundTrip: an OpenLogicalChannel (G.711 A-law), frame 38.
func BenchmarkOLCRoundTrip(b *testing.B) {
	benchmarkMSCM(b, pdutest.Frame(b, "ndpi__h323.pcap", 38).Data)
}
