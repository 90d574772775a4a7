package netprofile

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway/rtpsession"
)

func parse(t testing.TB, yaml string) *configs.Config {
	t.Helper()
	c, err := configs.Parse("x.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	local  = netip.MustParseAddr("10.0.0.5")
	public = netip.MustParseAddr("203.0.113.7")
)

const splitHorizon = `
media:
  latch: signalled_ip
nat:
  public_ip: 203.0.113.7
  profiles:
    - name: lan
      networks: [192.168.0.0/16, 10.0.0.0/8]
      advertise: local
    - name: lan-strict
      networks: [192.168.7.0/24]
      latch: signalled
    - name: partner
      networks: ["198.51.100.0/24", "2001:db8::/32"]
      advertise: 198.51.100.1
      latch: any
      trust_signalled: false
      keepalive: 20s
      h245: tunnel
      port_min: 20000
      port_max: 20999
`

func TestMatchFirstWinsElseDefault(t *testing.T) {
	c := parse(t, splitHorizon)
	s, err := New(c.NAT, c.Media, Addresses{Local: local, Public: public})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		src, want string
		adv       netip.Addr
	}{
		{"192.168.7.20", "lan", local}, // overlapping lan-strict comes later: lan wins
		{"10.9.9.9", "lan", local},
		{"::ffff:10.1.1.1", "lan", local}, // an IPv4-mapped source (dual-stack socket)
		{"198.51.100.77", "partner", netip.MustParseAddr("198.51.100.1")},
		{"2001:db8::42", "partner", netip.MustParseAddr("198.51.100.1")},
		{"8.8.8.8", "default", public}, // implicit default: public_ip is set
		{"", "default", public},        // unknown source (a zero address)
	} {
		var src netip.Addr
		if tc.src != "" {
			src = netip.MustParseAddr(tc.src)
		}
		p := s.Match(src)
		if p.Name != tc.want || p.Advertise != tc.adv {
			t.Errorf("Match(%s) = %s advertising %s, want %s advertising %s", tc.src, p.Name, p.Advertise, tc.want, tc.adv)
		}
	}
	p := s.Match(netip.MustParseAddr("198.51.100.2"))
	if p.Latch != rtpsession.LatchAny || p.TrustSignalled || p.Keepalive.Seconds() != 20 || !p.TunnelH245 || p.PortRange() != [2]int{20000, 20999} {
		t.Errorf("partner profile %+v", p)
	}
	def := s.Default()
	if def.Latch != rtpsession.LatchSignalledIP || !def.TrustSignalled || def.TunnelH245 || def.PortRange() != [2]int{3000, 10000} {
		t.Errorf("implicit default %+v: want media's latch and range, trusting", def)
	}
	if all := s.All(); len(all) != 4 || all[3] != def {
		t.Errorf("All() = %d profiles, want 3 and the default last", len(all))
	}
}

func TestExplicitDefault(t *testing.T) {
	c := parse(t, `
nat:
  profiles:
    - name: default
      latch: off
      advertise: 192.0.2.10
    - name: lan
      networks: [192.168.0.0/16]
`)
	s, err := New(c.NAT, c.Media, Addresses{Local: local})
	if err != nil {
		t.Fatal(err)
	}
	def := s.Match(netip.MustParseAddr("8.8.4.4"))
	if def.Name != "default" || def.Latch != rtpsession.LatchOff || def.Advertise != netip.MustParseAddr("192.0.2.10") {
		t.Errorf("default %+v", def)
	}
	if lan := s.Match(netip.MustParseAddr("192.168.1.1")); lan.Name != "lan" || lan.Advertise != local {
		t.Errorf("lan %+v: want advertising the local address (no public_ip)", lan)
	}
	if n := len(s.All()); n != 2 {
		t.Errorf("All() = %d profiles, want 2", n)
	}
}

func TestSymmetricRTPOffIsLatchOff(t *testing.T) {
	c := parse(t, "media:\n  symmetric_rtp: false\n  latch: any\n")
	s, err := New(c.NAT, c.Media, Addresses{Local: local})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Default().Latch; got != rtpsession.LatchOff {
		t.Errorf("latch %v, want off", got)
	}
}

func TestUnspecifiedAdvertiseRefused(t *testing.T) {
	c := parse(t, "nat:\n  profiles:\n    - name: lan\n      networks: [10.0.0.0/8]\n      advertise: local\n")
	_, err := New(c.NAT, c.Media, Addresses{Local: netip.IPv4Unspecified()})
	if err == nil || !strings.Contains(err.Error(), `"lan"`) {
		t.Fatalf("err = %v, want the lan profile named", err)
	}
}

// Matching happens once per call, not per packet; this shows its cost with a few
// profiles (the last one and the default are the slowest paths).
func BenchmarkMatch(b *testing.B) {
	c := parse(b, splitHorizon)
	s, err := New(c.NAT, c.Media, Addresses{Local: local, Public: public})
	if err != nil {
		b.Fatal(err)
	}
	for _, src := range []string{"192.168.1.1", "2001:db8::1", "8.8.8.8"} {
		a := netip.MustParseAddr(src)
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s.Match(a) == nil {
					b.Fatal("nil profile")
				}
			}
		})
	}
}
