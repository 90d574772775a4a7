package main

import (
	"fmt"
	"strconv"
)

// parser is a recursive-descent parser for the subset of X.680/X.681/X.682/X.683
// notation used by the H.323 family of modules.
type parser struct {
	toks []token
	pos  int
	file string
}

type parseError struct {
	file string
	tok  token
	msg  string
}

func (e *parseError) Error() string {
	return fmt.Sprintf("%s: line %d: %s (at %s)", e.file, e.tok.line, e.msg, e.tok)
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) peekN(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}
func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tIdent || t.kind == tPunct) && t.text == text
}
func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.pos++
		return true
	}
	return false
}
func (p *parser) fail(format string, args ...any) error {
	return &parseError{file: p.file, tok: p.peek(), msg: fmt.Sprintf(format, args...)}
}
func (p *parser) expect(text string) error {
	if !p.accept(text) {
		return p.fail("expected %q", text)
	}
	return nil
}
func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tIdent {
		return "", p.fail("expected identifier")
	}
	p.pos++
	return t.text, nil
}

// skipBalanced skips a {…}, (…) or […] group starting at the current token and returns its tokens.
func (p *parser) skipBalanced() ([]token, error) {
	open := p.peek().text
	var close string
	switch open {
	case "{":
		close = "}"
	case "(":
		close = ")"
	case "[":
		close = "]"
	default:
		return nil, p.fail("expected bracket")
	}
	start := p.pos
	depth := 0
	for {
		t := p.next()
		if t.kind == tEOF {
			return nil, p.fail("unbalanced %q", open)
		}
		if t.kind == tPunct {
			switch t.text {
			case open:
				depth++
			case close:
				depth--
			}
		}
		if depth == 0 {
			return p.toks[start:p.pos], nil
		}
	}
}

