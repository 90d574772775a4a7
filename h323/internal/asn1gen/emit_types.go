package main

import (
	"fmt"
	"sort"
	"strconv"
)

var kindNames = map[Kind]string{
	KBoolean: "BOOLEAN", KNull: "NULL", KInteger: "INTEGER", KEnumerated: "ENUMERATED",
	KBitString: "BIT STRING", KOctetString: "OCTET STRING", KCharString: "character string",
	KOID: "OBJECT IDENTIFIER", KSequence: "SEQUENCE", KSet: "SET", KChoice: "CHOICE",
	KSequenceOf: "SEQUENCE OF", KSetOf: "SET OF", KOpenType: "open type", KRef: "reference",
}

// emitDecl writes the Go declaration and PER methods of d.
func (g *Gen) emitDecl(b *w, d *decl) error {
	t := d.t
	what := kindNames[t.Kind]
	if t.Kind == KCharString {
		what = t.Name
	}
	if t.Kind == KRef {
		what = t.Name
	}
	b.p("// %s is the ASN.1 %s %s (module %s).", d.name, what, d.asn1, d.module)
	var err error
	switch t.Kind {
	case KSequence, KSet:
		err = g.emitSequence(b, d)
	case KChoice:
		err = g.emitChoice(b, d)
	case KEnumerated:
		err = g.emitEnum(b, d)
	case KRef:
		in, e := g.inlineRef(t)
		if e != nil {
			return e
		}
		if !in {
			gt, e := g.goType(t)
			if e != nil {
				return e
			}
			b.p("type %s = %s", d.name, gt)
			if d.pdu {
				return fmt.Errorf("PDU %s is an alias", d.asn1)
			}
			return nil
		}
		err = g.emitSimple(b, d)
	case KOpenType:
		err = g.emitOpen(b, d)
	default:
		err = g.emitSimple(b, d)
	}
	if err != nil {
		return fmt.Errorf("%s: %s: %w", d.file, d.asn1, err)
	}
	if d.pdu {
		b.p(`
// Marshal returns the ALIGNED PER encoding of v.
func (v *%[1]s) Marshal() ([]byte, error) {
	e := per.NewEncoder()
	if err := v.MarshalPER(e); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// Unmarshal decodes the complete ALIGNED PER encoding b into v (octets
// after the encoding are an error). v may share memory with b.
func (v *%[1]s) Unmarshal(b []byte) error {
	d := per.NewDecoder(b)
	if err := v.UnmarshalPER(d); err != nil {
		return fmt.Errorf("%[2]s: %%w", err)
	}
	if err := d.Finish(); err != nil {
		return fmt.Errorf("%[2]s: %%w", err)
	}
	return nil
}`, d.name, d.asn1)
	}
	b.p("")
	return nil
}

func (g *Gen) emitSimple(b *w, d *decl) error {
	gt, err := g.goType(d.t)
	if err != nil {
		return err
	}
	if d.t.Kind == KRef {
		bt, _, err := g.base(d.t)
		if err != nil {
			return err
		}
		if gt, err = g.goType(bt); err != nil {
			return err
		}
	}
	b.p("type %s %s\n", d.name, gt)
	if gt == "ObjectIdentifier" {
		// A defined type does not inherit methods: forward them.
		b.p("// String returns the dotted form.\nfunc (v %s) String() string { return ObjectIdentifier(v).String() }\n", d.name)
		b.p("// MarshalJSON renders v in dotted form.\nfunc (v %s) MarshalJSON() ([]byte, error) { return ObjectIdentifier(v).MarshalJSON() }\n", d.name)
	}
	b.p("// MarshalPER encodes v.\nfunc (v *%s) MarshalPER(e *per.Encoder) error {", d.name)
	if err := g.enc(b, "(*v)", d.t, ""); err != nil {
		return err
	}
	b.p("return nil\n}\n")
	b.p("// UnmarshalPER decodes v.\nfunc (v *%s) UnmarshalPER(d *per.Decoder) error {", d.name)
	if err := g.dec(b, "(*v)", d.name, d.t, ""); err != nil {
		return err
	}
	b.p("return nil\n}")
	return nil
}

