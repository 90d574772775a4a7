package per

import (
	"bytes"
	"fmt"
)

// Extensions is the extension state a generated SEQUENCE/SET keeps so that
// a decoded value re-encodes byte for byte (§19.7–§19.9): the length of
// the presence bitmap as received and the additions the type does not know.
// The zero value suits a locally built value.
//
// Generated code for a SEQUENCE with an extension marker and K known
// extension additions follows this pattern:
//
//	// encode
//	ext := x.Ext.Present() || x.Add1 != nil || ...
//	e.PutBit(ext)
//	... preamble, root components ...
//	if ext {
//		err = e.PutExtensions(K, &x.Ext, present, put) // present(i), put(i, e)
//	}
//
//	// decode
//	ext, err := d.GetBit()
//	... preamble, root components ...
//	if ext {
//		x.Ext, err = d.GetExtensions(K, get) // get(i, sub) for i < K
//	}
type Extensions struct {
	// BitmapLen is the presence-bitmap length received, 0 if none.
	BitmapLen int
	// Unknown holds additions with Index ≥ K, in ascending Index order.
	Unknown []RawExtension
}

// Present reports whether the decoded value had its extension bit set
// or carries unknown additions; generated code ORs it with the presence of
// its known additions to compute the extension bit.
func (x *Extensions) Present() bool { return x.BitmapLen > 0 || len(x.Unknown) > 0 }

// PutExtensions encodes the presence bitmap and the present additions as
// open types (§19.8, §19.9). known is the number K of extension additions
// of the type (an extension addition group counts as one); present(i) and
// put(i, e) describe known addition i < K. x may be nil. The bitmap length
// is x.BitmapLen when set (reproducing the sender's), else K, extended to
// cover every present addition.
func (e *Encoder) PutExtensions(known int, x *Extensions, present func(i int) bool, put func(i int, e *Encoder) error) error {
	var unknown []RawExtension
	n := known
	if x != nil {
		unknown = x.Unknown
		if x.BitmapLen > 0 {
			n = x.BitmapLen
		}
	}
	for i := range known {
		if i >= n && present(i) {
			n = i + 1
		}
	}
	last := -1
	for _, r := range unknown {
		if r.Index < known || r.Index <= last {
			return &StructuralError{Msg: fmt.Sprintf("unknown extension index %d (known %d, previous %d)", r.Index, known, last)}
		}
		last = r.Index
		n = max(n, r.Index+1)
	}
	if n == 0 {
		return &StructuralError{Msg: "extension bit set with no extension additions"}
	}
	var small [64]bool // the usual case, kept off the heap
	var bitmap []bool
	if n <= len(small) {
		bitmap = small[:n]
	} else {
		bitmap = make([]bool, n)
	}
	for i := range min(known, n) {
		bitmap[i] = present(i)
	}
	for _, r := range unknown {
		bitmap[r.Index] = true
	}
	if err := e.PutExtensionBitmap(bitmap); err != nil {
		return err
	}
	for i := range min(known, n) {
		if !bitmap[i] {
			continue
		}
		if err := e.PutOpenTypeFunc(func(e *Encoder) error { return put(i, e) }); err != nil {
			return fmt.Errorf("per: extension addition %d: %w", i, err)
		}
	}
	for _, r := range unknown {
		if err := e.PutOpenType(r.Data); err != nil {
			return err
		}
	}
	return nil
}

// GetExtensions decodes the presence bitmap and the additions that follow.
// For each present known addition i < known it calls get(i, sub) with a
// Decoder over the open type's contents; unknown ones are kept (copied) as
// RawExtension in the result.
func (d *Decoder) GetExtensions(known int, get func(i int, d *Decoder) error) (Extensions, error) {
	var small [64]bool
	bitmap, err := d.getExtensionBitmap(small[:])
	if err != nil {
		return Extensions{}, err
	}
	x := Extensions{BitmapLen: len(bitmap)}
	for i, p := range bitmap {
		if !p {
			continue
		}
		if i < known {
			if err := d.GetOpenTypeFunc(func(sub *Decoder) error { return get(i, sub) }); err != nil {
				return Extensions{}, err
			}
			continue
		}
		b, err := d.GetOpenType()
		if err != nil {
			return Extensions{}, err
		}
		x.Unknown = append(x.Unknown, RawExtension{Index: i, Data: bytes.Clone(b)})
	}
	return x, nil
}
