package sip

import "sync/atomic"

// Stats are the service's counters since Start, for logs and metrics.
type Stats struct {
	// Calls is the number of dialogs (and INVITEs being answered) now.
	Calls int
	// LimitedSources is the number of source addresses refused now.
	LimitedSources int
	// Malformed counts requests refused before any handling (400, 416,
	// 420, 505).
	Malformed uint64
	// Unroutable counts messages dropped unanswered: unparseable, or a
	// request without Via.
	Unroutable uint64
	// RateLimited counts messages refused (503) or dropped by the
	// per-source request rate.
	RateLimited uint64
	// CallLimited counts INVITEs refused by calls_per_source.
	CallLimited uint64
	// Panics counts recovered panics of request and call handlers.
	Panics uint64
	// TooLarge counts responses too large for UDP (the request got 513).
	TooLarge uint64
	// TCPRefused counts connections closed at accept by the per-source cap.
	TCPRefused uint64
	// TCPTimeouts counts connections closed by the read or idle timeout.
	TCPTimeouts uint64
	// AcceptErrors counts failed Accepts survived with a back-off.
	AcceptErrors uint64
	// DialsRefused counts TCP/TLS connections not opened: to no call's address.
	DialsRefused uint64
	// Keepalives counts CRLF keep-alives due and sent (Peer.Keepalive); failed
	// writes are logged at debug level.
	Keepalives uint64
}

type counters struct {
	malformed, unroutable, rateLimited, callLimited, panics, tooLarge atomic.Uint64
	tcpRefused, tcpTimeouts, acceptErrors, dialsRefused, keepalives   atomic.Uint64
}

// Stats returns the counters now.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	calls := len(s.calls)
	s.mu.Unlock()
	return Stats{
		Calls:          calls,
		LimitedSources: s.limiter.limitedSources(),
		Malformed:      s.stats.malformed.Load(),
		Unroutable:     s.stats.unroutable.Load(),
		RateLimited:    s.stats.rateLimited.Load(),
		CallLimited:    s.stats.callLimited.Load(),
		Panics:         s.stats.panics.Load(),
		TooLarge:       s.stats.tooLarge.Load(),
		TCPRefused:     s.stats.tcpRefused.Load(),
		TCPTimeouts:    s.stats.tcpTimeouts.Load(),
		AcceptErrors:   s.stats.acceptErrors.Load(),
		DialsRefused:   s.stats.dialsRefused.Load(),
		Keepalives:     s.stats.keepalives.Load(),
	}
}
