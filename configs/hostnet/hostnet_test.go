package hostnet

import (
	"net/netip"
	"strings"
	"testing"
)

// Captured from a Debian 12 VM (eth0 192.0.2.2/24, IPv6 fd00::2/64).
const route4 = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
`

const route6 = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
`

func TestDefaultRoutes(t *testing.T) {
	cases := []struct {
		name, table string
		v6          bool
		want        string
	}{
		{"ipv4 default on eth0", route4, false, "eth0"},
		{"ipv6 default on eth0, reject route on lo ignored", route6, true, "eth0"},
		{"only the reject route", strings.SplitAfter(route6, "\n")[3], true, ""},
		{"no default route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n", false, ""},
		{"lowest metric wins", "eth0\t00000000\t01\t0003\t0\t0\t600\t00000000\nwlan0\t00000000\t01\t0003\t0\t0\t100\t00000000\n", false, "wlan0"},
		{"route that is down", "eth0\t00000000\t01\t0002\t0\t0\t0\t00000000\n", false, ""},
		{"garbage", "\x00\xff\n\n  \neth0 zz\neth0\t00000000\t01\tzz\t0\t0\t0\t00000000\n", false, ""},
		{"empty", "", true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := DefaultRoute4(strings.NewReader(tc.table))
			if tc.v6 {
				got = DefaultRoute6(strings.NewReader(tc.table))
			}
			if got != tc.want {
				t.Fatalf("default route = %q, want %q", got, tc.want)
			}
		})
	}
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

var lo = Interface{Name: "lo", Up: true, Loopback: true, Addrs: addrs("127.0.0.1", "::1")}

func TestPrimary(t *testing.T) {
	cases := []struct {
		name      string
		host      Host
		want      string
		wantIface string
		ok        bool
	}{
		{"default route's IPv4", Host{Interfaces: []Interface{lo,
			{Name: "docker0", Up: true, Addrs: addrs("172.17.0.1")},
			{Name: "eth0", Up: true, Addrs: addrs("fe80::1", "192.168.1.20", "192.168.1.21")}}, DefaultRoute: "eth0"},
			"192.168.1.20", "eth0", true},
		{"only loopback", Host{Interfaces: []Interface{lo}}, "127.0.0.1", "", false},
		{"loopback and a veth without default route", Host{Interfaces: []Interface{lo,
			{Name: "rgv0", Up: true, Addrs: addrs("10.203.0.1")}}}, "127.0.0.1", "", false},
		{"IPv6-only default route", Host{Interfaces: []Interface{lo,
			{Name: "eth0", Up: true, Addrs: addrs("fe80::1", "2001:db8::20")}}, DefaultRoute6: "eth0"},
			"2001:db8::20", "eth0", true},
		{"default-route interface down", Host{Interfaces: []Interface{lo,
			{Name: "eth0", Up: false, Addrs: addrs("192.168.1.20")}}, DefaultRoute: "eth0"}, "127.0.0.1", "", false},
		{"default-route interface with only link-local", Host{Interfaces: []Interface{lo,
			{Name: "eth0", Up: true, Addrs: addrs("169.254.3.4", "fe80::1")}}, DefaultRoute: "eth0", DefaultRoute6: "eth0"}, "127.0.0.1", "", false},
		{"default route names a missing interface", Host{Interfaces: []Interface{lo}, DefaultRoute: "ppp0"}, "127.0.0.1", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, iface, ok := tc.host.Primary()
			if a.String() != tc.want || iface != tc.wantIface || ok != tc.ok {
				t.Fatalf("Primary() = %v %q %v, want %s %q %v", a, iface, ok, tc.want, tc.wantIface, tc.ok)
			}
		})
	}
}

func TestOwnsAndPrivate(t *testing.T) {
	h := Host{Interfaces: []Interface{lo,
		{Name: "eth0", Up: true, Addrs: addrs("10.0.0.5", "203.0.113.9", "fd00::5")},
		{Name: "eth1", Up: false, Addrs: addrs("192.168.9.9")}}}
	for a, want := range map[string]bool{"10.0.0.5": true, "::ffff:10.0.0.5": true, "127.0.0.53": true, "::1": true,
		"192.168.9.9": false, "198.51.100.1": false, "fd00::6": false} {
		if got := h.Owns(netip.MustParseAddr(a)); got != want {
			t.Errorf("Owns(%s) = %v, want %v", a, got, want)
		}
	}
	if got := h.Interface(netip.MustParseAddr("203.0.113.9")); got != "eth0" {
		t.Errorf("Interface(203.0.113.9) = %q, want eth0", got)
	}
	if got := h.Interface(netip.MustParseAddr("192.168.9.9")); got != "" {
		t.Errorf("Interface of a down interface's address = %q, want none", got)
	}
	if got := h.Private(); len(got) != 2 || got[0].String() != "10.0.0.5" || got[1].String() != "fd00::5" {
		t.Errorf("Private() = %v, want [10.0.0.5 fd00::5]", got)
	}
}

func FuzzDefaultRoute(f *testing.F) {
	f.Add(route4)
	f.Add(route6)
	f.Fuzz(func(t *testing.T, s string) {
		for _, got := range []string{DefaultRoute4(strings.NewReader(s)), DefaultRoute6(strings.NewReader(s))} {
			if got != "" && !strings.Contains(s, got) {
				t.Fatalf("interface %q is not in the table", got)
			}
		}
	})
}
