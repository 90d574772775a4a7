package sip

import (
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// Limits bound what one source address may cost the service (in the spirit
// of Kamailio's pike module). The defaults leave ample room for room
// systems, SBCs and load tests: a call setup is about ten requests, and
// keep-alives and session refreshes are a few a minute.
type Limits struct {
	// RequestsPerSecond is the sustained rate of SIP messages (UDP
	// datagrams, TCP messages) accepted from one IP address. Default 200.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// Burst is how many messages a source may send at once above the rate.
	// Default 400.
	Burst int `yaml:"burst"`
	// Block is how long a source over the rate is refused: the first
	// request gets 503 with Retry-After, the rest are dropped unanswered.
	// Default 10 s.
	Block time.Duration `yaml:"block"`
	// CallsPerSource caps concurrent calls (dialogs and pending INVITEs)
	// from one IP address; more get 503. Default 100.
	CallsPerSource int `yaml:"calls_per_source"`
	// TCPConnectionsPerSource caps concurrent SIP/TCP connections from one
	// IP address; more are closed at accept. Default 32.
	TCPConnectionsPerSource int `yaml:"tcp_connections_per_source"`
	// TCPReadTimeout closes a connection that started a message and has not
	// completed it in this time (slow senders). Default 10 s.
	TCPReadTimeout time.Duration `yaml:"tcp_read_timeout"`
	// TCPIdleTimeout closes a connection that carries no call and has sent
	// no complete message for this long. Default 2 min.
	TCPIdleTimeout time.Duration `yaml:"tcp_idle_timeout"`
}

// maxTrackedSources bounds the limiter's memory when sources are spoofed:
// past it, new sources share one bucket.
const maxTrackedSources = 1 << 16

func (l Limits) withDefaults() Limits {
	if l.RequestsPerSecond == 0 {
		l.RequestsPerSecond = 200
	}
	if l.Burst == 0 {
		l.Burst = 400
	}
	if l.Block == 0 {
		l.Block = 10 * time.Second
	}
	if l.CallsPerSource == 0 {
		l.CallsPerSource = 100
	}
	if l.TCPConnectionsPerSource == 0 {
		l.TCPConnectionsPerSource = 32
	}
	if l.TCPReadTimeout == 0 {
		l.TCPReadTimeout = 10 * time.Second
	}
	if l.TCPIdleTimeout == 0 {
		l.TCPIdleTimeout = 2 * time.Minute
	}
	return l
}

func (l Limits) validate() error {
	switch {
	case l.RequestsPerSecond < 0 || l.Burst < 1:
		return errors.New("sip: limits: requests_per_second must be positive and burst at least 1")
	case l.Block < time.Second:
		return errors.New("sip: limits: block must be at least 1s")
	case l.CallsPerSource < 1 || l.TCPConnectionsPerSource < 1:
		return errors.New("sip: limits: calls_per_source and tcp_connections_per_source must be at least 1")
	case l.TCPReadTimeout <= 0 || l.TCPIdleTimeout <= 0:
		return errors.New("sip: limits: tcp timeouts must be positive")
	}
	return nil
}

// verdict is what the rate limiter says of one message.
type verdict int

const (
	pass     verdict = iota
	passOver         // the message that crossed the limit: answer it 503
	drop             // limited: drop unanswered
)

type bucket struct {
	tokens   float64
	last     time.Time
	until    time.Time // limited until; zero when not limited
	since    time.Time
	refused  uint64
	notified bool // 503 sent for this limited period
}

// rateLimiter is a token bucket per source IP with a block period. It logs
// one line when a source starts being limited and one summary when the
// period ends, never one per packet.
type rateLimiter struct {
	lim  Limits
	log  *slog.Logger
	now  func() time.Time
	mu   sync.Mutex
	srcs map[netip.Addr]*bucket
}

func newRateLimiter(lim Limits, log *slog.Logger, now func() time.Time) *rateLimiter {
	return &rateLimiter{lim: lim, log: log, now: now, srcs: map[netip.Addr]*bucket{}}
}

// overflowSource stands for every source once maxTrackedSources are tracked.
var overflowSource = netip.IPv6Unspecified()

// take spends one token of src.
func (r *rateLimiter) take(src netip.Addr) verdict {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.srcs[src]
	if b == nil {
		if len(r.srcs) >= maxTrackedSources {
			src = overflowSource
			b = r.srcs[src]
		}
		if b == nil {
			b = &bucket{tokens: float64(r.lim.Burst), last: now}
			r.srcs[src] = b
		}
	}
	if !b.until.IsZero() {
		if now.Before(b.until) {
			b.refused++
			return drop
		}
		r.endLocked(src, b, now)
	}
	b.tokens = min(float64(r.lim.Burst), b.tokens+now.Sub(b.last).Seconds()*r.lim.RequestsPerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return pass
	}
	b.until, b.since, b.refused, b.notified = now.Add(r.lim.Block), now, 1, false
	r.log.Warn("SIP source over its request rate: refused for a while", "source", src.String(),
		"requests_per_second", r.lim.RequestsPerSecond, "block", r.lim.Block.String())
	return passOver
}

// limited reports whether src is in a block period now.
func (r *rateLimiter) limited(src netip.Addr) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.srcs[src]
	return b != nil && now.Before(b.until)
}

// notice reports, once per block period, that src is to be told 503.
func (r *rateLimiter) notice(src netip.Addr) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.srcs[src]
	if b == nil || !now.Before(b.until) || b.notified {
		return false
	}
	b.notified = true
	return true
}

// refuse counts a message dropped for src outside take (a closed TCP read).
func (r *rateLimiter) refuse(src netip.Addr) {
	r.mu.Lock()
	if b := r.srcs[src]; b != nil {
		b.refused++
	}
	r.mu.Unlock()
}

func (r *rateLimiter) endLocked(src netip.Addr, b *bucket, now time.Time) {
	r.log.Info("SIP source no longer refused", "source", src.String(), "refused", b.refused,
		"duration", b.until.Sub(b.since).Round(time.Second).String())
	b.until, b.refused, b.notified = time.Time{}, 0, false
	b.tokens, b.last = float64(r.lim.Burst), now
}

// sweep ends expired block periods (their summary line) and forgets sources
// whose bucket has refilled. It returns how many sources are limited now.
func (r *rateLimiter) sweep() int {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for src, b := range r.srcs {
		switch {
		case !b.until.IsZero() && now.Before(b.until):
			n++
		case !b.until.IsZero():
			r.endLocked(src, b, now)
			delete(r.srcs, src)
		case now.Sub(b.last).Seconds()*r.lim.RequestsPerSecond+b.tokens >= float64(r.lim.Burst):
			delete(r.srcs, src)
		}
	}
	return n
}

// limitedSources counts the sources in a block period now.
func (r *rateLimiter) limitedSources() int {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.srcs {
		if now.Before(b.until) {
			n++
		}
	}
	return n
}
