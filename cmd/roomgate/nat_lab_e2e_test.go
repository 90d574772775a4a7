//go:build e2e

// The network lab of the NAT/ALG tests (issue 14): network namespaces joined by veth
// pairs, routers that forward and translate with nftables (masquerade, one-to-one
// DNAT+SNAT, the kernel's SIP and H.323 ALGs as conntrack helpers). The e2e process
// already runs in a private namespace of its own; it is the gateway's host here (the
// gateway, its web and meeting core on loopback and the browser participant stay in
// it), and every other host of a case — room system, router, attacker — is a
// namespace the case creates and deletes.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// labSeq numbers the labs of this process (namespace and interface names).
var labSeq atomic.Int32

// natLab is one case's set of namespaces and links; all go with the test.
type natLab struct {
	t      *testing.T
	prefix string // unique namespace/interface prefix, short: interface names are ≤ 15 bytes
	links  int
}

// hostNS names the e2e process's own namespace (the gateway's host) in the lab calls.
const hostNS = ""

func newNATLab(t *testing.T) *natLab {
	t.Helper()
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing (iproute2, nftables: `make test` installs them): %v", tool, err)
		}
	}
	return &natLab{t: t, prefix: fmt.Sprintf("rgn%d%d", os.Getpid()%1000, labSeq.Add(1))}
}

// run runs a command in namespace ns (hostNS: here) and fails the test on error.
func (l *natLab) run(ns string, args ...string) {
	l.t.Helper()
	l.runIn(ns, "", args...)
}

