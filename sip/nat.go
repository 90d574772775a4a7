package sip

import (
	"net/netip"
)

// NATPolicy chooses where in-dialog requests go. contact is the host:port
// of the endpoint's Contact URI, source the address its requests (or, for
// dial-out, responses) came from. It is the seam for per-endpoint NAT
// profiles: the gateway can supply one that matches by network or identity.
type NATPolicy interface {
	Target(contact, source netip.AddrPort) netip.AddrPort
}

// NATPolicyFunc adapts a function to NATPolicy.
type NATPolicyFunc func(contact, source netip.AddrPort) netip.AddrPort

// Target calls f.
func (f NATPolicyFunc) Target(contact, source netip.AddrPort) netip.AddrPort {
	return f(contact, source)
}

// DefaultNATPolicy sends to the Contact unless it is unusable (not an IP
// literal, unspecified, or a private/shared/link-local address while the
// endpoint talks to us from a different address), in which case it sends to
// the source address — the symmetric routing RFC 3581 gives responses.
type DefaultNATPolicy struct{}

// Target implements NATPolicy.
func (DefaultNATPolicy) Target(contact, source netip.AddrPort) netip.AddrPort {
	if !source.IsValid() {
		return contact
	}
	if !contact.IsValid() || contact.Addr().IsUnspecified() {
		return source
	}
	if contact.Addr() == source.Addr() {
		return contact
	}
	if isPrivate(contact.Addr()) {
		return source
	}
	return contact
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func isPrivate(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)
}

var _ NATPolicy = DefaultNATPolicy{}
