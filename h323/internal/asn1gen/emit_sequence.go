package main

import "fmt"

// field is a Go struct field for a component.
type field struct {
	c      *Component
	name   string
	gt     string // type of the value
	ptr    bool   // stored as *gt
	slice  bool
	opt    bool // has a presence bit in the root preamble
	isAdd  bool
	group  int // index of the addition (bitmap position) for additions
	inGrp  bool
	gtDecl string // declared field type
}

func (f *field) present() string { return "v." + f.name + " != nil" }
func (f *field) val() string {
	if f.ptr {
		return "(*v." + f.name + ")"
	}
	return "v." + f.name
}

func (g *Gen) fields(t *Type) ([]*field, error) {
	var out []*field
	seen := map[string]bool{"Ext": t.Extensible}
	add := func(c *Component, isAdd bool, grp int, inGrp bool) error {
		f := &field{c: c, name: goName(c.Name), isAdd: isAdd, group: grp, inGrp: inGrp}
		if seen[f.name] {
			return fmt.Errorf("component %s: Go field name %s used twice", c.Name, f.name)
		}
		seen[f.name] = true
		var err error
		if f.gt, err = g.goType(c.Type); err != nil {
			return err
		}
		if f.slice, err = g.isSlice(c.Type); err != nil {
			return err
		}
		f.opt = !isAdd && (c.Optional || c.Default != nil)
		// Extension additions may be absent even when mandatory: a sender
		// of an earlier version does not know them.
		f.ptr = (f.opt || isAdd) && !f.slice
		f.gtDecl = f.gt
		if f.ptr {
			f.gtDecl = "*" + f.gt
		}
		out = append(out, f)
		return nil
	}
	for _, c := range t.Root {
		if err := add(c, false, -1, false); err != nil {
			return nil, err
		}
	}
	for i, a := range t.Additions {
		for _, c := range a.Comps {
			if err := add(c, true, i, a.Group); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (g *Gen) emitSequence(b *w, d *decl) error {
	t := d.t
	fs, err := g.fields(t)
	if err != nil {
		return err
	}
	b.p("type %s struct {", d.name)
	for _, f := range fs {
		// Absent optional components are left out of JSON; mandatory ones
		// are always printed, zero or not.
		tag := f.c.Name
		if f.opt || f.isAdd {
			tag += ",omitempty"
		}
		b.p("%s %s `json:\"%s\"`", f.name, f.gtDecl, tag)
	}
	if t.Extensible {
		b.p("// Ext keeps the extension bitmap length and unknown additions as received.")
		b.p("Ext per.Extensions `json:\"-\"`")
	}
	b.p("}\n")

	var opts []*field
	for _, f := range fs {
		if f.opt {
			opts = append(opts, f)
		}
	}
	if len(opts) > 64 {
		return fmt.Errorf("more than 64 optional components")
	}
	// groupPresent renders the presence of extension addition i.
	addPresent := func(i int) string {
		s := ""
		for _, f := range fs {
			if f.isAdd && f.group == i {
				if s != "" {
					s += " || "
				}
				s += f.present()
			}
		}
		return s
	}

	// Encoder.
	b.p("// MarshalPER encodes v.\nfunc (v *%s) MarshalPER(e *per.Encoder) error {", d.name)
	if t.Extensible {
		s := "v.Ext.Present()"
		for i := range t.Additions {
			s += " || " + addPresent(i)
		}
		b.p("ext := %s", s)
		b.p("e.PutBit(ext)")
	}
	for _, f := range opts {
		b.p("e.PutBit(%s)", f.present())
	}
	for _, f := range fs {
		if f.isAdd {
			continue
		}
		if f.opt {
			b.p("if %s {", f.present())
		}
		if err := g.enc(b, f.val(), f.c.Type, f.c.Name); err != nil {
			return err
		}
		if f.opt {
			b.p("}")
		}
	}
	if t.Extensible {
		b.p("if ext {")
		b.p("if err := e.PutExtensions(%d, &v.Ext, func(i int) bool {", len(t.Additions))
		if len(t.Additions) > 0 {
			b.p("switch i {")
			for i := range t.Additions {
				b.p("case %d: return %s", i, addPresent(i))
			}
			b.p("}")
		}
		b.p("return false }, func(i int, e *per.Encoder) error {")
		if len(t.Additions) > 0 {
			b.p("switch i {")
			for i, a := range t.Additions {
				b.p("case %d:", i)
				if err := g.encAddition(b, fs, i, a); err != nil {
					return err
				}
			}
			b.p("}")
		}
		b.p("return nil }); err != nil { return err }")
		b.p("}")
	}
	b.p("return nil\n}\n")

	// Decoder.
	b.p("// UnmarshalPER decodes v.\nfunc (v *%s) UnmarshalPER(d *per.Decoder) error {", d.name)
	b.p("if err := d.Enter(); err != nil { return err }")
	b.p("defer d.Leave()")
	b.p("*v = %s{}", d.name)
	if t.Extensible {
		b.p("ext, err := d.GetBit()")
		b.p("if err != nil { return err }")
	}
	if len(opts) > 0 {
		b.p("opt, err := d.GetBits(%d)", len(opts))
		b.p("if err != nil { return err }")
	}
	k := 0
	for _, f := range fs {
		if f.isAdd {
			continue
		}
		if f.opt {
			b.p("if opt&(1<<%d) != 0 {", len(opts)-1-k)
			k++
			if err := g.decField(b, f); err != nil {
				return err
			}
			b.p("}")
			continue
		}
		if err := g.dec(b, f.val(), f.gt, f.c.Type, f.c.Name); err != nil {
			return err
		}
	}
	if t.Extensible {
		b.p("if ext {")
		b.p("x, err := d.GetExtensions(%d, func(i int, d *per.Decoder) error {", len(t.Additions))
		if len(t.Additions) > 0 {
			b.p("switch i {")
			for i, a := range t.Additions {
				b.p("case %d:", i)
				if err := g.decAddition(b, fs, i, a); err != nil {
					return err
				}
			}
			b.p("}")
		}
		b.p("return nil })")
		b.p("if err != nil { return err }")
		b.p("v.Ext = x")
		b.p("}")
	}
	b.p("return nil\n}")
	return nil
}

// decField decodes an optional or addition component into a fresh value.
func (g *Gen) decField(b *w, f *field) error {
	if f.ptr {
		b.p("v.%s = new(%s)", f.name, f.gt)
	}
	if err := g.dec(b, f.val(), f.gt, f.c.Type, f.c.Name); err != nil {
		return err
	}
	if f.slice {
		b.p("if v.%s == nil { v.%s = %s{} }", f.name, f.name, f.gt)
	}
	return nil
}

func groupFields(fs []*field, i int) []*field {
	var out []*field
	for _, f := range fs {
		if f.isAdd && f.group == i {
			out = append(out, f)
		}
	}
	return out
}

// encAddition encodes extension addition i (its open-type contents).
func (g *Gen) encAddition(b *w, fs []*field, i int, a *Addition) error {
	gf := groupFields(fs, i)
	if !a.Group {
		return g.enc(b, gf[0].val(), gf[0].c.Type, gf[0].c.Name)
	}
	// An extension addition group is encoded as a SEQUENCE without
	// extension marker holding the group's components (X.691 §19).
	for _, f := range gf {
		if f.c.Optional || f.c.Default != nil {
			b.p("e.PutBit(%s)", f.present())
		} else {
			b.p("if !(%s) { return fmt.Errorf(\"%s: %%w\", errMissing) }", f.present(), f.c.Name)
		}
	}
	for _, f := range gf {
		b.p("if %s {", f.present())
		if err := g.enc(b, f.val(), f.c.Type, f.c.Name); err != nil {
			return err
		}
		b.p("}")
	}
	return nil
}

func (g *Gen) decAddition(b *w, fs []*field, i int, a *Addition) error {
	gf := groupFields(fs, i)
	if !a.Group {
		return g.decField(b, gf[0])
	}
	var opts []*field
	for _, f := range gf {
		if f.c.Optional || f.c.Default != nil {
			opts = append(opts, f)
		}
	}
	if len(opts) > 0 {
		b.p("gopt, err := d.GetBits(%d)", len(opts))
		b.p("if err != nil { return err }")
	}
	k := 0
	for _, f := range gf {
		if f.c.Optional || f.c.Default != nil {
			b.p("if gopt&(1<<%d) != 0 {", len(opts)-1-k)
			k++
			if err := g.decField(b, f); err != nil {
				return err
			}
			b.p("}")
			continue
		}
		if err := g.decField(b, f); err != nil {
			return err
		}
	}
	return nil
}
