package h264

import "github.com/roomgate/roomgate/transcode/media"

// EffectiveLimits are the limits of a room system's decoder as signalled: the Table
// A-1 row of its level_idc (LevelLimits: unknown values round down) raised by
// max-mbps, max-fs and max-br. Level 1b signalled as level_idc 11 with
// constraint_set3 reads as level 1.1, as level_idc 9 as level 1.
func EffectiveLimits(m media.H264Limits) Limits {
	return LevelLimits(m.LevelIDC).Raise(m.MaxMBPS, m.MaxFS, m.MaxBRKbps)
}

// profileLevel reads the three octets of profile-level-id. Level 1b is level_idc
// 11 with constraint_set3_flag in the Baseline, Main and Extended profiles, or
// level_idc 9 (RFC 6184 §8.1).
func profileLevel(profileIDC, constraints, idc byte) ProfileLevel {
	pl := ProfileLevel{ProfileIDC: profileIDC, Constraints: constraints, Level: Level(idc)}
	if pl.Level == Level11 && constraints&0x10 != 0 && (profileIDC == 66 || profileIDC == 77 || profileIDC == 88) {
		pl.Level = Level1b
	}
	return pl
}

// levelIDC is the level_idc octet of pl as profile-level-id carries it (level 1b:
// 11 with constraint_set3, or 9).
func (pl ProfileLevel) levelIDC() (idc, constraints byte) {
	lvl, c := byte(pl.Level), pl.Constraints
	if pl.Level == Level1b {
		if pl.ProfileIDC == 66 || pl.ProfileIDC == 77 || pl.ProfileIDC == 88 {
			lvl, c = 11, c|0x10
		} else {
			lvl = 9
		}
	}
	return lvl, c
}

// Media is p in the media plan's words.
func (p Params) Media() media.H264Limits {
	idc, c := p.ProfileLevel.levelIDC()
	return media.H264Limits{ProfileIDC: p.ProfileLevel.ProfileIDC, Constraints: c, LevelIDC: idc,
		MaxMBPS: p.MaxMBPS, MaxFS: p.MaxFS, MaxBRKbps: p.MaxBR, PacketizationMode: p.PacketizationMode}
}

// ParamsFromMedia is the plan's H.264 limits as media type parameters (level 1b
// recognised as ParseProfileLevelID does).
func ParamsFromMedia(m media.H264Limits) Params {
	return Params{ProfileLevel: profileLevel(m.ProfileIDC, m.Constraints, m.LevelIDC), PacketizationMode: m.PacketizationMode, MaxMBPS: m.MaxMBPS, MaxFS: m.MaxFS, MaxBR: m.MaxBRKbps}
}
