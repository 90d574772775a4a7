package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/sip/sdp"
)

// startCalls sets up what every room-system leg shares: the media ports, the meeting
// taps and the call flow. The legs run it; only a gateway with one needs it.
func (s *Server) startCalls() error {
	cfg := s.cfg
	listen := cfg.SIP.Listen
	if !cfg.SIP.Enabled {
		listen = cfg.H323.Listen
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	bind := cfg.Media.BindAddress
	if bind == "" {
		bind = host
	}
	var bindAddr netip.Addr
	if bind != "" {
		if bindAddr, err = netip.ParseAddr(bind); err != nil {
			return fmt.Errorf("media.bind_address %q: %w", bind, err)
		}
	}
	// What SDP and H.245 advertise, per endpoint network (nat.profiles): by default the
	// public side of a one-to-one NAT, else where we listen.
	var public netip.Addr
	if cfg.NAT.PublicIP != "" {
		public, _ = netip.ParseAddr(cfg.NAT.PublicIP)
	}
	// Listening on every interface: the gateway's own address is the one
	// configs.Resolve chose (the default-route interface's, or loopback on a machine
	// without one); the media sockets still bind every interface.
	local := bindAddr
	if (!local.IsValid() || local.IsUnspecified()) && cfg.Local.IsValid() {
		local = cfg.Local
	}
	profiles, err := netprofile.New(cfg.NAT, cfg.Media, netprofile.Addresses{Local: local, Public: public})
	if err != nil {
		return fmt.Errorf("media address: %w", err)
	}
	allocs, err := profileAllocators(profiles, bindAddr, cfg.Media.Quarantine, s.log.With("component", "ports"))
	if err != nil {
		return err
	}
	s.taps = newTapRegistry(s.log.With("component", "tap"), func(ctx context.Context, meetingID string, hooks tapHooks) (tapSource, error) {
		url, token, err := s.meetings.MeetingTap(ctx, meetingID)
		if err != nil {
			return nil, err
		}
		return bridge.Join(ctx, bridge.Params{URL: url, Token: token, NoAudio: true, NoVideo: true, Subscribe: hooks.subscribe, OnCamera: hooks.camera, OnScreenShare: hooks.screenShare,
			OnRoomMetadata: hooks.roomMeta,
			Rooms:          s.meetings.Rooms(), Log: s.log.With("component", "tap", "meeting", meetingID)})
	})
	def := profiles.Default()
	mf := &mediaFactory{ports: allocs[def.PortRange()], allocs: allocs, profiles: profiles, clock: s.clock, addr: def.Advertise,
		rooms: s.meetings.Rooms(), taps: s.taps,
		opt: mediaOptions{Timeout: cfg.Media.Timeout, Latch: def.Latch, Probation: cfg.Media.Probation}}
	s.media = mf
	s.flow = &call.Flow{Log: s.log.With("component", "call"), Meetings: s.meetings, Registry: s.registry,
		DialPlan: call.DialPlan{IVRUsers: cfg.SIP.IVRUsers, DefaultMeeting: cfg.SIP.DefaultMeeting},
		NewMedia: mf.new, Dialers: map[string]call.Dialer{}}
	return nil
}

// startSIP starts the SIP room-system leg (sip.enabled).
func (s *Server) startSIP(ctx context.Context) error {
	cfg := s.cfg
	caps := sdp.DefaultCapabilities()
	var err error
	if caps.SRTP, err = sdp.ParseSRTPMode(cfg.SIP.SRTP); err != nil {
		return fmt.Errorf("sip.srtp: %w", err)
	}
	leg := &sipLeg{log: s.log.With("component", "sip"), flow: s.flow, caps: caps, media: s.media}
	adv := s.media.addr
	lim := cfg.SIP.Limits
	publicIP := cfg.NAT.PublicIP
	if host, _, _ := net.SplitHostPort(cfg.SIP.Listen); publicIP == "" && cfg.Advertise.IsValid() && (host == "" || net.ParseIP(host).IsUnspecified()) {
		publicIP = adv.String() // Via and Contact carry the advertised address, not 0.0.0.0
	}
	scfg := sip.Config{Listen: cfg.SIP.Listen, PublicIP: publicIP, UserAgent: "roomgate/" + s.version,
		SessionExpires: cfg.SIP.SessionExpires, MinSE: cfg.SIP.MinSE, Limits: sip.Limits(lim), Peers: s.media.sipPeers(cfg.SIP.Listen)}
	if cfg.SIP.TLSListen != "" {
		hosts := []string{adv.String()}
		if cfg.PublicHost != "" && cfg.PublicHost != adv.String() {
			hosts = append(hosts, cfg.PublicHost)
		}
		if scfg.TLS, err = sipTLSConfig(cfg.SIP.TLSCert, cfg.SIP.TLSKey, cfg.DataDir, hosts, s.log.With("component", "sip")); err != nil {
			return fmt.Errorf("sip.tls_cert: %w", err)
		}
		scfg.TLSListen = cfg.SIP.TLSListen
	}
	svc, err := sip.New(scfg, leg, s.log.With("component", "sip"))
	if err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("sip.listen %s: %w", cfg.SIP.Listen, err)
	}
	leg.svc = svc
	s.sip = leg
	s.flow.Dialers["sip"] = leg
	s.log.Info("SIP leg listening", "listen", cfg.SIP.Listen, "tls_listen", cfg.SIP.TLSListen, "media_ports", fmt.Sprintf("%d-%d", cfg.Media.PortMin, cfg.Media.PortMax), "media_address", adv)
	return nil
}
