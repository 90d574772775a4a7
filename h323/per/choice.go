package per

import "fmt"

// PutEnumerated encodes an ENUMERATED (§14) as the index idx of the value
// in the root sorted by value (0..rootCount-1) — a constrained whole
// number, preceded by a 0 extension bit when ext — or, when ext and idx ≥
// rootCount, as a 1 bit and the normally small number idx-rootCount.
func (e *Encoder) PutEnumerated(idx, rootCount int, ext bool) error {
	return e.putIndex(idx, rootCount, ext, "ENUMERATED")
}

// GetEnumerated decodes an ENUMERATED index; indexes ≥ rootCount are
// extension values (rootCount + normally small number) and may be
// unknown to the caller, which should keep them for re-encoding.
func (d *Decoder) GetEnumerated(rootCount int, ext bool) (int, error) {
	return d.getIndex(rootCount, ext, "ENUMERATED")
}

// PutChoiceIndex encodes the index of a CHOICE alternative (§23). For idx
// < rootCount: the extension bit (when ext) and a constrained whole number
// in 0..rootCount-1. For extension alternatives (idx ≥ rootCount): the
// extension bit and normally small number idx-rootCount; the caller then
// encodes the value as an open type (PutOpenTypeFunc, or PutOpenType with
// a RawExtension's Data).
func (e *Encoder) PutChoiceIndex(idx, rootCount int, ext bool) error {
	return e.putIndex(idx, rootCount, ext, "CHOICE")
}

// GetChoiceIndex decodes a CHOICE index; idx ≥ rootCount means extension
// alternative idx-rootCount, whose value follows as an open type.
func (d *Decoder) GetChoiceIndex(rootCount int, ext bool) (int, error) {
	return d.getIndex(rootCount, ext, "CHOICE")
}

func (e *Encoder) putIndex(idx, rootCount int, ext bool, what string) error {
	if rootCount < 1 {
		return &StructuralError{Msg: fmt.Sprintf("%s with %d root values", what, rootCount)}
	}
	if idx < 0 || (idx >= rootCount && !ext) {
		return fmt.Errorf("per: %s index %d of %d: %w", what, idx, rootCount, ErrRange)
	}
	if ext {
		e.PutBit(idx >= rootCount)
		if idx >= rootCount {
			return e.PutNormallySmallNumber(idx - rootCount)
		}
	}
	e.putConstrainedWhole(uint64(idx), uint64(rootCount-1))
	return nil
}

func (d *Decoder) getIndex(rootCount int, ext bool, what string) (int, error) {
	if rootCount < 1 {
		return 0, &StructuralError{Msg: fmt.Sprintf("%s with %d root values", what, rootCount)}
	}
	if ext {
		out, err := d.GetBit()
		if err != nil {
			return 0, err
		}
		if out {
			n, err := d.GetNormallySmallNumber()
			if err != nil {
				return 0, err
			}
			return rootCount + n, nil
		}
	}
	v, err := d.getConstrainedWhole(uint64(rootCount - 1))
	if err != nil {
		return 0, err
	}
	if v >= uint64(rootCount) {
		return 0, d.errf(what+" index", ErrRange)
	}
	return int(v), nil
}

// PutOpenType encodes already-encoded contents b as an open type (§11.2):
// unconstrained length in octets (fragmented if needed) and the octets.
// Empty b is encoded as the one-octet complete encoding 0x00 (§11.1).
func (e *Encoder) PutOpenType(b []byte) error {
	if len(b) == 0 {
		b = []byte{0}
	}
	return e.putChunked(len(b), func(from, to int) error {
		e.PutAlignedBytes(b[from:to])
		return nil
	})
}

// PutOpenTypeFunc encodes the value written by put into an inner Encoder
// and wraps it as an open type. The inner Encoder is e's own child, reset
// and reused by every open type at the same level: put must not keep it.
func (e *Encoder) PutOpenTypeFunc(put func(*Encoder) error) error {
	inner := e.child
	if inner == nil {
		inner = new(Encoder)
		e.child = inner
	}
	inner.Reset()
	if err := put(inner); err != nil {
		return err
	}
	return e.PutOpenType(inner.buf) // empty contents become {0x00} (§11.1)
}

// GetOpenType returns the contents of an open type (may alias input).
// Empty contents are rejected: a complete encoding has at least one octet.
func (d *Decoder) GetOpenType() ([]byte, error) {
	b, err := d.getFragmentedOctets("open type")
	if err == nil && len(b) == 0 {
		return nil, d.errf("empty open type", ErrRange)
	}
	return b, err
}

// GetOpenTypeFunc decodes an open type and runs get on a Decoder over its
// contents (same limits and depth). It fails if get leaves a whole octet or
// more unread, or non-zero padding (see Finish).
func (d *Decoder) GetOpenTypeFunc(get func(*Decoder) error) error {
	start := d.pos
	b, err := d.GetOpenType()
	if err != nil {
		return err
	}
	sub := d.sub(b)
	if err := get(sub); err != nil {
		return err
	}
	if err := sub.Finish(); err != nil {
		return &SyntaxError{Offset: start, What: "open type contents", Err: err}
	}
	return nil
}

// PutExtensionBitmap encodes the extension-additions presence bitmap of a
// SEQUENCE/SET (§19.8): a normally small length (§11.9.3.4) of
// len(present) ≥ 1 and one bit per addition. Each present addition then
// follows as an open type.
func (e *Encoder) PutExtensionBitmap(present []bool) error {
	n := len(present)
	if n < 1 {
		return &StructuralError{Msg: "empty extension bitmap"}
	}
	if n <= 64 {
		e.PutBits(uint64(n-1), 7) // '0' + n-1 in 6 bits
	} else {
		e.PutBit(true)
		if n >= k16 {
			return fmt.Errorf("per: extension bitmap of %d bits: %w", n, ErrRange)
		}
		e.putShortLength(n)
	}
	for _, p := range present {
		e.PutBit(p)
	}
	return nil
}

// GetExtensionBitmap decodes the presence bitmap written by
// PutExtensionBitmap. Its length is that of the sender's type, which may be
// shorter or longer than the caller's.
func (d *Decoder) GetExtensionBitmap() ([]bool, error) {
	return d.getExtensionBitmap(nil)
}

// getExtensionBitmap is GetExtensionBitmap decoding into buf when the
// bitmap fits in it.
func (d *Decoder) getExtensionBitmap(buf []bool) ([]bool, error) {
	big, err := d.GetBit()
	if err != nil {
		return nil, err
	}
	var n int
	if !big {
		v, err := d.GetBits(6)
		if err != nil {
			return nil, err
		}
		n = int(v) + 1
	} else {
		if n, err = d.getUnconstrainedLength(); err != nil {
			return nil, err
		}
		if n <= 64 {
			return nil, d.errf("extension bitmap length not minimal", ErrRange)
		}
	}
	if n > d.BitsLeft() || n > d.maxLen {
		return nil, d.errf("extension bitmap", ErrLimit)
	}
	var present []bool
	if n <= len(buf) {
		present = buf[:n]
	} else {
		present = make([]bool, n)
	}
	for i := range present {
		present[i], _ = d.GetBit()
	}
	return present, nil
}