func (g *Gen) emitOpen(b *w, d *decl) error {
	c := openContained(d.t)
	if c == nil {
		return g.emitSimple(b, d)
	}
	ct, err := g.goType(c)
	if err != nil {
		return err
	}
	b.p("// It is encoded as an open type (X.691 §11.2) holding a %s.", ct)
	b.p("type %s %s\n", d.name, ct)
	x := fmt.Sprintf("(*(*%s)(v))", ct)
	b.p("// MarshalPER encodes v.\nfunc (v *%s) MarshalPER(e *per.Encoder) error {", d.name)
	b.p("return e.PutOpenTypeFunc(func(e *per.Encoder) error {")
	if err := g.enc(b, x, c, ""); err != nil {
		return err
	}
	b.p("return nil })\n}\n")
	b.p("// UnmarshalPER decodes v.\nfunc (v *%s) UnmarshalPER(d *per.Decoder) error {", d.name)
	b.p("return d.GetOpenTypeFunc(func(d *per.Decoder) error {")
	if err := g.dec(b, x, ct, c, ""); err != nil {
		return err
	}
	b.p("return nil })\n}")
	return nil
}

// enumOrder returns the root items sorted by value and the additions, with
// values assigned as X.680 §20 does for items written without a number.
func enumOrder(t *Type) ([]EnumItem, []EnumItem) {
	used := map[int64]bool{}
	for _, it := range t.Items {
		if it.HasValue {
			used[it.Value] = true
		}
	}
	var next int64
	root := append([]EnumItem(nil), t.Items...)
	for i := range root {
		if !root[i].HasValue {
			for used[next] {
				next++
			}
			root[i].Value, root[i].HasValue = next, true
			used[next] = true
		}
	}
	sort.SliceStable(root, func(i, j int) bool { return root[i].Value < root[j].Value })
	var maxv int64 = -1
	for _, it := range root {
		maxv = max(maxv, it.Value)
	}
	adds := append([]EnumItem(nil), t.AddItems...)
	for i := range adds {
		if !adds[i].HasValue {
			maxv++
			for used[maxv] {
				maxv++
			}
			adds[i].Value = maxv
		}
		maxv = max(maxv, adds[i].Value)
		used[adds[i].Value] = true
	}
	return root, adds
}

func (g *Gen) emitEnum(b *w, d *decl) error {
	root, adds := enumOrder(d.t)
	all := append(append([]EnumItem(nil), root...), adds...)
	b.p("// Its value is the enumeration index (X.691 §14): root values in ascending")
	b.p("// order, then the extension additions.")
	b.p("type %s int\n", d.name)
	b.p("const (")
	for i, it := range all {
		b.p("%s%s %s = %d // %s(%d)", d.name, goName(it.Name), d.name, i, it.Name, it.Value)
	}
	b.p(")\n")
	b.p("// String returns the ASN.1 identifier of v.\nfunc (v %s) String() string {", d.name)
	b.p("switch v {")
	for _, it := range all {
		b.p("case %s%s: return %q", d.name, goName(it.Name), it.Name)
	}
	b.p("}")
	b.p("return fmt.Sprintf(\"%s(%%d)\", int(v))\n}\n", d.name)
	b.p("// MarshalJSON renders v as its ASN.1 identifier.\nfunc (v %s) MarshalJSON() ([]byte, error) {", d.name)
	b.p("return []byte(strconv.Quote(v.String())), nil\n}\n")
	ext := strconv.FormatBool(d.t.Extensible)
	b.p("// MarshalPER encodes v.\nfunc (v *%s) MarshalPER(e *per.Encoder) error {", d.name)
	b.p("return e.PutEnumerated(int(*v), %d, %s)\n}\n", len(root), ext)
	b.p("// UnmarshalPER decodes v.\nfunc (v *%s) UnmarshalPER(d *per.Decoder) error {", d.name)
	b.p("i, err := d.GetEnumerated(%d, %s)", len(root), ext)
	b.p("if err != nil { return err }")
	b.p("*v = %s(i)", d.name)
	b.p("return nil\n}")
	return nil
}
