package h264

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrBadProfileLevelID reports an unparsable profile-level-id.
var ErrBadProfileLevelID = errors.New("h264: invalid profile-level-id")

// Profile is an H.264 profile as signalled by profile_idc and the
// constraint flags of profile-level-id (RFC 6184 §8.1, Table 5).
type Profile int

// Profiles roomgate distinguishes.
const (
	ProfileUnknown Profile = iota
	ProfileConstrainedBaseline
	ProfileBaseline
	ProfileMain
	ProfileExtended
	ProfileHigh
	ProfileConstrainedHigh
	ProfileHigh10
	ProfileHigh422
	ProfileHigh444
)

func (p Profile) String() string {
	return [...]string{"unknown", "constrained-baseline", "baseline", "main", "extended",
		"high", "constrained-high", "high-10", "high-4:2:2", "high-4:4:4"}[p]
}

// Level is level_idc (ITU-T H.264 Annex A): 10 for 1, 11 for 1.1, … 52
// for 5.2. Level 1b, signalled with level_idc 11 plus constraint_set3_flag
// (or level_idc 9), is represented as Level1b.
type Level int

// Level1b is the odd level between 1 and 1.1.
const Level1b Level = 9

// Named levels.
const (
	Level1  Level = 10
	Level11 Level = 11
	Level12 Level = 12
	Level13 Level = 13
	Level2  Level = 20
	Level21 Level = 21
	Level22 Level = 22
	Level3  Level = 30
	Level31 Level = 31
	Level32 Level = 32
	Level4  Level = 40
	Level41 Level = 41
	Level42 Level = 42
	Level5  Level = 50
	Level51 Level = 51
	Level52 Level = 52
)

func (l Level) String() string {
	if l == Level1b {
		return "1b"
	}
	return fmt.Sprintf("%d.%d", int(l)/10, int(l)%10)
}

// Less orders levels by capability (1 < 1b < 1.1 < … ).
func (l Level) Less(o Level) bool { return l.rank() < o.rank() }

func (l Level) rank() int {
	if l == Level1b {
		return 105 // between 10 and 11 in tenths×10
	}
	return int(l) * 10
}

// ProfileLevel is a decoded profile-level-id.
type ProfileLevel struct {
	ProfileIDC  byte
	Constraints byte // profile-iop: constraint_set0..5 flags, MSB first
	Level       Level
}

// Profile classifies the profile per RFC 6184 Table 5 / RFC 7742 §6.2.
func (pl ProfileLevel) Profile() Profile {
	c := pl.Constraints
	switch pl.ProfileIDC {
	case 66:
		if c&0x40 != 0 { // constraint_set1: also decodable by Main
			return ProfileConstrainedBaseline
		}
		return ProfileBaseline
	case 77:
		if c&0x80 != 0 && c&0x40 != 0 { // cs0+cs1 on Main is constrained baseline
			return ProfileConstrainedBaseline
		}
		return ProfileMain
	case 88:
		if c&0xC0 == 0xC0 {
			return ProfileConstrainedBaseline
		}
		return ProfileExtended
	case 100:
		if c&0x0C == 0x0C { // constraint_set4 and 5
			return ProfileConstrainedHigh
		}
		return ProfileHigh
	case 110:
		return ProfileHigh10
	case 122:
		return ProfileHigh422
	case 244:
		return ProfileHigh444
	}
	return ProfileUnknown
}

// ParseProfileLevelID decodes the 6 hex digits of profile-level-id.
func ParseProfileLevelID(s string) (ProfileLevel, error) {
	if len(s) != 6 {
		return ProfileLevel{}, fmt.Errorf("%w: %q is not 6 hex digits", ErrBadProfileLevelID, s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return ProfileLevel{}, fmt.Errorf("%w: %q: %w", ErrBadProfileLevelID, s, err)
	}
	pl := profileLevel(b[0], b[1], b[2])
	if _, ok := levelLimits(pl.Level); !ok {
		return ProfileLevel{}, fmt.Errorf("%w: level_idc %d", ErrBadProfileLevelID, b[2])
	}
	if pl.Profile() == ProfileUnknown {
		return ProfileLevel{}, fmt.Errorf("%w: profile_idc %d", ErrBadProfileLevelID, b[0])
	}
	return pl, nil
}

// String renders profile-level-id as 6 lower-case hex digits.
func (pl ProfileLevel) String() string {
	lvl, c := pl.levelIDC()
	return hex.EncodeToString([]byte{pl.ProfileIDC, c, lvl})
}

// Limits returns the Table A-1 limits of the level.
func (pl ProfileLevel) Limits() Limits {
	l, _ := levelLimits(pl.Level)
	return l
}

// compatible reports whether a stream in profile a can be decoded by a
// decoder of profile b: equal profiles, or constrained baseline (a subset
// of Baseline, Main and High) toward any of those.
func compatible(a, b Profile) bool {
	if a == b {
		return true
	}
	if a == ProfileConstrainedBaseline {
		switch b {
		case ProfileBaseline, ProfileMain, ProfileHigh, ProfileExtended, ProfileConstrainedHigh:
			return true
		}
	}
	return false
}

// Negotiate computes what can be sent between two endpoints offering local
// and remote (RFC 6184 §8.2.2, symmetric use without
// level-asymmetry-allowed): the common profile and the lower of the two
// levels. ok is false when the profiles cannot interwork.
func Negotiate(local, remote ProfileLevel) (ProfileLevel, bool) {
	lp, rp := local.Profile(), remote.Profile()
	var out ProfileLevel
	switch {
	case lp == rp:
		out = local
	case compatible(lp, rp):
		out = local
	case compatible(rp, lp):
		out = remote
	default:
		return ProfileLevel{}, false
	}
	out.Level = local.Level
	if remote.Level.Less(local.Level) {
		out.Level = remote.Level
	}
	return out, true
}
