package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Universe holds every parsed module and resolves references between them.
type Universe struct {
	Modules map[string]*Module
	order   []string
}

// LoadDir parses every *.asn file of dir.
func LoadDir(dir string) (*Universe, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.asn"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .asn files in %s", dir)
	}
	sort.Strings(files)
	u := &Universe{Modules: map[string]*Module{}}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := ParseModule(filepath.Base(f), string(src))
		if err != nil {
			return nil, err
		}
		if _, dup := u.Modules[m.Name]; dup {
			return nil, fmt.Errorf("%s: module %s defined twice", f, m.Name)
		}
		u.Modules[m.Name] = m
		u.order = append(u.order, m.Name)
	}
	for _, name := range u.order {
		if err := u.qualify(u.Modules[name]); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// qualify sets Type.Module on every type reference so that later stages
// need no scope: a reference names the module that defines the type.
// References to parameters of a parameterised assignment stay unqualified.
func (u *Universe) qualify(m *Module) error {
	for _, a := range m.Types {
		params := map[string]bool{}
		for _, p := range a.Params {
			params[p] = true
		}
		var err error
		walkType(a.Type, func(t *Type) {
			if err != nil || t.Kind != KRef || t.Module != "" || params[t.Name] {
				return
			}
			mod, e := u.definingModule(m, t.Name)
			if e != nil {
				err = fmt.Errorf("%s: line %d: %w", m.File, t.Line, e)
				return
			}
			t.Module = mod
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (u *Universe) definingModule(m *Module, name string) (string, error) {
	if _, ok := m.byName[name]; ok {
		return m.Name, nil
	}
	if from, ok := m.Imports[name]; ok {
		fm, ok := u.Modules[from]
		if !ok {
			return "", fmt.Errorf("%s imported from unknown module %s", name, from)
		}
		if _, ok := fm.byName[name]; !ok {
			return "", fmt.Errorf("%s is not defined in %s", name, from)
		}
		return from, nil
	}
	if name == "TYPE-IDENTIFIER" {
		return "", nil
	}
	return "", fmt.Errorf("undefined type %s", name)
}

// walkType calls f on t and every type nested in it (not following references).
func walkType(t *Type, f func(*Type)) {
	if t == nil {
		return
	}
	f(t)
	for _, c := range t.Root {
		walkType(c.Type, f)
	}
	for _, a := range t.Additions {
		for _, c := range a.Comps {
			walkType(c.Type, f)
		}
	}
	walkType(t.Elem, f)
	for _, a := range t.Args {
		walkType(a, f)
	}
	for _, c := range t.Constraints {
		walkCons(c, f)
	}
}

func walkCons(c *Constraint, f func(*Type)) {
	if c == nil {
		return
	}
	if c.Type != nil {
		walkType(c.Type, f)
	}
	for _, e := range c.Elems {
		walkCons(e, f)
	}
	walkCons(c.Additions, f)
}

// lookup returns the assignment a qualified, non-parameterised reference names.
func (u *Universe) lookup(t *Type) (*TypeAssign, error) {
	m, ok := u.Modules[t.Module]
	if !ok {
		return nil, fmt.Errorf("line %d: reference %s has no module", t.Line, t.Name)
	}
	a, ok := m.byName[t.Name]
	if !ok {
		return nil, fmt.Errorf("line %d: %s not defined in %s", t.Line, t.Name, t.Module)
	}
	return a, nil
}

// substitute returns a deep copy of t with parameter references replaced.
func substitute(t *Type, subst map[string]*Type) *Type {
	if t == nil {
		return nil
	}
	if t.Kind == KRef && t.Module == "" {
		if s, ok := subst[t.Name]; ok {
			c := *s
			c.Constraints = append(append([]*Constraint(nil), s.Constraints...), substCons(t.Constraints, subst)...)
			return &c
		}
	}
	c := *t
	c.Root = substComps(t.Root, subst)
	c.Additions = nil
	for _, a := range t.Additions {
		c.Additions = append(c.Additions, &Addition{Group: a.Group, Comps: substComps(a.Comps, subst)})
	}
	c.Elem = substitute(t.Elem, subst)
	c.Args = nil
	for _, a := range t.Args {
		c.Args = append(c.Args, substitute(a, subst))
	}
	c.Constraints = substCons(t.Constraints, subst)
	return &c
}

func substComps(cs []*Component, subst map[string]*Type) []*Component {
	var out []*Component
	for _, x := range cs {
		c := *x
		c.Type = substitute(x.Type, subst)
		out = append(out, &c)
	}
	return out
}

func substCons(cs []*Constraint, subst map[string]*Type) []*Constraint {
	var out []*Constraint
	for _, x := range cs {
		out = append(out, substCon(x, subst))
	}
	return out
}

func substCon(x *Constraint, subst map[string]*Type) *Constraint {
	if x == nil {
		return nil
	}
	c := *x
	c.Type = substitute(x.Type, subst)
	c.Elems = substCons(x.Elems, subst)
	c.Additions = substCon(x.Additions, subst)
	return &c
}

// typeKey renders a type reference for instance identity.
func typeKey(t *Type) string {
	var sb strings.Builder
	sb.WriteString(t.Module + "." + t.Name)
	if len(t.Args) > 0 {
		sb.WriteString("{")
		for i, a := range t.Args {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(typeKey(a))
		}
		sb.WriteString("}")
	}
	return sb.String()
}
