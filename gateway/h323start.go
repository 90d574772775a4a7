package gateway

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/rooms/api"

	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/ras"
)

// startH323 starts the H.323 room-system leg (h323.enabled): call signalling, the
// built-in gatekeeper (h323.ras_listen) and the registration with an external one
// (h323.gatekeeper).
func (s *Server) startH323(ctx context.Context) error {
	cfg := s.cfg.H323
	log := s.log.With("component", "h323")
	caps := control.DefaultCaps()
	// H.239 content (caps.Content, control.DefaultContent): the room system's
	// presentation token is the meeting's floor (content_h239.go).
	leg := &h323Leg{log: log, flow: s.flow, caps: caps, mediaWait: cfg.MediaTimeout, media: s.media}
	lim := cfg.Limits
	svc, err := h323.New(h323.Config{Listen: cfg.Listen,
		Identity: h323.Identity{Vendor: h323.Vendor{CountryCode: 181, Product: "roomgate", Version: s.version}},
		Limits: h323.Limits{MaxConnections: lim.MaxConnections, ConnectionsPerSource: lim.ConnectionsPerSource, MaxCalls: lim.MaxCalls,
			SetupTimeout: lim.SetupTimeout, ReadTimeout: lim.ReadTimeout, MessagesPerSecond: lim.MessagesPerSecond, Burst: lim.Burst},
		Advertise: s.media.h323Advertise,
	}, leg, log)
	if err != nil {
		return fmt.Errorf("h323: %w", err)
	}
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("h323.listen %s: %w", cfg.Listen, err)
	}
	leg.svc = svc
	s.h323 = leg
	// Where room systems reach our call signalling: the advertised media address
	// (the public side of a 1:1 NAT) with the listening port.
	callSignal := netip.AddrPortFrom(s.media.addr, svc.Addr().Port())
	if cfg.RASListen != "" {
		gk, err := ras.NewGatekeeper(ras.Config{Listen: cfg.RASListen, GatekeeperID: cfg.GatekeeperID,
			CallSignal: []netip.AddrPort{callSignal}, Logger: log.With("component", "gatekeeper"),
			// Calls to a meeting (ID, ID#HWPASS…) or the IVR are routed to the gateway.
			OwnsAlias: func(a ras.Alias) bool {
				return s.flow.DialPlan.Resolve(a.Value).MeetingID != "" || s.flow.DialPlan.IsIVR(a.Value)
			},
			Limits: ras.Limits{MaxRegistrations: lim.MaxRegistrations},
		})
		if err != nil {
			return fmt.Errorf("h323.ras_listen: %w", err)
		}
		if err := gk.Start(ctx); err != nil {
			return fmt.Errorf("h323.ras_listen %s: %w", cfg.RASListen, err)
		}
		leg.gk = gk
	}
	if cfg.Gatekeeper != "" {
		g := cfg.Gatekeeper
		if _, _, err := net.SplitHostPort(g); err != nil {
			g = net.JoinHostPort(g, "1719")
		}
		gkAddr, err := netip.ParseAddrPort(g)
		if err != nil {
			return fmt.Errorf("h323.gatekeeper %q: an IP address and port: %w", cfg.Gatekeeper, err)
		}
		c, err := ras.NewClient(ras.ClientConfig{Gatekeeper: gkAddr, CallSignal: callSignal, Aliases: cfg.Aliases,
			Listen: net.JoinHostPort(s.media.addr.String(), "0"), Logger: log.With("component", "gatekeeper-client")})
		if err != nil {
			return fmt.Errorf("h323.gatekeeper: %w", err)
		}
		if err := c.Start(ctx); err != nil {
			return fmt.Errorf("h323.gatekeeper %s: %w", cfg.Gatekeeper, err)
		}
		leg.gkc = c
	}
	s.flow.Dialers["h323"] = leg
	s.log.Info("H.323 leg listening", "listen", svc.Addr().String(), "ras_listen", cfg.RASListen, "gatekeeper", cfg.Gatekeeper,
		"call_signal", callSignal.String())
	return nil
}

// close stops the H.323 leg: calls end, the registration is withdrawn, the
// gatekeeper stops.
func (l *h323Leg) close() {
	_ = l.svc.Close()
	if l.gkc != nil {
		_ = l.gkc.Close()
	}
	if l.gk != nil {
		_ = l.gk.Close()
	}
}

// Registrations lists the built-in gatekeeper's registrations for the API.
func (l *h323Leg) Registrations() []api.Registration {
	if l.gk == nil {
		return nil
	}
	regs := l.gk.Registrations()
	out := make([]api.Registration, 0, len(regs))
	for _, r := range regs {
		ar := api.Registration{EndpointID: r.EndpointID, Type: r.Type, Registered: r.Registered, Expires: r.Expires}
		for _, a := range r.Aliases {
			ar.Aliases = append(ar.Aliases, a.String())
		}
		if len(r.CallSignal) > 0 {
			ar.Address = r.CallSignal[0].String()
		}
		ep := h323Endpoint(h323.Vendor{CountryCode: r.Vendor.T35CountryCode, Extension: r.Vendor.T35Extension,
			Manufacturer: r.Vendor.ManufacturerCode, Product: r.Vendor.Product, Version: r.Vendor.Version}, true)
		ar.Vendor, ar.Product, ar.Version = ep.Vendor, ep.Product, ep.Version
		out = append(out, ar)
	}
	return out
}

// callsWithGatekeeper is the API's call control with the gatekeeper's registrations.
type callsWithGatekeeper struct {
	*call.Flow
	*h323Leg
}

var _ api.Registrations = callsWithGatekeeper{}
