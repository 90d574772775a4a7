package main

import (
	"fmt"
	"sort"
)

// rng is an integer interval; missing bounds are MIN / MAX.
type rng struct {
	lo, hi       int64
	hasLo, hasHi bool
}

func (a rng) hull(b rng) rng {
	r := rng{}
	if a.hasLo && b.hasLo {
		r.lo, r.hasLo = min(a.lo, b.lo), true
	}
	if a.hasHi && b.hasHi {
		r.hi, r.hasHi = max(a.hi, b.hi), true
	}
	return r
}

func (a rng) intersect(b rng) rng {
	r := a
	if b.hasLo && (!r.hasLo || b.lo > r.lo) {
		r.lo, r.hasLo = b.lo, true
	}
	if b.hasHi && (!r.hasHi || b.hi < r.hi) {
		r.hi, r.hasHi = b.hi, true
	}
	return r
}

// effCons is the effective PER-visible constraint of a type (X.691 §10.3 ff.).
type effCons struct {
	val      rng
	hasVal   bool
	valExt   bool
	size     rng
	hasSize  bool
	sizeExt  bool
	alpha    []rune // sorted; nil: no PER-visible permitted alphabet
	hasAlpha bool
}

// evalCons computes the effective constraint of constraints applied serially
// to a type whose base is kind.
func (g *Gen) evalCons(kind Kind, cs []*Constraint) (effCons, error) {
	var ec effCons
	for _, c := range cs {
		switch kind {
		case KInteger:
			r, ok, err := g.evalValue(c)
			if err != nil {
				return ec, err
			}
			if ok {
				if ec.hasVal {
					ec.val = ec.val.intersect(r)
				} else {
					ec.val, ec.hasVal = r, true
				}
				ec.valExt = c.Extensible
			}
		case KBitString, KOctetString, KCharString, KSequenceOf, KSetOf:
			r, ext, ok, err := g.evalSize(c)
			if err != nil {
				return ec, err
			}
			if ok {
				if ec.hasSize {
					ec.size = ec.size.intersect(r)
				} else {
					ec.size, ec.hasSize = r, true
				}
				ec.sizeExt = ext || c.Extensible
			}
			if kind == KCharString && !c.Extensible {
				// An extensible permitted-alphabet constraint is not PER-visible (X.691 §10.3, §30).
				set, ok, err := g.evalAlpha(c)
				if err != nil {
					return ec, err
				}
				if ok {
					if ec.hasAlpha {
						ec.alpha = intersectRunes(ec.alpha, set)
					} else {
						ec.alpha, ec.hasAlpha = set, true
					}
				}
			}
		}
	}
	return ec, nil
}

func (g *Gen) valueNumber(v *Value) (int64, bool, error) {
	switch v.Kind {
	case VNumber:
		return v.Number, true, nil
	case VMin, VMax:
		return 0, false, nil
	case VRef:
		for _, m := range g.u.Modules {
			if va, ok := m.valByNm[v.Str]; ok && va.Value.Kind == VNumber {
				return va.Value.Number, true, nil
			}
		}
		return 0, false, fmt.Errorf("unknown value reference %s", v.Str)
	}
	return 0, false, fmt.Errorf("value is not a number")
}

// evalValue returns the PER-visible value range of an INTEGER constraint.
func (g *Gen) evalValue(c *Constraint) (rng, bool, error) {
	switch c.Kind {
	case CSingle:
		n, ok, err := g.valueNumber(c.Lo)
		if err != nil || !ok {
			return rng{}, false, err
		}
		return rng{lo: n, hi: n, hasLo: true, hasHi: true}, true, nil
	case CRange:
		var r rng
		lo, ok, err := g.valueNumber(c.Lo)
		if err != nil {
			return r, false, err
		}
		r.lo, r.hasLo = lo, ok
		hi, ok, err := g.valueNumber(c.Hi)
		if err != nil {
			return r, false, err
		}
		r.hi, r.hasHi = hi, ok
		return r, true, nil
	case CUnion:
		var acc rng
		for i, e := range c.Elems {
			r, ok, err := g.evalValue(e)
			if err != nil || !ok {
				return rng{}, false, err
			}
			if i == 0 {
				acc = r
			} else {
				acc = acc.hull(r)
			}
		}
		return acc, len(c.Elems) > 0, nil
	case CIntersection:
		var acc rng
		any := false
		for _, e := range c.Elems {
			r, ok, err := g.evalValue(e)
			if err != nil {
				return rng{}, false, err
			}
			if ok {
				if any {
					acc = acc.intersect(r)
				} else {
					acc = r
				}
				any = true
			}
		}
		return acc, any, nil
	case CSubtype:
		base, cs, err := g.base(c.Type)
		if err != nil {
			return rng{}, false, err
		}
		ec, err := g.evalCons(base.Kind, cs)
		return ec.val, ec.hasVal, err
	}
	return rng{}, false, nil
}

