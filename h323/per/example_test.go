package per_test

import (
	"fmt"

	"github.com/roomgate/roomgate/h323/per"
)

// dialedDigits is the PER-visible alphabet of H.225.0 AliasAddress
// dialledDigits; generated code builds each alphabet once.
var dialedDigits = per.NewAlphabet("0123456789#*,")

// Encoding AliasAddress ::= CHOICE { dialledDigits IA5String (SIZE
// (1..128)) (FROM ("0123456789#*,")), h323-ID BMPString (SIZE (1..256)),
// ..., url-ID IA5String (SIZE (1..512)), ... } the way generated code does.
func Example() {
	e := per.NewEncoder()
	_ = e.PutChoiceIndex(0, 2, true) // root alternative 0 of 2, extensible
	_ = e.PutKnownString("1234#", per.IA5String, per.SizeRange{Lb: 1, Ub: 128, HasUb: true}, dialedDigits)
	fmt.Printf("% x\n", e.Bytes())

	d := per.NewDecoder(e.Bytes())
	idx, _ := d.GetChoiceIndex(2, true)
	s, _ := d.GetKnownString(per.IA5String, per.SizeRange{Lb: 1, Ub: 128, HasUb: true}, dialedDigits)
	fmt.Println(idx, s, d.Finish())

	// An alternative this decoder does not know is kept as raw open-type
	// contents and re-encoded unchanged.
	e.Reset()
	_ = e.PutChoiceIndex(2, 2, true) // url-ID: extension alternative 0
	_ = e.PutOpenTypeFunc(func(e *per.Encoder) error {
		return e.PutKnownString("h323:a@b", per.IA5String, per.SizeRange{Lb: 1, Ub: 512, HasUb: true}, nil)
	})
	in := append([]byte(nil), e.Bytes()...)
	d = per.NewDecoder(in)
	idx, _ = d.GetChoiceIndex(2, true)
	data, _ := d.GetOpenType()
	raw := per.RawExtension{Index: idx - 2, Data: data}
	e.Reset()
	_ = e.PutChoiceIndex(2+raw.Index, 2, true)
	_ = e.PutOpenType(raw.Data)
	fmt.Printf("% x\n% x\n", in, e.Bytes())
	// Output:
	// 02 00 45 67 00
	// 0 1234# <nil>
	// 80 0a 00 07 68 33 32 33 3a 61 40 62
	// 80 0a 00 07 68 33 32 33 3a 61 40 62
}
