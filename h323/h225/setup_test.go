package h225_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// TestCallgen323Setup checks decoded fields of the Callgen323 Setup
// (ndpi__h323.pcap frame 6) against tshark's dissection of the frame.
func TestCallgen323Setup(t *testing.T) {
	p := pdutest.Frame(t, "ndpi__h323.pcap", 6)
	var m h225.H323UserInformation
	if err := m.Unmarshal(p.Data); err != nil {
		t.Fatal(err)
	}
	s := m.H323UuPdu.H323MessageBody.Setup
	if s == nil {
		t.Fatal("not a Setup")
	}
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("protocolIdentifier", s.ProtocolIdentifier.String(), "0.0.8.2250.0.4")
	if len(s.SourceAddress) != 1 || s.SourceAddress[0].H323ID == nil {
		t.Fatalf("sourceAddress = %+v", s.SourceAddress)
	}
	check("h323-ID", string(*s.SourceAddress[0].H323ID), "m.jemec")
	v := s.SourceInfo.Vendor
	if v == nil {
		t.Fatal("no vendor")
	}
	check("t35CountryCode", v.Vendor.T35CountryCode, int64(9))
	check("manufacturerCode", v.Vendor.ManufacturerCode, int64(61))
	// OpenH323 sends NUL-terminated strings; tshark prints them without the NUL.
	check("productId", strings.TrimRight(string(v.ProductId), "\x00"), "Callgen323 pogacsam")
	check("versionId", strings.TrimRight(string(v.VersionId), "\x00"), "0.9alpha4")
	ip := s.DestCallSignalAddress.IpAddress
	check("destCallSignalAddress", string(ip.Ip), "\x0a\x01\x06\x12")
	check("port", ip.Port, int64(1720))
	check("conferenceGoal create", s.ConferenceGoal.Create != nil, true)
	check("callType pointToPoint", s.CallType.PointToPoint != nil, true)
	check("h245Tunnelling", *m.H323UuPdu.H245Tunnelling, false)
	check("mediaWaitForConnect", *s.MediaWaitForConnect, false)
}

// benchmarkRoundTrip measures decode + encode of one PDU.
func benchmarkRoundTrip[T any, P interface {
	*T
	Unmarshal([]byte) error
	Marshal() ([]byte, error)
}](b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var v T
		if err := P(&v).Unmarshal(data); err != nil {
			b.Fatal(err)
		}
		if _, err := P(&v).Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetupRoundTrip: the Callgen323 Setup, ndpi__h323.pcap frame 6.
func BenchmarkSetupRoundTrip(b *testing.B) {
	benchmarkRoundTrip[h225.H323UserInformation](b, pdutest.Frame(b, "ndpi__h323.pcap", 6).Data)
}

// BenchmarkRRQRoundTrip: the TANDBERG RRQ with H.460.18 features, frame 71.
func BenchmarkRRQRoundTrip(b *testing.B) {
	benchmarkRoundTrip[h225.RasMessage](b, pdutest.Frame(b, "ndpi__h323.pcap", 71).Data)
}

// TestSetupWithFastStartAndTunnelling round-trips a Setup carrying a
// fastStart OpenLogicalChannel and a tunnelled TerminalCapabilitySet.
func TestSetupWithFastStartAndTunnelling(t *testing.T) {
	in := sampleSetup(t)
	b, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var out h225.H323UserInformation
	if err := out.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	s := out.H323UuPdu.H323MessageBody.Setup
	if s == nil || len(s.FastStart) != 1 || len(out.H323UuPdu.H245Control) != 1 {
		t.Fatalf("decoded %+v", out.H323UuPdu)
	}
	var olc h245.OpenLogicalChannel
	if err := olc.Unmarshal(s.FastStart[0]); err != nil {
		t.Fatal(err)
	}
	if g := olc.ForwardLogicalChannelParameters.DataType.AudioData; g == nil || g.G711Ulaw64k == nil || *g.G711Ulaw64k != 20 {
		t.Errorf("fastStart dataType = %+v", olc.ForwardLogicalChannelParameters.DataType)
	}
	var tcs h245.MultimediaSystemControlMessage
	if err := tcs.Unmarshal(out.H323UuPdu.H245Control[0]); err != nil {
		t.Fatal(err)
	}
	if tcs.Request == nil || tcs.Request.TerminalCapabilitySet == nil || tcs.Request.TerminalCapabilitySet.ProtocolIdentifier.String() != "0.0.8.245.0.7" {
		t.Errorf("h245Control = %+v", tcs)
	}
	again, err := out.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("re-encoding differs (%v)", err)
	}
}

// BenchmarkSetupDecode and BenchmarkSetupEncode measure each direction of
// the Callgen323 Setup alone.
func BenchmarkSetupDecode(b *testing.B) {
	data := pdutest.Frame(b, "ndpi__h323.pcap", 6).Data
	b.ReportAllocs()
	for b.Loop() {
		var v h225.H323UserInformation
		if err := v.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetupEncode(b *testing.B) {
	var v h225.H323UserInformation
	if err := v.Unmarshal(pdutest.Frame(b, "ndpi__h323.pcap", 6).Data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
