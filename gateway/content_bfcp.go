package gateway

import (
	"errors"
	"net"
	"net/netip"
	"sync"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/sip/bfcp"
	"github.com/roomgate/roomgate/sip/sdp"
)

// bfcpControl is a SIP call's floor control: a BFCP server (RFC 8855, the gateway
// as floor control server) whose FloorRequest and FloorRelease are the meeting's
// floor, and whose Revoke tells the room system it lost the floor.
type bfcpControl struct {
	cp *contentPath

	mu sync.Mutex
	// udp and ln are the BFCP sockets, one port for both (UDP and TCP port spaces
	// are separate): the offer decides which one serves; nil once served or closed.
	udp       net.PacketConn
	ln        net.Listener
	port      int
	tcp       bool // ln was opened: BFCP over TCP can be answered and offered
	srv       *bfcp.Server
	requestID uint16 // the room system's granted floor request (0: none)
	// pendingID is a floor request made before the call was in the meeting (after
	// the ACK, in the IVR or the waiting room): answered Pending, decided on attach.
	pendingID uint16
}

var _ floorControl = (*bfcpControl)(nil)

// openBFCP serves BFCP on the even port of a pair from the media range: its UDP
// socket as it is, and ln, the TCP listener on the same port number (the UDP and TCP
// port spaces are separate). Without ln only BFCP over UDP is answered.
func openBFCP(cp *contentPath, pair ports.Pair, ln *net.TCPListener) *bfcpControl {
	b := &bfcpControl{cp: cp}
	if pair.RTP == nil {
		cp.log.Warn("no BFCP port: content is answered without floor control")
		return b
	}
	b.udp, b.port = pair.RTP, pair.RTPPort
	if ln == nil {
		cp.log.Warn("no TCP listener on the BFCP port: BFCP over TCP is refused", "port", pair.RTPPort)
		return b
	}
	b.ln, b.tcp = ln, true
	return b
}

// listenBFCP opens the TCP listener on the even port of pair (nil: the TCP port is
// someone else's, e.g. an outgoing connection's ephemeral port).
func listenBFCP(pair ports.Pair) *net.TCPListener {
	ip := pair.RTP.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(pair.RTPPort))))
	if err != nil {
		return nil
	}
	return ln
}

// startBFCP serves the floor control the SDP agreed; b nil: content without BFCP.
func (cp *contentPath) startBFCP(b *sdp.BFCP) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.ctl != nil {
		return nil // a re-offer: the floor control goes on (a=connection:existing)
	}
	if b == nil || cp.bfcp == nil {
		cp.noBFCP = true
		if cp.bfcp != nil {
			cp.bfcp.close()
		}
		return nil
	}
	if err := cp.bfcp.serve(b); err != nil {
		return err
	}
	cp.ctl = cp.bfcp
	return nil
}

// serve starts the server on the socket the SDP chose.
func (c *bfcpControl) serve(b *sdp.BFCP) error {
	cp := c.cp
	srv, err := bfcp.NewServer(bfcp.Config{ConferenceID: b.ConfID, FloorIDs: []uint16{b.FloorID}, Floors: (*contentFloors)(c),
		Logger: cp.log.With("component", "bfcp"), IdleTimeout: 0})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.srv = srv
	ln, udp := c.ln, c.udp
	switch {
	case b.Proto.UDP():
		if ln != nil {
			_ = ln.Close()
		}
		cp.wg.Go(func() { _ = srv.ServeUDP(udp) })
	case b.Setup == sdp.SetupActive:
		c.closeSockets()
		remote := b.Remote.String()
		cp.wg.Go(func() {
			if err := srv.DialTCP(cp.ctx, remote); err != nil {
				cp.log.Info("BFCP: cannot connect to the room system", "remote", remote, "err", err)
			}
		})
	case ln == nil:
		_ = srv.Close()
		c.srv = nil
		return errors.New("no BFCP TCP listener")
	default: // passive (or holdconn: the room system connects when it wants)
		_ = udp.Close()
		cp.wg.Go(func() { _ = srv.Serve(ln) })
	}
	c.udp, c.ln = nil, nil
	cp.log.Info("BFCP serving", "proto", string(b.Proto), "setup", string(b.Setup), "confid", b.ConfID, "floorid", b.FloorID,
		"userid", b.UserID, "remote_floorctrl", b.RemoteFloorCtrl)
	return nil
}

