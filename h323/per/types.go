package per

// IntRange is the PER-visible constraint of an INTEGER (§13).
// The zero value is an unconstrained INTEGER.
//
//	INTEGER (0..255)          IntRange{Lb: 0, Ub: 255, HasLb: true, HasUb: true}
//	INTEGER (1..MAX)          IntRange{Lb: 1, HasLb: true}
//	INTEGER (0..65535, ...)   IntRange{Lb: 0, Ub: 65535, HasLb: true, HasUb: true, Ext: true}
//
// HasUb without HasLb is treated as unconstrained, as X.691 §11.8 does.
type IntRange struct {
	Lb, Ub       int64
	HasLb, HasUb bool
	Ext          bool // "..." in the root: extensible constraint
}

// SizeRange is a PER-visible SIZE constraint (§11.9, §16, §17, §20, §30).
// The zero value is "no SIZE constraint" (lb 0, no upper bound).
//
//	SIZE (1..128)       SizeRange{Lb: 1, Ub: 128, HasUb: true}
//	SIZE (16)           SizeRange{Lb: 16, Ub: 16, HasUb: true}
//	SIZE (0..255, ...)  SizeRange{Ub: 255, HasUb: true, Ext: true}
type SizeRange struct {
	Lb, Ub int
	HasUb  bool
	Ext    bool // "..." in the root: extensible SIZE
}

// RawExtension is an extension addition of a SEQUENCE/SET, or an extension
// alternative of a CHOICE, that the decoding type does not know. Data is the
// open-type contents (§11.2) exactly as received, so re-encoding the
// RawExtension reproduces the input byte for byte. Index is the 0-based
// position among extension additions (bit position in the extension
// bitmap), or among extension alternatives (the normally small number
// following the extension bit of a CHOICE).
type RawExtension struct {
	Index int
	Data  []byte
}

// StringKind names a known-multiplier character string type (§30.5).
type StringKind int

// Known-multiplier string kinds and their full alphabets (X.680 §41).
const (
	IA5String       StringKind = iota // 0..127, 8 bits/char in ALIGNED
	PrintableString                   // 74 chars A-Z a-z 0-9 space '()+,-./:=?, 8 bits
	NumericString                     // "0123456789 " (11 chars), 4 bits, index-encoded
	VisibleString                     // 32..126 (ISO646String too), 8 bits
	BMPStringKind                     // 0..65535, 16 bits
)
