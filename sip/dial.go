package sip

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// errDialRefused: a connection the service will not open.
var errDialRefused = errors.New("sip: connection to an address no call has refused")

// dialer is the TCP/TLS dialer sipgo uses for every connection it opens. When the
// connection a request came on is gone before its response is written, sipgo opens a
// new one to the request's Via host — an address the sender chose: anybody could make
// the gateway connect anywhere (and the shared captures' messages, replayed by the fuzz
// tests, named hosts on other networks). So the gateway connects only to the addresses
// of its calls: a dial-out's destination and the peers of established calls.
func (s *Service) dialer(laddr net.Addr) net.Dialer {
	return net.Dialer{Timeout: 10 * time.Second, LocalAddr: laddr, Control: s.dialControl}
}

// dialControl runs before connect(2): it refuses any address that is not a call's.
func (s *Service) dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return err
	}
	if s.isCallPeer(ap.Addr().Unmap()) {
		return nil
	}
	s.stats.dialsRefused.Add(1)
	s.log.Debug("SIP connection refused: not a call's address", "address", address)
	return errDialRefused
}

// allowDial lets connections to ip be opened until the returned release is called:
// for requests the gateway itself sends outside a call (OPTIONS).
func (s *Service) allowDial(ip netip.Addr) (release func()) {
	ip = ip.Unmap()
	s.mu.Lock()
	s.dialing[ip]++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		if s.dialing[ip]--; s.dialing[ip] <= 0 {
			delete(s.dialing, ip)
		}
		s.mu.Unlock()
	}
}

// isCallPeer reports whether ip is the signalling address of a registered call, or one
// the gateway is sending a request of its own to.
func (s *Service) isCallPeer(ip netip.Addr) bool {
	s.mu.Lock()
	if s.dialing[ip] > 0 {
		s.mu.Unlock()
		return true
	}
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		if p := c.Peer(); p.IsValid() && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}
