package configs

import (
	"net/netip"
	"testing"

	"github.com/roomgate/roomgate/configs/hostnet"
)

var (
	lo      = hostnet.Interface{Name: "lo", Up: true, Loopback: true, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	lanHost = hostnet.Host{DefaultRoute: "eth0", Interfaces: []hostnet.Interface{lo,
		{Name: "docker0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("172.17.0.1")}},
		{Name: "eth0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("fe80::2"), netip.MustParseAddr("192.168.1.20")}}}}
	loopbackHost = hostnet.Host{Interfaces: []hostnet.Interface{lo}}
)

func TestResolve(t *testing.T) {
	legsEverywhere := "sip:\n  enabled: true\n  listen: 0.0.0.0:5060\nh323:\n  enabled: true\n  listen: 0.0.0.0:1720\n"
	cases := []struct {
		name       string
		yaml       string
		host       hostnet.Host
		advertise  string
		from       string
		publicHost string
		publicURL  string
	}{
		{"built-in defaults: loopback only", "", lanHost, "127.0.0.1", "http.listen", "127.0.0.1", ""},
		{"legs on every interface: primary address", legsEverywhere, lanHost, "192.168.1.20", "primary interface eth0", "192.168.1.20", ""},
		{"legs on every interface, no default route: loopback", legsEverywhere, loopbackHost, "127.0.0.1", "loopback: this machine has no default route", "127.0.0.1", ""},
		{"IPv6 any", "sip:\n  enabled: true\n  listen: \"[::]:5060\"\n", lanHost, "192.168.1.20", "primary interface eth0", "192.168.1.20", ""},
		{"specific listen address", "sip:\n  enabled: true\n  listen: 10.1.2.3:5060\n", lanHost, "10.1.2.3", "sip.listen", "10.1.2.3", ""},
		{"h323 only", "h323:\n  enabled: true\n  listen: 10.1.2.4:1720\n", lanHost, "10.1.2.4", "h323.listen", "10.1.2.4", ""},
		{"media.bind_address wins over the listen address", legsEverywhere + "media:\n  bind_address: 10.9.9.9\n", lanHost, "10.9.9.9", "media.bind_address", "10.9.9.9", ""},
		{"nat.public_ip wins", legsEverywhere + "nat:\n  public_ip: 203.0.113.7\n", lanHost, "203.0.113.7", "nat.public_ip", "203.0.113.7", ""},
		{"public_host set stays", legsEverywhere + "public_host: gw.example.net\n", lanHost, "192.168.1.20", "primary interface eth0", "gw.example.net", ""},
		{"http on every interface: public_url from public_host", legsEverywhere + "http:\n  listen: \"[::]:8080\"\npublic_host: gw.example.net\n", lanHost,
			"192.168.1.20", "primary interface eth0", "gw.example.net", "http://gw.example.net:8080"},
		{"http on every interface, public_host resolved", "http:\n  listen: 0.0.0.0:8443\n", lanHost,
			"192.168.1.20", "primary interface eth0", "192.168.1.20", "http://192.168.1.20:8443"},
		{"public_url set stays", "http:\n  listen: 0.0.0.0:8080\npublic_url: https://meet.example.net\n", lanHost,
			"192.168.1.20", "primary interface eth0", "192.168.1.20", "https://meet.example.net"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			c.Resolve(tc.host)
			if c.Advertise.String() != tc.advertise || c.AdvertiseFrom != tc.from {
				t.Errorf("advertise = %v (%s), want %s (%s)", c.Advertise, c.AdvertiseFrom, tc.advertise, tc.from)
			}
			if c.PublicHost != tc.publicHost {
				t.Errorf("public_host = %q, want %q", c.PublicHost, tc.publicHost)
			}
			if c.PublicURL != tc.publicURL {
				t.Errorf("public_url = %q, want %q", c.PublicURL, tc.publicURL)
			}
		})
	}
}

func TestShippedConfigOnALAN(t *testing.T) {
	c, err := Load("roomgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Resolve(lanHost)
	if !c.SIP.Enabled || !c.H323.Enabled {
		t.Fatalf("shipped config: sip.enabled %v, h323.enabled %v; want both on", c.SIP.Enabled, c.H323.Enabled)
	}
	if c.Advertise.String() != "192.168.1.20" || c.PublicHost != "192.168.1.20" {
		t.Fatalf("shipped config on a LAN host advertises %v, public_host %q; want the primary address", c.Advertise, c.PublicHost)
	}
}
