package ras

import (
	"log/slog"
	"net/netip"
	"time"
)

// Limits bound what the network can make the gatekeeper hold and send.
type Limits struct {
	// MaxRegistrations caps all registrations. Default 2000.
	MaxRegistrations int `yaml:"max_registrations"`
	// RegistrationsPerSource caps registrations from one source IP (one
	// NAT may hide a building of room systems). Default 100.
	RegistrationsPerSource int `yaml:"registrations_per_source"`
	// AliasesPerRegistration caps the aliases one endpoint may register;
	// an RRQ with more is rejected (invalidAlias). Default 16.
	AliasesPerRegistration int `yaml:"aliases_per_registration"`
	// RequestsPerSecond is the sustained datagram rate accepted from one
	// source IP; Burst what it may send at once above it. Defaults 20 and 100.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	Burst             int     `yaml:"burst"`
	// Block is how long a source over its rate is ignored. Default 10 s.
	Block time.Duration `yaml:"block"`
}

// Limits that are not configurable: they follow from the protocol.
const (
	// maxDatagram is the largest RAS datagram read; larger ones are dropped
	// (RAS messages are a few hundred octets, with H.235 tokens a few KB).
	maxDatagram = 8192
	// maxAddresses caps callSignalAddress and rasAddress lists.
	maxAddresses = 8
	// MaxReplyGrowth is how many octets an answer may exceed its request.
	MaxReplyGrowth = 160
	// maxTrackedSources bounds the rate limiter's memory under spoofing:
	// past it, new sources share one bucket.
	maxTrackedSources = 1 << 14
	// replyCacheSize bounds the retransmission cache; replyCacheTTL is how
	// long an answer is kept for a retransmitted request (H.225.0 retries
	// end within 3 × 5 s).
	replyCacheSize = 1024
	replyCacheTTL  = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxRegistrations <= 0 {
		l.MaxRegistrations = 2000
	}
	if l.RegistrationsPerSource <= 0 {
		l.RegistrationsPerSource = 100
	}
	if l.AliasesPerRegistration <= 0 {
		l.AliasesPerRegistration = 16
	}
	if l.RequestsPerSecond <= 0 {
		l.RequestsPerSecond = 20
	}
	if l.Burst <= 0 {
		l.Burst = 100
	}
	if l.Block <= 0 {
		l.Block = 10 * time.Second
	}
	return l
}

type bucket struct {
	tokens  float64
	last    time.Time
	until   time.Time // blocked until; zero when not blocked
	dropped uint64
}

// rateLimiter is a token bucket per source IP. It is used only from the
// gatekeeper's read loop, so it needs no lock.
type rateLimiter struct {
	lim  Limits
	log  *slog.Logger
	srcs map[netip.Addr]*bucket
}

var overflowSource = netip.IPv6Unspecified()

// allow spends one token of src; false means drop the datagram unanswered.
func (r *rateLimiter) allow(src netip.Addr, now time.Time) bool {
	b := r.srcs[src]
	if b == nil {
		if len(r.srcs) >= maxTrackedSources {
			r.forget(now)
		}
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
			b.dropped++
			return false
		}
		r.log.Info("RAS source no longer ignored", "source", src.String(), "dropped", b.dropped)
		b.until, b.dropped, b.tokens, b.last = time.Time{}, 0, float64(r.lim.Burst), now
	}
	b.tokens = min(float64(r.lim.Burst), b.tokens+now.Sub(b.last).Seconds()*r.lim.RequestsPerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	b.until, b.dropped = now.Add(r.lim.Block), 1
	r.log.Warn("RAS source over its request rate: ignored for a while", "source", src.String(),
		"requests_per_second", r.lim.RequestsPerSecond, "block", r.lim.Block.String())
	return false
}

// forget drops sources whose bucket is full again and that are not blocked.
func (r *rateLimiter) forget(now time.Time) {
	for src, b := range r.srcs {
		full := b.tokens+now.Sub(b.last).Seconds()*r.lim.RequestsPerSecond >= float64(r.lim.Burst)
		if b.until.IsZero() && full || !b.until.IsZero() && !now.Before(b.until) {
			delete(r.srcs, src)
		}
	}
}

// replyKey identifies a request for the retransmission cache: the same
// source, sequence number and bytes.
type replyKey struct {
	src  netip.AddrPort
	seq  int64
	hash uint64
}

type cachedReply struct {
	key   replyKey
	reply []byte // nil: the request was deliberately not answered
	at    time.Time
}

// replyCache remembers the last answers in a ring (read loop only).
type replyCache struct {
	ring  []cachedReply
	next  int
	index map[replyKey]int
}

func newReplyCache() *replyCache {
	return &replyCache{ring: make([]cachedReply, 0, replyCacheSize), index: map[replyKey]int{}}
}

func (c *replyCache) get(k replyKey, now time.Time) ([]byte, bool) {
	i, ok := c.index[k]
	if !ok || now.Sub(c.ring[i].at) > replyCacheTTL {
		return nil, false
	}
	return c.ring[i].reply, true
}

func (c *replyCache) put(k replyKey, reply []byte, now time.Time) {
	e := cachedReply{key: k, reply: reply, at: now}
	if len(c.ring) < replyCacheSize {
		c.index[k] = len(c.ring)
		c.ring = append(c.ring, e)
		return
	}
	old := c.ring[c.next]
	if c.index[old.key] == c.next {
		delete(c.index, old.key)
	}
	c.ring[c.next] = e
	c.index[k] = c.next
	c.next = (c.next + 1) % replyCacheSize
}
