package ras

import (
	"net/netip"
	"slices"
	"time"
)

// Registration is one endpoint registered with the gatekeeper (H.225.0
// §7.9). Values returned by the Gatekeeper are copies.
type Registration struct {
	// EndpointID is the endpointIdentifier assigned in RCF.
	EndpointID string
	Aliases    []Alias
	// CallSignal are the call signalling addresses calls to it go to
	// (see TrustSignalledAddresses); RAS the RAS addresses it signalled.
	CallSignal []netip.AddrPort
	RAS        []netip.AddrPort
	// Source is where its last RRQ came from; the gatekeeper's own
	// messages to it go there.
	Source netip.AddrPort
	// Type is "terminal", "gateway", "mcu", "gatekeeper" or "unknown".
	Type   string
	Vendor Vendor
	// ProtocolVersion is the H.225.0 version of its RRQ (the last arc of
	// protocolIdentifier).
	ProtocolVersion int
	Registered      time.Time
	Refreshed       time.Time
	TTL             time.Duration
	// Expires is when the registration ends without a keepalive.
	Expires time.Time
}

// Vendor is an endpoint's H.225.0 VendorIdentifier: the H.221 (T.35)
// country, extension and manufacturer codes, and its productId and
// versionId as text (NULs and unprintable octets dropped).
type Vendor struct {
	T35CountryCode   int
	T35Extension     int
	ManufacturerCode int
	Product          string
	Version          string
}

func (r *Registration) clone() Registration {
	c := *r
	c.Aliases = slices.Clone(r.Aliases)
	c.CallSignal = slices.Clone(r.CallSignal)
	c.RAS = slices.Clone(r.RAS)
	return c
}

// ChangeKind says what happened to a registration.
type ChangeKind int

// Change kinds.
const (
	Registered   ChangeKind = iota // a new endpoint
	Updated                        // a full RRQ from a registered endpoint
	Refreshed                      // a keepalive RRQ
	Unregistered                   // URQ from the endpoint
	Expired                        // its time to live ran out
)

func (k ChangeKind) String() string {
	switch k {
	case Registered:
		return "registered"
	case Updated:
		return "updated"
	case Refreshed:
		return "refreshed"
	case Unregistered:
		return "unregistered"
	case Expired:
		return "expired"
	}
	return "unknown"
}

// Change is what OnChange is told.
type Change struct {
	Kind         ChangeKind
	Registration Registration
}

// registry holds the registrations; the Gatekeeper's mutex guards it.
type registry struct {
	byID     map[string]*Registration
	byAlias  map[string]*Registration // Alias.key()
	perSrcIP map[netip.Addr]int
}

func newRegistry() *registry {
	return &registry{byID: map[string]*Registration{}, byAlias: map[string]*Registration{}, perSrcIP: map[netip.Addr]int{}}
}

func (g *registry) add(r *Registration) {
	g.byID[r.EndpointID] = r
	for _, a := range r.Aliases {
		g.byAlias[a.key()] = r
	}
	g.perSrcIP[r.Source.Addr()]++
}

func (g *registry) remove(r *Registration) {
	delete(g.byID, r.EndpointID)
	for _, a := range r.Aliases {
		if g.byAlias[a.key()] == r {
			delete(g.byAlias, a.key())
		}
	}
	if g.perSrcIP[r.Source.Addr()]--; g.perSrcIP[r.Source.Addr()] <= 0 {
		delete(g.perSrcIP, r.Source.Addr())
	}
}

// lookup finds a registration by alias: "kind:value", or a bare value
// matched as dialledDigits, h323-ID, url-ID, email-ID, partyNumber and
// transportID in that order.
func (g *registry) lookup(s string) *Registration {
	for _, k := range []string{KindDialledDigits, KindH323ID, KindURL, KindEmail, KindPartyNumber, KindTransport} {
		if v, ok := cutPrefix(s, k+":"); ok {
			return g.byAlias[Alias{k, v}.key()]
		}
	}
	for _, k := range []string{KindDialledDigits, KindH323ID, KindURL, KindEmail, KindPartyNumber, KindTransport} {
		if r := g.byAlias[Alias{k, s}.key()]; r != nil {
			return r
		}
	}
	return nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

// expired removes and returns the registrations whose time ran out.
func (g *registry) expired(now time.Time) []*Registration {
	var out []*Registration
	for _, r := range g.byID {
		if !now.Before(r.Expires) {
			out = append(out, r)
		}
	}
	for _, r := range out {
		g.remove(r)
	}
	return out
}

// fromSourceIP reports whether any registration came from ip.
func (g *registry) fromSourceIP(ip netip.Addr) bool { return g.perSrcIP[ip] > 0 }
