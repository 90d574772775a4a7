package main

import "strconv"

// parseValue parses the value notations the modules use (X.680): numbers,
// strings, references, TRUE/FALSE/NULL, MIN/MAX and {…} values kept as tokens.
func (p *parser) parseValue() (*Value, error) {
	t := p.peek()
	switch {
	case t.kind == tNumber || (t.kind == tPunct && t.text == "-" && p.peekN(1).kind == tNumber):
		neg := p.accept("-")
		nt := p.next()
		v, err := strconv.ParseInt(nt.text, 10, 64)
		if err != nil {
			return nil, p.fail("bad number %q: %v", nt.text, err)
		}
		if neg {
			v = -v
		}
		return &Value{Kind: VNumber, Number: v}, nil
	case t.kind == tCString:
		p.next()
		return &Value{Kind: VString, Str: t.text}, nil
	case t.kind == tBString:
		p.next()
		return &Value{Kind: VString, Str: t.text}, nil
	case t.kind == tPunct && t.text == "{":
		toks, err := p.skipBalanced()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: VBraced, Toks: toks}, nil
	case t.kind == tIdent:
		p.next()
		switch t.text {
		case "TRUE":
			return &Value{Kind: VBool, Number: 1}, nil
		case "FALSE":
			return &Value{Kind: VBool}, nil
		case "NULL":
			return &Value{Kind: VNull}, nil
		case "MIN":
			return &Value{Kind: VMin}, nil
		case "MAX":
			return &Value{Kind: VMax}, nil
		}
		return &Value{Kind: VRef, Str: t.text}, nil
	}
	return nil, p.fail("expected a value")
}

// parseConstraint parses "( ElementSetSpecs )" (X.680 §49) or a user-defined /
// table constraint (X.682), the latter marked CIgnored.
func (p *parser) parseConstraint() (*Constraint, error) {
	if !p.is("(") {
		return nil, p.fail("expected (")
	}
	start := p.pos
	p.next()
	if p.is("CONSTRAINED") || p.is("{") || p.is("WITH") || p.is("PATTERN") || p.is("CONTAINING") || p.is("ENCODED") {
		p.pos = start
		if _, err := p.skipBalanced(); err != nil {
			return nil, err
		}
		return &Constraint{Kind: CIgnored}, nil
	}
	c := &Constraint{Kind: CUnion}
	if p.accept("...") {
		c.Extensible = true
	} else {
		root, err := p.parseElementSet()
		if err != nil {
			return nil, err
		}
		c = root
		if p.accept(",") {
			if err := p.expect("..."); err != nil {
				return nil, err
			}
			c = &Constraint{Kind: CUnion, Elems: []*Constraint{root}, Extensible: true}
		}
	}
	if c.Extensible && p.accept(",") {
		add, err := p.parseElementSet()
		if err != nil {
			return nil, err
		}
		c.Additions = add
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) parseElementSet() (*Constraint, error) {
	if p.accept("ALL") {
		if err := p.expect("EXCEPT"); err != nil {
			return nil, err
		}
		e, err := p.parseElement()
		if err != nil {
			return nil, err
		}
		return &Constraint{Kind: CExcept, Elems: []*Constraint{{Kind: CAll}, e}}, nil
	}
	u := &Constraint{Kind: CUnion}
	for {
		in := &Constraint{Kind: CIntersection}
		for {
			e, err := p.parseElement()
			if err != nil {
				return nil, err
			}
			if p.accept("EXCEPT") {
				x, err := p.parseElement()
				if err != nil {
					return nil, err
				}
				e = &Constraint{Kind: CExcept, Elems: []*Constraint{e, x}}
			}
			in.Elems = append(in.Elems, e)
			if !p.accept("^") && !p.accept("INTERSECTION") {
				break
			}
		}
		if len(in.Elems) == 1 {
			u.Elems = append(u.Elems, in.Elems[0])
		} else {
			u.Elems = append(u.Elems, in)
		}
		if !p.accept("|") && !p.accept("UNION") {
			break
		}
	}
	if len(u.Elems) == 1 {
		return u.Elems[0], nil
	}
	return u, nil
}

func (p *parser) parseElement() (*Constraint, error) {
	switch {
	case p.accept("SIZE"):
		sub, err := p.parseConstraint()
		if err != nil {
			return nil, err
		}
		return &Constraint{Kind: CSize, Elems: []*Constraint{sub}}, nil
	case p.accept("FROM"):
		sub, err := p.parseConstraint()
		if err != nil {
			return nil, err
		}
		return &Constraint{Kind: CFrom, Elems: []*Constraint{sub}}, nil
	case p.is("WITH") || p.is("PATTERN") || p.is("CONTAINING"):
		for !p.is(")") && !p.is("|") && !p.is("^") && !p.is(",") {
			if p.is("{") || p.is("(") {
				if _, err := p.skipBalanced(); err != nil {
					return nil, err
				}
				continue
			}
			if p.peek().kind == tEOF {
				return nil, p.fail("unterminated constraint")
			}
			p.next()
		}
		return &Constraint{Kind: CIgnored}, nil
	case p.is("("):
		return p.parseConstraint()
	case p.accept("INCLUDES"):
		t, err := p.parseType()
		if err != nil {
			return nil, err
		}
		return &Constraint{Kind: CSubtype, Type: t}, nil
	}
	tk := p.peek()
	if tk.kind == tIdent && isUpper(tk.text) && tk.text != "MIN" && tk.text != "MAX" && tk.text != "TRUE" && tk.text != "FALSE" && tk.text != "NULL" {
		t, err := p.parseType()
		if err != nil {
			return nil, err
		}
		return &Constraint{Kind: CSubtype, Type: t}, nil
	}
	lo, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	p.accept("<")
	if p.accept("..") {
		p.accept("<")
		hi, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		return &Constraint{Kind: CRange, Lo: lo, Hi: hi}, nil
	}
	return &Constraint{Kind: CSingle, Lo: lo}, nil
}
