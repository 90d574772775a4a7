package h323

import (
	"errors"
	"fmt"
	"net/netip"

	"strings"
	"unicode/utf8"

	"github.com/roomgate/roomgate/h323/h225"
)

// Vendor is an endpoint's H.225.0 VendorIdentifier: the T.35 country code,
// extension and manufacturer code (H.221NonStandard), then productId and
// versionId (octet strings, usually text).
type Vendor struct {
	CountryCode  int    `yaml:"country_code" json:"t35CountryCode"`
	Extension    int    `yaml:"extension" json:"t35Extension"`
	Manufacturer int    `yaml:"manufacturer" json:"manufacturerCode"`
	Product      string `yaml:"product" json:"productId,omitempty"`
	Version      string `yaml:"version" json:"versionId,omitempty"`
}

// String is "Product Version (country/extension/manufacturer)".
func (v Vendor) String() string {
	return strings.TrimSpace(v.Product+" "+v.Version) + fmt.Sprintf(" (%d/%d/%d)", v.CountryCode, v.Extension, v.Manufacturer)
}

func (v Vendor) validate() error {
	switch {
	case v.CountryCode < 0 || v.CountryCode > 255 || v.Extension < 0 || v.Extension > 255 ||
		v.Manufacturer < 0 || v.Manufacturer > 65535:
		return errors.New("h323: vendor: T.35 country and extension are 0..255, manufacturer 0..65535")
	case len(v.Product) < 1 || len(v.Product) > 256 || len(v.Version) < 1 || len(v.Version) > 256:
		return errors.New("h323: vendor: product and version are 1..256 octets")
	}
	return nil
}

func (v Vendor) h225() *h225.VendorIdentifier {
	return &h225.VendorIdentifier{
		Vendor:    h225.H221NonStandard{T35CountryCode: int64(v.CountryCode), T35Extension: int64(v.Extension), ManufacturerCode: int64(v.Manufacturer)},
		ProductId: []byte(v.Product), VersionId: []byte(v.Version),
	}
}

// vendorOf reads the vendor of an EndpointType; ok is false without one.
func vendorOf(et *h225.EndpointType) (Vendor, bool) {
	if et == nil || et.Vendor == nil {
		return Vendor{}, false
	}
	v := et.Vendor
	return Vendor{CountryCode: int(v.Vendor.T35CountryCode), Extension: int(v.Vendor.T35Extension),
		Manufacturer: int(v.Vendor.ManufacturerCode), Product: text(v.ProductId), Version: text(v.VersionId)}, true
}

// kindOf names the EndpointType alternative of a peer.
func kindOf(et *h225.EndpointType) EndpointKind {
	switch {
	case et == nil:
		return ""
	case et.Mcu != nil:
		return KindMCU
	case et.Gateway != nil:
		return KindGateway
	case et.Terminal != nil:
		return KindTerminal
	case et.Gatekeeper != nil:
		return "gatekeeper"
	}
	return ""
}

// text makes printable text of an octet string from a peer: trailing NULs
// (C strings) cut, invalid UTF-8 read as Latin-1, control characters
// dropped, at most 128 characters.
func text(b []byte) string {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	var sb strings.Builder
	n := 0
	for len(b) > 0 && n < 128 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			r, size = rune(b[0]), 1
		}
		b = b[size:]
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			continue
		}
		sb.WriteRune(r)
		n++
	}
	return sb.String()
}

// AliasKind is the AliasAddress alternative of an alias.
type AliasKind string

// Alias kinds (H.225.0 AliasAddress).
const (
	AliasDialedDigits AliasKind = "dialedDigits"
	AliasH323ID       AliasKind = "h323-ID"
	AliasURL          AliasKind = "url-ID"
	AliasEmail        AliasKind = "email-ID"
	AliasTransport    AliasKind = "transportID"
	AliasPartyNumber  AliasKind = "partyNumber"
	AliasOther        AliasKind = "other"
)

// Alias is one H.225.0 AliasAddress as text.
type Alias struct {
	Kind  AliasKind `json:"kind"`
	Value string    `json:"value"`
}

func (a Alias) String() string { return string(a.Kind) + ":" + a.Value }

