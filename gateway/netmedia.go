package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/transcode/media"
)

// profileAllocators makes one RTP port allocator per distinct port range among the
// NAT/ALG profiles (profiles with the same range share one).
func profileAllocators(set *netprofile.Set, bind netip.Addr, q time.Duration, log *slog.Logger) (map[[2]int]*ports.Allocator, error) {
	allocs := map[[2]int]*ports.Allocator{}
	for _, p := range set.All() {
		r := p.PortRange()
		if allocs[r] != nil {
			continue
		}
		a, err := ports.New(ports.Config{Min: r[0], Max: r[1], Addr: bind, Quarantine: quarantine(q), Log: log.With("range", fmt.Sprintf("%d-%d", r[0], r[1]))})
		if err != nil {
			return nil, fmt.Errorf("media ports of nat profile %q: %w", p.Name, err)
		}
		allocs[r] = a
	}
	return allocs, nil
}

// profileOf is the NAT/ALG profile of a room system whose signalling comes from src.
func (f *mediaFactory) profileOf(src netip.Addr) *netprofile.Profile {
	if f.profiles != nil {
		return f.profiles.Match(src)
	}
	return &netprofile.Profile{Name: "default", Advertise: f.addr, Latch: f.opt.Latch, TrustSignalled: true}
}

// allocatorOf is the port allocator of a profile's range.
func (f *mediaFactory) allocatorOf(p *netprofile.Profile) *ports.Allocator {
	if a := f.allocs[p.PortRange()]; a != nil {
		return a
	}
	return f.ports
}

// netState is what a call knows about its network: the profile, the room system's
// signalled and observed addresses, and the ALG verdict (logged once per call).
type netState struct {
	prof *netprofile.Profile
	log  *slog.Logger

	mu        sync.Mutex
	peer      call.Peer
	observed  netip.AddrPort                // where the signalling comes from
	signalled map[media.Role]netip.AddrPort // media addresses as signalled (before any rewrite)
	alg       netprofile.ALG
	checked   bool // the ALG verdict was logged
}

func newNetState(prof *netprofile.Profile, peer call.Peer, log *slog.Logger) *netState {
	return &netState{prof: prof, log: log, peer: peer, observed: peer.Source, signalled: map[media.Role]netip.AddrPort{}}
}

// apply records a plan's signalled media addresses, checks for an ALG on the first
// plan with media, and returns the plan the media must use: with trust_signalled
// false the stream addresses take the signalling source's IP (the port stays: a NAT
// that keeps ports needs nothing more, one that moves them is found by latching).
func (n *netState) apply(plan media.Plan, signalling netip.AddrPort) media.Plan {
	n.mu.Lock()
	defer n.mu.Unlock()
	if signalling.IsValid() {
		n.observed = netip.AddrPortFrom(signalling.Addr().Unmap(), signalling.Port())
	}
	fields := append([]netprofile.Field(nil), n.peer.Signalled...)
	for _, s := range plan.Streams {
		if s.Remote.IsValid() {
			n.signalled[s.Role] = s.Remote
			fields = append(fields, netprofile.Field{Name: string(s.Role) + " rtp", Addr: s.Remote})
		}
		if s.RemoteRTCP.IsValid() {
			fields = append(fields, netprofile.Field{Name: string(s.Role) + " rtcp", Addr: s.RemoteRTCP})
		}
	}
	if !n.checked && len(plan.Streams) > 0 && n.observed.IsValid() {
		n.checked = true
		n.alg = netprofile.DetectALG(n.observed.Addr(), fields)
		switch {
		case n.alg.Suspected:
			n.log.Warn("ALG suspected on the room system's path", "profile", n.prof.Name, "reason", n.alg.Reason,
				"trust_signalled", n.prof.TrustSignalled)
		case n.alg.BehindNAT:
			n.log.Info("room system behind NAT", "profile", n.prof.Name, "note", n.alg.Note, "latch", n.prof.Latch.String(),
				"trust_signalled", n.prof.TrustSignalled)
		}
	}
	if n.prof.TrustSignalled || !n.observed.IsValid() {
		return plan
	}
	out := media.Plan{Streams: make([]media.Stream, len(plan.Streams))}
	ip := n.observed.Addr()
	for i, s := range plan.Streams {
		if s.Remote.IsValid() && !s.Remote.Addr().IsUnspecified() {
			s.Remote = netip.AddrPortFrom(ip, s.Remote.Port())
		}
		if s.RemoteRTCP.IsValid() && !s.RemoteRTCP.Addr().IsUnspecified() {
			s.RemoteRTCP = netip.AddrPortFrom(ip, s.RemoteRTCP.Port())
		}
		out.Streams[i] = s
	}
	return out
}

