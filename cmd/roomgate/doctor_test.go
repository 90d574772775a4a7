//go:build !e2e

package main

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/configs/hostnet"
)

func ifc(name string, loopback bool, addrs ...string) hostnet.Interface {
	i := hostnet.Interface{Name: name, Up: true, Loopback: loopback}
	for _, a := range addrs {
		i.Addrs = append(i.Addrs, netip.MustParseAddr(a))
	}
	return i
}

var (
	loIf     = ifc("lo", true, "127.0.0.1", "::1")
	lanHost  = hostnet.Host{DefaultRoute: "eth0", Interfaces: []hostnet.Interface{loIf, ifc("eth0", false, "192.168.1.20", "fe80::2")}}
	natHost  = hostnet.Host{DefaultRoute: "eth0", Interfaces: []hostnet.Interface{loIf, ifc("eth0", false, "10.0.0.5")}}
	pubHost  = hostnet.Host{DefaultRoute: "eth0", Interfaces: []hostnet.Interface{loIf, ifc("eth0", false, "198.51.100.4")}}
	loopOnly = hostnet.Host{Interfaces: []hostnet.Interface{loIf}}
)

const legsEverywhere = "sip:\n  enabled: true\n  listen: 0.0.0.0:5060\nh323:\n  enabled: true\n  listen: 0.0.0.0:1720\n  ras_listen: 0.0.0.0:1719\nmedia:\n  port_min: 4000\n  port_max: 4099\n"

// busy fails binds of "network addr" in the set, as the kernel would with EADDRINUSE.
func busy(taken ...string) func(network, addr string) error {
	return func(network, addr string) error {
		for _, t := range taken {
			if t == network+" "+addr {
				return syscall.EADDRINUSE
			}
		}
		return nil
	}
}

