package h460_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/h460"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func ptr[T any](v T) *T { return &v }

func sampleIncoming() *h460.IncomingCallIndication {
	return &h460.IncomingCallIndication{
		CallSignallingAddress: h225.TransportAddress{IpAddress: &h225.TransportAddressIpAddress{Ip: []byte{192, 0, 2, 1}, Port: 1720}},
		CallID:                h225.CallIdentifier{Guid: h225.GloballyUniqueID(bytes.Repeat([]byte{0xab}, 16))},
	}
}

func sampleTraversal() *h460.TraversalParameters {
	return &h460.TraversalParameters{
		KeepAliveChannel: &h245.TransportAddress{UnicastAddress: &h245.UnicastAddress{IPAddress: &h245.UnicastAddressIPAddress{
			Network: []byte{192, 0, 2, 1}, TsapIdentifier: 3000}}},
		KeepAlivePayloadType: ptr(int64(127)),
		KeepAliveInterval:    ptr(h225.TimeToLive(19)),
		MultiplexID:          ptr(int64(42)),
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		v, w interface {
			Marshal() ([]byte, error)
			Unmarshal([]byte) error
		}
	}{
		{"IncomingCallIndication", sampleIncoming(), &h460.IncomingCallIndication{}},
		{"TraversalParameters", sampleTraversal(), &h460.TraversalParameters{}},
		{"LRQKeepAliveData", &h460.LRQKeepAliveData{LrqKeepAliveInterval: 30}, &h460.LRQKeepAliveData{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.v.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.w.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			j1, _ := json.Marshal(tc.v)
			j2, _ := json.Marshal(tc.w)
			if !bytes.Equal(j1, j2) {
				t.Errorf("round trip changed the value:\n%s\n%s", j1, j2)
			}
		})
	}
}

func TestLRQKeepAliveEncoding(t *testing.T) {
	// ext 0, TimeToLive 1..2^32-1: octet count-1 = 00 in 2 bits, pad | 30-1 = 1d (X.691 §13)
	b, err := (&h460.LRQKeepAliveData{LrqKeepAliveInterval: 30}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := "001d"; hex.EncodeToString(b) != want {
		t.Errorf("got %x, want %s", b, want)
	}
}

func FuzzIncomingCallIndication(f *testing.F) {
	f.Add(pdutest.Encode(f, sampleIncoming()))
	f.Fuzz(pdutest.RoundTrip[h460.IncomingCallIndication])
}

func FuzzTraversalParameters(f *testing.F) {
	f.Add(pdutest.Encode(f, sampleTraversal()))
	f.Fuzz(pdutest.RoundTrip[h460.TraversalParameters])
}
