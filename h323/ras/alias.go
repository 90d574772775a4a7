package ras

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roomgate/roomgate/h323/h225"
)

// Alias kinds, spelled as h225.AliasAddress.String prints them.
const (
	KindDialledDigits = "dialledDigits"
	KindH323ID        = "h323-ID"
	KindURL           = "url-ID"
	KindEmail         = "email-ID"
	KindTransport     = "transportID"
	KindPartyNumber   = "partyNumber"
)

// Alias is one alias address of an endpoint (H.225.0 §7.6 AliasAddress) in
// a form the gateway can print and compare.
type Alias struct {
	Kind  string // one of the Kind constants
	Value string // digits, name, URL, e-mail address, or IP:port
}

func (a Alias) String() string { return a.Kind + ":" + a.Value }

// key is the alias as the registry compares it: names, URLs and e-mail
// addresses ignore case (room systems are configured by hand and spell
// "Room1" and "room1" alike), digits and transport addresses do not.
func (a Alias) key() string {
	switch a.Kind {
	case KindH323ID, KindURL, KindEmail:
		return a.Kind + ":" + strings.ToLower(a.Value)
	}
	return a.Kind + ":" + a.Value
}

var errAlias = errors.New("ras: alias not usable")

// aliasFrom converts a received alias; kinds the registry does not index
// (mobileUIM, isupNumber, unknown extensions) are reported as not usable.
func aliasFrom(a *h225.AliasAddress) (Alias, error) {
	switch {
	case a.DialledDigits != nil:
		return Alias{KindDialledDigits, *a.DialledDigits}, nil
	case a.H323ID != nil:
		return Alias{KindH323ID, *a.H323ID}, nil
	case a.UrlID != nil:
		return Alias{KindURL, *a.UrlID}, nil
	case a.EmailID != nil:
		return Alias{KindEmail, *a.EmailID}, nil
	case a.TransportID != nil:
		ap, err := a.TransportID.AddrPort()
		if err != nil {
			return Alias{}, fmt.Errorf("%w: %w", errAlias, err)
		}
		return Alias{KindTransport, ap.String()}, nil
	case a.PartyNumber != nil:
		if d := partyDigits(a.PartyNumber); d != "" {
			return Alias{KindPartyNumber, d}, nil
		}
	}
	return Alias{}, errAlias
}

func partyDigits(p *h225.PartyNumber) string {
	switch {
	case p.E164Number != nil:
		return string(p.E164Number.PublicNumberDigits)
	case p.PrivateNumber != nil:
		return string(p.PrivateNumber.PrivateNumberDigits)
	case p.DataPartyNumber != nil:
		return string(*p.DataPartyNumber)
	case p.TelexPartyNumber != nil:
		return string(*p.TelexPartyNumber)
	case p.NationalStandardPartyNumber != nil:
		return string(*p.NationalStandardPartyNumber)
	}
	return ""
}

// ParseAlias turns what an operator types into an alias: "kind:value" with
// a Kind constant as prefix, otherwise digits (0-9 # * ,) are a
// dialledDigits alias and anything else an h323-ID.
func ParseAlias(s string) (h225.AliasAddress, error) {
	if kind, v, ok := strings.Cut(s, ":"); ok {
		switch kind {
		case KindDialledDigits:
			return h225.DialledDigitsAlias(v)
		case KindH323ID:
			return h225.H323IDAlias(v)
		case KindURL:
			return h225.URLAlias(v)
		case KindEmail:
			return h225.EmailAlias(v)
		}
	}
	if isDigits(s) {
		return h225.DialledDigitsAlias(s)
	}
	return h225.H323IDAlias(s)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && c != '#' && c != '*' && c != ',' {
			return false
		}
	}
	return true
}
