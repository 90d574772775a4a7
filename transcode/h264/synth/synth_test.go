package synth

import (
	"bytes"
	"testing"

	"github.com/roomgate/roomgate/transcode/h264"
)

// The stream parses with the H.264 reader: its SPS says the size asked for, each
// group starts with SPS, PPS, IDR, and no NAL unit carries a start code pattern.
func TestStream(t *testing.T) {
	aus := Stream(176, 144, 3, 4)
	if len(aus) != 12 {
		t.Fatalf("%d access units, want 12", len(aus))
	}
	for i, au := range aus {
		types := []byte{}
		for _, n := range au {
			types = append(types, h264.NALType(n))
			if bytes.Contains(n[1:], []byte{0, 0, 1}) || bytes.Contains(n[1:], []byte{0, 0, 0}) {
				t.Errorf("AU %d: NAL unit type %d contains a start code pattern", i, n[0]&0x1f)
			}
		}
		if i%4 == 0 {
			if len(au) != 3 || types[0] != h264.NALSPS || types[1] != h264.NALPPS || types[2] != h264.NALIDR {
				t.Fatalf("AU %d: types %v, want SPS PPS IDR", i, types)
			}
			sps, err := h264.ParseSPS(au[0])
			if err != nil {
				t.Fatal(err)
			}
			if sps.Width != 176 || sps.Height != 144 {
				t.Errorf("SPS size %dx%d", sps.Width, sps.Height)
			}
		} else if len(au) != 1 || types[0] != h264.NALSlice {
			t.Errorf("AU %d: types %v, want one non-IDR slice", i, types)
		}
	}
}

// Exp-Golomb codes as H.264 Table 9-2 lists them.
func TestExpGolomb(t *testing.T) {
	cases := []struct {
		ue   uint32
		bits string
	}{{0, "1"}, {1, "010"}, {2, "011"}, {3, "00100"}, {7, "0001000"}}
	for _, tc := range cases {
		w := &RBSP{}
		w.UE(tc.ue)
		got := ""
		for _, b := range append(w.buf, w.cur<<(8-w.nbit)) {
			for i := 7; i >= 0; i-- {
				got += string('0' + b>>uint(i)&1)
			}
		}
		if got[:len(tc.bits)] != tc.bits {
			t.Errorf("ue(%d) = %s…, want %s", tc.ue, got[:len(tc.bits)], tc.bits)
		}
	}
}
