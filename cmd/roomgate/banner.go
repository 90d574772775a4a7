package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/configs/hostnet"
)

// loadConfig is the one way commands read a configuration: decode and validate
// (configs.Load), then complete it for this machine (Resolve). serve, check-config and
// doctor therefore accept, refuse and resolve the same files the same way.
func loadConfig(path string) (*configs.Config, hostnet.Host, error) {
	cfg, err := configs.Load(path)
	if err != nil {
		return nil, hostnet.Host{}, err
	}
	h, err := hostnet.Lookup()
	if err != nil {
		return nil, h, fmt.Errorf("network interfaces: %w", err)
	}
	cfg.Resolve(h)
	return cfg, h, nil
}

// printLegs prints, for each enabled room-system leg only, what room systems dial and
// where the gateway listens, then the media ports and their advertised address.
func printLegs(w io.Writer, cfg *configs.Config) {
	host := dialHost(cfg.PublicHost)
	if !cfg.SIP.Enabled && !cfg.H323.Enabled {
		fmt.Fprintln(w, "  room systems: no leg enabled (set sip.enabled or h323.enabled)")
		return
	}
	if cfg.SIP.Enabled {
		fmt.Fprintf(w, "  SIP: room systems dial MEETINGID@%s (listening on %s UDP and TCP", dialAt(host, cfg.SIP.Listen, "5060"), cfg.SIP.Listen)
		if cfg.SIP.TLSListen != "" {
			fmt.Fprintf(w, ", TLS %s", cfg.SIP.TLSListen)
		}
		fmt.Fprintln(w, ")")
	}
	if cfg.H323.Enabled {
		fmt.Fprintf(w, "  H.323: room systems dial %s##MEETINGID (listening on %s TCP", dialAt(host, cfg.H323.Listen, "1720"), cfg.H323.Listen)
		if cfg.H323.RASListen != "" {
			fmt.Fprintf(w, ", gatekeeper %s UDP", cfg.H323.RASListen)
		}
		fmt.Fprintln(w, ")")
	}
	fmt.Fprintf(w, "  media: UDP %d-%d, advertised as %s (%s)\n", cfg.Media.PortMin, cfg.Media.PortMax, cfg.Advertise, cfg.AdvertiseFrom)
	if cfg.Advertise.IsLoopback() {
		fmt.Fprintln(w, "  note: room systems on other machines cannot reach a loopback address; set public_host or nat.public_ip, or see `roomgate doctor`")
	}
}

// dialHost is public_host as it goes into a dial string (IPv6 literals in brackets).
func dialHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil && a.Is6() && !a.Is4In6() {
		return "[" + h + "]"
	}
	return h
}

// dialAt is host as room systems dial it, with the listen port unless it is the
// protocol's well-known one.
func dialAt(host, listen, wellKnown string) string {
	if _, p, _ := net.SplitHostPort(listen); p != wellKnown {
		return net.JoinHostPort(strings.Trim(host, "[]"), p)
	}
	return host
}

// configArg reads the optional FILE argument of check-config and doctor; ok false
// means bad usage (already reported).
func configArg(cmd string, args []string, stderr io.Writer) (path string, ok bool) {
	switch {
	case len(args) > 1 || len(args) == 1 && strings.HasPrefix(args[0], "-"):
		fmt.Fprintf(stderr, "usage: roomgate %s [FILE]\n", cmd)
		return "", false
	case len(args) == 1:
		return args[0], true
	}
	return defaultConfig, true
}