// runIn is run with stdin.
func (l *natLab) runIn(ns, stdin string, args ...string) {
	l.t.Helper()
	if ns != hostNS {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// host creates a namespace (loopback up) for role and returns its name.
func (l *natLab) host(role string) string {
	l.t.Helper()
	ns := l.prefix + role
	l.run(hostNS, "ip", "netns", "add", ns)
	l.t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	l.run(ns, "ip", "link", "set", "lo", "up")
	return ns
}

// router turns forwarding on in ns.
func (l *natLab) router(ns string) {
	l.t.Helper()
	l.run(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
}

// link joins namespaces a and b (either may be hostNS) with a veth pair and gives
// each end its address (CIDR notation). It returns the interface names.
func (l *natLab) link(a, aAddr, b, bAddr string) (aIf, bIf string) {
	l.t.Helper()
	l.links++
	aIf, bIf = fmt.Sprintf("%sa%d", l.prefix, l.links), fmt.Sprintf("%sb%d", l.prefix, l.links)
	// Each end is created in its namespace: no interface of another case comes and
	// goes in the host's, where the browser's WebRTC watches the interfaces.
	args := []string{"ip", "link", "add", aIf}
	if a != hostNS {
		args = append(args, "netns", a)
	}
	args = append(args, "type", "veth", "peer", "name", bIf)
	if b != hostNS {
		args = append(args, "netns", b)
	}
	l.run(hostNS, args...)
	if a == hostNS || b == hostNS {
		// Deleting one end deletes the pair; the namespaces' ends go with them.
		own := aIf
		if b == hostNS {
			own = bIf
		}
		l.t.Cleanup(func() { _ = exec.Command("ip", "link", "del", own).Run() })
	}
	for _, end := range []struct{ ns, dev, addr string }{{a, aIf, aAddr}, {b, bIf, bAddr}} {
		l.run(end.ns, "ip", "addr", "add", end.addr, "dev", end.dev)
		l.run(end.ns, "ip", "link", "set", end.dev, "up")
	}
	return aIf, bIf
}

// route adds a route in ns (e.g. "default", "via", "10.1.0.1").
func (l *natLab) route(ns string, spec ...string) {
	l.t.Helper()
	l.run(ns, append([]string{"ip", "route", "add"}, spec...)...)
	if ns == hostNS {
		l.t.Cleanup(func() { _ = exec.Command("ip", append([]string{"route", "del"}, spec...)...).Run() })
	}
}

// hostAddr puts addr (a /32) on the host's loopback for the rest of the test: the
// gateway's address, reachable over every link of the lab.
func (l *natLab) hostAddr(addr string) {
	l.t.Helper()
	l.run(hostNS, "ip", "addr", "add", addr+"/32", "dev", "lo")
	l.t.Cleanup(func() { _ = exec.Command("ip", "addr", "del", addr+"/32", "dev", "lo").Run() })
}

// nft loads an nftables ruleset into ns.
func (l *natLab) nft(ns, ruleset string) {
	l.t.Helper()
	if ns == hostNS {
		l.t.Fatal("nft rules in the e2e process's namespace would outlive the case")
	}
	l.runIn(ns, ruleset, "nft", "-f", "-")
}

// in runs fn with the calling goroutine's thread in namespace ns: the processes fn
// starts and the sockets it opens live there (a child inherits its thread's network
// namespace; the runtime starts new threads from a clean template thread while one
// is locked). fn must open its sockets before returning; goroutines it starts keep
// using them from any thread.
func (l *natLab) in(ns string, fn func()) {
	l.t.Helper()
	runtime.LockOSThread()
	orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		l.t.Fatal(err)
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		l.t.Fatal(err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		l.t.Fatalf("setns %s: %v", ns, err)
	}
	defer func() {
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// The thread stays locked and ends with the goroutine: never reused in ns.
			l.t.Errorf("setns back from %s: %v", ns, err)
			return
		}
		runtime.UnlockOSThread()
	}()
	fn()
}

// masqRouter builds a room system behind a masquerading router: the room's
// namespace (.2 of lanNet, a /24 written x.y.z.0/24, default route to the router's
// .1) and the router's, whose WAN link reaches namespace up (routerWAN/24, up's end
// upAddr/24, the router's default route). natFlags follow masquerade (e.g.
// "fully-random": a new random source port for every flow); helpers are extra lines
// of the router's filter table (conntrack helpers: the ALGs). New connections toward
// the LAN are dropped. It returns the room's and the router's namespaces and up's
// end of the WAN link.
func (l *natLab) masqRouter(up, upAddr, lanNet, routerWAN, natFlags, helpers string) (room, router, upIf string) {
	l.t.Helper()
	room, router = l.host("room"), l.host("rtr")
	lan := strings.TrimSuffix(lanNet, "0/24")
	l.link(room, lan+"2/24", router, lan+"1/24")
	l.route(room, "default", "via", lan+"1")
	_, upIf = l.link(router, routerWAN+"/24", up, upAddr+"/24")
	l.route(router, "default", "via", upAddr)
	l.router(router)
	l.nft(router, fmt.Sprintf(`table ip nat {
  chain post {
    type nat hook postrouting priority 100;
    ip saddr %s masquerade %s
  }
}
table ip filter {
%s
  chain tolan {
    type filter hook forward priority 0;
    ip daddr %s ct state new drop
  }
}
`, lanNet, natFlags, helpers, lanNet))
	return room, router, upIf
}

// sipALG is the filter-table part of a router with the kernel's SIP ALG on port port.
func sipALG(port int) string {
	return fmt.Sprintf(`  ct helper sip {
    type "sip" protocol udp
  }
  chain pre {
    type filter hook prerouting priority 0;
    udp dport %d ct helper set "sip"
  }`, port)
}

// h323ALG is the filter-table part of a router with the kernel's H.323 ALG (Q.931 on
// TCP 1720, RAS on UDP 1719).
func h323ALG() string {
	return `  ct helper q931 {
    type "Q.931" protocol tcp
  }
  ct helper ras {
    type "RAS" protocol udp
  }
  chain pre {
    type filter hook prerouting priority 0;
    tcp dport 1720 ct helper set "q931"
    udp dport 1719 ct helper set "ras"
  }`
}
