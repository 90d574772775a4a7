package per

import "fmt"

// PutOctetString encodes an OCTET STRING (§17) under s:
//
//	ub = 0                   nothing
//	fixed size ≤ 2 octets    the octets as a bit-field, not aligned (§17.6)
//	fixed size < 64K         the octets, aligned, no length (§17.7)
//	ub < 64K                 constrained length, then aligned octets (§17.8)
//	otherwise                unconstrained length(s), fragmented ≥ 16K
func (e *Encoder) PutOctetString(b []byte, s SizeRange) error {
	eff, _, err := e.putSizeExt(len(b), s)
	if err != nil {
		return err
	}
	switch {
	case eff.fixed() && eff.Ub <= 2:
		e.putBitsFrom(b, 8*len(b))
	case eff.fixed():
		e.PutAlignedBytes(b)
	case eff.bounded():
		e.putConstrainedLength(len(b), eff)
		e.PutAlignedBytes(b)
	default:
		return e.putChunked(len(b), func(from, to int) error {
			e.PutAlignedBytes(b[from:to])
			return nil
		})
	}
	return nil
}

// GetOctetString decodes an OCTET STRING under s. The result may alias the
// input when unfragmented and aligned.
func (d *Decoder) GetOctetString(s SizeRange) ([]byte, error) {
	eff, out, err := d.getSizeExt(s)
	if err != nil {
		return nil, err
	}
	switch {
	case eff.fixed() && eff.Ub <= 2:
		return d.getBitsInto(8 * eff.Ub)
	case eff.fixed():
		if eff.Ub > d.maxLen {
			return nil, d.errf("OCTET STRING", ErrLimit)
		}
		return d.GetAlignedBytes(eff.Ub)
	case eff.bounded():
		n, err := d.getConstrainedLength(eff, "OCTET STRING")
		if err != nil {
			return nil, err
		}
		if err := d.checkDecodedSize(n, s, out, "OCTET STRING"); err != nil {
			return nil, err
		}
		return d.GetAlignedBytes(n)
	}
	b, err := d.getFragmentedOctets("OCTET STRING")
	if err != nil {
		return nil, err
	}
	return b, d.checkDecodedSize(len(b), s, out, "OCTET STRING")
}

// getFragmentedOctets reads octets preceded by unconstrained length
// determinant(s); an unfragmented result aliases the input.
func (d *Decoder) getFragmentedOctets(what string) ([]byte, error) {
	var out []byte
	chunks := 0
	_, err := d.getChunked(what, func(n int) error {
		b, err := d.GetAlignedBytes(n)
		if err != nil {
			return err
		}
		if chunks == 0 {
			out = b
		} else {
			if chunks == 1 {
				out = append([]byte(nil), out...)
			}
			out = append(out, b...)
		}
		chunks++
		return nil
	})
	return out, err
}

// PutBitString encodes a BIT STRING (§16) of nbits bits taken MSB-first
// from b, under s (sizes in bits):
//
//	ub = 0                 nothing
//	fixed size ≤ 16 bits   the bits, not aligned (§16.9)
//	fixed size < 64K       the bits, aligned, no length (§16.10)
//	ub < 64K               constrained length, then aligned bits (§16.11)
//	otherwise              unconstrained length(s) in bits, fragmented
func (e *Encoder) PutBitString(b []byte, nbits int, s SizeRange) error {
	if nbits < 0 || (nbits+7)/8 > len(b) {
		return fmt.Errorf("per: BIT STRING of %d bits in %d octets: %w", nbits, len(b), ErrRange)
	}
	eff, _, err := e.putSizeExt(nbits, s)
	if err != nil {
		return err
	}
	switch {
	case eff.fixed() && eff.Ub <= 16:
	case eff.fixed():
		e.Align()
	case eff.bounded():
		e.putConstrainedLength(nbits, eff)
		e.Align()
	default:
		return e.putChunked(nbits, func(from, to int) error {
			e.Align()
			e.putBitsFrom(b[from/8:], to-from) // from is a multiple of 16K
			return nil
		})
	}
	e.putBitsFrom(b, nbits)
	return nil
}

// GetBitString decodes a BIT STRING under s; it returns the bits MSB-first,
// zero-padded in the last octet, and the bit count. The result is a copy.
func (d *Decoder) GetBitString(s SizeRange) ([]byte, int, error) {
	eff, out, err := d.getSizeExt(s)
	if err != nil {
		return nil, 0, err
	}
	var n int
	switch {
	case eff.fixed() && eff.Ub <= 16:
		n = eff.Ub
	case eff.fixed():
		n = eff.Ub
		if err := d.Align(); err != nil {
			return nil, 0, err
		}
	case eff.bounded():
		if n, err = d.getConstrainedLength(eff, "BIT STRING"); err != nil {
			return nil, 0, err
		}
		if err := d.checkDecodedSize(n, s, out, "BIT STRING"); err != nil {
			return nil, 0, err
		}
		if err := d.Align(); err != nil {
			return nil, 0, err
		}
	default:
		var buf []byte
		total, err := d.getChunked("BIT STRING", func(k int) error {
			if err := d.need(k, "BIT STRING"); err != nil {
				return err
			}
			bs, err := d.getBitsInto(k)
			buf = append(buf, bs...) // chunks before the last are whole octets
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		return buf, total, d.checkDecodedSize(total, s, out, "BIT STRING")
	}
	if n > d.maxLen {
		return nil, 0, d.errf("BIT STRING", ErrLimit)
	}
	b, err := d.getBitsInto(n)
	return b, n, err
}
