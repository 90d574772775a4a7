package ras

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"slices"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// The request handlers of the gatekeeper (H.225.0 §7.8–7.15). They run in
// the read loop with g.mu held and return the answer (nil: none).

var null = &struct{}{}

func (g *Gatekeeper) dispatch(m *h225.RasMessage, src netip.AddrPort, now time.Time) *h225.RasMessage {
	switch {
	case m.GatekeeperRequest != nil:
		return g.onGRQ(m.GatekeeperRequest)
	case m.RegistrationRequest != nil:
		return g.onRRQ(m.RegistrationRequest, src, now)
	case m.UnregistrationRequest != nil:
		return g.onURQ(m.UnregistrationRequest, src)
	case m.AdmissionRequest != nil:
		return g.onARQ(m.AdmissionRequest, src)
	case m.BandwidthRequest != nil:
		r := m.BandwidthRequest
		seq := int64(r.RequestSeqNum)
		if g.caller(r.EndpointIdentifier, src) == nil {
			return g.gk.BandwidthReject(seq, h225.BandRejectReason{NotBound: null}, 0)
		}
		return g.gk.BandwidthConfirm(seq, g.bandwidth(int64(r.BandWidth)))
	case m.DisengageRequest != nil:
		r := m.DisengageRequest
		if g.caller(r.EndpointIdentifier, src) == nil {
			return g.gk.DisengageReject(int64(r.RequestSeqNum), h225.DisengageRejectReason{NotRegistered: null})
		}
		return g.gk.DisengageConfirm(int64(r.RequestSeqNum))
	case m.LocationRequest != nil:
		return g.onLRQ(m.LocationRequest, src)
	case m.InfoRequestResponse != nil:
		r := m.InfoRequestResponse
		if r.NeedResponse == nil || !*r.NeedResponse {
			return nil
		}
		if g.caller(r.EndpointIdentifier, src) == nil {
			return g.gk.InfoRequestNak(int64(r.RequestSeqNum), h225.InfoRequestNakReason{NotRegistered: null})
		}
		return g.gk.InfoRequestAck(int64(r.RequestSeqNum))
	case m.ResourcesAvailableIndicate != nil:
		return g.gk.ResourcesAvailableConfirm(int64(m.ResourcesAvailableIndicate.RequestSeqNum))
	case m.InfoRequest != nil:
		return h225.NotUnderstood(int64(m.InfoRequest.RequestSeqNum))
	case m.NonStandardMessage != nil:
		return h225.NotUnderstood(int64(m.NonStandardMessage.RequestSeqNum))
	case m.ServiceControlIndication != nil:
		return h225.NotUnderstood(int64(m.ServiceControlIndication.RequestSeqNum))
	}
	// Confirmations, rejections, XRS, RIP, unknown extensions: never
	// answered, so that no two RAS entities can loop.
	return nil
}

// protocolVersion returns the version of an H.225.0 protocolIdentifier
// 0.0.8.2250.0.v.
func protocolVersion(p h225.ProtocolIdentifier) (int, bool) {
	if len(p) != 6 || p[0] != 0 || p[1] != 0 || p[2] != 8 || p[3] != 2250 || p[4] != 0 || p[5] < 1 || p[5] > 255 {
		return 0, false
	}
	return int(p[5]), true
}

func (g *Gatekeeper) onGRQ(r *h225.GatekeeperRequest) *h225.RasMessage {
	seq := int64(r.RequestSeqNum)
	if r.GatekeeperIdentifier != nil && string(*r.GatekeeperIdentifier) != g.cfg.GatekeeperID {
		return nil // H.225.0 §7.8.1: only the named gatekeeper answers
	}
	if _, ok := protocolVersion(r.ProtocolIdentifier); !ok {
		return g.gk.GatekeeperReject(seq, h225.GatekeeperRejectReason{InvalidRevision: null})
	}
	if len(g.reg.byID) >= g.cfg.Limits.MaxRegistrations {
		return g.gk.GatekeeperReject(seq, h225.GatekeeperRejectReason{ResourceUnavailable: null})
	}
	return g.gk.GatekeeperConfirm(seq)
}

// ttl clamps an asked time to live.
func (g *Gatekeeper) ttl(asked *h225.TimeToLive) time.Duration {
	if asked == nil {
		return g.cfg.DefaultTTL
	}
	d := time.Duration(min(int64(*asked), int64(g.cfg.MaxTTL/time.Second))) * time.Second
	return min(max(d, g.cfg.MinTTL), g.cfg.MaxTTL)
}

func rrj(g *Gatekeeper, seq int64, reason h225.RegistrationRejectReason) *h225.RasMessage {
	return g.gk.RegistrationReject(seq, reason)
}

