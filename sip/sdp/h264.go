package sdp

import (
	"fmt"
	"strconv"
	"strings"
)

// H264Params are the RFC 6184 §8.1 media type parameters of an H.264
// payload, with the H.241 extensions room systems send (max-fs in macroblocks,
// max-mbps in macroblocks/s, max-br in units of 1000 bit/s for VCL HRD…).
type H264Params struct {
	ProfileIDC        uint8
	ProfileIOP        uint8
	LevelIDC          uint8
	PacketizationMode int
	MaxMBPS           int
	MaxFS             int
	MaxBR             int
	MaxSMBPS          int
	MaxFPS            int
	// HasProfile is false when profile-level-id was absent; RFC 6184 §8.1
	// then implies 420010 (Baseline, level 1).
	HasProfile bool
}

// Default profile-level-id when absent (RFC 6184 §8.1).
const defaultProfileLevelID = 0x42000a

// ParseH264 reads an H.264 fmtp parameter string. Unknown parameters are
// ignored; malformed values are treated as absent.
func ParseH264(fmtp string) H264Params {
	p := H264Params{ProfileIDC: 0x42, LevelIDC: 0x0a}
	for kv := range strings.SplitSeq(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		switch k {
		case "profile-level-id":
			if n, err := strconv.ParseUint(v, 16, 32); err == nil && len(v) == 6 {
				p.ProfileIDC, p.ProfileIOP, p.LevelIDC = uint8(n>>16), uint8(n>>8), uint8(n)
				p.HasProfile = true
			}
		case "packetization-mode":
			p.PacketizationMode = atoiBounded(v, 2)
		case "max-mbps":
			p.MaxMBPS = atoiBounded(v, 1<<30)
		case "max-fs":
			p.MaxFS = atoiBounded(v, 1<<30)
		case "max-br":
			p.MaxBR = atoiBounded(v, 1<<30)
		case "max-smbps":
			p.MaxSMBPS = atoiBounded(v, 1<<30)
		case "max-fps":
			p.MaxFPS = atoiBounded(v, 1<<30)
		}
	}
	return p
}

// ProfileLevelID renders the three profile-level-id octets as hex.
func (p H264Params) ProfileLevelID() string {
	return fmt.Sprintf("%02x%02x%02x", p.ProfileIDC, p.ProfileIOP, p.LevelIDC)
}

// String renders the parameters as an fmtp value in a stable order.
func (p H264Params) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "profile-level-id=%s;packetization-mode=%d", p.ProfileLevelID(), p.PacketizationMode)
	for _, kv := range []struct {
		k string
		v int
	}{{"max-mbps", p.MaxMBPS}, {"max-fs", p.MaxFS}, {"max-br", p.MaxBR}, {"max-smbps", p.MaxSMBPS}, {"max-fps", p.MaxFPS}} {
		if kv.v > 0 {
			fmt.Fprintf(&b, ";%s=%d", kv.k, kv.v)
		}
	}
	return b.String()
}

// H264Caps describe what the gateway can receive and send in H.264.
type H264Caps struct {
	// MaxLevel is the highest level_idc (e.g. 40 for level 4.0) we accept.
	MaxLevel uint8
	// MaxMBPS, MaxFS and MaxBR are announced in answers and offers when
	// non-zero (RFC 6184 §8.1; H.241 units).
	MaxMBPS int
	MaxFS   int
	MaxBR   int
	// BitrateKbps is announced as b=AS on the video m-line when non-zero.
	BitrateKbps int
}

// supportedProfile reports whether we can decode/forward the profile:
// Constrained Baseline/Baseline (66), Main (77) and High (100).
func supportedProfile(idc uint8) bool { return idc == 66 || idc == 77 || idc == 100 }

// levelLimit is one row of H.264 Table A-1.
type levelLimit struct {
	idc   uint8
	mbps  int // MaxMBPS, macroblocks/s
	fs    int // MaxFS, macroblocks
	brKbs int // MaxBR, 1000 bit/s (VCL)
}

// levels is H.264 (ITU-T Rec. H.264) Table A-1.
var levels = []levelLimit{
	{10, 1485, 99, 64}, {11, 3000, 396, 192}, {12, 6000, 396, 384}, {13, 11880, 396, 768},
	{20, 11880, 396, 2000}, {21, 19800, 792, 4000}, {22, 20250, 1620, 4000},
	{30, 40500, 1620, 10000}, {31, 108000, 3600, 14000}, {32, 216000, 5120, 20000},
	{40, 245760, 8192, 20000}, {41, 245760, 8192, 50000}, {42, 522240, 8704, 50000},
	{50, 589824, 22080, 135000}, {51, 983040, 36864, 240000}, {52, 2073600, 36864, 240000},
}

// limitsFor returns the Table A-1 row for a level_idc (the highest row not
// above it; level 1b and unknown low values map to level 1).
func limitsFor(idc uint8) levelLimit {
	l := levels[0]
	for _, row := range levels {
		if row.idc <= idc {
			l = row
		}
	}
	return l
}

// EffectiveMaxFS is the largest frame the parameters allow, in macroblocks: the
// signalled max-fs when it extends the level, else the level's limit.
func (p H264Params) EffectiveMaxFS() int { return max(p.MaxFS, limitsFor(p.LevelIDC).fs) }

// EffectiveMaxMBPS is the macroblock rate limit (max-mbps or the level's).
func (p H264Params) EffectiveMaxMBPS() int { return max(p.MaxMBPS, limitsFor(p.LevelIDC).mbps) }

// EffectiveMaxBRKbps is the bitrate limit in kbit/s (max-br or the level's).
func (p H264Params) EffectiveMaxBRKbps() int { return max(p.MaxBR, limitsFor(p.LevelIDC).brKbs) }

// withExtensions fills max-mbps, max-fs and max-br so that a receiver
// signalling a lower level still announces what caps can take. RFC 6184
// §8.1 only allows values above the level's own limits, so others are left
// out.
func (p H264Params) withExtensions(caps H264Caps) H264Params {
	lvl := limitsFor(p.LevelIDC)
	ours := limitsFor(max(caps.MaxLevel, 10))
	p.MaxMBPS, p.MaxFS, p.MaxBR = 0, 0, 0
	if v := max(caps.MaxMBPS, ours.mbps); v > lvl.mbps {
		p.MaxMBPS = v
	}
	if v := max(caps.MaxFS, ours.fs); v > lvl.fs {
		p.MaxFS = v
	}
	if caps.MaxBR > lvl.brKbs {
		p.MaxBR = caps.MaxBR
	}
	return p
}
