// Package h264 moves ITU-T H.264 video over RTP as RFC 6184 describes:
// a Depacketizer that turns RTP payloads (single NAL unit, STAP-A, FU-A)
// back into NAL units and access units, a Packetizer for packetization-mode
// 0 and 1 with a configurable MTU, the SDP/H.241 parameters of §8.1
// (profile-level-id, max-fs, max-mbps, max-br) with level negotiation, and a
// minimal sequence parameter set parser (ITU-T H.264 §7.3.2.1.1) for the
// picture size.
//
// Video is forwarded, not transcoded: these stages copy bytes between
// framings and never look inside slices. Interleaved mode (STAP-B, MTAP,
// FU-B, packetization-mode 2) is not supported.
package h264

import "bytes"

// NAL unit types (ITU-T H.264 Table 7-1) and RTP payload types (RFC 6184 §5.2).
const (
	NALSlice    = 1
	NALIDR      = 5
	NALSEI      = 6
	NALSPS      = 7
	NALPPS      = 8
	NALAUD      = 9
	NALFiller   = 12
	NALSTAPA    = 24
	NALSTAPB    = 25
	NALMTAP16   = 26
	NALMTAP24   = 27
	NALFUA      = 28
	NALFUB      = 29
	nalTypeMask = 0x1F
	nalNRIMask  = 0x60
	nalFBit     = 0x80
)

// NALType is the nal_unit_type of a NAL unit (0 for an empty one).
func NALType(nal []byte) byte {
	if len(nal) == 0 {
		return 0
	}
	return nal[0] & nalTypeMask
}

// IsKeyframe reports whether an access unit contains an IDR slice, the
// point where a decoder can start.
func IsKeyframe(nals [][]byte) bool {
	for _, n := range nals {
		if NALType(n) == NALIDR {
			return true
		}
	}
	return false
}

// PayloadIsKeyframe reports whether one RTP payload starts or carries an
// IDR slice or a sequence parameter set (a keyframe usually starts with
// SPS/PPS), without reassembling anything. Useful for switching decisions.
func PayloadIsKeyframe(payload []byte) bool {
	switch t := NALType(payload); t {
	case NALIDR, NALSPS:
		return true
	case NALFUA:
		return len(payload) > 1 && payload[1]&0x80 != 0 && payload[1]&nalTypeMask == NALIDR
	case NALSTAPA:
		for rest := payload[1:]; len(rest) >= 3; {
			n := int(rest[0])<<8 | int(rest[1])
			if n == 0 || 2+n > len(rest) {
				return false
			}
			if nt := rest[2] & nalTypeMask; nt == NALIDR || nt == NALSPS {
				return true
			}
			rest = rest[2+n:]
		}
	}
	return false
}

// SplitAnnexB splits an ITU-T H.264 Annex B byte stream (start codes
// 00 00 01 or 00 00 00 01) into NAL units. The slices alias b.
func SplitAnnexB(b []byte) [][]byte {
	var nals [][]byte
	start := -1
	for i := 0; i+3 <= len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				nals = appendNAL(nals, b[start:i])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start < 0 {
		if len(b) > 0 {
			return [][]byte{b}
		}
		return nil
	}
	return appendNAL(nals, b[start:])
}

// appendNAL trims the trailing zero bytes that belong to the next start code
// (trailing_zero_8bits, or the leading zero of a 4-byte start code).
func appendNAL(nals [][]byte, n []byte) [][]byte {
	n = bytes.TrimRight(n, "\x00")
	if len(n) == 0 {
		return nals
	}
	return append(nals, n)
}

// AppendAnnexB appends nals to dst with 4-byte start codes.
func AppendAnnexB(dst []byte, nals [][]byte) []byte {
	for _, n := range nals {
		dst = append(dst, 0, 0, 0, 1)
		dst = append(dst, n...)
	}
	return dst
}
