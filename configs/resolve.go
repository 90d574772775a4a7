package configs

import (
	"net"
	"net/netip"
	"strings"

	"github.com/roomgate/roomgate/configs/hostnet"
)

// Resolve completes a loaded configuration with what the file leaves to the machine
// it runs on (h describes that machine; hostnet.Lookup reads it):
//
//   - Advertise, the address room systems are given for media and signalling:
//     nat.public_ip; else a specific media.bind_address or listen address of the first
//     enabled leg (of http.listen when no leg is enabled); else, when those listen on
//     all interfaces, the machine's primary address (its default route's interface),
//     or 127.0.0.1 on a machine without a default route.
//   - Local, the same without nat.public_ip (the gateway's own address, for NAT
//     profiles that advertise "local").
//   - public_host, when empty: Advertise.
//   - public_url, when empty and http.listen is on all interfaces:
//     http://public_host:port (never http://[::]:port).
//
// serve, check-config and doctor all load through Resolve, so they agree on every
// address.
func (c *Config) Resolve(h hostnet.Host) {
	c.Local, c.AdvertiseFrom = c.local(h)
	c.Advertise = c.Local
	if a, err := netip.ParseAddr(c.NAT.PublicIP); err == nil {
		c.Advertise, c.AdvertiseFrom = a, "nat.public_ip"
	}
	if c.PublicHost == "" {
		c.PublicHost = c.Advertise.String()
	}
	if c.PublicURL == "" {
		if host, port, err := net.SplitHostPort(c.HTTP.Listen); err == nil && unspecified(host) && port != "0" {
			c.PublicURL = "http://" + net.JoinHostPort(strings.Trim(c.PublicHost, "[]"), port)
		}
	}
}

// local is the gateway's own address: a specific media or listen address, else the
// primary interface's, else loopback.
func (c *Config) local(h hostnet.Host) (netip.Addr, string) {
	key, host := c.MediaHost()
	if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() {
		return a.Unmap(), key
	}
	if a, iface, ok := h.Primary(); ok {
		return a, "primary interface " + iface
	}
	a, _, _ := h.Primary()
	return a, "loopback: this machine has no default route"
}

// MediaHost returns the host part of the address the media sockets bind to and the
// key it comes from: media.bind_address, else the listen address of the first
// enabled leg (SIP, then H.323), else http.listen. "" or an unspecified address means
// every interface.
func (c *Config) MediaHost() (key, host string) {
	if c.Media.BindAddress != "" {
		return "media.bind_address", c.Media.BindAddress
	}
	key, listen := "http.listen", c.HTTP.Listen
	switch {
	case c.SIP.Enabled:
		key, listen = "sip.listen", c.SIP.Listen
	case c.H323.Enabled:
		key, listen = "h323.listen", c.H323.Listen
	}
	host, _, _ = net.SplitHostPort(listen)
	return key, host
}

// unspecified reports whether a listen host means every interface.
func unspecified(host string) bool {
	if host == "" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}
