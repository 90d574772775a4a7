package h323

import (
	"net"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// h245Link is the separate H.245 connection of a call (H.323 §8.2.2):
// a listener we announced in an h245Address, a connect to the peer's, or
// the connection itself.
type h245Link struct {
	ln      net.Listener
	conn    *frameConn
	dialing bool
}

func (h h245Link) close() {
	if h.ln != nil {
		h.ln.Close()
	}
	if h.conn != nil {
		h.conn.close()
	}
}

func (h h245Link) busy() bool { return h.ln != nil || h.conn != nil || h.dialing }

// SendH245 sends an H.245 PDU by whatever path the call has: the separate
// connection, tunnelled in the next answer or in a Facility of its own
// (one PDU each), or it waits for the path to open (a separate connection
// is set up as needed: connect to the peer's h245Address, or listen and
// send Facility startH245).
func (c *call) SendH245(msg *h245.MultimediaSystemControlMessage) error {
	b, err := msg.Marshal()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrCallEnded
	}
	if c.h245.conn != nil && len(c.pending) == 0 {
		return c.writeH245Locked(b)
	}
	if len(c.pending) >= maxPendingH245 {
		return ErrQueueFull
	}
	c.pending = append(c.pending, b)
	c.flushPendingLocked()
	return nil
}

// canTunnelNowLocked: tunnelling is on and a Facility may go now (an
// inbound call's first answer carries what waits before it).
func (c *call) canTunnelNowLocked() bool {
	return c.tunnelSet && c.b.Tunnelling && (!c.inbound || c.state != stateCallPresent)
}

// flushPendingLocked sends what waits if a path is open, or opens one.
func (c *call) flushPendingLocked() {
	if len(c.pending) == 0 || c.ended {
		return
	}
	switch {
	case c.h245.conn != nil:
		for len(c.pending) > 0 {
			if c.writeH245Locked(c.pending[0]) != nil {
				return
			}
			c.pending = c.pending[1:]
		}
	case c.canTunnelNowLocked():
		// One tunnelled PDU per Facility: Cisco IOS rejects several.
		for len(c.pending) > 0 {
			c.b.H245 = c.pending[:1:1]
			reason := h225.FacilityReason{TransportedInformation: &struct{}{}}
			if c.peerV != 0 && c.peerV < 4 {
				reason = h225.FacilityReason{UndefinedReason: &struct{}{}}
			}
			if c.sendLocked(q931.Facility, c.b.Facility(reason)) != nil {
				return
			}
			c.pending = c.pending[1:]
		}
	case c.tunnelSet && !c.b.Tunnelling:
		c.ensureH245Locked()
	}
}

func (c *call) writeH245Locked(b []byte) error {
	err := c.h245.conn.writeFrame(b)
	if err != nil {
		c.log.Debug("h323 H.245 write failed", "err", err)
	}
	return err
}

// ensureH245Locked opens the separate H.245 connection unless one is
// open or opening: to the peer's h245Address when it gave one, else by
// listening and sending Facility startH245 (H.323 §8.2.3).
func (c *call) ensureH245Locked() {
	if c.h245.busy() || c.ended {
		return
	}
	if c.peerH245.IsValid() {
		c.dialH245Locked()
		return
	}
	if c.inbound && c.state == stateCallPresent {
		return // the first answer carries our h245Address
	}
	ta, ok := c.listenH245Locked()
	if !ok {
		return
	}
	c.b.H245Address = &ta
	c.sendLocked(q931.Facility, c.b.Facility(h225.FacilityReason{StartH245: &struct{}{}}))
	c.b.H245Address = nil
}

// listenH245Locked opens a listener on an ephemeral port of the call's
// local address; the peer connects within H245ConnectTimeout or never.
func (c *call) listenH245Locked() (h225.TransportAddress, bool) {
	ip := c.remote.Addr()
	if err := c.svc.admit(ip); err != nil {
		c.log.Info("h323 no H.245 listener: limit reached", "err", err)
		return h225.TransportAddress{}, false
	}
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(c.local.Addr(), 0)))
	if err != nil {
		c.svc.release(ip)
		c.log.Warn("h323 H.245 listen failed", "err", err)
		return h225.TransportAddress{}, false
	}
	ta, err := h225.NewTransportAddress(c.advertised(addrOf(ln.Addr())))
	if err != nil {
		ln.Close()
		c.svc.release(ip)
		return ta, false
	}
	if !c.svc.goTracked(func() {
		defer c.svc.release(ip)
		c.acceptH245(ln)
	}) {
		ln.Close()
		c.svc.release(ip)
		return ta, false
	}
	c.h245.ln = ln
	c.log.Debug("h323 H.245 listening", "addr", ln.Addr().String())
	return ta, true
}

