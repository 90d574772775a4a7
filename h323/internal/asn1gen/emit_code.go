package main

import (
	"bytes"
	"fmt"
	"strconv"
)

// w accumulates Go source.
type w struct{ bytes.Buffer }

func (b *w) p(format string, a ...any) {
	fmt.Fprintf(&b.Buffer, format, a...)
	b.WriteByte('\n')
}

// ret returns the statement returning err wrapped with the ASN.1 path label.
func ret(label string) string {
	if label == "" {
		return "return err"
	}
	return fmt.Sprintf("return fmt.Errorf(%s, err)", strconv.Quote(label+": %w"))
}

func intRange(ec effCons) string {
	if !ec.hasVal {
		return "per.IntRange{}"
	}
	s := "per.IntRange{"
	if ec.val.hasLo {
		s += fmt.Sprintf("Lb: %d, HasLb: true, ", ec.val.lo)
	}
	if ec.val.hasHi {
		s += fmt.Sprintf("Ub: %d, HasUb: true, ", ec.val.hi)
	}
	if ec.valExt {
		s += "Ext: true"
	}
	return s + "}"
}

func sizeRange(ec effCons) string {
	if !ec.hasSize {
		return "per.SizeRange{}"
	}
	s := "per.SizeRange{"
	if ec.size.lo != 0 {
		s += fmt.Sprintf("Lb: %d, ", ec.size.lo)
	}
	if ec.size.hasHi {
		s += fmt.Sprintf("Ub: %d, HasUb: true, ", ec.size.hi)
	}
	if ec.sizeExt {
		s += "Ext: true"
	}
	return s + "}"
}

func (g *Gen) alphabet(ec effCons) string {
	if !ec.hasAlpha {
		return "nil"
	}
	key := string(ec.alpha)
	if n, ok := g.alpha[key]; ok {
		return n
	}
	n := fmt.Sprintf("alphabet%d", len(g.alOrd))
	g.alpha[key] = n
	g.alOrd = append(g.alOrd, key)
	return n
}

var knownStrings = map[string]string{
	"IA5String": "per.IA5String", "PrintableString": "per.PrintableString",
	"NumericString": "per.NumericString", "VisibleString": "per.VisibleString",
	"ISO646String": "per.VisibleString",
}

// usesMethod reports whether values of t are coded by calling the
// MarshalPER / UnmarshalPER methods of a named Go type.
func (g *Gen) usesMethod(t *Type) (bool, error) {
	switch t.Kind {
	case KSequence, KSet, KChoice, KEnumerated:
		return true, nil
	case KRef:
		in, err := g.inlineRef(t)
		return !in, err
	}
	return false, nil
}

// enc emits statements encoding the addressable value x of type t.
func (g *Gen) enc(b *w, x string, t *Type, label string) error {
	m, err := g.usesMethod(t)
	if err != nil {
		return err
	}
	if m {
		b.p("if err := %s.MarshalPER(e); err != nil { %s }", x, ret(label))
		return nil
	}
	bt, cs, err := g.base(t)
	if err != nil {
		return err
	}
	ec, err := g.evalCons(bt.Kind, cs)
	if err != nil {
		return fmt.Errorf("line %d: %w", t.Line, err)
	}
	switch bt.Kind {
	case KBoolean:
		b.p("e.PutBoolean(bool(%s))", x)
	case KNull:
	case KInteger:
		b.p("if err := e.PutInteger(int64(%s), %s); err != nil { %s }", x, intRange(ec), ret(label))
	case KBitString:
		b.p("if err := e.PutBitString(%s.Bytes, %s.BitLen, %s); err != nil { %s }", x, x, sizeRange(ec), ret(label))
	case KOctetString:
		b.p("if err := e.PutOctetString([]byte(%s), %s); err != nil { %s }", x, sizeRange(ec), ret(label))
	case KCharString:
		switch k := bt.Name; {
		case knownStrings[k] != "":
			b.p("if err := e.PutKnownString(string(%s), %s, %s, %s); err != nil { %s }", x, knownStrings[k], sizeRange(ec), g.alphabet(ec), ret(label))
		case k == "BMPString":
			b.p("if err := e.PutBMPString(bmpUnits(string(%s)), %s, %s); err != nil { %s }", x, sizeRange(ec), g.alphabet(ec), ret(label))
		case k == "UTF8String":
			b.p("if err := e.PutUTF8String(string(%s)); err != nil { %s }", x, ret(label))
		case k == "GeneralString" || k == "GraphicString":
			b.p("if err := e.PutGeneralString(string(%s)); err != nil { %s }", x, ret(label))
		default:
			return fmt.Errorf("line %d: %s is not supported by the PER runtime", t.Line, k)
		}
	case KOID:
		b.p("if err := e.PutObjectIdentifier([]uint32(%s)); err != nil { %s }", x, ret(label))
	case KSequenceOf, KSetOf:
		g.fresh++
		iv := fmt.Sprintf("i%d", g.fresh)
		b.p("if err := e.PutSequenceOf(len(%s), %s, func(%s int) error {", x, sizeRange(ec), iv)
		if err := g.enc(b, x+"["+iv+"]", bt.Elem, ""); err != nil {
			return err
		}
		b.p("return nil }); err != nil { %s }", ret(label))
	case KOpenType:
		c := openContained(bt)
		if c == nil {
			b.p("if err := e.PutOpenType([]byte(%s)); err != nil { %s }", x, ret(label))
			return nil
		}
		b.p("if err := e.PutOpenTypeFunc(func(e *per.Encoder) error {")
		if err := g.enc(b, x, c, ""); err != nil {
			return err
		}
		b.p("return nil }); err != nil { %s }", ret(label))
	default:
		return fmt.Errorf("line %d: cannot encode type kind %d inline", t.Line, bt.Kind)
	}
	return nil
}

