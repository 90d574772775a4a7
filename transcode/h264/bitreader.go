package h264

import "errors"

// ErrBadSPS reports a sequence parameter set that cannot be parsed.
var ErrBadSPS = errors.New("h264: invalid SPS")

// rbsp strips emulation prevention bytes (00 00 03 → 00 00, H.264 §7.4.1)
// from a NAL unit payload.
func rbsp(nal []byte) []byte {
	out := make([]byte, 0, len(nal))
	zeros := 0
	for _, b := range nal {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, b)
	}
	return out
}

// bitReader reads MSB-first bits; every read is bounded and a read past
// the end sets err and returns 0, so parsers check err once per section.
type bitReader struct {
	b   []byte
	pos int // bit position
	err error
}

func (r *bitReader) bit() uint32 {
	if r.err != nil {
		return 0
	}
	if r.pos >= 8*len(r.b) {
		r.err = ErrBadSPS
		return 0
	}
	v := uint32(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v
}

func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for i := 0; i < n; i++ {
		v = v<<1 | r.bit()
	}
	return v
}

func (r *bitReader) flag() bool { return r.bit() == 1 }

// ue reads an unsigned Exp-Golomb code (§9.1). Codes longer than 31
// leading zeros do not fit in 32 bits and are rejected.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil {
			return 0
		}
		zeros++
		if zeros > 31 {
			r.err = ErrBadSPS
			return 0
		}
	}
	if zeros == 0 {
		return 0
	}
	return uint32(1)<<zeros - 1 + r.bits(zeros)
}

// se reads a signed Exp-Golomb code (§9.1.1).
func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}