// signalling is the room system's own signalling address as its messages say (SIP
// Contact, else the first address named; H.225 h245Address).
func (n *netState) signallingAddr() netip.AddrPort {
	for _, want := range []string{"contact", "h245Address", "via"} {
		for _, f := range n.peer.Signalled {
			if f.Name == want {
				return f.Addr
			}
		}
	}
	return netip.AddrPort{}
}

// network is the call's diagnostics now; sessions are the call's streams by role
// (nil: not started).
func (n *netState) network(sessions map[string]*rtpsession.Session) api.Network {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := api.Network{Profile: n.prof.Name, Advertised: n.prof.Advertise.String(), Latch: n.prof.Latch.String(),
		TrustSignalled: n.prof.TrustSignalled, ALGSuspected: n.alg.Suspected, ALGReason: n.alg.Reason, BehindNAT: n.alg.BehindNAT,
		Signalling: api.NetAddresses{Signalled: addrString(n.signallingAddr()), Observed: addrString(n.observed)},
		Media:      map[string]api.MediaNetwork{}}
	for name, s := range sessions {
		if s == nil {
			continue
		}
		snap := s.Snapshot()
		role := media.RoleMain
		switch name {
		case "audio":
			role = media.RoleAudio
		case "content":
			role = media.RoleContent
		}
		m := api.MediaNetwork{Signalled: addrString(n.signalled[role]), Latched: snap.Latched, SendingTo: addrString(snap.Remote),
			Dropped: snap.DroppedRTP + snap.DroppedRTCP, RX: traffic(snap.RX), TX: traffic(snap.TX)}
		if snap.Latched {
			m.Observed = addrString(snap.Source)
		}
		out.Media[name] = m
		out.RX = addTraffic(out.RX, m.RX)
		out.TX = addTraffic(out.TX, m.TX)
	}
	return out
}

func traffic(t rtpsession.Traffic) api.Traffic {
	return api.Traffic{Packets: t.Packets, Lost: t.Lost, JitterMs: t.JitterMs}
}

// addTraffic sums packets and losses and keeps the higher jitter.
func addTraffic(a, b api.Traffic) api.Traffic {
	return api.Traffic{Packets: a.Packets + b.Packets, Lost: a.Lost + b.Lost, JitterMs: max(a.JitterMs, b.JitterMs)}
}

func addrString(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// session is the content stream's RTP session (nil before it started).
func (cp *contentPath) session() *rtpsession.Session {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.sess
}

// sessions are the call's RTP sessions by diagnostics name (nil: not started).
func (rc *roomCall) sessions() map[string]*rtpsession.Session {
	rc.startMu.Lock()
	out := map[string]*rtpsession.Session{"audio": rc.audio, "video": rc.video}
	rc.startMu.Unlock()
	if rc.content != nil {
		out["content"] = rc.content.session()
	}
	return out
}

// Network is the call's network diagnostics (the API's participants list).
func (m *callMedia) Network() api.Network { return m.net.network(m.sessions()) }

// sipPeers is the SIP service's per-endpoint treatment from the NAT/ALG profiles: the
// host in our Contact/Via (the profile's advertised address; "local" means where SIP
// listens), in-dialog requests to the observed source when the profile trusts no
// signalled address, and its keep-alive interval.
func (f *mediaFactory) sipPeers(listen string) func(netip.AddrPort) sip.Peer {
	var listenHost netip.Addr
	if h, _, err := net.SplitHostPort(listen); err == nil {
		listenHost, _ = netip.ParseAddr(h)
	}
	return func(src netip.AddrPort) sip.Peer {
		p := f.profileOf(src.Addr())
		host := p.Advertise.String()
		if p.AdvertiseLocal && listenHost.IsValid() && !listenHost.IsUnspecified() {
			host = listenHost.String()
		}
		return sip.Peer{Host: host, UseSource: !p.TrustSignalled, Keepalive: p.Keepalive}
	}
}

// h323Advertise is the address our H.225/H.245 transport addresses carry for an H.323
// peer at remote (h323.Config.Advertise): its profile's, or — for "local" — none, so
// the address the peer reached us at is used.
func (f *mediaFactory) h323Advertise(remote netip.AddrPort) netip.Addr {
	p := f.profileOf(remote.Addr())
	if p.AdvertiseLocal {
		return netip.Addr{}
	}
	return p.Advertise
}
