package sdp

import (
	"testing"

	"github.com/roomgate/roomgate/transcode/h264"
)

func TestH264Extensions(t *testing.T) {
	caps := H264Caps{MaxLevel: 40, MaxBR: 3000}
	tests := []struct {
		name string
		in   H264Params
		caps H264Caps
		want string
	}{
		{"level_1.3_extended_to_our_level_4.0", H264Params{ProfileIDC: 0x42, ProfileIOP: 0x80, LevelIDC: 13, PacketizationMode: 1}, caps,
			"profile-level-id=42800d;packetization-mode=1;max-mbps=245760;max-fs=8192;max-br=3000"},
		{"level_4.0_needs_no_extension", H264Params{ProfileIDC: 0x64, LevelIDC: 40}, caps,
			"profile-level-id=640028;packetization-mode=0"},
		{"level_3.1_fs_and_mbps_only_above_level", H264Params{ProfileIDC: 0x42, ProfileIOP: 0xe0, LevelIDC: 31, PacketizationMode: 1}, H264Caps{MaxLevel: 31, MaxFS: 3600, MaxBR: 14000},
			"profile-level-id=42e01f;packetization-mode=1"},
		{"explicit_caps_beyond_level", H264Params{ProfileIDC: 0x42, LevelIDC: 31}, H264Caps{MaxLevel: 31, MaxFS: 8160, MaxMBPS: 244800},
			"profile-level-id=42001f;packetization-mode=0;max-mbps=244800;max-fs=8160"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.withExtensions(tc.caps)
			if got.String() != tc.want {
				t.Errorf("got %q, want %q", got.String(), tc.want)
			}
			// RFC 6184 §8.1: extensions never go below the level's own limits.
			lvl := h264.LevelLimits(got.LevelIDC)
			if (got.MaxFS != 0 && got.MaxFS < lvl.MaxFS) || (got.MaxMBPS != 0 && got.MaxMBPS < lvl.MaxMBPS) || (got.MaxBR != 0 && got.MaxBR < lvl.MaxBR) {
				t.Errorf("extension below level %d limits: %+v", got.LevelIDC, got)
			}
		})
	}
}

func TestH264Effective(t *testing.T) {
	tests := []struct {
		name           string
		fmtp           string
		fs, mbps, brKb int
	}{
		{"tandberg_1.3_with_extensions", "profile-level-id=42800d;max-br=906;max-mbps=40500;max-fs=1344", 1344, 40500, 906},
		{"plain_level_3.1", "profile-level-id=42e01f", 3600, 108000, 14000},
		{"absent_means_level_1", "", 99, 1485, 64},
		{"level_1b_as_idc_9", "profile-level-id=420009", 99, 1485, 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ParseH264(tc.fmtp)
			if p.EffectiveMaxFS() != tc.fs || p.EffectiveMaxMBPS() != tc.mbps || p.EffectiveMaxBRKbps() != tc.brKb {
				t.Errorf("effective fs=%d mbps=%d br=%d", p.EffectiveMaxFS(), p.EffectiveMaxMBPS(), p.EffectiveMaxBRKbps())
			}
		})
	}
}