func (c *call) acceptH245(ln *net.TCPListener) {
	defer ln.Close()
	ln.SetDeadline(time.Now().Add(c.svc.cfg.Limits.H245ConnectTimeout))
	for {
		nc, err := ln.Accept()
		if err != nil {
			if isTimeout(err) {
				c.log.Info("h323 nobody connected to our H.245 address")
			}
			c.mu.Lock()
			if c.h245.ln == ln {
				c.h245.ln = nil
			}
			c.mu.Unlock()
			return
		}
		if addrOf(nc.RemoteAddr()).Addr() != c.remote.Addr() {
			c.log.Info("h323 H.245 connection from another host refused", "source", nc.RemoteAddr().String())
			nc.Close()
			continue
		}
		c.runH245(c.svc.tapped(nc, true), ln)
		return
	}
}

// dialH245Locked connects to the peer's h245Address in the background.
func (c *call) dialH245Locked() {
	if c.h245.conn != nil || c.h245.dialing || c.ended || c.tunnelSet && c.b.Tunnelling {
		return
	}
	addr := c.peerH245
	if err := c.svc.admit(addr.Addr()); err != nil {
		c.log.Info("h323 no H.245 connection: limit reached", "err", err)
		return
	}
	started := c.svc.goTracked(func() {
		defer c.svc.release(addr.Addr())
		d := net.Dialer{Timeout: c.svc.cfg.Limits.H245ConnectTimeout,
			LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(c.local.Addr(), 0))}
		nc, err := d.DialContext(c.ctx, "tcp", addr.String())
		if err != nil {
			c.log.Info("h323 H.245 connect failed", "addr", addr.String(), "err", err)
			c.mu.Lock()
			c.h245.dialing = false
			c.mu.Unlock()
			return
		}
		c.runH245(c.svc.tapped(nc, false), nil)
	})
	if !started {
		c.svc.release(addr.Addr())
		return
	}
	c.h245.dialing = true
	c.log.Debug("h323 H.245 connecting", "addr", addr.String())
}

// runH245 serves an established H.245 connection until it or the call
// ends.
func (c *call) runH245(nc net.Conn, ln net.Listener) {
	fc := newFrameConn(nc, c.svc.cfg.Limits)
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		nc.Close()
		return
	}
	if ln != nil && c.h245.ln == ln {
		c.h245.ln = nil
		ln.Close()
	}
	c.h245.conn, c.h245.dialing = fc, false
	c.log.Debug("h323 H.245 connected", "local", nc.LocalAddr().String(), "remote", nc.RemoteAddr().String())
	c.flushPendingLocked()
	c.mu.Unlock()

	// An H.245 connection nobody uses is closed: the first PDU must come
	// within H245ConnectTimeout.
	fc.idleUntil = time.Now().Add(c.svc.cfg.Limits.H245ConnectTimeout)
	for {
		p, err := fc.readFrame()
		if err != nil {
			if isTimeout(err) {
				c.svc.stats.timeouts.Add(1)
			}
			break
		}
		fc.idleUntil = time.Time{}
		if !c.svc.limiter.take(fc.ip, time.Now()) {
			c.svc.stats.rateLimited.Add(1)
			break
		}
		if len(p) > 0 {
			c.deliverPDU(p)
		}
	}
	fc.close()
	c.mu.Lock()
	if c.h245.conn == fc {
		c.h245.conn = nil
	}
	ended := c.ended
	f := c.events.OnH245Closed
	c.mu.Unlock()
	if !ended {
		c.log.Info("h323 H.245 connection closed")
		if f != nil {
			c.deliverMu.Lock()
			f()
			c.deliverMu.Unlock()
		}
	}
}

// H245Separate reports whether the separate H.245 connection is up.
func (c *call) H245Separate() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h245.conn != nil
}
