// Package ports hands out RTP/RTCP UDP port pairs from the configured media range
// (default 3000–10000) to room-system calls.
//
// Each pair is an even RTP port and the RTCP port just above it (RFC 3550 §11: "RTP
// SHOULD use an even destination port number and the corresponding RTCP stream SHOULD
// use the next higher (odd) destination port number"). The allocator binds both UDP
// sockets itself and hands them over bound, so no other process can take a port between
// allocation and use; ports held by someone else are skipped. Allocation walks the range
// round-robin, so a port released by one call is not reused at once by the next (late
// packets of the old call would land in the new one).
package ports

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// Defaults of Config.
const (
	DefaultMin = 3000
	DefaultMax = 10000
)

// ErrExhausted is returned when the range has fewer free pairs than asked for. The call
// layer answers 503 Service Unavailable (SIP) or releaseComplete with resourceUnavailable
// (H.323).
var ErrExhausted = errors.New("rtp port range exhausted")

// Config is the media port range.
type Config struct {
	// Min and Max bound the range, inclusive. An odd Min is raised to the next even
	// port; a pair needs both its ports inside the range. Zero means the default.
	Min, Max int
	// Addr is the local address the sockets bind to; the zero value means all
	// addresses (0.0.0.0).
	Addr netip.Addr
	// Log receives a line per exhaustion and per port skipped because it was taken.
	Log *slog.Logger
}

// Pair is one allocated RTP/RTCP socket pair.
type Pair struct {
	RTPPort int // even; RTCP is RTPPort+1
	RTP     *net.UDPConn
	RTCP    *net.UDPConn
}

// RTCPPort is the port of the RTCP socket.
func (p Pair) RTCPPort() int { return p.RTPPort + 1 }

// Stats are the allocator's counters, for metrics.
type Stats struct {
	Total        int    // pairs in the range
	InUse        int    // pairs handed out and not yet released
	Free         int    // Total - InUse (some may still be held by other processes)
	BindFailures uint64 // ports skipped because binding failed
	Exhausted    uint64 // Allocate calls that failed with ErrExhausted
}

// Allocator hands out port pairs. It is safe for concurrent use.
type Allocator struct {
	min, max int
	addr     netip.Addr
	log      *slog.Logger

	mu           sync.Mutex
	next         int                  // round-robin cursor: next RTP port to try
	inUse        map[int]*net.UDPConn // RTP port → its RTP socket (identity for Release)
	bindFailures uint64
	exhausted    uint64
}

// New validates cfg and returns an allocator.
func New(cfg Config) (*Allocator, error) {
	lo, hi := cfg.Min, cfg.Max
	if lo == 0 {
		lo = DefaultMin
	}
	if hi == 0 {
		hi = DefaultMax
	}
	if lo%2 != 0 {
		lo++
	}
	if lo < 1 || hi > 65535 || hi < lo+1 {
		return nil, fmt.Errorf("rtp port range %d-%d: need 1 <= min < max <= 65535 with at least one even/odd pair", cfg.Min, cfg.Max)
	}
	addr := cfg.Addr
	if !addr.IsValid() {
		addr = netip.IPv4Unspecified()
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Allocator{min: lo, max: hi, addr: addr, log: log, next: lo, inUse: make(map[int]*net.UDPConn)}, nil
}

// total is the number of pairs in the range.
func (a *Allocator) total() int { return (a.max - a.min + 1) / 2 }

// Allocate binds n pairs. Either all n are returned or none (and the error wraps
// ErrExhausted when the range had too few free pairs).
func (a *Allocator) Allocate(n int) ([]Pair, error) {
	if n <= 0 {
		return nil, fmt.Errorf("allocate %d port pairs: count must be positive", n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	got := make([]Pair, 0, n)
	port := a.next
	for tried := 0; tried < a.total() && len(got) < n; tried++ {
		p := port
		port += 2
		if port+1 > a.max {
			port = a.min
		}
		if a.inUse[p] != nil {
			continue
		}
		pair, err := a.bind(p)
		if err != nil {
			a.bindFailures++
			a.log.Debug("rtp port taken, skipping", "port", p, "err", err)
			continue
		}
		got = append(got, pair)
	}
	if len(got) < n {
		for _, p := range got {
			closePair(p)
		}
		a.exhausted++
		a.log.Warn("rtp port range exhausted", "asked", n, "in_use", len(a.inUse), "range_min", a.min, "range_max", a.max)
		return nil, fmt.Errorf("%w: %d pairs asked, %d of %d in use (range %d-%d)", ErrExhausted, n, len(a.inUse), a.total(), a.min, a.max)
	}
	for _, p := range got {
		a.inUse[p.RTPPort] = p.RTP
	}
	a.next = port
	return got, nil
}

func (a *Allocator) bind(port int) (Pair, error) {
	rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.addr, uint16(port))))
	if err != nil {
		return Pair{}, err
	}
	rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.addr, uint16(port+1))))
	if err != nil {
		rtpConn.Close()
		return Pair{}, err
	}
	return Pair{RTPPort: port, RTP: rtpConn, RTCP: rtcpConn}, nil
}

// Release closes the pairs' sockets and returns their ports to the range. Releasing a
// pair twice is harmless: a pair whose port has since been handed to another call is
// recognised by its socket and left alone.
func (a *Allocator) Release(pairs ...Pair) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range pairs {
		closePair(p)
		if cur, ok := a.inUse[p.RTPPort]; ok && cur == p.RTP {
			delete(a.inUse, p.RTPPort)
		}
	}
}

func closePair(p Pair) {
	// Errors only say the socket was already closed (by the RTP session); the port is
	// free either way.
	if p.RTP != nil {
		_ = p.RTP.Close()
	}
	if p.RTCP != nil {
		_ = p.RTCP.Close()
	}
}

// Stats returns the current counters.
func (a *Allocator) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.total()
	return Stats{Total: t, InUse: len(a.inUse), Free: t - len(a.inUse), BindFailures: a.bindFailures, Exhausted: a.exhausted}
}
