package h225_test

import (
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func FuzzRasMessage(f *testing.F) {
	for _, s := range pdutest.Seeds(f, pdutest.RAS) {
		f.Add(s)
	}
	f.Add(pdutest.Encode(f, sampleGRQ()))
	f.Add(pdutest.Encode(f, sampleRRQ()))
	f.Add([]byte{0x00})
	f.Fuzz(pdutest.RoundTrip[h225.RasMessage])
}

func FuzzH323UserInformation(f *testing.F) {
	for _, s := range pdutest.Seeds(f, pdutest.UUIE) {
		f.Add(s)
	}
	f.Add(pdutest.Encode(f, sampleSetup(f)))
	f.Add([]byte{0x00})
	f.Fuzz(pdutest.RoundTrip[h225.H323UserInformation])
}