func (c *bfcpControl) closeSockets() {
	if c.udp != nil {
		_ = c.udp.Close()
	}
	if c.ln != nil {
		_ = c.ln.Close()
	}
	c.udp, c.ln = nil, nil
}

// revoke sends Revoked for the room system's granted request, if any.
func (c *bfcpControl) revoke(reason string) {
	c.mu.Lock()
	srv, id := c.srv, c.requestID
	c.requestID = 0
	c.mu.Unlock()
	if srv != nil && id != 0 {
		if err := srv.Revoke(id, reason); err == nil {
			c.cp.log.Info("BFCP floor revoked", "request", id)
		}
	}
}

// close ends the server and any unused sockets.
func (c *bfcpControl) close() {
	c.mu.Lock()
	srv := c.srv
	c.closeSockets()
	c.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// contentFloors is the BFCP server's view of the meeting's floor.
type contentFloors bfcpControl

var _ bfcp.Floors = (*contentFloors)(nil)

// Request decides a room system's FloorRequest with the meeting's floor: granted at
// once, or denied (not in the meeting yet, the host's sharing lock).
func (f *contentFloors) Request(r bfcp.Request) bfcp.RequestStatus {
	c := (*bfcpControl)(f)
	c.mu.Lock()
	c.requestID = r.ID // before the floor's change reaches the worker
	c.mu.Unlock()
	why := c.cp.roomRequest()
	if why == call.FloorUnknown {
		// Not in the meeting yet: decided when the call joins (attached).
		c.mu.Lock()
		c.requestID, c.pendingID = 0, r.ID
		c.mu.Unlock()
		c.cp.log.Info("BFCP floor request pending: not in the meeting yet", "request", r.ID)
		return bfcp.StatusPending
	}
	if why != "" {
		c.mu.Lock()
		if c.requestID == r.ID {
			c.requestID = 0
		}
		c.mu.Unlock()
		c.cp.log.Info("BFCP floor request denied", "request", r.ID, "reason", string(why))
		return bfcp.StatusDenied
	}
	c.cp.log.Info("BFCP floor granted", "request", r.ID)
	return bfcp.StatusGranted
}

// Released is the room system's FloorRelease (or its BFCP connection ending).
func (f *contentFloors) Released(r bfcp.Request) {
	c := (*bfcpControl)(f)
	c.mu.Lock()
	mine := c.requestID == r.ID
	if mine {
		c.requestID = 0
	}
	if c.pendingID == r.ID {
		c.pendingID = 0 // cancelled before the call joined
	}
	c.mu.Unlock()
	if mine {
		c.cp.roomRelease()
	}
}

// attached decides the floor request left pending until the call joined the
// meeting: granted by the meeting's floor, or denied (the host's sharing lock).
func (c *bfcpControl) attached() {
	c.mu.Lock()
	srv, id := c.srv, c.pendingID
	c.pendingID = 0
	if id != 0 {
		c.requestID = id // before the floor's change reaches the worker
	}
	c.mu.Unlock()
	if srv == nil || id == 0 {
		return
	}
	if why := c.cp.roomRequest(); why != call.FloorAllowed {
		c.mu.Lock()
		if c.requestID == id {
			c.requestID = 0
		}
		c.mu.Unlock()
		c.cp.log.Info("BFCP pending floor request denied", "request", id, "reason", string(why))
		_ = srv.Deny(id, string(why))
		return
	}
	c.cp.log.Info("BFCP pending floor request granted", "request", id)
	if err := srv.Grant(id); err != nil {
		// Cancelled meanwhile: give the floor back.
		c.mu.Lock()
		c.requestID = 0
		c.mu.Unlock()
		c.cp.roomRelease()
	}
}
