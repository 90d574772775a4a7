package asn1test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/per"
)

// coder is what every generated type has.
type coder interface {
	MarshalPER(*per.Encoder) error
	UnmarshalPER(*per.Decoder) error
}

func ptr[T any](v T) *T { return &v }

// The expected encodings are worked out by hand from X.691 (ALIGNED); the
// comments give the bits.
var vectors = []struct {
	name string
	val  coder
	hex  string
	json string // optional: expected json.Marshal output
}{
	{"Seq/root only", &Seq{A: 5},
		// ext 0, b absent 0, pad, a=5 in one octet (§13)
		"0005", `{"a":5}`},
	{"Seq/extension group and NULL addition", &Seq{A: 5, B: ptr(true), C: ptr(int64(3)), E: &struct{}{}, Ext: per.Extensions{BitmapLen: 2}},
		// 1 1 pad | 05 | b=1, bitmap length n-1=1 as normally small (0 000001), bitmap 11, pad |
		// group open type: 01 (d absent 0, c=011, pad) | NULL open type: 01 00 (§11.1)
		"c00581c0013001 00", `{"a":5,"b":true,"c":3,"e":{}}`},
	{"Ch/root alternative", &Ch{X: ptr(int64(2))},
		// ext 0, index 0 of 2 (1 bit), x=10
		"20", `{"x":2}`},
	{"Ch/extension alternative", &Ch{Z: ptr(true)},
		// ext 1, normally small 0 (0 000000) | open type 01 | 80
		"800180", `{"z":true}`},
	{"En/root value sorted by number", ptr(EnGreen),
		// root order red(0) blue(2) green(5): index 2 → ext 0, 10
		"40", `"green"`},
	{"En/extension value", ptr(EnViolet),
		// ext 1, normally small 0
		"80", `"violet"`},
	{"Tree/recursive SEQUENCE OF", &Tree{Value: 1, Children: []Tree{{Value: 2, Children: []Tree{}}}},
		// 01 | count 01 (SIZE 0..3), pad | 02 | count 00
		"01400200", ""},
	{"Expr/recursive CHOICE", &Expr{Neg: &Expr{Lit: ptr(int64(5))}},
		// index 1, index 0, 101
		"a8", `{"neg":{"lit":5}}`},
	{"Def/DEFAULT absent", &Def{}, "00", `{}`},
	{"Def/DEFAULT present", &Def{N: ptr(int64(3))},
		// presence 1, n=0011
		"98", `{"n":3}`},
	{"Digits/FROM indexes 4 bits", ptr(Digits("12#")),
		// length-1=2 in 7 bits, pad | alphabet #*,0123456789: 1→4 2→5 #→0 (§30.5.4)
		"044500", `"12#"`},
	{"Dtmf/SIZE(1)^FROM by value", ptr(Dtmf("A")),
		// 17 chars → 8 bits, 'D' fits: by value, fixed size 1: no length, not aligned
		"41", `"A"`},
	{"TbcdHolder/FROM of referenced type with SIZE", &TbcdHolder{T: "123"},
		// length 3..16: 0 in 4 bits, pad | #*0123456789abc: 1→3 2→4 3→5
		"003450", `{"t":"123"}`},
	{"ValueConstrained/value constraint not PER-visible", ptr(ValueConstrained("de")),
		// unconstrained length 02, 8-bit chars
		"026465", `"de"`},
	{"Big/0..2^32-1", ptr(Big(1)),
		// octet count-1 in 2 bits, pad | 01 (§13)
		"0001", "1"},
	{"Unconstrained/-1", ptr(Unconstrained(-1)), "01ff", "-1"},
	{"ExtInt/in root", ptr(ExtInt(100)),
		// ext 0, pad | 2 octets (range 16384)
		"000064", "100"},
	{"ExtInt/outside root", ptr(ExtInt(20000)),
		// ext 1, pad | unconstrained: 02 4e20 (§13)
		"80024e20", "20000"},
	{"List/extensible SIZE", ptr(List{1, 0}),
		// ext 0, count-1=01, 1, 0
		"30", "[1,0]"},
	{"Name/BMPString", ptr(Name("é")),
		// length-1 in 7 bits, pad | 00e9
		"0000e9", `"é"`},
	{"Oid/H.225 v7", ptr(Oid{0, 0, 8, 2250, 0, 7}),
		// length 06 | BER contents 00 08 914a 00 07
		"060008914a0007", `"0.0.8.2250.0.7"`},
	{"Signed/SIGNED{Inner} instance", &SignedInner{ToBeSigned: Inner{X: 1}, Sig: BitString{Bytes: []byte{0xaa}, BitLen: 8}},
		// x=1 | 8-bit fixed-size BIT STRING: not aligned, no length (§16)
		"d500", ""},
	{"Holder/open types", &Holder{Tok: Inner{X: 1}, Raw: EncodedInner{X: 0}},
		// 01 80 | 01 00
		"01800100", `{"tok":{"x":1},"raw":{"x":0}}`},
}

