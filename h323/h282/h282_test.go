package h282_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/roomgate/roomgate/h323/h282"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func sampleHome() *h282.RDCPDU {
	return &h282.RDCPDU{Request: &h282.RequestPDU{DeviceControlRequest: &h282.DeviceControlRequest{
		RequestHandle:        7,
		DeviceClass:          h282.DeviceClass{Camera: &struct{}{}},
		DeviceID:             1,
		ControlAttributeList: []h282.ControlAttribute{{GotoHomePosition: &struct{}{}}},
	}}}
}

func TestRoundTrip(t *testing.T) {
	b, err := sampleHome().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got h282.RDCPDU
	if err := got.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(sampleHome())
	j2, _ := json.Marshal(&got)
	if !bytes.Equal(j1, j2) {
		t.Errorf("round trip changed the value:\n%s\n%s", j1, j2)
	}
	want := `{"request":{"deviceControlRequest":{"requestHandle":7,"deviceClass":{"camera":{}},"deviceID":1,"controlAttributeList":[{"gotoHomePosition":{}}]}}}`
	if string(j1) != want {
		t.Errorf("JSON = %s, want %s", j1, want)
	}
}

func FuzzRDCPDU(f *testing.F) {
	f.Add(pdutest.Encode(f, sampleHome()))
	f.Fuzz(pdutest.RoundTrip[h282.RDCPDU])
}
