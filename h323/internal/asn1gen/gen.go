package main

import (
	"fmt"
	"strings"
)

// Gen generates the Go code of one package.
type Gen struct {
	u       *Universe
	pc      *PkgConf
	names   map[*Type]string // Go names of constructed types
	taken   map[string]bool  // package-level identifiers in use
	decls   []*decl
	inst    map[string]*Type // instance key -> substituted body
	alpha   map[string]string
	alOrd   []string
	imports map[string]bool // "dir name" of the generated packages referred to
	fresh   int             // counter for fresh local names
}

// decl is one Go type to emit.
type decl struct {
	name   string
	asn1   string // ASN.1 name or path, for comments
	t      *Type
	module string // module whose files get the declaration
	pdu    bool
	file   string // source file of the module
}

// NewGen prepares generation of package pc.
func NewGen(u *Universe, pc *PkgConf) (*Gen, error) {
	g := &Gen{u: u, pc: pc, names: map[*Type]string{}, taken: map[string]bool{},
		inst: map[string]*Type{}, alpha: map[string]string{}, imports: map[string]bool{}}
	for _, n := range []string{"BitString", "ObjectIdentifier"} {
		g.taken[n] = true
	}
	pdus := map[string]bool{}
	for _, p := range pc.PDUs {
		pdus[p] = true
	}
	var tops []*decl
	for _, mn := range pc.Modules {
		m, ok := u.Modules[mn]
		if !ok {
			return nil, fmt.Errorf("module %s not found", mn)
		}
		for _, a := range m.Types {
			if len(a.Params) > 0 {
				continue // parameterised: instantiated where used
			}
			name := goName(a.Name)
			if g.taken[name] {
				return nil, fmt.Errorf("%s: %s: Go name %s already used in package %s", m.File, a.Name, name, pc.Name)
			}
			g.taken[name] = true
			d := &decl{name: name, asn1: a.Name, t: a.Type, module: mn, pdu: pdus[a.Name], file: m.File}
			delete(pdus, a.Name)
			tops = append(tops, d)
		}
	}
	if len(pdus) > 0 {
		return nil, fmt.Errorf("PDU types not found: %v", pdus)
	}
	for _, d := range tops {
		g.decls = append(g.decls, d)
		if err := g.nameInline(d.t, d.name, d.asn1, d, true); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// nameInline names the constructed types nested in t and the instances of
// parameterised types t uses, adding them to the declarations.
func (g *Gen) nameInline(t *Type, ctx, path string, owner *decl, isTop bool) error {
	switch t.Kind {
	case KSequence, KSet, KChoice, KEnumerated:
		name := ctx
		if !isTop {
			name = g.unique(ctx)
			g.decls = append(g.decls, &decl{name: name, asn1: path, t: t, module: owner.module, file: owner.file})
		}
		g.names[t] = name
		if t.Kind == KEnumerated {
			for _, it := range append(append([]EnumItem(nil), t.Items...), t.AddItems...) {
				c := name + goName(it.Name)
				if g.taken[c] {
					return fmt.Errorf("enumeration constant %s collides", c)
				}
				g.taken[c] = true
			}
			return nil
		}
		for _, c := range allComps(t) {
			if err := g.nameInline(c.Type, name+goName(c.Name), path+"."+c.Name, owner, false); err != nil {
				return err
			}
		}
	case KSequenceOf, KSetOf:
		return g.nameInline(t.Elem, ctx+"Item", path+".*", owner, false)
	case KRef:
		if len(t.Args) == 0 {
			return nil
		}
		key := typeKey(t)
		if _, done := g.inst[key]; done {
			return nil
		}
		body, err := g.instantiate(t)
		if err != nil {
			return err
		}
		name := titleIfCaps(goName(t.Name))
		for _, a := range t.Args {
			if a.Kind == KRef {
				name += goName(a.Name)
			}
		}
		name = g.unique(name)
		d := &decl{name: name, asn1: typeKey(t), t: body, module: owner.module, file: owner.file}
		g.decls = append(g.decls, d)
		g.names[body] = name
		for _, c := range allComps(body) {
			if err := g.nameInline(c.Type, name+goName(c.Name), d.asn1+"."+c.Name, d, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// instantiate returns the body of a parameterised type reference with the
// actual parameters substituted (X.683 §9).
func (g *Gen) instantiate(t *Type) (*Type, error) {
	key := typeKey(t)
	if b, ok := g.inst[key]; ok {
		return b, nil
	}
	a, err := g.u.lookup(t)
	if err != nil {
		return nil, err
	}
	if len(a.Params) != len(t.Args) {
		return nil, fmt.Errorf("line %d: %s takes %d parameters, got %d", t.Line, t.Name, len(a.Params), len(t.Args))
	}
	subst := map[string]*Type{}
	for i, p := range a.Params {
		subst[p] = t.Args[i]
	}
	body := substitute(a.Type, subst)
	g.inst[key] = body
	return body, nil
}

func (g *Gen) unique(name string) string {
	if !g.taken[name] {
		g.taken[name] = true
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s%d", name, i)
		if !g.taken[n] {
			g.taken[n] = true
			return n
		}
	}
}

func allComps(t *Type) []*Component {
	out := append([]*Component(nil), t.Root...)
	for _, a := range t.Additions {
		out = append(out, a.Comps...)
	}
	return out
}

// goName turns an ASN.1 reference or identifier into an exported Go name.
func goName(s string) string {
	var sb strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part == "" {
			continue
		}
		sb.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return sb.String()
}

// titleIfCaps turns "SIGNED" into "Signed".
func titleIfCaps(s string) string {
	if strings.ToUpper(s) == s && len(s) > 1 {
		return s[:1] + strings.ToLower(s[1:])
	}
	return s
}

// base follows references to the built-in type and collects the
// constraints applied on the way, innermost first.
func (g *Gen) base(t *Type) (*Type, []*Constraint, error) {
	cons := t.Constraints
	for depth := 0; t.Kind == KRef; depth++ {
		if depth > 64 {
			return nil, nil, fmt.Errorf("line %d: reference loop at %s", t.Line, t.Name)
		}
		var next *Type
		if len(t.Args) > 0 {
			b, err := g.instantiate(t)
			if err != nil {
				return nil, nil, err
			}
			next = b
		} else {
			a, err := g.u.lookup(t)
			if err != nil {
				return nil, nil, err
			}
			if len(a.Params) > 0 {
				return nil, nil, fmt.Errorf("line %d: %s needs parameters", t.Line, t.Name)
			}
			next = a.Type
		}
		cons = append(append([]*Constraint(nil), next.Constraints...), cons...)
		t = next
	}
	return t, cons, nil
}

func isConstructed(k Kind) bool {
	return k == KSequence || k == KSet || k == KChoice || k == KEnumerated
}

// inlineRef reports whether a reference carries PER-visible constraints of
// its own, so that its value is coded inline rather than by the named type.
func (g *Gen) inlineRef(t *Type) (bool, error) {
	if t.Kind != KRef || len(t.Args) > 0 || len(t.Constraints) == 0 {
		return false, nil
	}
	b, _, err := g.base(t)
	if err != nil {
		return false, err
	}
	if isConstructed(b.Kind) || b.Kind == KOpenType {
		return false, nil
	}
	return g.visible(b.Kind, t.Constraints)
}

// qualName returns the Go name of an assignment, qualified by package.
func (g *Gen) qualName(t *Type) (string, error) {
	a, err := g.u.lookup(t)
	if err != nil {
		return "", err
	}
	pc := pkgOfModule(a.Module.Name)
	if pc == nil {
		return "", fmt.Errorf("module %s has no Go package", a.Module.Name)
	}
	if pc == g.pc {
		return goName(a.Name), nil
	}
	g.imports[pc.Dir+" "+pc.Name] = true
	return pc.Name + "." + goName(a.Name), nil
}

// goType returns the Go type of a value of t.
func (g *Gen) goType(t *Type) (string, error) {
	switch t.Kind {
	case KRef:
		if len(t.Args) > 0 {
			b, err := g.instantiate(t)
			if err != nil {
				return "", err
			}
			n, ok := g.names[b]
			if !ok {
				return "", fmt.Errorf("line %d: instance %s not named", t.Line, typeKey(t))
			}
			return n, nil
		}
		in, err := g.inlineRef(t)
		if err != nil {
			return "", err
		}
		if in {
			b, _, err := g.base(t)
			if err != nil {
				return "", err
			}
			return g.goType(b)
		}
		return g.qualName(t)
	case KSequence, KSet, KChoice, KEnumerated:
		n, ok := g.names[t]
		if !ok {
			return "", fmt.Errorf("line %d: unnamed constructed type", t.Line)
		}
		return n, nil
	case KSequenceOf, KSetOf:
		e, err := g.goType(t.Elem)
		return "[]" + e, err
	case KBoolean:
		return "bool", nil
	case KNull:
		return "struct{}", nil
	case KInteger:
		return "int64", nil
	case KBitString:
		return "BitString", nil
	case KOctetString:
		return "[]byte", nil
	case KCharString:
		return "string", nil
	case KOID:
		return "ObjectIdentifier", nil
	case KOpenType:
		if c := openContained(t); c != nil {
			return g.goType(c)
		}
		return "[]byte", nil
	}
	return "", fmt.Errorf("line %d: unsupported type kind %d", t.Line, t.Kind)
}

// openContained returns the type a table-less open type is restricted to
// by a contained-subtype constraint, as in TYPE-IDENTIFIER.&Type(ClearToken).
func openContained(t *Type) *Type {
	for _, c := range t.Constraints {
		if c.Kind == CSubtype {
			return c.Type
		}
	}
	return nil
}

// isSlice reports whether the Go type of t is a slice (nil = absent).
func (g *Gen) isSlice(t *Type) (bool, error) {
	b, _, err := g.base(t)
	if err != nil {
		return false, err
	}
	switch b.Kind {
	case KSequenceOf, KSetOf, KOctetString, KOID:
		return true, nil
	case KOpenType:
		if c := openContained(b); c != nil {
			return g.isSlice(c)
		}
		return true, nil
	}
	return false, nil
}
