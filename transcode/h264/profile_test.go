package h264

import (
	"errors"
	"testing"
)

func TestParseProfileLevelID(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		profile Profile
		level   Level
		str     string
	}{
		{"tandberg baseline 1.3", "42800d", ProfileBaseline, Level13, "42800d"},
		{"webrtc constrained baseline 3.1", "42e01f", ProfileConstrainedBaseline, Level31, "42e01f"},
		{"openh264 42001f", "42001f", ProfileBaseline, Level31, "42001f"},
		{"main 4.0", "4d0028", ProfileMain, Level4, "4d0028"},
		{"high 4.1", "640029", ProfileHigh, Level41, "640029"},
		{"constrained high 3.1", "640c1f", ProfileConstrainedHigh, Level31, "640c1f"},
		{"baseline level 1b", "42f00b", ProfileConstrainedBaseline, Level1b, "42f00b"},
		{"high level 1b via 9", "640009", ProfileHigh, Level1b, "640009"},
		{"upper case", "42E01F", ProfileConstrainedBaseline, Level31, "42e01f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := ParseProfileLevelID(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Profile() != tc.profile || pl.Level != tc.level {
				t.Errorf("got %v %v, want %v %v", pl.Profile(), pl.Level, tc.profile, tc.level)
			}
			if pl.String() != tc.str {
				t.Errorf("String = %q, want %q", pl.String(), tc.str)
			}
		})
	}
}

func TestParseProfileLevelIDErrors(t *testing.T) {
	for _, in := range []string{"", "42e0", "42e01f00", "zz0000", "42e0ff", "ff001f"} {
		t.Run(in, func(t *testing.T) {
			if _, err := ParseProfileLevelID(in); !errors.Is(err, ErrBadProfileLevelID) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name          string
		local, remote string
		want          string
		ok            bool
	}{
		{"same profile lower remote level", "42e01f", "42e00d", "42e00d", true},
		{"same profile lower local level", "42e00d", "42e01f", "42e00d", true},
		{"cb with main gives cb", "42e01f", "4d0028", "42e01f", true},
		{"high with cb gives cb at lower level", "640032", "42e01f", "42e01f", true},
		{"1b is below 1.1", "42f00b", "42e00b", "42f00b", true},
		{"baseline vs main incompatible", "42001f", "4d001f", "", false},
		{"high vs main incompatible", "64001f", "4d001f", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := ParseProfileLevelID(tc.local)
			r, _ := ParseProfileLevelID(tc.remote)
			got, ok := Negotiate(l, r)
			if ok != tc.ok || (ok && got.String() != tc.want) {
				t.Errorf("Negotiate = %v,%v want %v,%v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseFmtpTandberg(t *testing.T) {
	// From a real TANDBERG/257 TE4.1.1 INVITE (../shared/captures).
	p, err := ParseFmtp("profile-level-id=42800d;max-br=906;max-mbps=40500;max-fs=1344;max-smbps=40500;packetization-mode=1;max-fps=3000")
	if err != nil {
		t.Fatal(err)
	}
	if p.ProfileLevel.Level != Level13 || p.PacketizationMode != 1 || p.MaxFS != 1344 || p.MaxMBPS != 40500 || p.MaxBR != 906 {
		t.Errorf("params %+v", p)
	}
	if p.Other["max-fps"] != "3000" {
		t.Errorf("max-fps not kept: %v", p.Other)
	}
	l := p.Limits()
	// Level 1.3 allows 396 MBs/11880 MB/s/768 kbit/s; max-* raise them.
	if l.MaxFS != 1344 || l.MaxMBPS != 40500 || l.MaxBR != 906 {
		t.Errorf("limits %+v", l)
	}
	// 1344 MBs is w448p (768×448 = 48×28 MBs); 4CIF needs 1584.
	if !l.Fits(768, 448) || l.Fits(704, 576) || l.Fits(1280, 720) {
		t.Errorf("w448p should fit in 1344 MBs, 4CIF and 720p should not")
	}
	if r := l.MaxFrameRate(768, 448); r < 30.1 || r > 30.2 {
		t.Errorf("w448p max rate %.2f, want 30.13", r)
	}
}

func TestParseFmtp(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		check   func(Params) bool
	}{
		{"defaults to 42000a", "", false, func(p Params) bool { return p.ProfileLevel.String() == "42000a" && p.PacketizationMode == 0 }},
		{"sprop", "profile-level-id=42e01f;sprop-parameter-sets=Z0LgH42NQFAe0A8IhGo=,aM4xsg==", false,
			func(p Params) bool { return len(p.SPS) == 1 && len(p.PPS) == 1 }},
		{"asymmetry", "level-asymmetry-allowed=1;profile-level-id=640c1f", false, func(p Params) bool { return p.LevelAsymmetry }},
		{"bad mode", "packetization-mode=3", true, nil},
		{"negative max-fs", "max-fs=-1", true, nil},
		{"huge max-mbps", "max-mbps=99999999999", true, nil},
		{"bad base64", "sprop-parameter-sets=!!!", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseFmtp(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !errors.Is(err, ErrBadFmtp) {
					t.Errorf("err %v not ErrBadFmtp", err)
				}
				return
			}
			if !tc.check(p) {
				t.Errorf("params %+v", p)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		level Level
		w, h  int
		fits  bool
		fps   float64
	}{
		{"720p at 3.1", Level31, 1280, 720, true, 30},
		{"1080p at 3.1", Level31, 1920, 1080, false, 0},
		{"1080p at 4.0", Level4, 1920, 1080, true, 30.12},
		{"CIF at 1.3", Level13, 352, 288, true, 30},
		{"very wide at 3.1", Level31, 16 * 200, 16, false, 0}, // side > sqrt(8*3600)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := ProfileLevel{ProfileIDC: 66, Level: tc.level}.Limits()
			if l.Fits(tc.w, tc.h) != tc.fits {
				t.Errorf("Fits = %v", !tc.fits)
			}
			if tc.fits {
				if r := l.MaxFrameRate(tc.w, tc.h); r < tc.fps-0.01 || r > tc.fps+0.01 {
					t.Errorf("MaxFrameRate = %.2f, want %.2f", r, tc.fps)
				}
			}
		})
	}
}

func TestH241Units(t *testing.T) {
	l := Limits{MaxMBPS: 108000, MaxFS: 3600, MaxBR: 14000}
	mbps, fs, br := H241FromLimits(l)
	if mbps != 216 || fs != 15 || br != 560 {
		t.Errorf("H.241 units %d %d %d", mbps, fs, br)
	}
	back := LimitsFromH241(mbps, fs, br)
	if back.MaxMBPS < l.MaxMBPS || back.MaxFS < l.MaxFS || back.MaxBR < l.MaxBR {
		t.Errorf("round trip lost capability: %+v", back)
	}
}