func TestVectors(t *testing.T) {
	for _, tc := range vectors {
		t.Run(tc.name, func(t *testing.T) {
			want, err := hex.DecodeString(strings.ReplaceAll(tc.hex, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			e := per.NewEncoder()
			if err := tc.val.MarshalPER(e); err != nil {
				t.Fatalf("encode: %v", err)
			}
			if got := e.Bytes(); !bytes.Equal(got, want) {
				t.Errorf("encode = %x, want %x", got, want)
			}
			got := reflect.New(reflect.TypeOf(tc.val).Elem()).Interface().(coder)
			d := per.NewDecoder(want)
			if err := got.UnmarshalPER(d); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := d.Finish(); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.val) {
				t.Errorf("decode = %+v, want %+v", got, tc.val)
			}
			if tc.json != "" {
				j, err := json.Marshal(tc.val)
				if err != nil {
					t.Fatal(err)
				}
				if string(j) != tc.json {
					t.Errorf("json = %s, want %s", j, tc.json)
				}
			}
		})
	}
}

// TestUnknownExtensionsKept decodes messages of a later version with the
// version-1 types and checks that re-encoding gives the same bytes.
func TestUnknownExtensionsKept(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		v    interface {
			Unmarshal([]byte) error
			Marshal() ([]byte, error)
		}
		check func(t *testing.T)
	}{
		{"SeqV1 with group and NULL additions", "c00581c00130010 0", &SeqV1{}, nil},
		{"ChV1 with extension alternative", "800180", &ChV1{}, nil},
		{"En extension value", "81", ptr(En(0)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := hex.DecodeString(strings.ReplaceAll(tc.hex, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.v.Unmarshal(in); err != nil {
				t.Fatal(err)
			}
			out, err := tc.v.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, out) {
				t.Errorf("re-encoded %x, want %x", out, in)
			}
		})
	}
	var s SeqV1
	if err := s.Unmarshal([]byte{0xc0, 0x05, 0x81, 0xc0, 0x01, 0x30, 0x01, 0x00}); err != nil {
		t.Fatal(err)
	}
	if s.Ext.BitmapLen != 2 || len(s.Ext.Unknown) != 2 || s.Ext.Unknown[1].Index != 1 {
		t.Errorf("Ext = %+v, want 2 unknown additions", s.Ext)
	}
	var c ChV1
	if err := c.Unmarshal([]byte{0x80, 0x01, 0x80}); err != nil {
		t.Fatal(err)
	}
	if c.UnknownAlternative == nil || c.UnknownAlternative.Index != 0 || !bytes.Equal(c.UnknownAlternative.Data, []byte{0x80}) {
		t.Errorf("UnknownAlternative = %+v", c.UnknownAlternative)
	}
}

func TestChoiceMustHaveOneAlternative(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Ch
	}{
		{"none", Ch{}},
		{"two", Ch{X: ptr(int64(1)), Z: ptr(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.v.Marshal(); err == nil || !strings.Contains(err.Error(), "alternatives set") {
				t.Errorf("err = %v, want an alternatives error", err)
			}
		})
	}
}

func TestConstraintViolationsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    interface{ Marshal() ([]byte, error) }
	}{
		{"digit outside FROM", ptr(Digits("12a"))},
		{"empty SIZE(1..128)", ptr(Digits(""))},
		{"integer above ub", &Seq{A: 256}},
		{"BMPString too long", ptr(Name(strings.Repeat("x", 129)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.v.Marshal(); err == nil {
				t.Error("encoded a value outside its constraint")
			}
		})
	}
}

// TestBMPSurrogates checks that BMPString code units survive a round trip,
// lone surrogates included.
func TestBMPSurrogates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		units []uint16
	}{
		{"pair", []uint16{0xd83d, 0xde00}},
		{"lone high", []uint16{0x41, 0xd800, 0x42}},
		{"lone low", []uint16{0xdc00}},
		{"BMP", []uint16{0x00e9, 0x4e2d}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bmpUnits(bmpString(tc.units)); !reflect.DeepEqual(got, tc.units) {
				t.Errorf("got %x, want %x", got, tc.units)
			}
		})
	}
}
