package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestLex(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"hyphenated names", "H323-UU-PDU ::= h323-uu-pdu", []string{"H323-UU-PDU", "::=", "h323-uu-pdu"}},
		{"comment to end of line", "a -- comment\nb", []string{"a", "b"}},
		{"comment closed by --", "SEQUENCE-- inner --{x", []string{"SEQUENCE", "{", "x"}},
		{"nested block comment", "a /* x /* y */ z */ b", []string{"a", "b"}},
		{"range and ellipsis", "(0..255, ...)", []string{"(", "0", "..", "255", ",", "...", ")"}},
		{"extension group brackets", "[[ a ]]", []string{"[[", "a", "]]"}},
		{"quoted string with doubled quote", `"a""b"`, []string{`a"b`}},
		{"class field", "TYPE-IDENTIFIER.&Type", []string{"TYPE-IDENTIFIER", ".", "&", "Type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := lex(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tk := range toks {
				if tk.kind != tEOF {
					got = append(got, tk.text)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"missing END", "M DEFINITIONS ::= BEGIN A ::= INTEGER", "missing END"},
		{"bad component name", "M DEFINITIONS ::= BEGIN A ::= SEQUENCE { B INTEGER } END", "lower case"},
		{"unterminated comment", "M DEFINITIONS ::= BEGIN /* END", "unterminated"},
		{"duplicate", "M DEFINITIONS ::= BEGIN A ::= NULL A ::= NULL END", "duplicate"},
		{"group in root", "M DEFINITIONS ::= BEGIN A ::= SEQUENCE { [[ a NULL ]] } END", "extension addition group"},
		{"user class value field", "M DEFINITIONS ::= BEGIN A ::= SEQUENCE { a MY-CLASS.&id } END", "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseModule("m.asn", tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// testGen parses src as the only module of a universe.
func testGen(t *testing.T, src string) (*Gen, *Module) {
	t.Helper()
	m, err := ParseModule("t.asn", src)
	if err != nil {
		t.Fatal(err)
	}
	u := &Universe{Modules: map[string]*Module{m.Name: m}, order: []string{m.Name}}
	if err := u.qualify(m); err != nil {
		t.Fatal(err)
	}
	return &Gen{u: u, names: map[*Type]string{}, taken: map[string]bool{}, inst: map[string]*Type{}, alpha: map[string]string{}, imports: map[string]bool{}}, m
}

func TestEffectiveConstraints(t *testing.T) {
	g, m := testGen(t, `T DEFINITIONS AUTOMATIC TAGS ::= BEGIN
Digits ::= IA5String (SIZE (1..128)) (FROM ("0123456789#*,"))
Dtmf ::= IA5String (SIZE (1) ^ FROM ("0123456789#*ABCD!"))
Tbcd ::= IA5String (FROM ("0123456789#*abc"))
TbcdSized ::= Tbcd (SIZE (3..16))
Values ::= IA5String ("abc" | "de")
Ranges ::= IA5String (FROM ("a".."c" | "x"))
ExtInt ::= INTEGER (0..16383, ...)
Sub ::= INTEGER (1..10) (2..20)
Union ::= INTEGER (1 | 5..7)
OpenEnd ::= INTEGER (1..MAX)
ExtSize ::= OCTET STRING (SIZE (1..4, ...))
ListSize ::= SEQUENCE SIZE (0..3) OF NULL
WithComps ::= INTEGER (CONSTRAINED BY {})
ub-digits INTEGER ::= 64
FromValue ::= NumericString (SIZE (1..ub-digits))
id-h225 OBJECT IDENTIFIER ::= {itu-t(0) recommendation(0) h(8) 2250}
MY-CLASS ::= CLASS { &id OBJECT IDENTIFIER UNIQUE, &Type } WITH SYNTAX { ID &id TYPE &Type }
Objects MY-CLASS ::= { {ID id-h225 TYPE INTEGER}, ... }
Tabled ::= SEQUENCE { id TYPE-IDENTIFIER.&id ({Objects}), value MY-CLASS.&Type ({Objects}{@id}) }
END`)
	for _, tc := range []struct {
		typ  string
		want effCons
	}{
		{"Digits", effCons{size: rng{1, 128, true, true}, hasSize: true, alpha: []rune("#*,0123456789"), hasAlpha: true}},
		{"Dtmf", effCons{size: rng{1, 1, true, true}, hasSize: true, alpha: []rune("!#*0123456789ABCD"), hasAlpha: true}},
		{"TbcdSized", effCons{size: rng{3, 16, true, true}, hasSize: true, alpha: []rune("#*0123456789abc"), hasAlpha: true}},
		{"Values", effCons{}},
		{"Ranges", effCons{alpha: []rune("abcx"), hasAlpha: true}},
		{"ExtInt", effCons{val: rng{0, 16383, true, true}, hasVal: true, valExt: true}},
		{"Sub", effCons{val: rng{2, 10, true, true}, hasVal: true}},
		{"Union", effCons{val: rng{1, 7, true, true}, hasVal: true}},
		{"OpenEnd", effCons{val: rng{lo: 1, hasLo: true}, hasVal: true}},
		{"ExtSize", effCons{size: rng{1, 4, true, true}, hasSize: true, sizeExt: true}},
		{"ListSize", effCons{size: rng{0, 3, true, true}, hasSize: true}},
		{"WithComps", effCons{}},
		{"FromValue", effCons{size: rng{1, 64, true, true}, hasSize: true}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			b, cs, err := g.base(&Type{Kind: KRef, Name: tc.typ, Module: m.Name})
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.evalCons(b.Kind, cs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestClassesAndObjectSets(t *testing.T) {
	_, m := testGen(t, `T DEFINITIONS AUTOMATIC TAGS ::= BEGIN
MY-CLASS ::= CLASS { &id OBJECT IDENTIFIER UNIQUE, &Type } WITH SYNTAX { ID &id TYPE &Type }
Objects MY-CLASS ::= { {ID {1 2} TYPE INTEGER}, ... }
Tabled ::= SEQUENCE { id TYPE-IDENTIFIER.&id ({Objects}), value MY-CLASS.&Type ({Objects}{@id}) }
END`)
	if !reflect.DeepEqual(m.Classes, []string{"MY-CLASS"}) {
		t.Errorf("classes = %v", m.Classes)
	}
	if id := m.byName["Tabled"].Type.Root[0].Type; id.Kind != KOID {
		t.Errorf("TYPE-IDENTIFIER.&id = %+v, want OBJECT IDENTIFIER", id)
	}
	v := m.byName["Tabled"].Type.Root[1].Type
	if v.Kind != KOpenType || len(v.Constraints) != 1 || v.Constraints[0].Kind != CIgnored {
		t.Errorf("MY-CLASS.&Type = %+v, want an open type with an ignored table constraint", v)
	}
}

func TestParameterisedExpansion(t *testing.T) {
	g, m := testGen(t, `T DEFINITIONS AUTOMATIC TAGS ::= BEGIN
SIGNED {ToBeSigned} ::= SEQUENCE { toBeSigned ToBeSigned, algorithmOID OBJECT IDENTIFIER }
  (CONSTRAINED BY { -- verify -- ToBeSigned })
Body ::= SEQUENCE { n INTEGER (0..7) }
Use ::= SEQUENCE { s SIGNED {Body} }
END`)
	use := m.byName["Use"].Type
	body, err := g.instantiate(use.Root[0].Type)
	if err != nil {
		t.Fatal(err)
	}
	if body.Kind != KSequence || len(body.Root) != 2 {
		t.Fatalf("instance = %+v", body)
	}
	tbs := body.Root[0].Type
	if tbs.Kind != KRef || tbs.Name != "Body" || tbs.Module != "T" {
		t.Errorf("toBeSigned = %+v, want a reference to T.Body", tbs)
	}
	// The template itself keeps its parameter unresolved.
	if p := m.byName["SIGNED"].Type.Root[0].Type; p.Module != "" {
		t.Errorf("template parameter was qualified: %+v", p)
	}
}

func TestEnumOrder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		items     []EnumItem
		adds      []EnumItem
		wantRoot  []string
		wantAdded []int64
	}{
		{"explicit values sorted", []EnumItem{{"a", 5, true}, {"b", 0, true}, {"c", 2, true}}, nil, []string{"b", "c", "a"}, nil},
		{"implicit values fill gaps", []EnumItem{{"a", 0, false}, {"b", 0, true}, {"c", 0, false}}, nil, []string{"b", "a", "c"}, nil},
		{"additions numbered after the root", []EnumItem{{"a", 0, false}}, []EnumItem{{"x", 0, false}, {"y", 9, true}}, []string{"a"}, []int64{1, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, adds := enumOrder(&Type{Items: tc.items, AddItems: tc.adds})
			var names []string
			for _, it := range root {
				names = append(names, it.Name)
			}
			if !reflect.DeepEqual(names, tc.wantRoot) {
				t.Errorf("root = %v, want %v", names, tc.wantRoot)
			}
			var vals []int64
			for _, it := range adds {
				vals = append(vals, it.Value)
			}
			if !reflect.DeepEqual(vals, tc.wantAdded) {
				t.Errorf("additions = %v, want %v", vals, tc.wantAdded)
			}
		})
	}
}

// TestParseSharedModules parses every module and checks a few facts.
func TestParseSharedModules(t *testing.T) {
	u, err := LoadDir(asn1Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		module string
		types  int // type assignments, parameterised ones included
	}{
		{"H323-MESSAGES", 0},
		{"MULTIMEDIA-SYSTEM-CONTROL", 0},
		{"H235-SECURITY-MESSAGES", 0},
		{"H235-SRTP", 6},
		{"SIGNALLING-TRAVERSAL", 2},
		{"MEDIA-TRAVERSAL", 1},
		{"RAS-PROTOCOL-TUNNEL", 1},
		{"RDC-PROTOCOL", 0},
	} {
		t.Run(tc.module, func(t *testing.T) {
			m, ok := u.Modules[tc.module]
			if !ok {
				t.Fatal("module not parsed")
			}
			if tc.types > 0 && len(m.Types) != tc.types {
				t.Errorf("%d type assignments, want %d", len(m.Types), tc.types)
			}
			if len(m.Types) == 0 {
				t.Error("no type assignments")
			}
		})
	}
	h225 := u.Modules["H323-MESSAGES"]
	if h225.Imports["ClearToken"] != "H235-SECURITY-MESSAGES" || h225.Imports["QOSCapability"] != "MULTIMEDIA-SYSTEM-CONTROL" {
		t.Errorf("H323-MESSAGES imports = %v", h225.Imports)
	}
	uu := h225.byName["H323-UU-PDU"].Type
	if !uu.Extensible || len(uu.Root) != 2 || len(uu.Additions) != 9 {
		t.Errorf("H323-UU-PDU: extensible %v, %d root, %d additions", uu.Extensible, len(uu.Root), len(uu.Additions))
	}
}
