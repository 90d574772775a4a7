package h225

import (
	"errors"
	"fmt"
	"net/netip"
	"unicode/utf16"
)

var (
	errNotIP       = errors.New("h225: transport address is not ipAddress or ip6Address")
	errAddrLength  = errors.New("h225: IP address of the wrong length")
	errPortRange   = errors.New("h225: port outside 0..65535")
	errInvalidAddr = errors.New("h225: invalid netip.AddrPort")
	errAliasRange  = errors.New("h225: alias outside its ASN.1 constraint")
)

// NewTransportAddress returns the TransportAddress (H.225.0 §7.6) of ap:
// ipAddress for IPv4 (and IPv4-mapped IPv6), ip6Address for IPv6.
func NewTransportAddress(ap netip.AddrPort) (TransportAddress, error) {
	if !ap.IsValid() {
		return TransportAddress{}, errInvalidAddr
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		ip := a.As4()
		return TransportAddress{IpAddress: &TransportAddressIpAddress{Ip: ip[:], Port: int64(ap.Port())}}, nil
	}
	ip := a.As16()
	return TransportAddress{Ip6Address: &TransportAddressIp6Address{Ip: ip[:], Port: int64(ap.Port())}}, nil
}

// MustTransportAddress is NewTransportAddress for addresses known to be
// valid; it panics otherwise (tests and constants only).
func MustTransportAddress(ap netip.AddrPort) TransportAddress {
	t, err := NewTransportAddress(ap)
	if err != nil {
		panic(err)
	}
	return t
}

// AddrPort returns the IP address and port of an ipAddress or ip6Address
// transport address.
func (t *TransportAddress) AddrPort() (netip.AddrPort, error) {
	var ip []byte
	var port int64
	switch {
	case t.IpAddress != nil:
		ip, port = t.IpAddress.Ip, t.IpAddress.Port
		if len(ip) != 4 {
			return netip.AddrPort{}, fmt.Errorf("ipAddress: %w", errAddrLength)
		}
	case t.Ip6Address != nil:
		ip, port = t.Ip6Address.Ip, t.Ip6Address.Port
		if len(ip) != 16 {
			return netip.AddrPort{}, fmt.Errorf("ip6Address: %w", errAddrLength)
		}
	default:
		return netip.AddrPort{}, errNotIP
	}
	if port < 0 || port > 0xffff {
		return netip.AddrPort{}, errPortRange
	}
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// Alias constructors (H.225.0 §7.6 AliasAddress). The string constraints
// are checked so that a bad alias fails here, not at Marshal.

// DialledDigitsAlias returns a dialledDigits alias: 1..128 characters from
// "0123456789#*,".
func DialledDigitsAlias(digits string) (AliasAddress, error) {
	if len(digits) < 1 || len(digits) > 128 {
		return AliasAddress{}, fmt.Errorf("dialledDigits %q: %w", digits, errAliasRange)
	}
	for _, c := range []byte(digits) {
		if (c < '0' || c > '9') && c != '#' && c != '*' && c != ',' {
			return AliasAddress{}, fmt.Errorf("dialledDigits %q: %w", digits, errAliasRange)
		}
	}
	return AliasAddress{DialledDigits: &digits}, nil
}

// H323IDAlias returns an h323-ID alias, a BMPString of 1..256 UTF-16 code
// units.
func H323IDAlias(id string) (AliasAddress, error) {
	n := len(utf16.Encode([]rune(id)))
	if n < 1 || n > 256 {
		return AliasAddress{}, fmt.Errorf("h323-ID: %w", errAliasRange)
	}
	return AliasAddress{H323ID: &id}, nil
}

// URLAlias returns a url-ID alias (IA5String 1..512), e.g. "h323:room@example.com".
func URLAlias(url string) (AliasAddress, error) {
	if err := ia5(url, 512); err != nil {
		return AliasAddress{}, fmt.Errorf("url-ID: %w", err)
	}
	return AliasAddress{UrlID: &url}, nil
}

// EmailAlias returns an email-ID alias (IA5String 1..512).
func EmailAlias(addr string) (AliasAddress, error) {
	if err := ia5(addr, 512); err != nil {
		return AliasAddress{}, fmt.Errorf("email-ID: %w", err)
	}
	return AliasAddress{EmailID: &addr}, nil
}

// TransportAlias returns a transportID alias for ap.
func TransportAlias(ap netip.AddrPort) (AliasAddress, error) {
	t, err := NewTransportAddress(ap)
	if err != nil {
		return AliasAddress{}, err
	}
	return AliasAddress{TransportID: &t}, nil
}

func ia5(s string, maxLen int) error {
	if len(s) < 1 || len(s) > maxLen {
		return errAliasRange
	}
	for _, c := range []byte(s) {
		if c > 0x7f {
			return errAliasRange
		}
	}
	return nil
}

// String renders an alias as "kind:value", e.g. "h323-ID:Room 1",
// "dialledDigits:1234", "transportID:192.0.2.1:1720", for logs.
func (a *AliasAddress) String() string {
	switch {
	case a.DialledDigits != nil:
		return "dialledDigits:" + *a.DialledDigits
	case a.H323ID != nil:
		return "h323-ID:" + *a.H323ID
	case a.UrlID != nil:
		return "url-ID:" + *a.UrlID
	case a.EmailID != nil:
		return "email-ID:" + *a.EmailID
	case a.TransportID != nil:
		if ap, err := a.TransportID.AddrPort(); err == nil {
			return "transportID:" + ap.String()
		}
		return "transportID:?"
	case a.PartyNumber != nil:
		return "partyNumber"
	}
	return "unknown"
}
