package per

import "fmt"

// OBJECT IDENTIFIER, X.691 §25: the contents octets of the BER encoding
// (X.690 §8.19) preceded by an unconstrained length determinant. The first
// two arcs share one subidentifier, 40*a0 + a1; each subidentifier is
// base 128, most significant group first, bit 8 set on all but the last.
//
//	0.0.8.2250.0.4 → 06 00 08 91 4a 00 04

// PutObjectIdentifier encodes an OBJECT IDENTIFIER (§25).
func (e *Encoder) PutObjectIdentifier(oid []uint32) error {
	if len(oid) < 2 || oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return fmt.Errorf("per: invalid OBJECT IDENTIFIER %v: %w", oid, ErrRange)
	}
	var body []byte
	body = appendBase128(body, uint64(oid[0])*40+uint64(oid[1]))
	for _, arc := range oid[2:] {
		body = appendBase128(body, uint64(arc))
	}
	if len(body) > 255 {
		return fmt.Errorf("per: OBJECT IDENTIFIER of %d octets: %w", len(body), ErrRange)
	}
	e.putShortLength(len(body))
	e.PutAlignedBytes(body)
	return nil
}

func appendBase128(b []byte, v uint64) []byte {
	n := 1
	for t := v >> 7; t != 0; t >>= 7 {
		n++
	}
	for i := n - 1; i >= 0; i-- {
		c := byte(v>>(7*i)) & 0x7f
		if i > 0 {
			c |= 0x80
		}
		b = append(b, c)
	}
	return b
}

// GetObjectIdentifier decodes an OBJECT IDENTIFIER. Arcs must fit in 32
// bits and be minimally encoded.
func (d *Decoder) GetObjectIdentifier() ([]uint32, error) {
	n, err := d.getUnconstrainedLength()
	if err != nil {
		return nil, err
	}
	if n == 0 || n > d.maxLen {
		return nil, d.errf("OBJECT IDENTIFIER length", ErrRange)
	}
	body, err := d.GetAlignedBytes(n)
	if err != nil {
		return nil, err
	}
	oid := make([]uint32, 0, 2+n/2)
	for i := 0; i < len(body); {
		if body[i] == 0x80 {
			return nil, d.errf("OBJECT IDENTIFIER subidentifier not minimal", ErrRange)
		}
		var v uint64
		for {
			if i == len(body) {
				return nil, d.errf("OBJECT IDENTIFIER subidentifier", ErrTruncated)
			}
			c := body[i]
			i++
			v = v<<7 | uint64(c&0x7f)
			if v > 1<<32+80 {
				return nil, d.errf("OBJECT IDENTIFIER arc too large", ErrRange)
			}
			if c&0x80 == 0 {
				break
			}
		}
		if len(oid) == 0 {
			switch {
			case v < 40:
				oid = append(oid, 0, uint32(v))
			case v < 80:
				oid = append(oid, 1, uint32(v-40))
			default:
				if v-80 > 1<<32-1 {
					return nil, d.errf("OBJECT IDENTIFIER arc too large", ErrRange)
				}
				oid = append(oid, 2, uint32(v-80))
			}
			continue
		}
		if v > 1<<32-1 {
			return nil, d.errf("OBJECT IDENTIFIER arc too large", ErrRange)
		}
		oid = append(oid, uint32(v))
	}
	return oid, nil
}
