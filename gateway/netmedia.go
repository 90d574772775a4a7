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
			fields = append(fields, netprofile.Field{Name: roleName(s.Role) + " rtp", Addr: s.Remote})
		}
		if s.RemoteRTCP.IsValid() {
			fields = append(fields, netprofile.Field{Name: roleName(s.Role) + " rtcp", Addr: s.RemoteRTCP})
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

// signallingAddr is the room system's own signalling address as its messages say (SIP
// Contact, else its Via; H.225 h245Address).
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
func (n *netState) network(sessions map[media.Role]*rtpsession.Session) api.Network {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := api.Network{Profile: n.prof.Name, Advertised: n.prof.Advertise.String(), Latch: n.prof.Latch.String(),
		TrustSignalled: n.prof.TrustSignalled, ALGSuspected: n.alg.Suspected, ALGReason: n.alg.Reason, BehindNAT: n.alg.BehindNAT,
		Signalling: api.NetAddresses{Signalled: addrString(n.signallingAddr()), Observed: addrString(n.observed)},
		Media:      map[string]api.MediaNetwork{}}
	for role, s := range sessions {
		if s == nil {
			continue
		}
		snap := s.Snapshot()
		m := api.MediaNetwork{Signalled: addrString(n.signalled[role]), Latched: snap.Latched, SendingTo: addrString(snap.Remote),
			Dropped: snap.DroppedRTP + snap.DroppedRTCP, RX: traffic(snap.RX), TX: traffic(snap.TX)}
		if snap.Latched {
			m.Observed = addrString(snap.Source)
		}
		out.Media[roleName(role)] = m
		out.RX = addTraffic(out.RX, m.RX)
		out.TX = addTraffic(out.TX, m.TX)
	}
	return out
}

// roleName is a stream role as diagnostics name it: audio, video, content.
func roleName(r media.Role) string {
	if r == media.RoleMain {
		return "video"
	}
	return string(r)
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

// sessions are the call's RTP sessions by role (nil: not started).
func (rc *roomCall) sessions() map[media.Role]*rtpsession.Session {
	rc.startMu.Lock()
	out := map[media.Role]*rtpsession.Session{media.RoleAudio: rc.audio, media.RoleMain: rc.video}
	rc.startMu.Unlock()
	if rc.content != nil {
		out[media.RoleContent] = rc.content.session()
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
	return func(src netip.AddrPort) sip.Peer {
		p := f.profileOf(src.Addr())
		return sip.Peer{Host: legAddress(p, listen).String(), UseSource: !p.TrustSignalled, Keepalive: p.Keepalive}
	}
}

// legAddress is the address a leg listening on listen (host:port) advertises to a
// profile's endpoints: the profile's, where "local" means the leg's listen host when
// it is a specific address (else the media address).
func legAddress(p *netprofile.Profile, listen string) netip.Addr {
	if p.AdvertiseLocal {
		if h, _, err := net.SplitHostPort(listen); err == nil {
			if a, err := netip.ParseAddr(h); err == nil && !a.IsUnspecified() {
				return a
			}
		}
	}
	return p.Advertise
}

// rasCallSignalFor is the gatekeeper's split horizon (ras.Config.CallSignalFor): the
// IP of our call signalling address as the profile of an endpoint at src gives it.
func (f *mediaFactory) rasCallSignalFor(listen string) func(netip.AddrPort) netip.Addr {
	return func(src netip.AddrPort) netip.Addr { return legAddress(f.profileOf(src.Addr()), listen) }
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

// timeoutReason says why the media timeout ends the call (see timeoutReasonOf).
func (rc *roomCall) timeoutReason(opt mediaOptions, last time.Time) string {
	rc.startMu.Lock()
	audio := rc.audio
	rc.startMu.Unlock()
	var snap rtpsession.Snapshot
	if audio != nil {
		snap = audio.Snapshot()
	}
	reason, never := timeoutReasonOf(opt, last, snap)
	if never {
		rc.log.Warn("the room system's media never arrived", "profile", opt.Profile, "advertised", opt.Advertised,
			"latch", snap.Latch.String(), "signalled", snap.Signalled, "dropped_rtp", snap.DroppedRTP,
			"last_dropped_from", snap.LastDropped,
			"hint", "check that the room system can reach the advertised address and the media ports, and the profile's latch mode")
	}
	return reason
}

// timeoutReasonOf is the end reason of a media timeout. When no RTP of the room system
// was ever accepted (never) it says what an operator needs: the room system may not
// reach the address its profile advertised (a LAN endpoint given the public address of
// a NAT that does not hairpin, say), or its media comes from where the latch mode does
// not look.
func timeoutReasonOf(opt mediaOptions, last time.Time, audio rtpsession.Snapshot) (reason string, never bool) {
	reason = fmt.Sprintf("no RTP for %s", opt.Timeout)
	if !last.IsZero() || audio.Latched {
		return reason, false
	}
	if audio.DroppedRTP > 0 {
		return fmt.Sprintf("%s: none from the room system's address (%d packets from %s dropped; profile %q, latch %s)",
			reason, audio.DroppedRTP, audio.LastDropped, opt.Profile, audio.Latch), true
	}
	return fmt.Sprintf("%s: none ever arrived (profile %q advertised %s)", reason, opt.Profile, opt.Advertised), true
}
