package h264

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadFmtp reports an unparsable a=fmtp parameter.
var ErrBadFmtp = errors.New("h264: invalid fmtp")

// Params are the H.264 media type parameters of RFC 6184 §8.1 as found in an
// SDP a=fmtp line.
type Params struct {
	ProfileLevel      ProfileLevel
	PacketizationMode int
	MaxMBPS           int // macroblocks/s; 0 when absent
	MaxFS             int // macroblocks per frame; 0 when absent
	MaxBR             int // kbit/s (units of 1000 bit/s for VCL); 0 when absent
	MaxSMBPS          int
	LevelAsymmetry    bool
	SPS, PPS          [][]byte // from sprop-parameter-sets
	// Other keeps unknown parameters (e.g. TANDBERG's max-fps) verbatim.
	Other map[string]string
}

// maxParam bounds numeric parameters so products below cannot overflow.
const maxParam = 1 << 30

// ParseFmtp decodes the parameter part of "a=fmtp:<pt> <params>". A missing
// profile-level-id means 42000a (Baseline, level 1), as §8.1 specifies.
func ParseFmtp(s string) (Params, error) {
	p := Params{ProfileLevel: ProfileLevel{ProfileIDC: 66, Level: Level1}}
	for _, kv := range strings.Split(s, ";") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "profile-level-id":
			p.ProfileLevel, err = ParseProfileLevelID(v)
		case "packetization-mode":
			p.PacketizationMode, err = atoiBounded(v, 2)
		case "max-mbps":
			p.MaxMBPS, err = atoiBounded(v, maxParam)
		case "max-fs":
			p.MaxFS, err = atoiBounded(v, maxParam)
		case "max-br":
			p.MaxBR, err = atoiBounded(v, maxParam)
		case "max-smbps":
			p.MaxSMBPS, err = atoiBounded(v, maxParam)
		case "level-asymmetry-allowed":
			p.LevelAsymmetry = v == "1"
		case "sprop-parameter-sets":
			err = p.parseSprop(v)
		default:
			if p.Other == nil {
				p.Other = map[string]string{}
			}
			p.Other[k] = v
		}
		if err != nil {
			return Params{}, fmt.Errorf("%w: %s: %w", ErrBadFmtp, k, err)
		}
	}
	return p, nil
}

func atoiBounded(v string, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > hi {
		return 0, fmt.Errorf("%d out of range 0..%d", n, hi)
	}
	return n, nil
}

func (p *Params) parseSprop(v string) error {
	for _, s := range strings.Split(v, ",") {
		nal, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return err
		}
		switch NALType(nal) {
		case NALSPS:
			p.SPS = append(p.SPS, nal)
		case NALPPS:
			p.PPS = append(p.PPS, nal)
		}
	}
	return nil
}

// Limits combines the level's Table A-1 limits with max-mbps, max-fs and
// max-br, which may only raise them (RFC 6184 §8.1: values below the
// level's are ignored).
func (p Params) Limits() Limits {
	return p.ProfileLevel.Limits().Raise(p.MaxMBPS, p.MaxFS, p.MaxBR)
}

// FrameMBs is the number of 16×16 macroblocks of a width×height picture.
func FrameMBs(width, height int) int {
	return ((width + 15) / 16) * ((height + 15) / 16)
}

// Fits reports whether a width×height picture may be sent under l: the
// frame size within MaxFS and each side at most sqrt(8·MaxFS) macroblocks
// (ITU-T H.264 A.3.1 h/i).
func (l Limits) Fits(width, height int) bool {
	if width <= 0 || height <= 0 {
		return false
	}
	w, h := (width+15)/16, (height+15)/16
	side := 8 * l.MaxFS
	return w*h <= l.MaxFS && w*w <= side && h*h <= side
}

// MaxFrameRate is the highest frame rate for width×height under l.
func (l Limits) MaxFrameRate(width, height int) float64 {
	mbs := FrameMBs(width, height)
	if mbs <= 0 {
		return 0
	}
	return float64(l.MaxMBPS) / float64(mbs)
}

// Bitrate is MaxBR in bit/s.
func (l Limits) Bitrate() int { return l.MaxBR * 1000 }

// H.241 (H.323 signalling of H.264) carries the same limits in coarser
// units: MaxMBPS in 500 MB/s, MaxFS in 256 MBs, MaxBR in 25000 bit/s
// (ITU-T H.241 Table 8-4). These convert to and from the SDP units,
// rounding H.241 values up so no capability is lost.

// H241FromLimits converts to H.241 custom parameter units.
func H241FromLimits(l Limits) (mbps, fs, br int) {
	return ceilDiv(l.MaxMBPS, 500), ceilDiv(l.MaxFS, 256), ceilDiv(l.MaxBR*1000, 25000)
}

// LimitsFromH241 converts H.241 custom parameter units back.
func LimitsFromH241(mbps, fs, br int) Limits {
	return Limits{MaxMBPS: mbps * 500, MaxFS: fs * 256, MaxBR: br * 25}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
