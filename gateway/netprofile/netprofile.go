// Package netprofile turns the NAT/ALG profiles of the configuration (nat.profiles,
// issue 14) into plain per-call values and matches an endpoint to its profile by the
// source address of its signalling (SIP: the packet's source; H.323: the TCP peer or
// the RAS source). The first profile whose networks hold the address wins; none: the
// profile named "default" (implicit when the configuration has none, built from the
// media: settings).
//
// Matching is a linear scan of parsed prefixes, done once per call (not per packet);
// a gateway has a handful of profiles.
package netprofile

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway/rtpsession"
)

// Profile is one resolved NAT/ALG profile.
type Profile struct {
	Name     string
	Networks []netip.Prefix
	// Advertise is the address put in SDP c=/o=, Contact/Via, H.225 and H.245
	// addresses for the profile's endpoints (split horizon).
	Advertise netip.Addr
	// AdvertiseLocal: Advertise is the gateway's own address ("local"), so each leg
	// advertises where it listens (SIP's listen host for Contact/Via, the media bind
	// address for SDP/H.245).
	AdvertiseLocal bool
	// Latch is the media latch mode of the profile's calls.
	Latch rtpsession.LatchMode
	// TrustSignalled false: addresses the endpoint signals are replaced by the
	// observed source (signalling replies, in-dialog requests, media).
	TrustSignalled bool
	// Keepalive > 0: keep NAT bindings open toward the endpoint at this interval.
	Keepalive time.Duration
	// TunnelH245 prefers H.245 tunnelled in H.225 over a separate connection.
	TunnelH245 bool
	// PortMin and PortMax are the profile's RTP port range (resolved: never 0).
	PortMin, PortMax int
}

// PortRange is the profile's RTP port range as a comparable key.
func (p *Profile) PortRange() [2]int { return [2]int{p.PortMin, p.PortMax} }

// Set is the gateway's profiles in match order, and the default.
type Set struct {
	list []*Profile // with networks, in configuration order
	def  *Profile
}

// Addresses are the gateway's own addresses a profile may advertise.
type Addresses struct {
	// Local is where the gateway listens / binds its media (must be specific to
	// be advertised).
	Local netip.Addr
	// Public is nat.public_ip (zero when unset).
	Public netip.Addr
}

// New resolves the configuration's profiles. The configuration is validated already;
// errors here are about the machine: a profile that would advertise an unspecified
// address.
func New(nat configs.NATConfig, m configs.MediaConfig, addrs Addresses) (*Set, error) {
	s := &Set{}
	for _, cp := range nat.Profiles {
		p, err := resolve(cp, m, addrs)
		if err != nil {
			return nil, err
		}
		if cp.Name == configs.DefaultNATProfile {
			s.def = p
			if len(p.Networks) == 0 {
				continue
			}
		}
		s.list = append(s.list, p)
	}
	if s.def == nil {
		p, err := resolve(configs.NATProfile{Name: configs.DefaultNATProfile}, m, addrs)
		if err != nil {
			return nil, err
		}
		s.def = p
	}
	return s, nil
}

func resolve(cp configs.NATProfile, m configs.MediaConfig, addrs Addresses) (*Profile, error) {
	p := &Profile{Name: cp.Name, Networks: cp.Prefixes(), TrustSignalled: cp.Trusted(), Keepalive: cp.Keepalive,
		TunnelH245: cp.H245 == "tunnel", PortMin: cp.PortMin, PortMax: cp.PortMax}
	if p.PortMin == 0 {
		p.PortMin, p.PortMax = m.PortMin, m.PortMax
	}
	p.Latch = LatchMode(m.SymmetricRTP, m.Latch)
	if cp.Latch != "" {
		p.Latch = LatchMode(true, cp.Latch)
	}
	switch adv := cp.Advertise; {
	case adv == "public" || adv == "" && addrs.Public.IsValid():
		p.Advertise = addrs.Public
	case adv == "local" || adv == "":
		p.Advertise, p.AdvertiseLocal = addrs.Local, true
	default:
		a, err := netip.ParseAddr(adv)
		if err != nil {
			return nil, fmt.Errorf("nat profile %q: advertise %q: %w", cp.Name, adv, err)
		}
		p.Advertise = a
	}
	if !p.Advertise.IsValid() || p.Advertise.IsUnspecified() {
		return nil, fmt.Errorf("nat profile %q advertises no reachable address: set nat.public_ip, a specific media.bind_address / listen host, or the profile's advertise", cp.Name)
	}
	return p, nil
}

// LatchMode maps a configured latch mode (validated): media.symmetric_rtp false is
// "off" whatever the mode says.
func LatchMode(symmetric bool, latch string) rtpsession.LatchMode {
	switch {
	case !symmetric || latch == "off":
		return rtpsession.LatchOff
	case latch == "any":
		return rtpsession.LatchAny
	case latch == "signalled":
		return rtpsession.LatchSignalled
	}
	return rtpsession.LatchSignalledIP
}

// Match returns the profile of an endpoint whose signalling comes from src: the first
// whose networks hold it, else the default. It never returns nil.
func (s *Set) Match(src netip.Addr) *Profile {
	src = src.Unmap()
	if src.IsValid() {
		for _, p := range s.list {
			for _, n := range p.Networks {
				if n.Contains(src) {
					return p
				}
			}
		}
	}
	return s.def
}

// Default is the profile of endpoints no other profile matches.
func (s *Set) Default() *Profile { return s.def }

// All returns every profile, the default last (once).
func (s *Set) All() []*Profile {
	out := make([]*Profile, 0, len(s.list)+1)
	out = append(out, s.list...)
	for _, p := range s.list {
		if p == s.def {
			return out
		}
	}
	return append(out, s.def)
}