func isUpper(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' }

// ParseModule parses one module definition (X.680 §13).
func ParseModule(file, src string) (*Module, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	p := &parser{toks: toks, file: file}
	m := &Module{File: file, Imports: map[string]string{}, byName: map[string]*TypeAssign{}, valByNm: map[string]*ValueAssign{}}
	if m.Name, err = p.ident(); err != nil {
		return nil, err
	}
	if p.is("{") {
		if _, err := p.skipBalanced(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("DEFINITIONS"); err != nil {
		return nil, err
	}
	for !p.is("::=") {
		if p.peek().kind == tEOF {
			return nil, p.fail("missing ::= in module header")
		}
		p.next() // tag default, EXTENSIBILITY IMPLIED
	}
	p.next()
	if err := p.expect("BEGIN"); err != nil {
		return nil, err
	}
	if p.accept("EXPORTS") {
		for !p.accept(";") {
			if p.peek().kind == tEOF {
				return nil, p.fail("unterminated EXPORTS")
			}
			p.next()
		}
	}
	if p.accept("IMPORTS") {
		if err := p.parseImports(m); err != nil {
			return nil, err
		}
	}
	for !p.accept("END") {
		if p.peek().kind == tEOF {
			return nil, p.fail("missing END")
		}
		if err := p.parseAssignment(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (p *parser) parseImports(m *Module) error {
	var syms []string
	for !p.accept(";") {
		t := p.peek()
		switch {
		case t.kind == tEOF:
			return p.fail("unterminated IMPORTS")
		case p.accept(","):
		case p.accept("FROM"):
			mod, err := p.ident()
			if err != nil {
				return err
			}
			if p.is("{") {
				if _, err := p.skipBalanced(); err != nil {
					return err
				}
			}
			for _, s := range syms {
				m.Imports[s] = mod
			}
			syms = syms[:0]
		case t.kind == tIdent:
			p.next()
			if p.is("{") && p.peekN(1).text == "}" {
				p.pos += 2 // parameterised reference "SIGNED{}"
			}
			syms = append(syms, t.text)
		default:
			return p.fail("unexpected token in IMPORTS")
		}
	}
	if len(syms) > 0 {
		return p.fail("IMPORTS symbols without FROM: %v", syms)
	}
	return nil
}

func (p *parser) parseAssignment(m *Module) error {
	t := p.peek()
	name, err := p.ident()
	if err != nil {
		return err
	}
	if isUpper(name) {
		a := &TypeAssign{Name: name, Module: m, Line: t.line}
		if p.accept("{") {
			for !p.accept("}") {
				if p.accept(",") {
					continue
				}
				// "Governor : Param" or "Param"
				id, err := p.ident()
				if err != nil {
					return err
				}
				if p.accept(":") {
					if id, err = p.ident(); err != nil {
						return err
					}
				}
				a.Params = append(a.Params, id)
			}
		}
		if p.peek().kind == tIdent && isUpper(p.peek().text) && p.peekN(1).text == "::=" {
			// Object set assignment "Set CLASS ::= { … }" (X.681 §12): only
			// table constraints use it, and those are not PER-visible.
			p.pos += 2
			_, err := p.skipBalanced()
			return err
		}
		if err := p.expect("::="); err != nil {
			return err
		}
		if p.accept("CLASS") {
			// Information object class (X.681 §9): its fields are open
			// types where referenced as CLASS.&Field.
			if _, err := p.skipBalanced(); err != nil {
				return err
			}
			if p.accept("WITH") {
				if err := p.expect("SYNTAX"); err != nil {
					return err
				}
				if _, err := p.skipBalanced(); err != nil {
					return err
				}
			}
			m.Classes = append(m.Classes, name)
			return nil
		}
		p.pos--
		if err := p.expect("::="); err != nil {
			return err
		}
		if a.Type, err = p.parseType(); err != nil {
			return err
		}
		if _, dup := m.byName[name]; dup {
			return &parseError{file: p.file, tok: t, msg: "duplicate assignment " + name}
		}
		m.Types = append(m.Types, a)
		m.byName[name] = a
		return nil
	}
	typ, err := p.parseType()
	if err != nil {
		return err
	}
	if err := p.expect("::="); err != nil {
		return err
	}
	v, err := p.parseValue()
	if err != nil {
		return err
	}
	va := &ValueAssign{Name: name, Type: typ, Value: v}
	m.Values = append(m.Values, va)
	m.valByNm[name] = va
	return nil
}

var charStringTypes = map[string]bool{
	"IA5String": true, "BMPString": true, "NumericString": true, "PrintableString": true,
	"VisibleString": true, "ISO646String": true, "UniversalString": true, "UTF8String": true,
	"GeneralString": true, "GraphicString": true, "TeletexString": true, "T61String": true,
	"VideotexString": true,
}

func (p *parser) parseType() (*Type, error) {
	t, err := p.parseBareType()
	if err != nil {
		return nil, err
	}
	for p.is("(") {
		c, err := p.parseConstraint()
		if err != nil {
			return nil, err
		}
		t.Constraints = append(t.Constraints, c)
	}
	return t, nil
}

func (p *parser) parseBareType() (*Type, error) {
	tk := p.peek()
	if tk.kind == tPunct && tk.text == "[" {
		// A tag: AUTOMATIC TAGS makes tags irrelevant to PER encoding.
		if _, err := p.skipBalanced(); err != nil {
			return nil, err
		}
		if !p.accept("IMPLICIT") {
			p.accept("EXPLICIT")
		}
		return p.parseType()
	}
	if tk.kind != tIdent {
		return nil, p.fail("expected a type")
	}
	t := &Type{Line: tk.line}
	p.next()
	switch tk.text {
	case "BOOLEAN":
		t.Kind = KBoolean
	case "NULL":
		t.Kind = KNull
	case "INTEGER":
		t.Kind = KInteger
		if p.is("{") {
			if _, err := p.skipBalanced(); err != nil { // named numbers do not change PER
				return nil, err
			}
		}
	case "ENUMERATED":
		t.Kind = KEnumerated
		if err := p.parseEnum(t); err != nil {
			return nil, err
		}
	case "BIT":
		if err := p.expect("STRING"); err != nil {
			return nil, err
		}
		t.Kind = KBitString
		if p.is("{") {
			if _, err := p.skipBalanced(); err != nil { // named bits
				return nil, err
			}
		}
	case "OCTET":
		if err := p.expect("STRING"); err != nil {
			return nil, err
		}
		t.Kind = KOctetString
	case "OBJECT":
		if err := p.expect("IDENTIFIER"); err != nil {
			return nil, err
		}
		t.Kind = KOID
	case "SEQUENCE", "SET":
		isSeq := tk.text == "SEQUENCE"
		if p.is("{") {
			t.Kind = KSequence
			if !isSeq {
				t.Kind = KSet
			}
			if err := p.parseComponents(t, false); err != nil {
				return nil, err
			}
			break
		}
		t.Kind = KSequenceOf
		if !isSeq {
			t.Kind = KSetOf
		}
		var cons *Constraint
		if p.accept("SIZE") {
			sub, err := p.parseConstraint()
			if err != nil {
				return nil, err
			}
			cons = &Constraint{Kind: CSize, Elems: []*Constraint{sub}}
		} else if p.is("(") {
			c, err := p.parseConstraint()
			if err != nil {
				return nil, err
			}
			cons = c
		}
		if err := p.expect("OF"); err != nil {
			return nil, err
		}
		if p.peek().kind == tIdent && !isUpper(p.peek().text) {
			p.next() // named element type "SEQUENCE OF item Type"
		}
		elem, err := p.parseType()
		if err != nil {
			return nil, err
		}
		t.Elem = elem
		if cons != nil {
			t.Constraints = append(t.Constraints, cons)
		}
	case "CHOICE":
		t.Kind = KChoice
		if err := p.parseComponents(t, true); err != nil {
			return nil, err
		}
	default:
		switch {
		case charStringTypes[tk.text]:
			t.Kind = KCharString
			t.Name = tk.text
		case p.is(".") && p.peekN(1).text == "&":
			// Object class field type, e.g. TYPE-IDENTIFIER.&Type: an open type (X.681 §14).
			p.pos += 2
			f, err := p.ident()
			if err != nil {
				return nil, err
			}
			t.Kind = KOpenType
			t.Name = tk.text + ".&" + f
			if !isUpper(f) {
				// A fixed-type value field has the field's type, not an
				// open type. Only the classes of X.681 Annex A/B are known.
				if (tk.text == "TYPE-IDENTIFIER" || tk.text == "ABSTRACT-SYNTAX") && f == "id" {
					t.Kind = KOID
				} else {
					return nil, &parseError{file: p.file, tok: tk, msg: "value field " + t.Name + " of a user-defined class is not supported"}
				}
			}
		case p.is(".") && p.peekN(1).kind == tIdent && isUpper(p.peekN(1).text):
			p.next()
			t.Kind = KRef
			t.Module = tk.text
			t.Name = p.next().text
		case isUpper(tk.text):
			t.Kind = KRef
			t.Name = tk.text
		default:
			return nil, &parseError{file: p.file, tok: tk, msg: "expected a type"}
		}
		if t.Kind == KRef && p.is("{") {
			p.next()
			for !p.accept("}") {
				if p.accept(",") {
					continue
				}
				a, err := p.parseType()
				if err != nil {
					return nil, err
				}
				t.Args = append(t.Args, a)
			}
		}
	}
	return t, nil
}

func (p *parser) parseEnum(t *Type) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	inExt := false
	for !p.accept("}") {
		if p.accept(",") {
			continue
		}
		if p.accept("...") {
			t.Extensible = true
			inExt = true
			if p.accept("!") {
				if _, err := p.parseValue(); err != nil {
					return err
				}
			}
			continue
		}
		name, err := p.ident()
		if err != nil {
			return err
		}
		it := EnumItem{Name: name}
		if p.accept("(") {
			neg := p.accept("-")
			nt := p.next()
			if nt.kind != tNumber {
				return p.fail("expected enumeration value")
			}
			v, err := strconv.ParseInt(nt.text, 10, 64)
			if err != nil {
				return p.fail("bad number: %v", err)
			}
			if neg {
				v = -v
			}
			it.Value, it.HasValue = v, true
			if err := p.expect(")"); err != nil {
				return err
			}
		}
		if inExt {
			t.AddItems = append(t.AddItems, it)
		} else {
			t.Items = append(t.Items, it)
		}
	}
	return nil
}

// parseComponents parses "{ root , ... , additions [, ... , root2] }".
func (p *parser) parseComponents(t *Type, choice bool) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	ellipses := 0
	for !p.accept("}") {
		if p.accept(",") {
			continue
		}
		if p.accept("...") {
			ellipses++
			t.Extensible = true
			if p.accept("!") {
				if _, err := p.parseValue(); err != nil {
					return err
				}
			}
			if ellipses > 2 {
				return p.fail("more than two extension markers")
			}
			continue
		}
		if p.accept("[[") {
			if ellipses != 1 {
				return p.fail("extension addition group outside the extension")
			}
			if p.peek().kind == tNumber && p.peekN(1).text == ":" {
				p.pos += 2 // version number
			}
			g := &Addition{Group: true}
			for !p.accept("]]") {
				if p.accept(",") {
					continue
				}
				c, err := p.parseComponent(choice)
				if err != nil {
					return err
				}
				g.Comps = append(g.Comps, c)
			}
			t.Additions = append(t.Additions, g)
			continue
		}
		if p.is("COMPONENTS") {
			return p.fail("COMPONENTS OF is not supported")
		}
		c, err := p.parseComponent(choice)
		if err != nil {
			return err
		}
		if ellipses == 1 {
			t.Additions = append(t.Additions, &Addition{Comps: []*Component{c}})
		} else {
			t.Root = append(t.Root, c)
		}
	}
	return nil
}

func (p *parser) parseComponent(choice bool) (*Component, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	if isUpper(name) {
		return nil, p.fail("component name %q must start in lower case", name)
	}
	typ, err := p.parseType()
	if err != nil {
		return nil, err
	}
	c := &Component{Name: name, Type: typ}
	if !choice {
		if p.accept("OPTIONAL") {
			c.Optional = true
		} else if p.accept("DEFAULT") {
			if c.Default, err = p.parseValue(); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}