func (g *Gatekeeper) onRRQ(r *h225.RegistrationRequest, src netip.AddrPort, now time.Time) *h225.RasMessage {
	seq := int64(r.RequestSeqNum)
	ver, ok := protocolVersion(r.ProtocolIdentifier)
	switch {
	case !ok:
		return rrj(g, seq, h225.RegistrationRejectReason{InvalidRevision: null})
	case r.GatekeeperIdentifier != nil && string(*r.GatekeeperIdentifier) != g.cfg.GatekeeperID:
		return rrj(g, seq, h225.RegistrationRejectReason{DiscoveryRequired: null})
	case len(r.CallSignalAddress) > maxAddresses:
		return rrj(g, seq, h225.RegistrationRejectReason{InvalidCallSignalAddress: null})
	case len(r.RasAddress) > maxAddresses:
		return rrj(g, seq, h225.RegistrationRejectReason{InvalidRASAddress: null})
	}
	ttl := g.ttl(r.TimeToLive)
	if r.KeepAlive != nil && *r.KeepAlive {
		// Lightweight RRQ (H.225.0 §7.9.1): refresh by endpointIdentifier.
		reg := g.caller(deref(r.EndpointIdentifier), src)
		if reg == nil {
			return rrj(g, seq, h225.RegistrationRejectReason{FullRegistrationRequired: null})
		}
		reg.Source, reg.Refreshed, reg.TTL, reg.Expires = src, now, ttl, now.Add(ttl+g.cfg.Grace)
		g.pending = append(g.pending, Change{Kind: Refreshed, Registration: reg.clone()})
		return g.gk.RegistrationConfirm(seq, nil, nil, h225.EndpointIdentifier(reg.EndpointID), int64(ttl/time.Second))
	}
	switch {
	case r.AdditiveRegistration != nil:
		return rrj(g, seq, h225.RegistrationRejectReason{AdditiveRegistrationNotSupported: null})
	case g.cfg.RequireDiscovery && !r.DiscoveryComplete:
		return rrj(g, seq, h225.RegistrationRejectReason{DiscoveryRequired: null})
	case len(r.TerminalAlias) > g.cfg.Limits.AliasesPerRegistration:
		return rrj(g, seq, h225.RegistrationRejectReason{InvalidAlias: null})
	}
	csa := g.callSignal(r.CallSignalAddress, src)
	if len(csa) == 0 {
		return rrj(g, seq, h225.RegistrationRejectReason{InvalidCallSignalAddress: null})
	}
	rasAddrs := usable(r.RasAddress)
	if len(rasAddrs) == 0 {
		return rrj(g, seq, h225.RegistrationRejectReason{InvalidRASAddress: null})
	}
	aliases := make([]Alias, 0, len(r.TerminalAlias))
	var dups []h225.AliasAddress
	replace := map[*Registration]bool{}
	for i := range r.TerminalAlias {
		a, err := aliasFrom(&r.TerminalAlias[i])
		if err != nil {
			// mobileUIM, isupNumber, future kinds: kept in the RCF, not
			// indexed, so never dialled.
			continue
		}
		if slices.ContainsFunc(aliases, func(b Alias) bool { return b.key() == a.key() }) {
			continue
		}
		aliases = append(aliases, a)
		holder := g.reg.byAlias[a.key()]
		switch {
		case g.cfg.OwnsAlias(a):
			dups = append(dups, r.TerminalAlias[i])
		case holder == nil:
		case g.sameEndpoint(holder, r, csa, src):
			replace[holder] = true
		default:
			dups = append(dups, r.TerminalAlias[i])
		}
	}
	if len(dups) > 0 {
		g.log.Info("H.323 registration refused: alias held by another endpoint", "source", src.String(),
			"aliases", aliasStrings(aliases))
		return rrj(g, seq, h225.RegistrationRejectReason{DuplicateAlias: &dups})
	}
	for _, reg := range g.reg.byID { // the same endpoint under other aliases (reboot, new config)
		if !replace[reg] && g.sameEndpoint(reg, r, csa, src) {
			replace[reg] = true
		}
	}
	if len(replace) == 0 {
		if len(g.reg.byID) >= g.cfg.Limits.MaxRegistrations ||
			g.reg.perSrcIP[src.Addr()] >= g.cfg.Limits.RegistrationsPerSource {
			g.log.Warn("H.323 registration refused: registration limit reached", "source", src.String(),
				"registrations", len(g.reg.byID))
			return rrj(g, seq, h225.RegistrationRejectReason{ResourceUnavailable: null})
		}
	}
	reg := &Registration{
		Aliases: aliases, CallSignal: csa, RAS: rasAddrs, Source: src,
		Type: endpointType(&r.TerminalType), Vendor: vendorOf(&r.EndpointVendor), ProtocolVersion: ver,
		Registered: now, Refreshed: now, TTL: ttl, Expires: now.Add(ttl + g.cfg.Grace),
	}
	kind := Registered
	for old := range replace {
		if reg.EndpointID == "" || old.EndpointID == string(deref(r.EndpointIdentifier)) {
			reg.EndpointID, reg.Registered = old.EndpointID, old.Registered
		}
		g.reg.remove(old)
		kind = Updated
	}
	if reg.EndpointID == "" {
		reg.EndpointID = newEndpointID()
	}
	g.reg.add(reg)
	g.pending = append(g.pending, Change{Kind: kind, Registration: reg.clone()})
	g.log.Info("H.323 endpoint "+kind.String(), "endpoint_id", reg.EndpointID, "aliases", aliasStrings(aliases),
		"call_signal", reg.CallSignal[0].String(), "source", src.String(), "type", reg.Type,
		"product", reg.Vendor.Product, "version", reg.Vendor.Version, "ttl", ttl.String())
	return g.gk.RegistrationConfirm(seq, nil, r.TerminalAlias, h225.EndpointIdentifier(reg.EndpointID), int64(ttl/time.Second))
}

