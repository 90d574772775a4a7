package per

import (
	"fmt"
	"math/bits"
)

// X.691 §11.5.7 (ALIGNED), constrained whole number n in lb..ub with
// range = ub-lb+1:
//
//	range 1            no bits
//	range ≤ 255        bit-field of the minimum number of bits, not aligned
//	range = 256        one octet, aligned
//	range ≤ 64K        two octets, aligned
//	range > 64K        length in octets (lb 1, ub = octets of range-1) as a
//	                   constrained whole number, then the minimum octets,
//	                   aligned (§11.5.7.4, §13.2.6)

// rangeMinus1 returns ub-lb as an unsigned number (exact for any int64s
// with lb ≤ ub).
func rangeMinus1(lb, ub int64) uint64 { return uint64(ub) - uint64(lb) }

// octetsFor returns the number of octets (≥ 1) to hold v unsigned.
func octetsFor(v uint64) int { return max(1, (bits.Len64(v)+7)/8) }

// putConstrainedWhole encodes off = n-lb with rm1 = range-1.
func (e *Encoder) putConstrainedWhole(off, rm1 uint64) {
	switch {
	case rm1 == 0:
	case rm1 < 255:
		e.PutBits(off, bits.Len64(rm1))
	case rm1 == 255:
		e.Align()
		e.PutBits(off, 8)
	case rm1 < 65536:
		e.Align()
		e.PutBits(off, 16)
	default:
		n := octetsFor(off)
		e.putConstrainedWhole(uint64(n-1), uint64(octetsFor(rm1)-1))
		e.Align()
		e.PutBits(off, 8*n)
	}
}

func (d *Decoder) getConstrainedWhole(rm1 uint64) (uint64, error) {
	switch {
	case rm1 == 0:
		return 0, nil
	case rm1 < 255:
		return d.GetBits(bits.Len64(rm1))
	case rm1 == 255:
		if err := d.Align(); err != nil {
			return 0, err
		}
		return d.GetBits(8)
	case rm1 < 65536:
		if err := d.Align(); err != nil {
			return 0, err
		}
		v, err := d.GetBits(16)
		if err == nil && v > rm1 {
			return 0, d.errf("constrained whole number", ErrRange)
		}
		return v, err
	default:
		n1, err := d.getConstrainedWhole(uint64(octetsFor(rm1) - 1))
		if err != nil {
			return 0, err
		}
		if err := d.Align(); err != nil {
			return 0, err
		}
		v, err := d.GetBits(8 * int(n1+1))
		if err != nil {
			return 0, err
		}
		if v > rm1 || (n1 > 0 && v>>(8*n1) == 0) {
			// out of range, or not in the minimum number of octets
			return 0, d.errf("constrained whole number", ErrRange)
		}
		return v, nil
	}
}

// putUnconstrainedUnsigned encodes v in the minimum octets after a
// one-octet length determinant, aligned (semi-constrained, §11.7).
func (e *Encoder) putUnconstrainedUnsigned(v uint64) {
	n := octetsFor(v)
	e.Align()
	e.PutBits(uint64(n), 8) // length < 128: one octet (§11.9.3.6)
	e.PutBits(v, 8*n)
}

// putUnconstrainedSigned encodes v as a minimal 2's-complement integer
// after a one-octet length determinant, aligned (unconstrained, §11.8).
func (e *Encoder) putUnconstrainedSigned(v int64) {
	n := 1
	for n < 8 && (v < -(1<<(8*n-1)) || v >= 1<<(8*n-1)) {
		n++
	}
	e.Align()
	e.PutBits(uint64(n), 8)
	e.PutBits(uint64(v), 8*n)
}

// getIntOctets reads the length octet(s) and content octets of a
// semi-constrained or unconstrained whole number. It returns the raw
// value and the octet count (1..8).
func (d *Decoder) getIntOctets(what string) (uint64, int, error) {
	n, err := d.getUnconstrainedLength()
	if err != nil {
		return 0, 0, err
	}
	if n < 1 || n > 8 {
		return 0, 0, d.errf(what+" length", ErrRange)
	}
	v, err := d.GetBits(8 * n)
	return v, n, err
}

