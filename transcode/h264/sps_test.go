package h264

import (
	"errors"
	"testing"

	"github.com/roomgate/roomgate/transcode/h264/synth"
)

type spsSpec struct {
	profile, constraints, level byte
	chroma                      uint32 // for high profiles
	scaling                     bool
	pocType                     uint32
	pocCycle                    []int32
	wMBs, hUnits                uint32
	frameMBsOnly                bool
	crop                        [4]uint32 // left right top bottom
}

func buildSPS(s spsSpec) []byte {
	w := &synth.RBSP{}
	w.U(8, uint32(s.profile))
	w.U(8, uint32(s.constraints))
	w.U(8, uint32(s.level))
	w.UE(0) // sps id
	if hasChromaInfo(s.profile) {
		w.UE(s.chroma)
		if s.chroma == 3 {
			w.U(1, 0)
		}
		w.UE(0)
		w.UE(0)
		w.U(1, 0)
		if s.scaling {
			w.U(1, 1)
			for i := 0; i < 8; i++ {
				w.U(1, 1) // list present
				size := 16
				if i >= 6 {
					size = 64
				}
				for j := 0; j < size; j++ {
					w.SE(int32(j%5) - 2)
				}
			}
		} else {
			w.U(1, 0)
		}
	}
	w.UE(0) // log2_max_frame_num_minus4
	w.UE(s.pocType)
	switch s.pocType {
	case 0:
		w.UE(2)
	case 1:
		w.U(1, 0)
		w.SE(-3)
		w.SE(1)
		w.UE(uint32(len(s.pocCycle)))
		for _, v := range s.pocCycle {
			w.SE(v)
		}
	}
	w.UE(1) // max_num_ref_frames
	w.U(1, 0)
	w.UE(s.wMBs - 1)
	w.UE(s.hUnits - 1)
	if s.frameMBsOnly {
		w.U(1, 1)
	} else {
		w.U(1, 0)
		w.U(1, 1)
	}
	w.U(1, 1) // direct_8x8_inference_flag
	if s.crop != [4]uint32{} {
		w.U(1, 1)
		for _, c := range s.crop {
			w.UE(c)
		}
	} else {
		w.U(1, 0)
	}
	w.U(1, 0) // vui_parameters_present_flag
	return w.NAL(0x67)
}

func TestParseSPS(t *testing.T) {
	tests := []struct {
		name string
		spec spsSpec
		w, h int
	}{
		{"CB 640x480", spsSpec{profile: 66, constraints: 0xE0, level: 30, pocType: 2, wMBs: 40, hUnits: 30, frameMBsOnly: true}, 640, 480},
		{"CB 1280x720", spsSpec{profile: 66, constraints: 0xC0, level: 31, pocType: 0, wMBs: 80, hUnits: 45, frameMBsOnly: true}, 1280, 720},
		{"high 1920x1080 cropped", spsSpec{profile: 100, level: 40, chroma: 1, pocType: 0, wMBs: 120, hUnits: 68, frameMBsOnly: true, crop: [4]uint32{0, 0, 0, 4}}, 1920, 1080},
		{"high with scaling lists", spsSpec{profile: 100, level: 40, chroma: 1, scaling: true, pocType: 2, wMBs: 22, hUnits: 18, frameMBsOnly: true}, 352, 288},
		{"main interlaced 1080i", spsSpec{profile: 77, level: 40, pocType: 0, wMBs: 120, hUnits: 34, frameMBsOnly: false, crop: [4]uint32{0, 0, 0, 2}}, 1920, 1080},
		{"poc type 1 cycle", spsSpec{profile: 77, level: 30, pocType: 1, pocCycle: []int32{2, -1, 0, 7}, wMBs: 44, hUnits: 36, frameMBsOnly: true}, 704, 576},
		{"4:4:4 crop units 1", spsSpec{profile: 244, level: 40, chroma: 3, pocType: 2, wMBs: 20, hUnits: 15, frameMBsOnly: true, crop: [4]uint32{1, 1, 1, 1}}, 318, 238},
		{"4:2:2 crop", spsSpec{profile: 122, level: 40, chroma: 2, pocType: 2, wMBs: 20, hUnits: 15, frameMBsOnly: true, crop: [4]uint32{1, 1, 1, 1}}, 316, 238},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nal := buildSPS(tc.spec)
			s, err := ParseSPS(nal)
			if err != nil {
				t.Fatalf("%v (nal % x)", err, nal)
			}
			if s.Width != tc.w || s.Height != tc.h {
				t.Errorf("size %dx%d, want %dx%d", s.Width, s.Height, tc.w, tc.h)
			}
			if s.ProfileIDC != tc.spec.profile || s.LevelIDC != tc.spec.level || s.Constraints != tc.spec.constraints {
				t.Errorf("profile/level %d/%d/%#x", s.ProfileIDC, s.LevelIDC, s.Constraints)
			}
		})
	}
}

func TestParseSPSRealEncoder(t *testing.T) {
	// The SPS of a 2×2 pixel keyframe produced by a real encoder (the test
	// vector used by LiveKit's server SDK and pion): cropping from one
	// macroblock, VUI present, emulation prevention bytes inside.
	nal := []byte{
		0x67, 0x42, 0xc0, 0x1f, 0x0f, 0xd9, 0x1f, 0x88,
		0x88, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
		0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc9, 0x20,
	}
	s, err := ParseSPS(nal)
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 2 || s.Height != 2 || s.ProfileIDC != 66 || s.LevelIDC != 31 {
		t.Errorf("got %+v, want 2x2 baseline level 3.1", s)
	}
}

func TestParseSPSEmulationPrevention(t *testing.T) {
	// Zero-heavy fields force 00 00 03 escapes; the parser must remove them.
	nal := buildSPS(spsSpec{profile: 0, constraints: 0, level: 0, pocType: 2, wMBs: 1, hUnits: 1, frameMBsOnly: true})
	escaped := false
	for i := 0; i+2 < len(nal); i++ {
		if nal[i] == 0 && nal[i+1] == 0 && nal[i+2] == 3 {
			escaped = true
		}
	}
	if !escaped {
		t.Fatalf("test SPS has no emulation prevention byte: % x", nal)
	}
	s, err := ParseSPS(nal)
	if err != nil || s.Width != 16 || s.Height != 16 {
		t.Errorf("got %+v, %v", s, err)
	}
}

func TestParseSPSErrors(t *testing.T) {
	good := buildSPS(spsSpec{profile: 66, level: 30, pocType: 2, wMBs: 40, hUnits: 30, frameMBsOnly: true})
	tests := []struct {
		name string
		nal  []byte
	}{
		{"not an SPS", []byte{0x68, 1, 2, 3, 4}},
		{"too short", []byte{0x67, 66, 0}},
		{"truncated", good[:len(good)-3]},
		{"all zero bits (endless exp-golomb)", append([]byte{0x67, 66, 0, 30}, make([]byte, 40)...)},
		{"poc type 3", buildSPS(spsSpec{profile: 66, level: 30, pocType: 3, wMBs: 4, hUnits: 4, frameMBsOnly: true})},
		{"crop past picture", buildSPS(spsSpec{profile: 66, level: 30, pocType: 2, wMBs: 4, hUnits: 4, frameMBsOnly: true, crop: [4]uint32{20, 20, 0, 0}})},
		{"giant picture", buildSPS(spsSpec{profile: 66, level: 30, pocType: 2, wMBs: 5000, hUnits: 4, frameMBsOnly: true})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseSPS(tc.nal); !errors.Is(err, ErrBadSPS) {
				t.Errorf("err = %v", err)
			}
		})
	}
}