// sameEndpoint reports whether an RRQ re-registers reg: it comes from the
// same source IP and names its endpointIdentifier or one of its call
// signalling addresses.
func (g *Gatekeeper) sameEndpoint(reg *Registration, r *h225.RegistrationRequest, csa []netip.AddrPort, src netip.AddrPort) bool {
	if reg.Source.Addr() != src.Addr() {
		return false
	}
	if r.EndpointIdentifier != nil && string(*r.EndpointIdentifier) == reg.EndpointID {
		return true
	}
	for _, a := range csa {
		if slices.Contains(reg.CallSignal, a) {
			return true
		}
	}
	return false
}

// callSignal converts the signalled call signalling addresses, putting the
// source IP in unless they are trusted, and drops unusable ones.
func (g *Gatekeeper) callSignal(ts []h225.TransportAddress, src netip.AddrPort) []netip.AddrPort {
	out := usable(ts)
	if g.cfg.TrustSignalledAddresses {
		return out
	}
	for i, a := range out {
		out[i] = netip.AddrPortFrom(src.Addr(), a.Port())
	}
	return slices.Compact(out)
}

// usable converts transport addresses with an IP, a port and a unicast,
// specified address; the others are dropped.
func usable(ts []h225.TransportAddress) []netip.AddrPort {
	var out []netip.AddrPort
	for i := range ts {
		ap, err := ts[i].AddrPort()
		if err != nil || ap.Port() == 0 {
			continue
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if ap.Addr().IsUnspecified() || ap.Addr().IsMulticast() {
			continue
		}
		out = append(out, ap)
	}
	return out
}

func newEndpointID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func deref[T ~string](p *T) T {
	if p == nil {
		return ""
	}
	return *p
}

// caller returns the registration of a request's endpointIdentifier when
// the request comes from the IP that registered it.
func (g *Gatekeeper) caller(id h225.EndpointIdentifier, src netip.AddrPort) *Registration {
	reg := g.reg.byID[string(id)]
	if reg == nil || reg.Source.Addr() != src.Addr() {
		return nil
	}
	return reg
}

func (g *Gatekeeper) onURQ(r *h225.UnregistrationRequest, src netip.AddrPort) *h225.RasMessage {
	seq := int64(r.RequestSeqNum)
	var reg *Registration
	if r.EndpointIdentifier != nil {
		reg = g.reg.byID[string(*r.EndpointIdentifier)]
		if reg != nil && reg.Source.Addr() != src.Addr() {
			return g.gk.UnregistrationReject(seq, h225.UnregRejectReason{PermissionDenied: null})
		}
	} else {
		csa := g.callSignal(r.CallSignalAddress, src)
	find:
		for _, cand := range g.reg.byID {
			if cand.Source.Addr() != src.Addr() {
				continue
			}
			for _, a := range csa {
				if slices.Contains(cand.CallSignal, a) {
					reg = cand
					break find
				}
			}
		}
	}
	if reg == nil {
		return g.gk.UnregistrationReject(seq, h225.UnregRejectReason{NotCurrentlyRegistered: null})
	}
	g.reg.remove(reg)
	g.pending = append(g.pending, Change{Kind: Unregistered, Registration: reg.clone()})
	g.log.Info("H.323 endpoint unregistered", "endpoint_id", reg.EndpointID, "aliases", aliasStrings(reg.Aliases),
		"source", src.String())
	return g.gk.UnregistrationConfirm(seq)
}

func (g *Gatekeeper) bandwidth(asked int64) int64 { return min(max(asked, 0), g.cfg.MaxBandwidth) }

// gatewayAddr picks the gateway's call signalling address of the family
// of ip.
func (g *Gatekeeper) gatewayAddr(ip netip.Addr) (netip.AddrPort, bool) {
	for _, a := range g.cfg.CallSignal {
		if a.Addr().Is4() == ip.Is4() {
			return a, true
		}
	}
	if len(g.cfg.CallSignal) > 0 {
		return g.cfg.CallSignal[0], true
	}
	return netip.AddrPort{}, false
}

// resolved is where a dialled destination is.
type resolved struct {
	callSignal netip.AddrPort
	ras        netip.AddrPort // zero when unknown
	own        bool           // the gateway itself
	reg        *Registration
}

// resolve finds the first destination alias the gateway owns or an
// endpoint registered.
func (g *Gatekeeper) resolve(dest []h225.AliasAddress, src netip.AddrPort) (resolved, bool) {
	for i := range dest {
		a, err := aliasFrom(&dest[i])
		if err != nil {
			continue
		}
		if g.cfg.OwnsAlias(a) {
			if ap, ok := g.gatewayAddr(src.Addr()); ok {
				if f := g.cfg.CallSignalFor; f != nil {
					if ip := f(src); ip.IsValid() && !ip.IsUnspecified() {
						ap = netip.AddrPortFrom(ip, ap.Port())
					}
				}
				return resolved{callSignal: ap, ras: g.Advertised(), own: true}, true
			}
			continue
		}
		if reg := g.reg.byAlias[a.key()]; reg != nil {
			return resolved{callSignal: reg.CallSignal[0], ras: reg.RAS[0], reg: reg}, true
		}
	}
	return resolved{}, false
}

// Advertised is the RAS address the gatekeeper gives out (after Start).
func (g *Gatekeeper) Advertised() netip.AddrPort {
	ap, _ := g.gk.RAS.AddrPort()
	return ap
}

func (g *Gatekeeper) onARQ(r *h225.AdmissionRequest, src netip.AddrPort) *h225.RasMessage {
	seq := int64(r.RequestSeqNum)
	reg := g.caller(r.EndpointIdentifier, src)
	if reg == nil {
		return g.gk.AdmissionReject(seq, h225.AdmissionRejectReason{CallerNotRegistered: null})
	}
	bw := g.bandwidth(int64(r.BandWidth))
	if r.AnswerCall {
		return g.gk.AdmissionConfirm(seq, bw, mustTransport(reg.CallSignal[0]))
	}
	if to, ok := g.resolve(r.DestinationInfo, src); ok {
		return g.gk.AdmissionConfirm(seq, bw, mustTransport(to.callSignal))
	}
	if r.DestCallSignalAddress != nil {
		// Dialled by address: the endpoint calls it itself; nothing is
		// sent there by the gatekeeper.
		if a := usable([]h225.TransportAddress{*r.DestCallSignalAddress}); len(a) == 1 {
			return g.gk.AdmissionConfirm(seq, bw, mustTransport(a[0]))
		}
	}
	if len(r.DestinationInfo) == 0 {
		return g.gk.AdmissionReject(seq, h225.AdmissionRejectReason{IncompleteAddress: null})
	}
	return g.gk.AdmissionReject(seq, h225.AdmissionRejectReason{CalledPartyNotRegistered: null})
}

func (g *Gatekeeper) onLRQ(r *h225.LocationRequest, src netip.AddrPort) *h225.RasMessage {
	seq := int64(r.RequestSeqNum)
	to, ok := g.resolve(r.DestinationInfo, src)
	if !ok {
		return g.gk.LocationReject(seq, h225.LocationRejectReason{NotRegistered: null})
	}
	if !to.own && !g.mayLocate(src.Addr()) {
		return g.gk.LocationReject(seq, h225.LocationRejectReason{RequestDenied: null})
	}
	return g.gk.LocationConfirm(seq, mustTransport(to.callSignal), mustTransport(to.ras))
}

// mayLocate reports whether ip may learn where registered endpoints are.
func (g *Gatekeeper) mayLocate(ip netip.Addr) bool {
	if g.reg.fromSourceIP(ip) {
		return true
	}
	for _, p := range g.cfg.LocateFrom {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func mustTransport(ap netip.AddrPort) h225.TransportAddress {
	t, _ := h225.NewTransportAddress(ap)
	return t
}
