package pdutest

import (
	"path/filepath"
	"testing"
)

func TestExtractNDPI(t *testing.T) {
	dir := SharedDir(t, "captures")
	pdus, err := Extract(filepath.Join(dir, "ndpi__h323.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[Kind]int{}
	frames := map[int]bool{}
	for _, p := range pdus {
		count[p.Kind]++
		frames[p.Frame] = true
	}
	// Wireshark lists these frames as H.225.0 / H.245 (tshark -r … -Y "h225 || h245").
	for _, f := range []int{6, 10, 14, 18, 25, 27, 29, 30, 32, 34, 36, 38, 39, 41, 42, 47, 50, 59, 60, 65, 66, 75} {
		if !frames[f] {
			t.Errorf("frame %d: no PDU extracted", f)
		}
	}
	t.Logf("%v", count)
}

func TestUserUser(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
		ok   bool
	}{
		{"setup with bearer capability and user-user", []byte{0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x88, 0x90, 0xa5, 0xa1, 0x7e, 0x00, 0x03, 0x05, 0xaa, 0xbb}, []byte{0xaa, 0xbb}, true},
		{"no user-user", []byte{0x08, 0x01, 0x01, 0x5a}, nil, true},
		{"wrong discriminator", []byte{0x09, 0x01, 0x01, 0x5a}, nil, false},
		{"overrun", []byte{0x08, 0x01, 0x01, 0x05, 0x7e, 0x00, 0x09, 0x05}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := UserUser(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if string(got) != string(tc.want) {
				t.Fatalf("got % x, want % x", got, tc.want)
			}
		})
	}
}
