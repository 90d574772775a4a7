package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// UnreachableError is an ICMP error (destination unreachable) for a datagram the
// gateway sent: nobody listens at Dest (port unreachable), or no route leads to it.
// RFC 3261 §8.1.3.1 and §18.4: a transport error ends the transaction as if a 503
// arrived — at once, not after Timer B's 32 s.
type UnreachableError struct {
	Dest netip.AddrPort // where our datagram went
	From netip.Addr     // who reported it (the host itself, or a router on the way)
	Err  syscall.Errno  // ECONNREFUSED, EHOSTUNREACH, ENETUNREACH …
}

func (e *UnreachableError) Error() string {
	what := "unreachable"
	if e.Err == syscall.ECONNREFUSED {
		what = "port unreachable"
	}
	s := fmt.Sprintf("%s %s (ICMP: %v", e.Dest, what, e.Err)
	if e.From.IsValid() && e.From != e.Dest.Addr() {
		s += ", reported by " + e.From.String()
	}
	return s + ")"
}

// Unwrap lets errors.Is match the errno (syscall.ECONNREFUSED …).
func (e *UnreachableError) Unwrap() error { return e.Err }

// icmpConn is the SIP UDP socket with ICMP errors delivered to it (IP_RECVERR). An
// unconnected UDP socket hears of no ICMP error otherwise, and a dial-out to a room
// system that is off would wait for Timer B. With IP_RECVERR the next read returns
// the error (sipgo would stop reading on it), and so does the next send: ReadFrom and
// WriteTo take the errors off the socket's error queue, hand each to report and go on.
type icmpConn struct {
	net.PacketConn
	raw    syscall.RawConn
	report func(*UnreachableError)
}

// ReadFrom reads the next datagram; ICMP errors in between go to report.
func (c *icmpConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err == nil || !isICMPErrno(err) {
			return n, addr, err
		}
		// A pending error (the socket's sk_err, cleared by this read), not a
		// datagram: read the error queue. The queue may hold nothing when the
		// kernel dropped the entry (receive buffer full): go on reading anyway —
		// sipgo stops serving UDP at the first read error.
		c.drain()
	}
}

// WriteTo sends a datagram. A pending ICMP error is also reported by the next send
// (which then sends nothing): the error is an earlier datagram's, so it is taken off
// the queue and the datagram sent again.
func (c *icmpConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	for try := 0; err != nil && isICMPErrno(err) && try < 4; try++ {
		c.drain()
		n, err = c.PacketConn.WriteTo(b, addr)
	}
	return n, err
}

// isICMPErrno reports the errors an ICMP message sets on a UDP socket.
func isICMPErrno(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN,
		syscall.EACCES, syscall.EPROTO, syscall.EMSGSIZE, syscall.ENOPROTOOPT:
		return true
	}
	return false
}

// onUnreachable fails the dial-outs over UDP to e.Dest that no response came for yet.
func (s *Service) onUnreachable(e *UnreachableError) {
	s.mu.Lock()
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		if !c.inbound && c.unreachable != nil {
			calls = append(calls, c)
		}
	}
	s.mu.Unlock()
	var hit []*call
	for _, c := range calls {
		if c.Peer() == e.Dest {
			hit = append(hit, c)
		}
	}
	if len(hit) == 0 {
		s.log.Debug("ICMP error for no dial-out", "dest", e.Dest.String(), "err", e.Error())
	}
	for _, c := range hit {
		c.unreachable(e)
	}
}
