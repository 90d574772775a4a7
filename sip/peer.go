package sip

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"time"
)

// Peer is how the service treats one endpoint's signalling: the gateway's NAT/ALG
// profile for the endpoint's network (Config.Peers), chosen once per call by the
// address the endpoint's messages come from (dial-out: the address dialled).
type Peer struct {
	// Host is the address advertised to this endpoint in our Contact and Via (split
	// horizon: a LAN endpoint gets the private address, an internet one the public
	// address of the one-to-one NAT); empty: the service's advertised host.
	Host string
	// UseSource sends in-dialog requests to the address the endpoint's messages come
	// from, whatever its Contact says (the profile trusts no signalled address).
	// Responses always go back to the request's source (RFC 3581 §4 when it asks
	// with rport, and the transport's source otherwise).
	UseSource bool
	// Keepalive > 0 sends a CRLF keep-alive (RFC 5626 §3.5.1's "double CRLF") on the
	// endpoint's flow at this interval while the call lasts, so that a NAT keeps the
	// binding our in-dialog requests (re-INVITE, BYE) need.
	Keepalive time.Duration
}

var errNoFlow = errors.New("sip: no flow to the endpoint")

// crlf is the keep-alive: an empty line pair that SIP parsers skip (RFC 3261 §7.5).
var crlf = []byte("\r\n\r\n")

// peerFor is the treatment of an endpoint at src.
func (s *Service) peerFor(src netip.AddrPort) Peer {
	if s.cfg.Peers == nil {
		return Peer{}
	}
	return s.cfg.Peers(src)
}

// advertised is the host our Contact and Via carry in this call. c.peer is set before
// the call is registered and not changed afterwards, so no lock is needed.
func (c *call) advertised() string {
	if c.peer.Host != "" {
		return c.peer.Host
	}
	return c.svc.host
}

// startKeepalive arms the CRLF keep-alive once the dialog exists.
func (c *call) startKeepalive() {
	if c.peer.Keepalive <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateEnded || c.keepalive != nil {
		return
	}
	c.keepalive = time.AfterFunc(c.peer.Keepalive, c.sendKeepalive)
}

// sendKeepalive writes one keep-alive to the endpoint's flow and re-arms.
func (c *call) sendKeepalive() {
	c.mu.Lock()
	if c.state == stateEnded {
		c.mu.Unlock()
		return
	}
	dst, transport := c.source, c.transport
	c.mu.Unlock()
	c.svc.stats.keepalives.Add(1)
	if err := c.svc.writeKeepalive(transport, dst); err != nil {
		c.log.Debug("sip keep-alive not sent", "to", dst, "err", err)
	}
	c.mu.Lock()
	if c.state != stateEnded && c.keepalive != nil {
		c.keepalive.Reset(c.peer.Keepalive)
	}
	c.mu.Unlock()
}

// stopKeepaliveLocked stops the keep-alive timer (c.mu held).
func (c *call) stopKeepaliveLocked() {
	if c.keepalive != nil {
		c.keepalive.Stop()
	}
}

// writeKeepalive sends CRLFCRLF to dst over transport: from the listening UDP
// socket (the NAT binding is the one our SIP uses), or on the TCP/TLS connection the
// endpoint has open.
func (s *Service) writeKeepalive(transport string, dst netip.AddrPort) error {
	if !dst.IsValid() {
		return errNoFlow
	}
	if transport == "UDP" {
		_, err := s.udp.WriteTo(crlf, net.UDPAddrFromAddrPort(dst))
		return err
	}
	conn, err := s.ua.TransportLayer().GetConnection(toLower(transport), dst.String())
	if err != nil || conn == nil {
		return errNoFlow
	}
	defer conn.TryClose()
	w, ok := conn.(io.Writer)
	if !ok {
		return errNoFlow
	}
	_, err = w.Write(crlf)
	return err
}
