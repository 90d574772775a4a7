// Package ports hands out RTP/RTCP UDP port pairs from the configured media range
// (default 3000–10000) to room-system calls.
//
// Each pair is an even RTP port and the RTCP port just above it (RFC 3550 §11: "RTP
// SHOULD use an even destination port number and the corresponding RTCP stream SHOULD
// use the next higher (odd) destination port number"). The allocator binds both UDP
// sockets itself and hands them over bound, so no other process can take a port between
// allocation and use; ports held by someone else are skipped.
//
// Which pair a call gets is a random choice among the free pairs (ChaCha8 seeded from
// crypto/rand), so nobody can predict the next call's port and spray packets at it
// before the call's own media arrives — also not after a restart. A released pair rests
// in quarantine for Config.Quarantine before it is handed out again: late packets of the
// old call, or a peer that still streams after a crash, do not land in a new call.
// Quarantined pairs are used (the longest-resting first) only when no other pair is
// free, so the range is exhausted only when all of it is in use.
package ports

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultMin        = 3000
	DefaultMax        = 10000
	DefaultQuarantine = 60 * time.Second
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
	// Quarantine is how long a released pair rests before it is handed out again
	// (while other pairs are free); zero means DefaultQuarantine, negative none.
	Quarantine time.Duration
	// Log receives a line per exhaustion and per port skipped because it was taken.
	Log *slog.Logger
	// Now replaces the clock in tests; nil means time.Now.
	Now func() time.Time
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
	Quarantined  int    // of Free: released pairs still resting
	BindFailures uint64 // ports skipped because binding failed
	Exhausted    uint64 // Allocate calls that failed with ErrExhausted
}

// Allocator hands out port pairs. It is safe for concurrent use.
type Allocator struct {
	min, max   int
	addr       netip.Addr
	log        *slog.Logger
	now        func() time.Time
	quarantine time.Duration

	mu sync.Mutex
	// Pairs are numbered k = 0 … total-1 (RTP port min+2k). free holds the pairs that
	// may be handed out, in any order; at[k] is k's index in free, or -1. resting is
	// the quarantine, oldest release first.
	free         []int
	at           []int
	resting      []rest
	rng          *rand.Rand
	inUse        map[int]*net.UDPConn // RTP port → its RTP socket (identity for Release)
	bindFailures uint64
	exhausted    uint64
}

// rest is a released pair in quarantine until until.
type rest struct {
	k     int
	until time.Time
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
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	q := cfg.Quarantine
	if q == 0 {
		q = DefaultQuarantine
	}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("rtp port allocator: seed: %w", err)
	}
	a := &Allocator{min: lo, max: hi, addr: addr, log: log, now: now, quarantine: max(q, 0),
		rng: rand.New(rand.NewChaCha8(seed)), inUse: make(map[int]*net.UDPConn)}
	n := a.total()
	a.free, a.at = make([]int, n), make([]int, n)
	for k := range n {
		a.free[k], a.at[k] = k, k
	}
	return a, nil
}

// total is the number of pairs in the range.
func (a *Allocator) total() int { return (a.max - a.min + 1) / 2 }

// Allocate binds n pairs, each chosen at random among the free ones. Either all n are
// returned or none (and the error wraps ErrExhausted when the range had too few free
// pairs).
func (a *Allocator) Allocate(n int) ([]Pair, error) {
	if n <= 0 {
		return nil, fmt.Errorf("allocate %d port pairs: count must be positive", n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.wakeLocked(a.now())
	got := make([]Pair, 0, n)
	var failed []int // taken by another process: back to the free pairs afterwards
	for len(got) < n {
		k, ok := a.takeLocked()
		if !ok {
			break
		}
		p := a.min + 2*k
		pair, err := a.bind(p)
		if err != nil {
			a.bindFailures++
			a.log.Debug("rtp port taken, skipping", "port", p, "err", err)
			failed = append(failed, k)
			continue
		}
		got = append(got, pair)
	}
	for _, k := range failed {
		a.putLocked(k)
	}
	if len(got) < n {
		for _, p := range got {
			closePair(p)
			a.putLocked((p.RTPPort - a.min) / 2)
		}
		a.exhausted++
		a.log.Warn("rtp port range exhausted", "asked", n, "in_use", len(a.inUse), "range_min", a.min, "range_max", a.max)
		return nil, fmt.Errorf("%w: %d pairs asked, %d of %d in use (range %d-%d)", ErrExhausted, n, len(a.inUse), a.total(), a.min, a.max)
	}
	for _, p := range got {
		a.inUse[p.RTPPort] = p.RTP
	}
	return got, nil
}

// takeLocked removes a random free pair, or when none is free the one longest in
// quarantine (skipping pairs handed out meanwhile).
func (a *Allocator) takeLocked() (int, bool) {
	if len(a.free) > 0 {
		i := a.rng.IntN(len(a.free))
		k := a.free[i]
		last := len(a.free) - 1
		a.free[i] = a.free[last]
		a.at[a.free[i]] = i
		a.free = a.free[:last]
		a.at[k] = -1
		return k, true
	}
	for len(a.resting) > 0 {
		r := a.resting[0]
		a.resting = a.resting[1:]
		if a.inUse[a.min+2*r.k] == nil {
			return r.k, true
		}
	}
	return 0, false
}

// putLocked makes pair k free (again).
func (a *Allocator) putLocked(k int) {
	if a.at[k] >= 0 {
		return
	}
	a.at[k] = len(a.free)
	a.free = append(a.free, k)
}

// wakeLocked ends the quarantine of the pairs whose rest is over.
func (a *Allocator) wakeLocked(now time.Time) {
	i := 0
	for ; i < len(a.resting) && !now.Before(a.resting[i].until); i++ {
		if k := a.resting[i].k; a.inUse[a.min+2*k] == nil {
			a.putLocked(k)
		}
	}
	a.resting = a.resting[i:]
	if len(a.resting) == 0 {
		a.resting = nil // let the backing array go
	}
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

// Release closes the pairs' sockets at once and returns their ports to the range
// after the quarantine. Releasing a pair twice is harmless: a pair whose port has since
// been handed to another call is recognised by its socket and left alone.
func (a *Allocator) Release(pairs ...Pair) {
	a.mu.Lock()
	defer a.mu.Unlock()
	until := a.now().Add(a.quarantine)
	for _, p := range pairs {
		closePair(p)
		if cur, ok := a.inUse[p.RTPPort]; ok && cur == p.RTP {
			delete(a.inUse, p.RTPPort)
			k := (p.RTPPort - a.min) / 2
			if a.quarantine > 0 {
				a.resting = append(a.resting, rest{k: k, until: until})
			} else {
				a.putLocked(k)
			}
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
	a.wakeLocked(a.now())
	t := a.total()
	return Stats{Total: t, InUse: len(a.inUse), Free: t - len(a.inUse), Quarantined: t - len(a.inUse) - len(a.free),
		BindFailures: a.bindFailures, Exhausted: a.exhausted}
}
