package configs

import (
	"fmt"
	"net/netip"
	"time"
)

// NATConfig describes the networks between the gateway and room systems: a one-to-one
// NAT in front of the gateway (PublicIP) and the NAT/ALG profiles that say, per
// network of endpoints, which address the gateway advertises and how it treats what
// those endpoints signal (issue 14).
type NATConfig struct {
	// PublicIP is the public address of a one-to-one NAT in front of the gateway.
	PublicIP string `yaml:"public_ip"`
	// Profiles are matched in order by the endpoint's signalling source address (SIP:
	// the packet's source; H.323: the TCP peer or RAS source); the first whose
	// networks hold it wins. None matches: the profile named "default" (implicit when
	// absent).
	Profiles []NATProfile `yaml:"profiles"`
}

// NATProfile is one endpoint network's NAT/ALG profile.
type NATProfile struct {
	// Name is unique, [a-z0-9_-]+; "default" is the profile of endpoints no other
	// profile matches.
	Name string `yaml:"name"`
	// Networks are CIDRs (or single addresses) of endpoint source addresses; required
	// except for "default".
	Networks []string `yaml:"networks"`
	// Advertise is the address put in SDP c=/o=, Contact and H.225/H.245 addresses
	// for these endpoints: "public" (nat.public_ip), "local" (the listen/media
	// address) or an IP literal. Empty: "public" when nat.public_ip is set, else
	// "local".
	Advertise string `yaml:"advertise"`
	// Latch is the media latch mode: off, signalled (the exact signalled ip:port),
	// signalled_ip (the signalled IP or the signalling source IP, any port) or any
	// (any source after probation and SSRC checks). Empty: media.latch.
	Latch string `yaml:"latch"`
	// TrustSignalled false ignores the addresses in SDP/Via/Contact/H.225/H.245 and
	// uses the observed source instead. Absent: true.
	TrustSignalled *bool `yaml:"trust_signalled"`
	// Keepalive > 0 keeps NAT bindings open: SIP CRLF keep-alives on the endpoint's
	// flow and RTP/RTCP keep-alives toward it while the meeting sends nothing.
	Keepalive time.Duration `yaml:"keepalive"`
	// H245 is "any" or "tunnel" (prefer H.245 tunnelled in H.225 for these endpoints).
	H245 string `yaml:"h245"`
	// PortMin and PortMax are this profile's RTP port range; 0: media.port_min/max.
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
}

// DefaultNATProfile is the name of the profile of endpoints no other profile matches.
const DefaultNATProfile = "default"

// Trusted reports whether the profile trusts signalled addresses (the default).
func (p NATProfile) Trusted() bool { return p.TrustSignalled == nil || *p.TrustSignalled }

// Prefixes are the profile's networks, parsed (validated ones never fail; a bare
// address is its own /32 or /128).
func (p NATProfile) Prefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(p.Networks))
	for _, n := range p.Networks {
		if pf, err := parseNetwork(n); err == nil {
			out = append(out, pf)
		}
	}
	return out
}

func parseNetwork(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	pf, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if pf.Addr().Is4In6() {
		pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
	}
	return pf.Masked(), nil
}

// Profile names: [a-z0-9_-]+, short enough for a log line.
const maxProfileName = 64

func validProfileName(s string) bool {
	if s == "" || len(s) > maxProfileName {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Lowest port a profile's range may use: below it are the well-known and system ports.
const minProfilePort = 1024

func (n *NATConfig) validate() error {
	if n.PublicIP != "" {
		a, err := netip.ParseAddr(n.PublicIP)
		if err != nil || a.IsUnspecified() {
			return bad("nat.public_ip", "%q is not an IP address", n.PublicIP)
		}
	}
	seen := make(map[string]int, len(n.Profiles))
	for i := range n.Profiles {
		p := &n.Profiles[i]
		key := fmt.Sprintf("nat.profiles.%d", i)
		if !validProfileName(p.Name) {
			return bad(key+".name", "%q: a profile needs a name of a-z, 0-9, _ and - (at most %d characters)", p.Name, maxProfileName)
		}
		if j, dup := seen[p.Name]; dup {
			return bad(key+".name", "%q is already the name of profile %d", p.Name, j+1)
		}
		seen[p.Name] = i
		if err := p.validate(key, n.PublicIP != ""); err != nil {
			return err
		}
	}
	return nil
}

func (p *NATProfile) validate(key string, havePublic bool) error {
	if len(p.Networks) == 0 && p.Name != DefaultNATProfile {
		return bad(key+".networks", "profile %q matches nothing: list the CIDRs of its endpoints (only %q may have none)", p.Name, DefaultNATProfile)
	}
	for _, s := range p.Networks {
		if _, err := parseNetwork(s); err != nil {
			return bad(key+".networks", "%q is not a CIDR such as 192.168.0.0/16", s)
		}
	}
	switch p.Advertise {
	case "", "local":
	case "public":
		if !havePublic {
			return bad(key+".advertise", "public needs nat.public_ip")
		}
	default:
		a, err := netip.ParseAddr(p.Advertise)
		if err != nil || a.IsUnspecified() || a.IsMulticast() {
			return bad(key+".advertise", "%q: use public, local or an IP address", p.Advertise)
		}
	}
	switch p.Latch {
	case "", "off", "signalled", "signalled_ip", "any":
	default:
		return bad(key+".latch", "%q: use off, signalled, signalled_ip or any", p.Latch)
	}
	switch p.H245 {
	case "", "any", "tunnel":
	default:
		return bad(key+".h245", "%q: use any or tunnel", p.H245)
	}
	if p.Keepalive < 0 || p.Keepalive > 0 && p.Keepalive < time.Second || p.Keepalive > 10*time.Minute {
		return bad(key+".keepalive", "%s: use 0s (none) or 1s–10m", p.Keepalive)
	}
	return p.validatePorts(key)
}

func (p *NATProfile) validatePorts(key string) error {
	if p.PortMin == 0 && p.PortMax == 0 {
		return nil
	}
	for _, f := range []struct {
		key string
		v   int
	}{{key + ".port_min", p.PortMin}, {key + ".port_max", p.PortMax}} {
		if f.v < minProfilePort || f.v > 65535 {
			return bad(f.key, "%d: a profile's ports are %d–65535 (both port_min and port_max, or neither)", f.v, minProfilePort)
		}
	}
	if p.PortMin%2 != 0 {
		return bad(key+".port_min", "%d: RTP ports are even; use an even number", p.PortMin)
	}
	if p.PortMax-p.PortMin < 3 {
		return bad(key+".port_max", "range %d–%d holds no RTP/RTCP pair: port_max must be at least port_min+3", p.PortMin, p.PortMax)
	}
	return nil
}
