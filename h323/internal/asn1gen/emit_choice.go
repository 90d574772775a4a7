package main

import (
	"fmt"
	"strconv"
)

func (g *Gen) emitChoice(b *w, d *decl) error {
	t := d.t
	type alt struct {
		c    *Component
		name string
		gt   string
	}
	var alts []alt
	seen := map[string]bool{"UnknownAlternative": t.Extensible}
	for _, c := range allComps(t) {
		gt, err := g.goType(c.Type)
		if err != nil {
			return err
		}
		n := goName(c.Name)
		if seen[n] {
			return fmt.Errorf("alternative %s: Go name %s used twice", c.Name, n)
		}
		seen[n] = true
		alts = append(alts, alt{c, n, gt})
	}
	root := len(t.Root)
	b.p("// Exactly one alternative is set (non-nil).")
	b.p("type %s struct {", d.name)
	for _, a := range alts {
		b.p("%s *%s `json:\"%s,omitempty\"`", a.name, a.gt, a.c.Name)
	}
	if t.Extensible {
		b.p("// UnknownAlternative is an extension alternative this version does not know, kept as received.")
		b.p("UnknownAlternative *per.RawExtension `json:\"unknownAlternative,omitempty\"`")
	}
	b.p("}\n")

	b.p("// MarshalPER encodes v.\nfunc (v *%s) MarshalPER(e *per.Encoder) error {", d.name)
	b.p("n, idx := 0, -1")
	for i, a := range alts {
		b.p("if v.%s != nil { n, idx = n+1, %d }", a.name, i)
	}
	if t.Extensible {
		b.p("if v.UnknownAlternative != nil { n++ }")
	}
	b.p("if n != 1 { return fmt.Errorf(\"%s: %%d alternatives set: %%w\", n, errChoice) }", d.asn1)
	ext := strconv.FormatBool(t.Extensible)
	if t.Extensible {
		b.p("if v.UnknownAlternative != nil {")
		b.p("if err := e.PutChoiceIndex(%d+v.UnknownAlternative.Index, %d, true); err != nil { return err }", root, root)
		b.p("return e.PutOpenType(v.UnknownAlternative.Data)")
		b.p("}")
	}
	b.p("if err := e.PutChoiceIndex(idx, %d, %s); err != nil { return err }", root, ext)
	b.p("switch idx {")
	for i, a := range alts {
		b.p("case %d:", i)
		x := "(*v." + a.name + ")"
		if i < root {
			if err := g.enc(b, x, a.c.Type, a.c.Name); err != nil {
				return err
			}
			continue
		}
		b.p("if err := e.PutOpenTypeFunc(func(e *per.Encoder) error {")
		if err := g.enc(b, x, a.c.Type, ""); err != nil {
			return err
		}
		b.p("return nil }); err != nil { %s }", ret(a.c.Name))
	}
	b.p("}")
	b.p("return nil\n}\n")

	b.p("// UnmarshalPER decodes v.\nfunc (v *%s) UnmarshalPER(d *per.Decoder) error {", d.name)
	b.p("if err := d.Enter(); err != nil { return err }")
	b.p("defer d.Leave()")
	b.p("*v = %s{}", d.name)
	b.p("idx, err := d.GetChoiceIndex(%d, %s)", root, ext)
	b.p("if err != nil { return err }")
	b.p("switch idx {")
	for i, a := range alts {
		b.p("case %d:", i)
		b.p("v.%s = new(%s)", a.name, a.gt)
		x := "(*v." + a.name + ")"
		if i < root {
			if err := g.dec(b, x, a.gt, a.c.Type, a.c.Name); err != nil {
				return err
			}
			continue
		}
		b.p("if err := d.GetOpenTypeFunc(func(d *per.Decoder) error {")
		if err := g.dec(b, x, a.gt, a.c.Type, ""); err != nil {
			return err
		}
		b.p("return nil }); err != nil { %s }", ret(a.c.Name))
	}
	b.p("default:")
	if t.Extensible {
		b.p("if idx < %d { return fmt.Errorf(\"%s: index %%d: %%w\", idx, errChoice) }", root, d.asn1)
		b.p("data, err := d.GetOpenType()")
		b.p("if err != nil { return err }")
		b.p("v.UnknownAlternative = &per.RawExtension{Index: idx - %d, Data: data}", root)
	} else {
		b.p("return fmt.Errorf(\"%s: index %%d: %%w\", idx, errChoice)", d.asn1)
	}
	b.p("}")
	b.p("return nil\n}")
	return nil
}
