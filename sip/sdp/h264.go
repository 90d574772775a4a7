package sdp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
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

// Limits are the parameters in the media plan's words: what a decoder signalling
// them takes.
func (p H264Params) Limits() media.H264Limits {
	return media.H264Limits{ProfileIDC: p.ProfileIDC, Constraints: p.ProfileIOP, LevelIDC: p.LevelIDC,
		MaxMBPS: p.MaxMBPS, MaxFS: p.MaxFS, MaxBRKbps: p.MaxBR, PacketizationMode: p.PacketizationMode}
}

// effective are the limits of the level_idc (Table A-1, transcode/h264; unknown
// values round down) raised by max-mbps, max-fs and max-br.
func (p H264Params) effective() h264.Limits { return h264.EffectiveLimits(p.Limits()) }

// EffectiveMaxFS is the largest frame the parameters allow, in macroblocks: the
// signalled max-fs when it extends the level, else the level's limit.
func (p H264Params) EffectiveMaxFS() int { return p.effective().MaxFS }

// EffectiveMaxMBPS is the macroblock rate limit (max-mbps or the level's).
func (p H264Params) EffectiveMaxMBPS() int { return p.effective().MaxMBPS }

// EffectiveMaxBRKbps is the bitrate limit in kbit/s (max-br or the level's).
func (p H264Params) EffectiveMaxBRKbps() int { return p.effective().MaxBR }

// withExtensions fills max-mbps, max-fs and max-br so that a receiver
// signalling a lower level still announces what caps can take. RFC 6184
// §8.1 only allows values above the level's own limits, so others are left
// out.
func (p H264Params) withExtensions(caps H264Caps) H264Params {
	lvl := h264.LevelLimits(p.LevelIDC)
	ours := h264.LevelLimits(caps.MaxLevel)
	p.MaxMBPS, p.MaxFS, p.MaxBR = 0, 0, 0
	if v := max(caps.MaxMBPS, ours.MaxMBPS); v > lvl.MaxMBPS {
		p.MaxMBPS = v
	}
	if v := max(caps.MaxFS, ours.MaxFS); v > lvl.MaxFS {
		p.MaxFS = v
	}
	if caps.MaxBR > lvl.MaxBR {
		p.MaxBR = caps.MaxBR
	}
	return p
}
