package main

import "strconv"

// support returns the package's support declarations: helper types and
// functions the generated coders use.
func (g *Gen) support() ([]byte, error) {
	var b w
	b.p(`
// BitString is an ASN.1 BIT STRING: BitLen bits, most significant bit of
// Bytes[0] first, the last octet zero-padded.
type BitString struct {
	Bytes  []byte ` + "`json:\"bytes\"`" + `
	BitLen int    ` + "`json:\"bitLen\"`" + `
}

// ObjectIdentifier is an ASN.1 OBJECT IDENTIFIER as its arcs.
type ObjectIdentifier []uint32

// String returns the dotted form, e.g. "0.0.8.2250.0.7".
func (o ObjectIdentifier) String() string {
	var sb strings.Builder
	for i, a := range o {
		if i > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(strconv.FormatUint(uint64(a), 10))
	}
	return sb.String()
}

// MarshalJSON renders o in dotted form.
func (o ObjectIdentifier) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(o.String())), nil
}

var (
	errChoice   = errors.New("CHOICE value must have exactly one alternative set")
	errMissing  = errors.New("mandatory component of a present extension addition group is missing")
)

// bmpString converts BMPString code units to a Go string. Lone surrogates,
// which UTF-16 cannot pair, are kept as their 3-octet generalized UTF-8
// form (WTF-8) so that bmpUnits restores the units a peer sent.
func bmpString(u []uint16) string {
	buf := make([]byte, 0, len(u))
	for i := 0; i < len(u); i++ {
		c := rune(u[i])
		if utf16.IsSurrogate(c) {
			if c < 0xdc00 && i+1 < len(u) && u[i+1] >= 0xdc00 && u[i+1] <= 0xdfff {
				buf = utf8.AppendRune(buf, utf16.DecodeRune(c, rune(u[i+1])))
				i++
				continue
			}
			buf = append(buf, byte(0xe0|c>>12), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f))
			continue
		}
		buf = utf8.AppendRune(buf, c)
	}
	return string(buf)
}

// bmpUnits converts s to BMPString code units, the inverse of bmpString.
func bmpUnits(s string) []uint16 {
	u := make([]uint16, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] == 0xed && i+2 < len(s) && s[i+1]&0xe0 == 0xa0 && s[i+2]&0xc0 == 0x80 {
			u = append(u, uint16(0xd000|uint16(s[i+1]&0x3f)<<6|uint16(s[i+2]&0x3f)))
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		u = utf16.AppendRune(u, r)
		i += n
	}
	return u
}
`)
	if len(g.alOrd) > 0 {
		b.p("// Effective permitted alphabets of PER-visible FROM constraints (X.691 §30.5).")
		b.p("var (")
		for _, k := range g.alOrd {
			b.p("%s = per.NewAlphabet(%s)", g.alpha[k], strconv.Quote(k))
		}
		b.p(")")
	}
	return g.file("the H.323 ASN.1 modules", b.Bytes())
}
