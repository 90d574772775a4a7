package main

// Kind is the built-in type a Type node denotes (X.680 §16).
type Kind int

const (
	KRef Kind = iota // reference to a (possibly parameterised) type assignment
	KBoolean
	KNull
	KInteger
	KEnumerated
	KBitString
	KOctetString
	KCharString // IA5String, BMPString, ...: Type.Name holds which
	KOID
	KSequence
	KSet
	KChoice
	KSequenceOf
	KSetOf
	KOpenType // TYPE-IDENTIFIER.&Type and other class field types
)

// Module is one parsed ASN.1 module.
type Module struct {
	Name    string
	File    string
	Imports map[string]string // symbol -> module it comes from
	Types   []*TypeAssign
	Values  []*ValueAssign
	Classes []string // information object classes (skipped)
	byName  map[string]*TypeAssign
	valByNm map[string]*ValueAssign
}

// TypeAssign is "Name ::= Type" or "Name{P1, P2} ::= Type".
type TypeAssign struct {
	Name   string
	Params []string
	Type   *Type
	Module *Module
	Line   int
}

// ValueAssign is "name Type ::= value".
type ValueAssign struct {
	Name  string
	Type  *Type
	Value *Value
}

// Type is a type expression.
type Type struct {
	Kind        Kind
	Name        string  // KRef: referenced name; KCharString: string type; KOpenType: class.&field
	Module      string  // KRef: explicit module (Mod.Type), else ""
	Args        []*Type // KRef with actual parameters
	Root        []*Component
	Additions   []*Addition // extension additions (SEQUENCE, SET, CHOICE)
	Extensible  bool
	Elem        *Type // SEQUENCE OF / SET OF
	Items       []EnumItem
	AddItems    []EnumItem
	Constraints []*Constraint // applied serially
	Line        int
}

// Component is a SEQUENCE/SET element or a CHOICE alternative.
type Component struct {
	Name     string
	Type     *Type
	Optional bool
	Default  *Value
}

// Addition is one extension addition: a single component, or an
// extension addition group "[[ ... ]]" (X.680 §25).
type Addition struct {
	Group bool
	Comps []*Component
}

// EnumItem is one enumeration.
type EnumItem struct {
	Name     string
	Value    int64
	HasValue bool
}

// ConsKind is the kind of a constraint element (X.680 §51, X.682, X.683).
type ConsKind int

const (
	CUnion ConsKind = iota
	CIntersection
	CExcept
	CSingle  // single value
	CRange   // Lo..Hi
	CSize    // SIZE (Sub)
	CFrom    // FROM (Sub)
	CSubtype // contained subtype: a type reference
	CIgnored // not PER-visible: WITH COMPONENTS, CONSTRAINED BY, table constraints, pattern
	CAll     // ALL
)

// Constraint is a node of a constraint expression. A top-level constraint
// ("( root , ... , additions )") has Extensible set.
type Constraint struct {
	Kind       ConsKind
	Elems      []*Constraint
	Lo, Hi     *Value // CRange (nil = MIN / MAX), CSingle uses Lo
	Type       *Type  // CSubtype
	Extensible bool
	Additions  *Constraint
}

// ValueKind classifies a Value.
type ValueKind int

const (
	VNumber ValueKind = iota
	VString
	VRef
	VBool
	VNull
	VBraced // {…} kept as tokens (OID values, etc.)
	VMin
	VMax
)

// Value is a value notation.
type Value struct {
	Kind   ValueKind
	Number int64
	Str    string
	Toks   []token
}