// ParseAlias reads an alias: digits (0-9, *, #, comma) are dialedDigits,
// "h323:…" and "scheme://…" a url-ID, "name@host" an email-ID, anything
// else an h323-ID. A "kind:" prefix as String prints it is honoured.
func ParseAlias(s string) Alias {
	for _, k := range []AliasKind{AliasDialedDigits, AliasH323ID, AliasURL, AliasEmail, AliasTransport} {
		if v, ok := strings.CutPrefix(s, string(k)+":"); ok {
			return Alias{Kind: k, Value: v}
		}
	}
	switch {
	case s != "" && strings.Trim(s, "0123456789*#,") == "":
		return Alias{Kind: AliasDialedDigits, Value: s}
	case strings.HasPrefix(s, "h323:") || strings.Contains(s, "://"):
		return Alias{Kind: AliasURL, Value: s}
	case strings.Count(s, "@") == 1 && !strings.HasPrefix(s, "@") && !strings.HasSuffix(s, "@"):
		return Alias{Kind: AliasEmail, Value: s}
	}
	return Alias{Kind: AliasH323ID, Value: s}
}

func (a Alias) h225() (h225.AliasAddress, error) {
	switch a.Kind {
	case AliasDialedDigits:
		return h225.DialledDigitsAlias(a.Value)
	case AliasH323ID:
		return h225.H323IDAlias(a.Value)
	case AliasURL:
		return h225.URLAlias(a.Value)
	case AliasEmail:
		return h225.EmailAlias(a.Value)
	case AliasTransport:
		ap, err := netip.ParseAddrPort(a.Value)
		if err != nil {
			return h225.AliasAddress{}, err
		}
		return h225.TransportAlias(ap)
	}
	return h225.AliasAddress{}, fmt.Errorf("h323: alias kind %q cannot be sent", a.Kind)
}

func aliasesH225(as []Alias) ([]h225.AliasAddress, error) {
	var out []h225.AliasAddress
	for _, a := range as {
		h, err := a.h225()
		if err != nil {
			return nil, fmt.Errorf("h323: alias %s: %w", a, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// maxAliases bounds the aliases read from one message.
const maxAliases = 16

// aliasesOf converts received aliases to text (at most maxAliases).
func aliasesOf(as []h225.AliasAddress) []Alias {
	var out []Alias
	for i := range as {
		if len(out) == maxAliases {
			break
		}
		a := &as[i]
		switch {
		case a.DialledDigits != nil:
			out = append(out, Alias{AliasDialedDigits, text([]byte(*a.DialledDigits))})
		case a.H323ID != nil:
			out = append(out, Alias{AliasH323ID, text([]byte(*a.H323ID))})
		case a.UrlID != nil:
			out = append(out, Alias{AliasURL, text([]byte(*a.UrlID))})
		case a.EmailID != nil:
			out = append(out, Alias{AliasEmail, text([]byte(*a.EmailID))})
		case a.TransportID != nil:
			ap, _ := a.TransportID.AddrPort()
			out = append(out, Alias{AliasTransport, ap.String()})
		case a.PartyNumber != nil:
			out = append(out, Alias{AliasPartyNumber, partyDigits(a.PartyNumber)})
		default:
			out = append(out, Alias{AliasOther, ""})
		}
	}
	return out
}

func partyDigits(p *h225.PartyNumber) string {
	switch {
	case p.E164Number != nil:
		return text([]byte(p.E164Number.PublicNumberDigits))
	case p.PrivateNumber != nil:
		return text([]byte(p.PrivateNumber.PrivateNumberDigits))
	case p.DataPartyNumber != nil:
		return text([]byte(*p.DataPartyNumber))
	case p.TelexPartyNumber != nil:
		return text([]byte(*p.TelexPartyNumber))
	case p.NationalStandardPartyNumber != nil:
		return text([]byte(*p.NationalStandardPartyNumber))
	}
	return ""
}

// DefaultPort is the call signalling port a dial string without one takes.
const DefaultPort = 1720

// ParseDialString reads "IP", "IP:port", "[IPv6]:port", "IP##alias" or
// "IP:port##alias" (the form room systems use to reach an alias behind a
// gateway): the address to connect to and the destination aliases.
func ParseDialString(s string) (netip.AddrPort, []Alias, error) {
	host, alias, hasAlias := strings.Cut(s, "##")
	var aliases []Alias
	if hasAlias {
		if alias == "" {
			return netip.AddrPort{}, nil, fmt.Errorf("h323: dial string %q: empty alias after ##", s)
		}
		aliases = []Alias{ParseAlias(alias)}
	}
	if ap, err := netip.ParseAddrPort(host); err == nil {
		return ap, aliases, nil
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.AddrPort{}, nil, fmt.Errorf("h323: dial string %q: not IP[:port][##alias]", s)
	}
	return netip.AddrPortFrom(a, DefaultPort), aliases, nil
}
