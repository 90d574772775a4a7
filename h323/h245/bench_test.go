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

// BenchmarkH239TCSRoundTrip: decode + encode of our own TCS with G.722,
// G.711, H.264 and H.239 content/control capabilities.
func BenchmarkH239TCSRoundTrip(b *testing.B) {
	data, err := h239TCS().Marshal()
	if err != nil {
		b.Fatal(err)
	}
	benchmarkMSCM(b, data)
}

// BenchmarkDecode and BenchmarkEncode measure each direction alone for
// the TCS of the performance goal (each under 10 µs and 100 allocations).
func BenchmarkDecode(b *testing.B) {
	for _, c := range benchTCS(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v h245.MultimediaSystemControlMessage
				if err := v.Unmarshal(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range benchTCS(b) {
		b.Run(c.name, func(b *testing.B) {
			var v h245.MultimediaSystemControlMessage
			if err := v.Unmarshal(c.data); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Marshal(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type benchCase struct {
	name string
	data []byte
}

func benchTCS(b *testing.B) []benchCase {
	own, err := h239TCS().Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return []benchCase{
		{"Callgen323TCS", pdutest.Frame(b, "ndpi__h323.pcap", 29).Data},
		{"H239TCS", own},
	}
}
