package audio

// ITU-T G.711 (11/88) companding. Both laws map a 16-bit linear sample onto
// 8 bits: a sign, a 3-bit segment (exponent) and a 4-bit step within the
// segment. µ-law works on a biased 14-bit magnitude, A-law on a 13-bit one;
// A-law inverts the even bits (XOR 0x55), µ-law all of them.

const (
	ulawBias = 0x84  // 132: added so that segment boundaries are powers of two
	ulawClip = 32635 // largest magnitude that still fits after the bias
)

// LinearToULaw encodes one sample with the G.711 µ-law.
func LinearToULaw(s int16) byte {
	v := int32(s)
	var sign byte
	if v < 0 {
		sign = 0x80
		v = -v
	}
	if v > ulawClip {
		v = ulawClip
	}
	v += ulawBias
	// Segment = position of the highest set bit among bits 7..14.
	exp := byte(0)
	for t := v >> 8; t != 0 && exp < 7; t >>= 1 {
		exp++
	}
	mant := byte(v>>(exp+3)) & 0x0F
	return ^(sign | exp<<4 | mant)
}

// ULawToLinear decodes one G.711 µ-law byte.
func ULawToLinear(u byte) int16 {
	u = ^u
	exp := (u >> 4) & 0x07
	mant := int32(u & 0x0F)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// LinearToALaw encodes one sample with the G.711 A-law.
func LinearToALaw(s int16) byte {
	v := int32(s) >> 3 // 13-bit
	mask := byte(0xD5) // sign bit set for positive values, then even-bit inversion
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	// Segment end points in the 13-bit domain: 0x1F, 0x3F, … 0xFFF.
	seg := byte(0)
	for end := int32(0x1F); v > end && seg < 8; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := seg << 4
	if seg < 2 {
		a |= byte(v>>1) & 0x0F
	} else {
		a |= byte(v>>seg) & 0x0F
	}
	return a ^ mask
}

// ALawToLinear decodes one G.711 A-law byte.
func ALawToLinear(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// G711Decoder decodes PCMU (ALaw false) or PCMA (ALaw true) at 8 kHz.
type G711Decoder struct {
	ALaw bool
	plc  fadePLC
}

// SampleRate implements Decoder.
func (*G711Decoder) SampleRate() int { return 8000 }

// Channels implements Decoder.
func (*G711Decoder) Channels() int { return 1 }

// Decode implements Decoder: one sample per payload byte.
func (d *G711Decoder) Decode(payload []byte, dst []int16) ([]int16, error) {
	if len(payload) == 0 {
		return dst[:0], errEmptyPayload
	}
	dst = grow(dst, len(payload))
	if d.ALaw {
		for i, b := range payload {
			dst[i] = ALawToLinear(b)
		}
	} else {
		for i, b := range payload {
			dst[i] = ULawToLinear(b)
		}
	}
	d.plc.remember(dst)
	return dst, nil
}

// Conceal implements Concealer by repeating the last frame with a fade.
func (d *G711Decoder) Conceal(frameSamples int, dst []int16) ([]int16, error) {
	return d.plc.conceal(frameSamples, dst), nil
}

// G711Encoder encodes PCMU (ALaw false) or PCMA (ALaw true) at 8 kHz.
type G711Encoder struct {
	ALaw bool
}

// SampleRate implements Encoder.
func (*G711Encoder) SampleRate() int { return 8000 }

// Encode implements Encoder: one byte per sample.
func (e *G711Encoder) Encode(pcm []int16, dst []byte) ([]byte, error) {
	dst = grow(dst, len(pcm))
	if e.ALaw {
		for i, s := range pcm {
			dst[i] = LinearToALaw(s)
		}
	} else {
		for i, s := range pcm {
			dst[i] = LinearToULaw(s)
		}
	}
	return dst, nil
}