// dec emits statements decoding into the addressable x of Go type gt.
func (g *Gen) dec(b *w, x, gt string, t *Type, label string) error {
	m, err := g.usesMethod(t)
	if err != nil {
		return err
	}
	if m {
		b.p("if err := %s.UnmarshalPER(d); err != nil { %s }", x, ret(label))
		return nil
	}
	bt, cs, err := g.base(t)
	if err != nil {
		return err
	}
	ec, err := g.evalCons(bt.Kind, cs)
	if err != nil {
		return fmt.Errorf("line %d: %w", t.Line, err)
	}
	// conv converts the runtime's value to gt; a parenthesised type keeps
	// conversions to pointer or func types valid.
	conv := func(v string) string { return fmt.Sprintf("(%s)(%s)", gt, v) }
	switch bt.Kind {
	case KBoolean:
		b.p("{ tv, err := d.GetBoolean(); if err != nil { %s }; %s = %s }", ret(label), x, conv("tv"))
	case KNull:
	case KInteger:
		b.p("{ tv, err := d.GetInteger(%s); if err != nil { %s }; %s = %s }", intRange(ec), ret(label), x, conv("tv"))
	case KBitString:
		b.p("{ tv, tn, err := d.GetBitString(%s); if err != nil { %s }; %s = %s{Bytes: tv, BitLen: tn} }", sizeRange(ec), ret(label), x, gt)
	case KOctetString:
		b.p("{ tv, err := d.GetOctetString(%s); if err != nil { %s }; %s = %s }", sizeRange(ec), ret(label), x, conv("tv"))
	case KCharString:
		switch k := bt.Name; {
		case knownStrings[k] != "":
			b.p("{ tv, err := d.GetKnownString(%s, %s, %s); if err != nil { %s }; %s = %s }", knownStrings[k], sizeRange(ec), g.alphabet(ec), ret(label), x, conv("tv"))
		case k == "BMPString":
			b.p("{ tv, err := d.GetBMPString(%s, %s); if err != nil { %s }; %s = %s }", sizeRange(ec), g.alphabet(ec), ret(label), x, conv("bmpString(tv)"))
		case k == "UTF8String":
			b.p("{ tv, err := d.GetUTF8String(); if err != nil { %s }; %s = %s }", ret(label), x, conv("tv"))
		case k == "GeneralString" || k == "GraphicString":
			b.p("{ tv, err := d.GetGeneralString(); if err != nil { %s }; %s = %s }", ret(label), x, conv("tv"))
		default:
			return fmt.Errorf("line %d: %s is not supported by the PER runtime", t.Line, k)
		}
	case KOID:
		b.p("{ tv, err := d.GetObjectIdentifier(); if err != nil { %s }; %s = %s }", ret(label), x, conv("tv"))
	case KSequenceOf, KSetOf:
		et, err := g.goType(bt.Elem)
		if err != nil {
			return err
		}
		b.p("%s = make(%s, 0)", x, gt)
		// The runtime announces the count (capped) so the slice is sized
		// once rather than grown element by element.
		b.p("if _, err := d.GetSequenceOfGrow(%s, func(n int) { if len(%s) == 0 { %s = make(%s, 0, n) } }, func(int) error {", sizeRange(ec), x, x, gt)
		b.p("var z %s", et)
		b.p("%s = append(%s, z)", x, x)
		if err := g.dec(b, x+"[len("+x+")-1]", et, bt.Elem, ""); err != nil {
			return err
		}
		b.p("return nil }); err != nil { %s }", ret(label))
	case KOpenType:
		c := openContained(bt)
		if c == nil {
			b.p("{ tv, err := d.GetOpenType(); if err != nil { %s }; %s = %s }", ret(label), x, conv("tv"))
			return nil
		}
		b.p("if err := d.GetOpenTypeFunc(func(d *per.Decoder) error {")
		if err := g.dec(b, x, gt, c, ""); err != nil {
			return err
		}
		b.p("return nil }); err != nil { %s }", ret(label))
	default:
		return fmt.Errorf("line %d: cannot decode type kind %d inline", t.Line, bt.Kind)
	}
	return nil
}
