package per

import (
	"fmt"
	"unicode/utf16"
)

// Known-multiplier strings, X.691 §30.5 (ALIGNED), with b bits per
// character from the effective alphabet (see Alphabet):
//
//	fixed size, ub*b ≤ 16    characters, not aligned, no length (§30.5.6)
//	fixed size < 64K         characters, aligned, no length (§30.5.7)
//	ub < 64K                 constrained length, then aligned characters
//	otherwise                unconstrained length(s) in characters, aligned,
//	                         fragmented ≥ 16K characters
//
// When an extensible SIZE constraint is not satisfied, the extension bit
// is 1 and the string is encoded with no size constraint and the alphabet
// of the unconstrained type (§30.4).

// charSeq abstracts the two string representations.
type charSeq interface{ ~string | ~[]uint16 }

func charAt[S charSeq](s S, i int) uint32 {
	switch v := any(s).(type) {
	case string:
		return uint32(v[i])
	case []uint16:
		return uint32(v[i])
	}
	panic("unreachable")
}

func putChars[S charSeq](e *Encoder, s S, n int, kind StringKind, sz SizeRange, a *Alphabet) error {
	if a == nil {
		a = KindAlphabet(kind)
		if a == nil {
			return &StructuralError{Msg: fmt.Sprintf("unknown string kind %d", kind)}
		}
	}
	eff, out, err := e.putSizeExt(n, sz)
	if err != nil {
		return err
	}
	if out {
		a = KindAlphabet(kind)
	}
	// Validate every character before writing any of them.
	for i := range n {
		if _, ok := a.code(charAt(s, i)); !ok {
			return fmt.Errorf("per: character %#x at %d not in permitted alphabet: %w", charAt(s, i), i, ErrRange)
		}
	}
	b := a.bits
	put := func(from, to int) error {
		for i := from; i < to; i++ {
			c, _ := a.code(charAt(s, i))
			e.PutBits(uint64(c), b)
		}
		return nil
	}
	switch {
	case eff.fixed() && eff.Ub*b <= 16:
	case eff.fixed():
		e.Align()
	case eff.bounded():
		e.putConstrainedLength(n, eff)
		e.Align()
	default:
		return e.putChunked(n, put)
	}
	return put(0, n)
}

// getChars decodes a known-multiplier string, calling add for each
// character value.
func (d *Decoder) getChars(kind StringKind, sz SizeRange, a *Alphabet, add func(c uint32)) error {
	if a == nil {
		a = KindAlphabet(kind)
		if a == nil {
			return &StructuralError{Msg: fmt.Sprintf("unknown string kind %d", kind)}
		}
	}
	eff, out, err := d.getSizeExt(sz)
	if err != nil {
		return err
	}
	if out {
		a = KindAlphabet(kind)
	}
	b := a.bits
	get := func(n int) error {
		if n > (d.end-d.pos)/b {
			return d.errf("string", ErrTruncated)
		}
		for range n {
			v, err := d.GetBits(b)
			if err != nil {
				return err
			}
			c, ok := a.char(uint32(v))
			if !ok {
				return d.errf("character not in permitted alphabet", ErrRange)
			}
			add(c)
		}
		return nil
	}
	var n int
	switch {
	case eff.fixed() && eff.Ub*b <= 16:
		n = eff.Ub
	case eff.fixed():
		n = eff.Ub
		if err := d.Align(); err != nil {
			return err
		}
	case eff.bounded():
		if n, err = d.getConstrainedLength(eff, "string"); err != nil {
			return err
		}
		if err := d.checkDecodedSize(n, sz, out, "string"); err != nil {
			return err
		}
		if err := d.Align(); err != nil {
			return err
		}
	default:
		total, err := d.getChunked("string", get)
		if err != nil {
			return err
		}
		return d.checkDecodedSize(total, sz, out, "string")
	}
	if n > d.maxLen {
		return d.errf("string", ErrLimit)
	}
	return get(n)
}

// PutKnownString encodes an IA5String, PrintableString, NumericString or
// VisibleString (§30.5) under SIZE s (in characters) and alphabet a (the
// PER-visible FROM constraint; nil means the full alphabet of kind). The
// characters are the bytes of str, all below 128 for these kinds.
func (e *Encoder) PutKnownString(str string, kind StringKind, s SizeRange, a *Alphabet) error {
	return putChars(e, str, len(str), kind, s, a)
}

// GetKnownString decodes a string encoded by PutKnownString.
func (d *Decoder) GetKnownString(kind StringKind, s SizeRange, a *Alphabet) (string, error) {
	if kind == BMPStringKind {
		return "", &StructuralError{Msg: "GetKnownString with BMPString kind; use GetBMPString"}
	}
	var buf []byte
	err := d.getChars(kind, s, a, func(c uint32) { buf = append(buf, byte(c)) })
	if err != nil {
		return "", err
	}
	return string(buf), nil
}

// PutBMPString encodes a BMPString (§30.5) given as UTF-16 code units
// (use BMPFromString / unicode/utf16 to convert), under s and alphabet a
// (nil = all 65536 values, 16 bits per character, aligned).
func (e *Encoder) PutBMPString(u []uint16, s SizeRange, a *Alphabet) error {
	return putChars(e, u, len(u), BMPStringKind, s, a)
}

// GetBMPString decodes a BMPString as UTF-16 code units.
func (d *Decoder) GetBMPString(s SizeRange, a *Alphabet) ([]uint16, error) {
	var u []uint16
	err := d.getChars(BMPStringKind, s, a, func(c uint32) { u = append(u, uint16(c)) })
	return u, err
}

// BMPFromString converts s to BMPString code units (UTF-16; characters
// outside the BMP become surrogate pairs, which X.680 does not allow in a
// BMPString but receivers commonly accept).
func BMPFromString(s string) []uint16 { return utf16.Encode([]rune(s)) }

// BMPToString converts BMPString code units to a Go string.
func BMPToString(u []uint16) string { return string(utf16.Decode(u)) }

// PutUTF8String encodes an unknown-multiplier string such as UTF8String or
// GeneralString (§30.6): its SIZE constraints are not PER-visible, so it is
// always an unconstrained length in octets (fragmented ≥ 16K) and the
// octets, aligned.
func (e *Encoder) PutUTF8String(str string) error {
	return e.putChunked(len(str), func(from, to int) error {
		e.Align()
		e.buf = append(e.buf, str[from:to]...)
		e.nbit += 8 * (to - from)
		return nil
	})
}

// GetUTF8String decodes an unknown-multiplier string. The octets are not
// validated as UTF-8, so any input round-trips.
func (d *Decoder) GetUTF8String() (string, error) {
	b, err := d.getFragmentedOctets("UTF8String")
	return string(b), err
}

// PutGeneralString is PutUTF8String for GeneralString / GraphicString.
func (e *Encoder) PutGeneralString(str string) error { return e.PutUTF8String(str) }

// GetGeneralString is GetUTF8String for GeneralString / GraphicString.
func (d *Decoder) GetGeneralString() (string, error) { return d.GetUTF8String() }
