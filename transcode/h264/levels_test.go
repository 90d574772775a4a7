package h264

import (
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

func TestLevelAtMost(t *testing.T) {
	tests := []struct {
		name string
		idc  uint8
		want Level
	}{
		{"zero_reads_as_level_1", 0, Level1},
		{"idc_9_level_1b_reads_as_level_1", 9, Level1},
		{"exact_level_3.1", 31, Level31},
		{"unlisted_35_rounds_down_to_3.2", 35, Level32},
		{"above_table_is_5.2", 255, Level52},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LevelAtMost(tc.idc); got != tc.want {
				t.Errorf("LevelAtMost(%d) = %v, want %v", tc.idc, got, tc.want)
			}
		})
	}
}

// TestH241Levels checks ITU-T H.241 Table 8-9's values and that every Table A-1 level
// survives the round trip.
func TestH241Levels(t *testing.T) {
	for _, tc := range []struct {
		l Level
		v int
	}{{Level1, 15}, {Level1b, 19}, {Level11, 22}, {Level13, 36}, {Level3, 64}, {Level31, 71}, {Level4, 85}, {Level51, 113}, {Level52, 120}} {
		if v, ok := tc.l.H241(); !ok || v != tc.v {
			t.Errorf("%v.H241() = %d, %v; want %d", tc.l, v, ok, tc.v)
		}
	}
	all := levels()
	for _, l := range append(all[:], Level1b) {
		v, ok := l.H241()
		if !ok {
			t.Fatalf("%v has no H.241 value", l)
		}
		if back, ok := LevelFromH241(v); !ok || back != l {
			t.Errorf("LevelFromH241(%d) = %v, %v; want %v", v, back, ok, l)
		}
	}
	if _, ok := Level(35).H241(); ok {
		t.Error("level_idc 35 has an H.241 value")
	}
	for _, tc := range []struct {
		v    int
		want Level
		ok   bool
	}{{14, 0, false}, {16, Level1, true}, {20, Level1b, true}, {72, Level31, true}, {500, Level52, true}} {
		if got, ok := LevelFromH241(tc.v); got != tc.want || ok != tc.ok {
			t.Errorf("LevelFromH241(%d) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEffectiveLimits(t *testing.T) {
	tests := []struct {
		name string
		in   media.H264Limits
		want Limits
	}{
		{"tandberg_1.3_raised", media.H264Limits{ProfileIDC: 66, LevelIDC: 13, MaxBRKbps: 906, MaxMBPS: 40500, MaxFS: 1344}, Limits{40500, 1344, 906}},
		{"plain_level_3.1", media.H264Limits{ProfileIDC: 66, LevelIDC: 31}, Limits{108000, 3600, 14000}},
		{"values_below_level_ignored", media.H264Limits{ProfileIDC: 66, LevelIDC: 31, MaxFS: 99, MaxMBPS: 1, MaxBRKbps: 64}, Limits{108000, 3600, 14000}},
		{"zero_level_is_level_1", media.H264Limits{}, Limits{1485, 99, 64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EffectiveLimits(tc.in); got != tc.want {
				t.Errorf("EffectiveLimits = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParamsMediaRoundTrip(t *testing.T) {
	for _, fmtp := range []string{
		"profile-level-id=42e01f;packetization-mode=1;max-fs=8160;max-mbps=244800;max-br=3000",
		"profile-level-id=42f00b;packetization-mode=0", // level 1b in Baseline
		"profile-level-id=640009", // level 1b as level_idc 9
		"",
	} {
		p, err := ParseFmtp(fmtp)
		if err != nil {
			t.Fatalf("%q: %v", fmtp, err)
		}
		m := p.Media()
		back := ParamsFromMedia(m)
		if back.ProfileLevel != p.ProfileLevel || back.PacketizationMode != p.PacketizationMode ||
			back.MaxFS != p.MaxFS || back.MaxMBPS != p.MaxMBPS || back.MaxBR != p.MaxBR {
			t.Errorf("%q: %+v -> %+v -> %+v", fmtp, p, m, back)
		}
		if back.ProfileLevel.String() != p.ProfileLevel.String() {
			t.Errorf("%q: profile-level-id %s became %s", fmtp, p.ProfileLevel, back.ProfileLevel)
		}
	}
	p, _ := ParseFmtp("profile-level-id=42e01f;max-fs=8160")
	if m := p.Media(); m.LevelIDC != 31 || m.Constraints != 0xe0 || m.ProfileIDC != 66 || m.MaxFS != 8160 {
		t.Errorf("Media() = %+v", m)
	}
}
