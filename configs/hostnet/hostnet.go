// Package hostnet describes this machine's network the way roomgate's configuration
// needs it: the addresses of its interfaces, and which interface carries the default
// route (the primary interface, whose address a room system on the same LAN reaches).
//
// Lookup reads the real machine (net.Interfaces, /proc/net/route and
// /proc/net/ipv6_route); everything else works on a Host value, so callers and tests
// can describe any machine.
package hostnet

import (
	"net"
	"net/netip"
	"os"
	"slices"
)

// Interface is one network interface and its addresses.
type Interface struct {
	Name     string
	Up       bool
	Loopback bool
	Addrs    []netip.Addr
}

// Host is a machine's network: its interfaces and the interfaces of its default
// routes ("" when there is none).
type Host struct {
	Interfaces    []Interface
	DefaultRoute  string // IPv4 default route's interface
	DefaultRoute6 string // IPv6 default route's interface
}

// Primary returns the address endpoints on the machine's network reach it at, and
// the interface it belongs to: the first IPv4 address (else global IPv6 address) of
// the default route's interface. A machine without a default route (or whose
// default-route interface has no usable address) gets 127.0.0.1 and ok false.
func (h Host) Primary() (addr netip.Addr, iface string, ok bool) {
	for _, r := range []struct {
		name string
		v4   bool
	}{{h.DefaultRoute, true}, {h.DefaultRoute6, false}} {
		if r.name == "" {
			continue
		}
		for _, ifc := range h.Interfaces {
			if ifc.Name != r.name || !ifc.Up {
				continue
			}
			for _, a := range ifc.Addrs {
				if a.Is4() == r.v4 && usable(a) {
					return a, ifc.Name, true
				}
			}
		}
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1}), "", false
}

// usable reports whether endpoints elsewhere can reach a: not loopback, link-local,
// multicast or unspecified.
func usable(a netip.Addr) bool {
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && !a.IsUnspecified()
}

// Owns reports whether a is an address of one of the machine's interfaces that are
// up (the whole of 127.0.0.0/8 belongs to a machine with loopback up).
func (h Host) Owns(a netip.Addr) bool {
	a = a.Unmap()
	for _, ifc := range h.Interfaces {
		if !ifc.Up {
			continue
		}
		if ifc.Loopback && a.Is4() && a.IsLoopback() {
			return true
		}
		if slices.Contains(ifc.Addrs, a) {
			return true
		}
	}
	return false
}

// Interface returns the up interface holding a ("" when none does).
func (h Host) Interface(a netip.Addr) string {
	a = a.Unmap()
	for _, ifc := range h.Interfaces {
		if ifc.Up && (slices.Contains(ifc.Addrs, a) || ifc.Loopback && a.Is4() && a.IsLoopback()) {
			return ifc.Name
		}
	}
	return ""
}

// Private returns the machine's private (RFC 1918, RFC 4193) addresses on
// interfaces that are up.
func (h Host) Private() []netip.Addr {
	var out []netip.Addr
	for _, ifc := range h.Interfaces {
		if !ifc.Up || ifc.Loopback {
			continue
		}
		for _, a := range ifc.Addrs {
			if a.IsPrivate() {
				out = append(out, a)
			}
		}
	}
	return out
}

// Lookup reads this machine's interfaces and default routes. Routes come from
// Linux's /proc; where they cannot be read the host has no default route.
func Lookup() (Host, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return Host{}, err
	}
	var h Host
	for _, ni := range ifs {
		ifc := Interface{Name: ni.Name, Up: ni.Flags&net.FlagUp != 0, Loopback: ni.Flags&net.FlagLoopback != 0}
		addrs, err := ni.Addrs()
		if err != nil {
			return Host{}, err
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					ifc.Addrs = append(ifc.Addrs, ip.Unmap())
				}
			}
		}
		h.Interfaces = append(h.Interfaces, ifc)
	}
	if f, err := os.Open("/proc/net/route"); err == nil {
		h.DefaultRoute = DefaultRoute4(f)
		f.Close()
	}
	if f, err := os.Open("/proc/net/ipv6_route"); err == nil {
		h.DefaultRoute6 = DefaultRoute6(f)
		f.Close()
	}
	return h, nil
}