func diagnose(t *testing.T, yaml string, h hostnet.Host, bind func(string, string) error) (*checkup, string) {
	t.Helper()
	cfg, err := configs.Parse("x.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolve(h)
	d := &checkup{cfg: cfg, host: h, bind: bind, ephemeral: "32768-60999"}
	d.run()
	var out bytes.Buffer
	d.print(&out)
	return d, out.String()
}

func TestDoctor(t *testing.T) {
	cases := []struct {
		name   string
		yaml   string
		host   hostnet.Host
		bind   func(string, string) error
		fail   bool
		want   []string // lines or parts of lines in the report
		absent []string
	}{
		{"LAN gateway, all free", legsEverywhere, lanHost, busy(), false, []string{
			"ok    primary interface (default route): eth0, 192.168.1.20",
			"ok    sip.listen 0.0.0.0:5060 (SIP): UDP+TCP free",
			"ok    room systems are given 192.168.1.20 for media and signalling (primary interface eth0)",
			"ok    media ports UDP 4000-4099: all 50 pairs free",
			"  UDP  5060        SIP (sip.listen)", "  TCP  5060        SIP (sip.listen)",
			"  TCP  1720        H.323 call signalling", "  UDP  1719        H.323 gatekeeper",
			"  UDP  4000-4099   room-system media", "  TCP  32768-60999 separate H.245",
		}, []string{"FAIL", "WARN", "TCP  8080", "TCP  7880", "UDP  7882"}},
		{"SIP port taken", legsEverywhere, lanHost, busy("udp 0.0.0.0:5060"), true, []string{
			"FAIL  sip.listen 0.0.0.0:5060 (SIP) cannot listen: UDP: in use by another program",
		}, nil},
		{"listen address not on this machine", "sip:\n  enabled: true\n  listen: 10.9.9.9:5060\n", lanHost, busy(), true, []string{
			"FAIL  sip.listen 10.9.9.9:5060: 10.9.9.9 is not an address of this machine",
			"FAIL  media address 10.9.9.9 is not an address of this machine",
		}, nil},
		{"one-to-one NAT", legsEverywhere + "nat:\n  public_ip: 203.0.113.7\n", natHost, busy(), false, []string{
			"ok    room systems are given 203.0.113.7 for media and signalling (nat.public_ip)",
			"ok    nat.public_ip 203.0.113.7 is not on this machine while private 10.0.0.5 is (eth0): looks like a one-to-one NAT of 10.0.0.5",
			"(and forward them on the one-to-one NAT from 203.0.113.7 to this machine)",
		}, []string{"FAIL", "WARN"}},
		{"public_ip that is the machine's own", legsEverywhere + "nat:\n  public_ip: 198.51.100.4\n", pubHost, busy(), false, []string{
			"note  nat.public_ip 198.51.100.4 is on interface eth0: there is no NAT in front of it",
		}, nil},
		{"public_ip that is private elsewhere", legsEverywhere + "nat:\n  public_ip: 172.16.0.9\n", natHost, busy(), false, []string{
			"WARN  nat.public_ip 172.16.0.9 is a private address not on this machine",
		}, nil},
		{"public_ip with no private address here", legsEverywhere + "nat:\n  public_ip: 203.0.113.7\n", pubHost, busy(), false, []string{
			"WARN  nat.public_ip 203.0.113.7 is not on this machine and the machine has no private address",
		}, nil},
		{"only loopback", legsEverywhere, loopOnly, busy(), false, []string{
			"note  no default route", "WARN  only loopback is up",
			"WARN  127.0.0.1 is loopback: only room systems on this machine can call",
		}, nil},
		{"some media ports taken", legsEverywhere, lanHost, busy("udp 0.0.0.0:4001", "udp 0.0.0.0:4010"), false, []string{
			"WARN  media ports UDP 4000-4099: 48 pairs free", "in use: 4001, 4010",
		}, nil},
		{"every media port taken", legsEverywhere, lanHost, func(n, a string) error {
			if strings.HasPrefix(a, "0.0.0.0:40") {
				return syscall.EADDRINUSE
			}
			return nil
		}, true, []string{"FAIL  media ports UDP 4000-4099: no RTP/RTCP pair can bind"}, nil},
		{"loopback only config", "", lanHost, busy(), false, []string{
			"firewall: nothing listens beyond this machine",
		}, []string{"media ports", "room systems are given"}},
		{"web UI on every interface", "http:\n  listen: 0.0.0.0:8080\n", lanHost, busy(), false, []string{
			"  TCP  8080        web UI and API (http.listen)",
		}, nil},
		{"public_host elsewhere", legsEverywhere + "public_host: 198.51.100.77\n", lanHost, busy(), false, []string{
			"WARN  public_host 198.51.100.77 is neither an address of this machine nor nat.public_ip",
		}, nil},
		{"public_host a name", legsEverywhere + "public_host: gw.example.net\n", lanHost, busy(), false, []string{
			"note  public_host gw.example.net is a name: it must resolve to 192.168.1.20",
		}, nil},
		{"privileged port", "http:\n  listen: 0.0.0.0:80\n", lanHost, func(n, a string) error {
			if a == "0.0.0.0:80" {
				return syscall.EACCES
			}
			return nil
		}, true, []string{"FAIL  http.listen 0.0.0.0:80 (web UI and API) cannot listen: TCP: permission denied"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, out := diagnose(t, tc.yaml, tc.host, tc.bind)
			if d.failed() != tc.fail {
				t.Errorf("failed = %v, want %v", d.failed(), tc.fail)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("report has %q", a)
				}
			}
			if t.Failed() {
				t.Logf("report:\n%s", out)
			}
		})
	}
}

// TestDoctorBindsForReal runs the real bind on loopback: a port this test holds is
// reported in use.
func TestDoctorBindsForReal(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	_, out := diagnose(t, "http:\n  listen: "+addr+"\n", lanHost, bindAndRelease)
	if !strings.Contains(out, "FAIL  http.listen "+addr+" (web UI and API) cannot listen: TCP: in use by another program") {
		t.Fatalf("a held port is not reported in use:\n%s", out)
	}
}