// PutInteger encodes an INTEGER with constraint r (§13): constrained whole
// number (§11.5.7), semi-constrained (§11.7), unconstrained (§11.8), and the
// extension bit and out-of-root unconstrained form when r.Ext (§13.1).
func (e *Encoder) PutInteger(v int64, r IntRange) error {
	if r.HasLb && r.HasUb && r.Lb > r.Ub {
		return &StructuralError{Msg: fmt.Sprintf("INTEGER range %d..%d", r.Lb, r.Ub)}
	}
	inRoot := (!r.HasLb || v >= r.Lb) && (!r.HasLb || !r.HasUb || v <= r.Ub)
	if r.Ext {
		e.PutBit(!inRoot)
		if !inRoot {
			e.putUnconstrainedSigned(v)
			return nil
		}
	} else if !inRoot {
		return fmt.Errorf("per: INTEGER %d not in %s: %w", v, r, ErrRange)
	}
	switch {
	case r.HasLb && r.HasUb:
		e.putConstrainedWhole(uint64(v)-uint64(r.Lb), rangeMinus1(r.Lb, r.Ub))
	case r.HasLb:
		e.putUnconstrainedUnsigned(uint64(v) - uint64(r.Lb))
	default:
		e.putUnconstrainedSigned(v)
	}
	return nil
}

// GetInteger decodes an INTEGER with constraint r.
func (d *Decoder) GetInteger(r IntRange) (int64, error) {
	if r.HasLb && r.HasUb && r.Lb > r.Ub {
		return 0, &StructuralError{Msg: fmt.Sprintf("INTEGER range %d..%d", r.Lb, r.Ub)}
	}
	if r.Ext {
		out, err := d.GetBit()
		if err != nil {
			return 0, err
		}
		if out {
			v, err := d.getUnconstrainedSigned()
			if err != nil {
				return 0, err
			}
			if (!r.HasLb || v >= r.Lb) && (!r.HasLb || !r.HasUb || v <= r.Ub) {
				// a root value in the extension form would not re-encode the same
				return 0, d.errf("extensible INTEGER", ErrRange)
			}
			return v, nil
		}
	}
	switch {
	case r.HasLb && r.HasUb:
		off, err := d.getConstrainedWhole(rangeMinus1(r.Lb, r.Ub))
		if err != nil {
			return 0, err
		}
		if off > rangeMinus1(r.Lb, r.Ub) {
			return 0, d.errf("constrained INTEGER", ErrRange)
		}
		return int64(uint64(r.Lb) + off), nil
	case r.HasLb:
		start := d.pos
		off, n, err := d.getIntOctets("semi-constrained INTEGER")
		if err != nil {
			return 0, err
		}
		v := uint64(r.Lb) + off
		if (n > 1 && off>>(8*(n-1)) == 0) || int64(v) < r.Lb {
			d.pos = start
			return 0, d.errf("semi-constrained INTEGER", ErrRange)
		}
		return int64(v), nil
	default:
		return d.getUnconstrainedSigned()
	}
}

func (d *Decoder) getUnconstrainedSigned() (int64, error) {
	raw, n, err := d.getIntOctets("unconstrained INTEGER")
	if err != nil {
		return 0, err
	}
	shift := uint(64 - 8*n)
	v := int64(raw<<shift) >> shift
	if n > 1 {
		// minimum octets: the top 9 bits must not be all equal (X.690 §8.3.2)
		top := raw >> (8*n - 9)
		if top == 0 || top == 0x1ff {
			return 0, d.errf("unconstrained INTEGER not minimal", ErrRange)
		}
	}
	return v, nil
}

// String formats r as ASN.1 constraint notation.
func (r IntRange) String() string {
	lb, ub := "MIN", "MAX"
	if r.HasLb {
		lb = fmt.Sprint(r.Lb)
	}
	if r.HasLb && r.HasUb {
		ub = fmt.Sprint(r.Ub)
	}
	if r.Ext {
		return "(" + lb + ".." + ub + ", ...)"
	}
	return "(" + lb + ".." + ub + ")"
}

// PutNormallySmallNumber encodes a normally small non-negative whole
// number (§11.6), used for extension indexes of CHOICE and ENUMERATED:
// '0' and 6 bits for n ≤ 63, else '1' and a semi-constrained whole number.
func (e *Encoder) PutNormallySmallNumber(n int) error {
	if n < 0 {
		return fmt.Errorf("per: normally small number %d: %w", n, ErrRange)
	}
	if n < 64 {
		e.PutBits(uint64(n), 7)
		return nil
	}
	e.PutBit(true)
	e.putUnconstrainedUnsigned(uint64(n))
	return nil
}

// GetNormallySmallNumber decodes a normally small non-negative whole number.
func (d *Decoder) GetNormallySmallNumber() (int, error) {
	big, err := d.GetBit()
	if err != nil {
		return 0, err
	}
	if !big {
		v, err := d.GetBits(6)
		return int(v), err
	}
	start := d.pos
	v, n, err := d.getIntOctets("normally small number")
	if err != nil {
		return 0, err
	}
	if v < 64 || v > uint64(d.maxLen) || (n > 1 && v>>(8*(n-1)) == 0) {
		d.pos = start
		return 0, d.errf("normally small number", ErrRange)
	}
	return int(v), nil
}
