package per

import "fmt"

// X.691 §11.9 length determinants, ALIGNED variant:
//
//	ub < 64K (constrained)   constrained whole number n-lb in lb..ub
//	                         (§11.9.3.3); nothing at all if lb == ub
//	otherwise, aligned:      0nnnnnnn                  n < 128
//	                         10nnnnnn nnnnnnnn         n < 16K
//	                         11000mmm + m*16K units    m = 1..4, then
//	                         another length determinant follows
//	                         (fragmentation, §11.9.3.8)

const (
	k16 = 16384 // fragment unit (§11.9.3.8)
	k64 = 65536 // "64K" bound of §11.9.3.3 and friends
)

// valid reports whether s is a usable SIZE constraint.
func (s SizeRange) valid() error {
	if s.Lb < 0 || (s.HasUb && s.Ub < s.Lb) {
		return &StructuralError{Msg: fmt.Sprintf("SIZE constraint %s", s)}
	}
	return nil
}

// String formats s as ASN.1 constraint notation.
func (s SizeRange) String() string {
	r := fmt.Sprintf("SIZE(%d..MAX", s.Lb)
	if s.HasUb {
		r = fmt.Sprintf("SIZE(%d..%d", s.Lb, s.Ub)
	}
	if s.Ext {
		r += ", ..."
	}
	return r + ")"
}

func (s SizeRange) contains(n int) bool { return n >= s.Lb && (!s.HasUb || n <= s.Ub) }

// bounded reports whether s's lengths are constrained whole numbers
// (ub < 64K), and fixed whether no length is encoded at all.
func (s SizeRange) bounded() bool { return s.HasUb && s.Ub < k64 }
func (s SizeRange) fixed() bool   { return s.bounded() && s.Lb == s.Ub }

// putSizeExt validates n against s, writes the extension bit when s.Ext
// and returns the effective constraint: s itself, or the unconstrained
// SizeRange{} for a length outside an extensible root (§16.6, §17.3,
// §20.4, §30.4: encoded as if there were no SIZE constraint).
func (e *Encoder) putSizeExt(n int, s SizeRange) (SizeRange, bool, error) {
	if err := s.valid(); err != nil {
		return s, false, err
	}
	in := s.contains(n)
	if s.Ext {
		e.PutBit(!in)
		if !in {
			return SizeRange{}, true, nil
		}
	} else if !in {
		return s, false, fmt.Errorf("per: length %d not in %s: %w", n, s, ErrRange)
	}
	return s, false, nil
}

// getSizeExt reads the extension bit when s.Ext and returns the effective
// constraint and whether the value is outside the root.
func (d *Decoder) getSizeExt(s SizeRange) (SizeRange, bool, error) {
	if err := s.valid(); err != nil {
		return s, false, err
	}
	if s.Ext {
		out, err := d.GetBit()
		if err != nil {
			return s, false, err
		}
		if out {
			return SizeRange{}, true, nil
		}
	}
	return s, false, nil
}

// checkDecodedSize rejects a decoded count that the encoder would not
// produce: outside the root when inside was required, or inside the root
// when the extension bit said outside.
func (d *Decoder) checkDecodedSize(n int, s SizeRange, outOfRoot bool, what string) error {
	if n > d.maxLen {
		return d.errf(what, ErrLimit)
	}
	if outOfRoot == s.contains(n) {
		return d.errf(what+" length", ErrRange)
	}
	return nil
}

// putConstrainedLength writes n under a bounded s (nothing if fixed).
func (e *Encoder) putConstrainedLength(n int, s SizeRange) {
	e.putConstrainedWhole(uint64(n-s.Lb), uint64(s.Ub-s.Lb))
}

func (d *Decoder) getConstrainedLength(s SizeRange, what string) (int, error) {
	v, err := d.getConstrainedWhole(uint64(s.Ub - s.Lb))
	if err != nil {
		return 0, err
	}
	if v > uint64(s.Ub-s.Lb) {
		return 0, d.errf(what+" length", ErrRange)
	}
	return s.Lb + int(v), nil
}

// putShortLength writes an aligned unconstrained length n < 16K.
func (e *Encoder) putShortLength(n int) {
	e.Align()
	if n < 128 {
		e.PutBits(uint64(n), 8)
	} else {
		e.PutBits(0x8000|uint64(n), 16)
	}
}

// getLengthOctets reads an aligned unconstrained length determinant. frag
// reports the fragment form (n = m*16K and more follows).
func (d *Decoder) getLengthOctets() (n int, frag bool, err error) {
	if err := d.Align(); err != nil {
		return 0, false, err
	}
	b, err := d.GetBits(8)
	if err != nil {
		return 0, false, err
	}
	switch {
	case b&0x80 == 0:
		return int(b), false, nil
	case b&0xc0 == 0x80:
		lo, err := d.GetBits(8)
		if err != nil {
			return 0, false, err
		}
		n := int(b&0x3f)<<8 | int(lo)
		if n < 128 {
			return 0, false, d.errf("two-octet length below 128", ErrRange)
		}
		return n, false, nil
	default:
		m := int(b & 0x3f)
		if m < 1 || m > 4 {
			return 0, false, d.errf("fragment length multiplier", ErrRange)
		}
		return m * k16, true, nil
	}
}

