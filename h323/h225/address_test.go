package h225_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
)

func TestTransportAddressRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		in   string
		alt  string // ipAddress or ip6Address
		out  string // AddrPort after the round trip
	}{
		{"ipv4", "192.0.2.1:1720", "ipAddress", "192.0.2.1:1720"},
		{"ipv4-port-0", "10.0.0.1:0", "ipAddress", "10.0.0.1:0"},
		{"ipv4-mapped-becomes-ipv4", "[::ffff:192.0.2.7]:1719", "ipAddress", "192.0.2.7:1719"},
		{"ipv6", "[2001:db8::1]:1720", "ip6Address", "[2001:db8::1]:1720"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta, err := h225.NewTransportAddress(netip.MustParseAddrPort(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if (c.alt == "ipAddress") != (ta.IpAddress != nil) || (c.alt == "ip6Address") != (ta.Ip6Address != nil) {
				t.Fatalf("alternative %+v, want %s", ta, c.alt)
			}
			// Through PER and back, as the rasAddress of a GCF.
			m := h225.RasMessage{GatekeeperConfirm: &h225.GatekeeperConfirm{RequestSeqNum: 1,
				ProtocolIdentifier: h225.NewProtocolIdentifier(), RasAddress: ta}}
			b, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back h225.RasMessage
			if err := back.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			ap, err := back.GatekeeperConfirm.RasAddress.AddrPort()
			if err != nil || ap.String() != c.out {
				t.Fatalf("AddrPort = %v, %v; want %s", ap, err, c.out)
			}
		})
	}
}

func TestTransportAddressErrors(t *testing.T) {
	cases := []struct {
		name string
		ta   h225.TransportAddress
		want string
	}{
		{"ipv4-short", h225.TransportAddress{IpAddress: &h225.TransportAddressIpAddress{Ip: []byte{1, 2, 3}, Port: 1}}, "wrong length"},
		{"ipv6-short", h225.TransportAddress{Ip6Address: &h225.TransportAddressIp6Address{Ip: make([]byte, 4), Port: 1}}, "wrong length"},
		{"port-too-big", h225.TransportAddress{IpAddress: &h225.TransportAddressIpAddress{Ip: []byte{1, 2, 3, 4}, Port: 70000}}, "port"},
		{"not-ip", h225.TransportAddress{NetBios: &[]byte{1}}, "not ipAddress"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.ta.AddrPort(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := h225.NewTransportAddress(netip.AddrPort{}); err == nil {
		t.Fatal("zero AddrPort accepted")
	}
}

func TestAliases(t *testing.T) {
	long := strings.Repeat("x", 513)
	cases := []struct {
		name    string
		build   func() (h225.AliasAddress, error)
		want    string // String()
		wantErr bool
	}{
		{"dialledDigits", func() (h225.AliasAddress, error) { return h225.DialledDigitsAlias("0123456789#*,") }, "dialledDigits:0123456789#*,", false},
		{"dialledDigits-letter", func() (h225.AliasAddress, error) { return h225.DialledDigitsAlias("12a") }, "", true},
		{"dialledDigits-empty", func() (h225.AliasAddress, error) { return h225.DialledDigitsAlias("") }, "", true},
		{"dialledDigits-129", func() (h225.AliasAddress, error) { return h225.DialledDigitsAlias(strings.Repeat("1", 129)) }, "", true},
		{"h323-ID-unicode", func() (h225.AliasAddress, error) { return h225.H323IDAlias("Salle Ω 1") }, "h323-ID:Salle Ω 1", false},
		{"h323-ID-257-units", func() (h225.AliasAddress, error) { return h225.H323IDAlias(strings.Repeat("y", 257)) }, "", true},
		{"url-ID", func() (h225.AliasAddress, error) { return h225.URLAlias("h323:room@example.com") }, "url-ID:h323:room@example.com", false},
		{"url-ID-non-ascii", func() (h225.AliasAddress, error) { return h225.URLAlias("h323:é") }, "", true},
		{"email-ID", func() (h225.AliasAddress, error) { return h225.EmailAlias("room@example.com") }, "email-ID:room@example.com", false},
		{"email-ID-too-long", func() (h225.AliasAddress, error) { return h225.EmailAlias(long) }, "", true},
		{"transportID", func() (h225.AliasAddress, error) {
			return h225.TransportAlias(netip.MustParseAddrPort("192.0.2.5:1720"))
		}, "transportID:192.0.2.5:1720", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := c.build()
			if c.wantErr {
				if err == nil {
					t.Fatalf("accepted %+v", a)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.String(); got != c.want {
				t.Fatalf("String() = %q, want %q", got, c.want)
			}
			// The alias survives PER in an URQ and reads back the same.
			m := h225.RasMessage{UnregistrationRequest: &h225.UnregistrationRequest{RequestSeqNum: 1,
				CallSignalAddress: []h225.TransportAddress{}, EndpointAlias: []h225.AliasAddress{a}}}
			b, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back h225.RasMessage
			if err := back.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			if got := back.UnregistrationRequest.EndpointAlias[0].String(); got != c.want {
				t.Fatalf("after PER: %q, want %q", got, c.want)
			}
		})
	}
}

func TestNewGUID(t *testing.T) {
	a, err := h225.NewGUID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h225.NewGUID()
	if len(a) != 16 || string(a) == string(b) {
		t.Fatalf("GUIDs %x %x", a, b)
	}
}
