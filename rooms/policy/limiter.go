package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Limiter defaults, used for zero fields of LimiterConfig.
const (
	// DefaultPerSource wrong passwords per source per window: enough for a few
	// typos, too few for guessing.
	DefaultPerSource = 5
	// DefaultPerMeeting wrong passwords per meeting per window, from all
	// sources together: caps distributed guessing of one meeting's password.
	DefaultPerMeeting = 20
	// DefaultWindow is the length of the sliding window.
	DefaultWindow = time.Minute
	// DefaultMaxEntries caps tracked sources, and separately tracked meetings.
	DefaultMaxEntries = 10_000
	// DefaultIPv6PrefixLen groups IPv6 sources by /64, the block one subscriber
	// or one host typically gets (RFC 6177), so that hopping addresses within
	// it does not buy new attempts.
	DefaultIPv6PrefixLen = 64
)

// LimiterConfig configures a Limiter; zero fields take the defaults above.
type LimiterConfig struct {
	// PerSource is how many wrong passwords one source may give, across all
	// meetings, within Window before it is refused.
	PerSource int `yaml:"per_source"`
	// PerMeeting is how many wrong passwords one meeting may receive, from all
	// sources, within Window before everyone is refused for it.
	PerMeeting int `yaml:"per_meeting"`
	// Window is the sliding window: a failure counts until Window after it.
	Window time.Duration `yaml:"window"`
	// MaxEntries caps how many sources, and how many meetings, are tracked.
	// At the cap the one whose last failure is oldest is forgotten. Memory is
	// bounded by MaxEntries·(PerSource+PerMeeting) failure records (a few MB
	// at the defaults).
	MaxEntries int `yaml:"max_entries"`
	// IPv6PrefixLen: IPv6 sources in the same prefix of this length count as
	// one source (1–128; 128 tracks each address).
	IPv6PrefixLen int `yaml:"ipv6_prefix_len"`
}

// errConfig marks an invalid LimiterConfig.
var errConfig = errors.New("invalid limiter config")

// withDefaults returns c with zero fields defaulted, or an error for
// out-of-range fields.
func (c LimiterConfig) withDefaults() (LimiterConfig, error) {
	if c.PerSource < 0 || c.PerMeeting < 0 || c.Window < 0 || c.MaxEntries < 0 ||
		c.IPv6PrefixLen < 0 || c.IPv6PrefixLen > 128 {
		return c, fmt.Errorf("%+v: %w", c, errConfig)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.PerSource, DefaultPerSource)
	def(&c.PerMeeting, DefaultPerMeeting)
	def(&c.MaxEntries, DefaultMaxEntries)
	def(&c.IPv6PrefixLen, DefaultIPv6PrefixLen)
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	return c, nil
}

// Limiter counts wrong password attempts per source address and per meeting
// in a sliding window, and refuses further attempts from a source, or at a
// meeting, that reached its limit until enough failures age out. It keeps no
// clock: callers pass the time, so behaviour is reproducible in tests.
//
// Typical use in a join handler or the IVR:
//
//	if ok, wait := l.Allow(src, id, now); !ok { /* 429, Retry-After: wait */ }
//	if policy.CheckPassword(m, pw, roomSystem) { l.Succeed(src, id) } else { l.Fail(src, id, now) }
//
// Calling Fail for unknown meeting IDs too slows down meeting-ID scanning.
// A Limiter is safe for concurrent use.
type Limiter struct {
	cfg LimiterConfig

	mu       sync.Mutex
	sources  *windowLog[netip.Addr, string] // failures by source, noting the meeting
	meetings *windowLog[string, netip.Addr] // failures by meeting, noting the source
}

// NewLimiter returns a Limiter; zero fields of cfg take the defaults.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Limiter{
		cfg:      cfg,
		sources:  newWindowLog[netip.Addr, string](cfg.PerSource, cfg.MaxEntries, cfg.Window),
		meetings: newWindowLog[string, netip.Addr](cfg.PerMeeting, cfg.MaxEntries, cfg.Window),
	}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (l *Limiter) Config() LimiterConfig { return l.cfg }

// Allow reports whether source may try a password for meetingID at now. When
// it may not, retryAfter is how long until it may (exact; round it up for an
// HTTP Retry-After header). Allow records nothing.
func (l *Limiter) Allow(source netip.Addr, meetingID string, now time.Time) (ok bool, retryAfter time.Duration) {
	src := l.sourceKey(source)
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := max(l.sources.wait(src, now), l.meetings.wait(meetingID, now))
	return wait <= 0, max(wait, 0)
}

// Fail records a wrong password (or unknown meeting) from source for meetingID at now.
func (l *Limiter) Fail(source netip.Addr, meetingID string, now time.Time) {
	src := l.sourceKey(source)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sources.record(src, meetingID, now)
	l.meetings.record(meetingID, src, now)
}

// Succeed records a right password: it forgets the failures source made at
// this meeting, from both the source's and the meeting's count, so a user who
// mistyped a few times starts clean. Failures at other meetings stay: knowing
// one meeting's password must not buy guesses at another.
func (l *Limiter) Succeed(source netip.Addr, meetingID string) {
	src := l.sourceKey(source)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sources.forget(src, meetingID)
	l.meetings.forget(meetingID, src)
}

// Len returns how many sources and meetings are tracked.
func (l *Limiter) Len() (sources, meetings int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sources.entries), len(l.meetings.entries)
}

// sourceKey maps an address to the key it is counted under.
func (l *Limiter) sourceKey(a netip.Addr) netip.Addr { return sourceKey(a, l.cfg.IPv6PrefixLen) }