// getUnconstrainedLength reads a length that must not be fragmented.
func (d *Decoder) getUnconstrainedLength() (int, error) {
	n, frag, err := d.getLengthOctets()
	if err != nil {
		return 0, err
	}
	if frag {
		return 0, d.errf("unexpected fragmented length", ErrLimit)
	}
	return n, nil
}

// putChunked writes the length determinant(s) for n units, fragmenting
// n ≥ 16K, and calls put(from, to) after each with the units it covers.
func (e *Encoder) putChunked(n int, put func(from, to int) error) error {
	for from := 0; ; {
		rem := n - from
		if rem < k16 {
			e.putShortLength(rem)
			return put(from, n)
		}
		m := min(rem/k16, 4)
		e.Align()
		e.PutBits(0xc0|uint64(m), 8)
		if err := put(from, from+m*k16); err != nil {
			return err
		}
		from += m * k16
	}
}

// getChunked reads length determinant(s) and calls get(n) for each chunk
// of n units; it returns the total, bounded by MaxLen.
func (d *Decoder) getChunked(what string, get func(n int) error) (int, error) {
	total := 0
	for {
		n, frag, err := d.getLengthOctets()
		if err != nil {
			return 0, err
		}
		total += n
		if total > d.maxLen {
			return 0, d.errf(what, ErrLimit)
		}
		if err := get(n); err != nil {
			return 0, err
		}
		if !frag {
			return total, nil
		}
	}
}

// PutLength encodes the length determinant of n (§11.9) under SIZE
// constraint s, including the extension bit when s.Ext. It fails for
// lengths that need fragmentation (≥ 16K with no ub < 64K); use
// PutSequenceOf or the string/octet methods, which fragment.
func (e *Encoder) PutLength(n int, s SizeRange) error {
	eff, _, err := e.putSizeExt(n, s)
	if err != nil {
		return err
	}
	if eff.bounded() {
		e.putConstrainedLength(n, eff)
		return nil
	}
	if n >= k16 {
		return fmt.Errorf("per: length %d needs fragmentation: %w", n, ErrRange)
	}
	e.putShortLength(n)
	return nil
}

// GetLength decodes a length determinant under s. It rejects the fragmented
// form (see GetSequenceOf) and lengths above the decoder's MaxLen.
func (d *Decoder) GetLength(s SizeRange) (int, error) {
	eff, out, err := d.getSizeExt(s)
	if err != nil {
		return 0, err
	}
	var n int
	if eff.bounded() {
		n, err = d.getConstrainedLength(eff, "length")
	} else {
		n, err = d.getUnconstrainedLength()
	}
	if err != nil {
		return 0, err
	}
	return n, d.checkDecodedSize(n, s, out, "length")
}

// PutSequenceOf encodes the count n of a SEQUENCE OF / SET OF under s
// (§20), fragmenting counts ≥ 16K (§11.9.3.8), and calls put(i) to encode
// each component i in order between the length determinants.
func (e *Encoder) PutSequenceOf(n int, s SizeRange, put func(i int) error) error {
	eff, _, err := e.putSizeExt(n, s)
	if err != nil {
		return err
	}
	each := func(from, to int) error {
		for i := from; i < to; i++ {
			if err := put(i); err != nil {
				return err
			}
		}
		return nil
	}
	if eff.bounded() {
		e.putConstrainedLength(n, eff)
		return each(0, n)
	}
	return e.putChunked(n, each)
}

// GetSequenceOf decodes the count(s) of a SEQUENCE OF / SET OF under s and
// calls get(i) for each component in order; it returns the total count.
// Counts are bounded by MaxLen. get must append; do not preallocate from a
// count.
func (d *Decoder) GetSequenceOf(s SizeRange, get func(i int) error) (int, error) {
	return d.GetSequenceOfGrow(s, nil, get)
}

// maxGrow caps the element count GetSequenceOfGrow announces, so that a
// count read from the input never makes the caller allocate more than a
// few kilobytes ahead of decoded elements.
const maxGrow = 256

// GetSequenceOfGrow is GetSequenceOf that calls grow(n), when not nil,
// before the elements of each length chunk, so that the caller can size
// its slice once instead of growing it element by element. n is the
// chunk's count capped at the bits left (every element but an empty one
// takes at least a bit) and at 256: the caller may still see more
// elements than announced.
func (d *Decoder) GetSequenceOfGrow(s SizeRange, grow func(n int), get func(i int) error) (int, error) {
	eff, out, err := d.getSizeExt(s)
	if err != nil {
		return 0, err
	}
	i := 0
	each := func(n int) error {
		if grow != nil {
			grow(min(n, d.BitsLeft(), maxGrow))
		}
		for end := i + n; i < end; i++ {
			if err := get(i); err != nil {
				return err
			}
		}
		return nil
	}
	var n int
	if eff.bounded() {
		n, err = d.getConstrainedLength(eff, "SEQUENCE OF count")
		if err == nil {
			err = d.checkDecodedSize(n, s, out, "SEQUENCE OF count")
		}
		if err == nil {
			err = each(n)
		}
	} else {
		n, err = d.getChunked("SEQUENCE OF count", each)
		if err == nil {
			err = d.checkDecodedSize(n, s, out, "SEQUENCE OF count")
		}
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}
