package configs

import (
	"net/netip"
	"testing"
	"time"
)

const natProfilesYAML = `nat:
  public_ip: 203.0.113.7
  profiles:
    - name: lan
      networks: [192.168.0.0/16, 10.1.2.3]
      advertise: local
      latch: signalled_ip
    - name: internet-alg
      networks: ["0.0.0.0/0"]
      advertise: public
      latch: any
      trust_signalled: false
      keepalive: 20s
      h245: tunnel
      port_min: 20000
      port_max: 20999
    - name: default
      advertise: 198.51.100.1
`

func TestNATProfilesParse(t *testing.T) {
	c, err := Parse("x.yaml", []byte(natProfilesYAML))
	if err != nil {
		t.Fatal(err)
	}
	ps := c.NAT.Profiles
	if len(ps) != 3 {
		t.Fatalf("%d profiles, want 3", len(ps))
	}
	lan, alg, def := ps[0], ps[1], ps[2]
	if got := lan.Prefixes(); len(got) != 2 || got[0] != netip.MustParsePrefix("192.168.0.0/16") || got[1] != netip.MustParsePrefix("10.1.2.3/32") {
		t.Fatalf("lan prefixes %v", got)
	}
	if !lan.Trusted() || alg.Trusted() || !def.Trusted() {
		t.Fatalf("trust lan=%v alg=%v default=%v, want true false true", lan.Trusted(), alg.Trusted(), def.Trusted())
	}
	if alg.Keepalive != 20*time.Second || alg.H245 != "tunnel" || alg.PortMin != 20000 || alg.PortMax != 20999 || alg.Latch != "any" {
		t.Fatalf("internet-alg profile %+v", alg)
	}
	if def.Advertise != "198.51.100.1" || len(def.Networks) != 0 {
		t.Fatalf("default profile %+v", def)
	}
}

func TestNATProfileErrorsNameTheLine(t *testing.T) {
	profile := func(body string) string {
		return "nat:\n  public_ip: \"\"\n  profiles:\n    - name: lan\n      networks: [10.0.0.0/8]\n" + body
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"bad cidr", profile("    - name: wan\n      networks: [10.0.0.0/33]\n"), "line 7: nat.profiles.1.networks: \"10.0.0.0/33\""},
		{"not a cidr", profile("    - name: wan\n      networks: [internet]\n"), "line 7: nat.profiles.1.networks"},
		{"duplicate name", profile("    - name: lan\n      networks: [10.0.0.0/8]\n"), "line 6: nat.profiles.1.name: \"lan\" is already the name of profile 1"},
		{"no networks", profile("    - name: wan\n"), "nat.profiles.1.networks: profile \"wan\" matches nothing"},
		{"empty name", profile("    - networks: [10.0.0.0/8]\n"), "line 6: nat.profiles.1"},
		{"upper-case name", profile("    - name: WAN\n      networks: [0.0.0.0/0]\n"), "line 6: nat.profiles.1.name"},
		{"advertise hostname", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      advertise: gw.example.net\n"), "line 8: nat.profiles.1.advertise"},
		{"advertise unspecified", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      advertise: 0.0.0.0\n"), "line 8: nat.profiles.1.advertise"},
		{"public without public_ip", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      advertise: public\n"), "line 8: nat.profiles.1.advertise: public needs nat.public_ip"},
		{"bad latch", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      latch: first\n"), "line 8: nat.profiles.1.latch"},
		{"bad h245", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      h245: separate\n"), "line 8: nat.profiles.1.h245"},
		{"negative keepalive", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      keepalive: -1s\n"), "line 8: nat.profiles.1.keepalive"},
		{"tiny keepalive", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      keepalive: 10ms\n"), "line 8: nat.profiles.1.keepalive"},
		{"port below 1024", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      port_min: 1000\n      port_max: 2000\n"), "line 8: nat.profiles.1.port_min"},
		{"port above 65535", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      port_min: 40000\n      port_max: 70000\n"), "line 9: nat.profiles.1.port_max"},
		{"only port_min", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      port_min: 40000\n"), "nat.profiles.1.port_max: 0"},
		{"odd port_min", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      port_min: 40001\n      port_max: 41000\n"), "line 8: nat.profiles.1.port_min: 40001: RTP ports are even"},
		{"no pair", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      port_min: 40000\n      port_max: 40002\n"), "line 9: nat.profiles.1.port_max"},
		{"unknown key", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      alg: on\n"), "line 8: unknown key \"alg\" in nat.profiles[1]"},
		{"trust not bool", profile("    - name: wan\n      networks: [0.0.0.0/0]\n      trust_signalled: maybe\n"), "line 8"},
		{"public ip unspecified", "nat:\n  public_ip: 0.0.0.0\n", "line 2: nat.public_ip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantParseError(t, tc.yaml, tc.want) })
	}
}

func TestNATProfilesValid(t *testing.T) {
	cases := []struct{ name, yaml string }{
		{"overlapping networks (first match wins)", "nat:\n  profiles:\n    - name: a\n      networks: [10.0.0.0/8]\n    - name: b\n      networks: [10.1.0.0/16]\n"},
		{"default alone", "nat:\n  profiles:\n    - name: default\n      latch: any\n"},
		{"default with networks", "nat:\n  profiles:\n    - name: default\n      networks: [0.0.0.0/0]\n"},
		{"ipv6", "nat:\n  profiles:\n    - name: v6\n      networks: [\"2001:db8::/32\", \"::ffff:10.0.0.0/104\"]\n      advertise: \"2001:db8::1\"\n"},
		{"signalled latch", "nat:\n  profiles:\n    - name: strict\n      networks: [198.51.100.0/24]\n      latch: signalled\n      keepalive: 15s\n"},
		{"port range at the top", "nat:\n  profiles:\n    - name: hi\n      networks: [0.0.0.0/0]\n      port_min: 65530\n      port_max: 65535\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse("x.yaml", []byte(tc.yaml)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseNetworkUnmapsIPv4(t *testing.T) {
	p, err := parseNetwork("::ffff:10.0.0.0/104")
	if err != nil || p != netip.MustParsePrefix("10.0.0.0/8") {
		t.Fatalf("parseNetwork = %v, %v; want 10.0.0.0/8", p, err)
	}
	p, err = parseNetwork("192.168.7.9/16")
	if err != nil || p != netip.MustParsePrefix("192.168.0.0/16") {
		t.Fatalf("parseNetwork = %v, %v; want the masked 192.168.0.0/16", p, err)
	}
}
