package sip

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// connGuard is the net.Listener handed to sipgo's stream server (TCP now,
// TLS later). sipgo's accept loop returns on the first Accept error, so
// Accept here survives running out of descriptors (EMFILE, ENFILE) and other
// transient errors with a back-off, as net/http's Server does. It caps
// connections per source IP, and its connections close when a message stays
// incomplete for the read timeout (slow senders) or when they carry no call
// and stay silent for the idle timeout.
type connGuard struct {
	net.Listener
	lim     Limits
	svc     *Service
	done    chan struct{}
	closeMu sync.Once

	mu      sync.Mutex
	perIP   map[netip.Addr]int
	byRaddr map[string]*guardedConn
}

func newConnGuard(l net.Listener, svc *Service) *connGuard {
	return &connGuard{Listener: l, lim: svc.cfg.Limits, svc: svc, done: make(chan struct{}),
		perIP: map[netip.Addr]int{}, byRaddr: map[string]*guardedConn{}}
}

// maxAcceptBackoff bounds the wait between failing Accepts.
const maxAcceptBackoff = time.Second

// Accept returns the next connection within the per-source cap.
func (g *connGuard) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !transientAcceptError(err) {
				return nil, err
			}
			g.svc.stats.acceptErrors.Add(1)
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			if g.svc.stats.acceptErrors.Load() == 1 || backoff == maxAcceptBackoff {
				g.svc.log.Warn("SIP/TCP accept failing, retrying", "err", err, "backoff", backoff.String())
			}
			select {
			case <-g.done:
				return nil, net.ErrClosed
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		ip := addrOf(c.RemoteAddr())
		g.mu.Lock()
		if g.perIP[ip] >= g.lim.TCPConnectionsPerSource {
			g.mu.Unlock()
			g.svc.stats.tcpRefused.Add(1)
			c.Close()
			continue
		}
		g.perIP[ip]++
		gc := &guardedConn{Conn: c, g: g, ip: ip, raddr: c.RemoteAddr().String(), last: time.Now()}
		g.byRaddr[gc.raddr] = gc
		g.mu.Unlock()
		return gc, nil
	}
}

// Close stops accepting; open connections are closed by sipgo.
func (g *connGuard) Close() error {
	g.closeMu.Do(func() { close(g.done) })
	return g.Listener.Close()
}

// transientAcceptError: errors after which accepting again can succeed.
func transientAcceptError(err error) bool {
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOBUFS),
		errors.Is(err, syscall.ENOMEM), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// completed records that a whole message arrived on the connection from
// raddr.
func (g *connGuard) completed(raddr string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	gc := g.byRaddr[raddr]
	g.mu.Unlock()
	if gc != nil {
		gc.mu.Lock()
		gc.partial, gc.last = false, time.Now()
		gc.mu.Unlock()
	}
}

func (g *connGuard) release(gc *guardedConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byRaddr[gc.raddr] == gc {
		delete(g.byRaddr, gc.raddr)
	}
	if g.perIP[gc.ip]--; g.perIP[gc.ip] <= 0 {
		delete(g.perIP, gc.ip)
	}
}

// guardedConn enforces the read and idle timeouts on one connection.
type guardedConn struct {
	net.Conn
	g         *connGuard
	ip        netip.Addr
	raddr     string
	closeOnce sync.Once

	mu      sync.Mutex
	partial bool      // bytes of an incomplete message were read
	started time.Time // when the incomplete message began
	last    time.Time // last complete message, or accept
}

func (c *guardedConn) deadline() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.partial {
		return c.started.Add(c.g.lim.TCPReadTimeout)
	}
	return c.last.Add(c.g.lim.TCPIdleTimeout)
}

func (c *guardedConn) Read(b []byte) (int, error) {
	for {
		if err := c.Conn.SetReadDeadline(c.deadline()); err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(b)
		if n > 0 && !keepAlive(b[:n]) {
			c.mu.Lock()
			if !c.partial {
				c.partial, c.started = true, time.Now()
			}
			c.mu.Unlock()
		}
		var ne net.Error
		if err != nil && errors.As(err, &ne) && ne.Timeout() {
			c.mu.Lock()
			partial := c.partial
			if !partial && c.g.svc.hasCallOn(c.raddr) {
				c.last = time.Now() // idle, but a call's requests come this way
				c.mu.Unlock()
				continue
			}
			c.mu.Unlock()
			c.g.svc.stats.tcpTimeouts.Add(1)
			c.g.svc.log.Debug("SIP/TCP connection timed out", "source", c.raddr, "partial", partial)
		}
		return n, err
	}
}

func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.g.release(c) })
	return err
}

// keepAlive: a read of CRLFs only (RFC 5626 §3.5.1 ping or pong) starts no
// message.
func keepAlive(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