// evalSize returns the PER-visible SIZE of a constraint.
func (g *Gen) evalSize(c *Constraint) (rng, bool, bool, error) {
	switch c.Kind {
	case CSize:
		sub := c.Elems[0]
		r, ok, err := g.evalValue(sub)
		if err != nil || !ok {
			return rng{}, false, false, err
		}
		if !r.hasLo {
			r.lo, r.hasLo = 0, true
		}
		return r, sub.Extensible, true, nil
	case CUnion:
		var acc rng
		ext := false
		for i, e := range c.Elems {
			r, x, ok, err := g.evalSize(e)
			if err != nil || !ok {
				return rng{}, false, false, err
			}
			ext = ext || x
			if i == 0 {
				acc = r
			} else {
				acc = acc.hull(r)
			}
		}
		return acc, ext, len(c.Elems) > 0, nil
	case CIntersection:
		var acc rng
		any, ext := false, false
		for _, e := range c.Elems {
			r, x, ok, err := g.evalSize(e)
			if err != nil {
				return rng{}, false, false, err
			}
			if ok {
				if any {
					acc = acc.intersect(r)
				} else {
					acc = r
				}
				any = true
				ext = ext || x
			}
		}
		return acc, ext, any, nil
	case CSubtype:
		base, cs, err := g.base(c.Type)
		if err != nil {
			return rng{}, false, false, err
		}
		ec, err := g.evalCons(base.Kind, cs)
		return ec.size, ec.sizeExt, ec.hasSize, err
	}
	return rng{}, false, false, nil
}

// evalAlpha returns the PER-visible permitted alphabet (FROM) of a constraint.
func (g *Gen) evalAlpha(c *Constraint) ([]rune, bool, error) {
	switch c.Kind {
	case CFrom:
		set, err := g.evalChars(c.Elems[0])
		return set, err == nil, err
	case CUnion:
		var acc []rune
		for _, e := range c.Elems {
			s, ok, err := g.evalAlpha(e)
			if err != nil || !ok {
				return nil, false, err
			}
			acc = unionRunes(acc, s)
		}
		return acc, len(c.Elems) > 0, nil
	case CIntersection:
		var acc []rune
		any := false
		for _, e := range c.Elems {
			s, ok, err := g.evalAlpha(e)
			if err != nil {
				return nil, false, err
			}
			if ok {
				if any {
					acc = intersectRunes(acc, s)
				} else {
					acc = s
				}
				any = true
			}
		}
		return acc, any, nil
	case CSubtype:
		base, cs, err := g.base(c.Type)
		if err != nil {
			return nil, false, err
		}
		ec, err := g.evalCons(base.Kind, cs)
		return ec.alpha, ec.hasAlpha, err
	}
	return nil, false, nil
}

// evalChars evaluates the constraint inside FROM ( … ) to a character set.
func (g *Gen) evalChars(c *Constraint) ([]rune, error) {
	switch c.Kind {
	case CSingle:
		if c.Lo.Kind != VString {
			return nil, fmt.Errorf("FROM: expected a character string")
		}
		return unionRunes(nil, []rune(c.Lo.Str)), nil
	case CRange:
		lo, hi := []rune(c.Lo.Str), []rune(c.Hi.Str)
		if c.Lo.Kind != VString || c.Hi.Kind != VString || len(lo) != 1 || len(hi) != 1 {
			return nil, fmt.Errorf("FROM: range bounds must be single characters")
		}
		var s []rune
		for r := lo[0]; r <= hi[0]; r++ {
			s = append(s, r)
		}
		return s, nil
	case CUnion:
		var acc []rune
		for _, e := range c.Elems {
			s, err := g.evalChars(e)
			if err != nil {
				return nil, err
			}
			acc = unionRunes(acc, s)
		}
		return acc, nil
	case CIntersection:
		var acc []rune
		for i, e := range c.Elems {
			s, err := g.evalChars(e)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				acc = s
			} else {
				acc = intersectRunes(acc, s)
			}
		}
		return acc, nil
	}
	return nil, fmt.Errorf("unsupported FROM constraint")
}

func unionRunes(a, b []rune) []rune {
	seen := map[rune]bool{}
	var out []rune
	for _, r := range append(append([]rune(nil), a...), b...) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func intersectRunes(a, b []rune) []rune {
	in := map[rune]bool{}
	for _, r := range b {
		in[r] = true
	}
	var out []rune
	for _, r := range a {
		if in[r] {
			out = append(out, r)
		}
	}
	return out
}

// visible reports whether any constraint of cs is PER-visible for kind.
func (g *Gen) visible(kind Kind, cs []*Constraint) (bool, error) {
	if len(cs) == 0 {
		return false, nil
	}
	ec, err := g.evalCons(kind, cs)
	return ec.hasVal || ec.hasSize || ec.hasAlpha, err
}
