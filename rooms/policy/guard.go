package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Guard defaults, used for zero fields of GuardConfig. README "Limits" gives the
// arithmetic of what they allow an attacker.
const (
	DefaultGuardPerSource    = 5
	DefaultGuardBackoff      = 10 * time.Second
	DefaultGuardBackoffMax   = 15 * time.Minute
	DefaultGuardPerMeeting   = 50
	DefaultGuardPerGateway   = 1000
	DefaultGuardWindow       = time.Hour
	DefaultGuardBanAfter     = 30
	DefaultGuardBanWindow    = 24 * time.Hour
	DefaultGuardBan          = time.Hour
	DefaultGuardBanMax       = 7 * 24 * time.Hour
	DefaultGuardAlertSources = 10
	// recentGuesses is how many distinct wrong guesses a source is remembered to
	// have made at one meeting: repeating one of them tells nothing new and does
	// not count again.
	recentGuesses = 4
)

// GuardConfig configures a Guard; zero fields take the defaults above.
type GuardConfig struct {
	// PerSource wrong passwords one source may give at one meeting before it
	// backs off there.
	PerSource int
	// Backoff is the first back-off; each further failure doubles it, up to
	// BackoffMax. A source quiet at a meeting for Window starts afresh.
	Backoff, BackoffMax time.Duration
	// PerMeeting wrong passwords one meeting may draw within Window; beyond it,
	// sources that never got into the meeting wait (known sources, host key and
	// operator token are not affected).
	PerMeeting int
	// PerGateway is the same for all meetings together: it bounds guessing
	// spread over many meetings.
	PerGateway int
	Window     time.Duration
	// BanAfter wrong passwords from one source, at any meetings, within
	// BanWindow ban it for Ban, doubled on each repeat ban up to BanMax.
	BanAfter      int
	BanWindow     time.Duration
	Ban, BanMax   time.Duration
	AlertSources  int // distinct failing sources at one meeting within Window that raise an alert
	MaxEntries    int // cap on tracked sources, source-meeting pairs and meetings each
	IPv6PrefixLen int // IPv6 sources in one prefix of this length are one source
}

func (c GuardConfig) withDefaults() (GuardConfig, error) {
	if c.PerSource < 0 || c.PerMeeting < 0 || c.PerGateway < 0 || c.BanAfter < 0 || c.AlertSources < 0 || c.MaxEntries < 0 ||
		c.Backoff < 0 || c.BackoffMax < 0 || c.Window < 0 || c.BanWindow < 0 || c.Ban < 0 || c.BanMax < 0 ||
		c.IPv6PrefixLen < 0 || c.IPv6PrefixLen > 128 {
		return c, fmt.Errorf("%+v: %w", c, errConfig)
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defInt(&c.PerSource, DefaultGuardPerSource)
	defInt(&c.PerMeeting, DefaultGuardPerMeeting)
	defInt(&c.PerGateway, DefaultGuardPerGateway)
	defInt(&c.BanAfter, DefaultGuardBanAfter)
	defInt(&c.AlertSources, DefaultGuardAlertSources)
	defInt(&c.MaxEntries, DefaultMaxEntries)
	defInt(&c.IPv6PrefixLen, DefaultIPv6PrefixLen)
	defDur(&c.Backoff, DefaultGuardBackoff)
	defDur(&c.BackoffMax, DefaultGuardBackoffMax)
	defDur(&c.Window, DefaultGuardWindow)
	defDur(&c.BanWindow, DefaultGuardBanWindow)
	defDur(&c.Ban, DefaultGuardBan)
	defDur(&c.BanMax, DefaultGuardBanMax)
	return c, nil
}

// Refusal says why a password attempt is not even evaluated.
type Refusal int

// Refusals, from the most to the least specific to the source.
const (
	Allowed        Refusal = iota
	Banned                 // the source is on the ban list
	BackingOff             // the source failed too often at this meeting lately
	MeetingGuarded         // the meeting drew too many failures; the source never got in
	GatewayGuarded         // all meetings together drew too many failures; the source never got in
)

func (r Refusal) String() string {
	return [...]string{"allowed", "banned", "backing off", "meeting under guard", "gateway under guard"}[r]
}

// Ban is one entry of the ban list.
type Ban struct {
	Source netip.Addr // as counted: IPv6 truncated to the prefix
	Until  time.Time
	Count  int // bans of this source so far, this one included
	// Failures and Meetings describe what earned the ban (for the log).
	Failures, Meetings int
}

// Alert reports one meeting drawing wrong passwords from many sources.
type Alert struct {
	Meeting  string
	Sources  int
	Failures int
}

// FailResult is what one recorded failure caused.
type FailResult struct {
	Counted bool   // false for a repeated guess, which tells nothing new
	Ban     *Ban   // set when this failure banned the source
	Alert   *Alert // set when the meeting crossed the alert threshold (once per Window)
}

// Guard limits password guessing without locking out the people who know the
// password. A join handler asks Check before it evaluates a password, except for
// unguessable credentials (host key, operator token), which it always evaluates:
//
//	if r, wait := g.Check(src, id, now); r != Allowed { /* 429, Retry-After: wait */ }
//	if right { g.Succeed(src, id, now) } else { res := g.Fail(src, id, guess, now) }
//
// Failures are keyed by source and meeting: a source backs off at the meeting it
// failed at (PerSource free failures, then Backoff doubling), is banned everywhere
// after BanAfter failures within BanWindow, and a meeting that drew PerMeeting
// failures within Window makes sources that never got into it wait, while known
// sources keep getting in. A Guard keeps no clock (callers pass the time) and is
// safe for concurrent use.
type Guard struct {
	cfg GuardConfig

	mu       sync.Mutex
	sources  *lru[netip.Addr, *sourceState]
	pairs    *lru[pairKey, *pairState]
	known    *lru[pairKey, time.Time] // last success of a source at a meeting
	meetings *windowLog[string, netip.Addr]
	gateway  *windowLog[struct{}, netip.Addr] // all failures, one key
	alerted  *lru[string, time.Time]          // meeting → end of its alert period
	scratch  []netip.Addr                     // distinctSources' buffer
}

type pairKey struct {
	src     netip.Addr
	meeting string
}

// pairState is one source's recent failures at one meeting.
type pairState struct {
	fails   int
	last    time.Time
	until   time.Time // backing off until
	guesses [recentGuesses]uint64
	next    int
}

func (p *pairState) seen(g uint64) bool {
	for _, x := range p.guesses {
		if x == g && g != 0 {
			return true
		}
	}
	return false
}

// sourceState is one source's failures at all meetings and its ban.
type sourceState struct {
	fails []failure[string] // within BanWindow, noting the meeting, oldest first
	until time.Time         // banned until
	bans  int
}

// NewGuard returns a Guard; zero fields of cfg take the defaults.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Guard{
		cfg:      cfg,
		sources:  newLRU[netip.Addr, *sourceState](cfg.MaxEntries),
		pairs:    newLRU[pairKey, *pairState](cfg.MaxEntries),
		known:    newLRU[pairKey, time.Time](cfg.MaxEntries),
		meetings: newWindowLog[string, netip.Addr](cfg.PerMeeting, cfg.MaxEntries, cfg.Window),
		gateway:  newWindowLog[struct{}, netip.Addr](cfg.PerGateway, 1, cfg.Window),
		alerted:  newLRU[string, time.Time](cfg.MaxEntries),
	}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (g *Guard) Config() GuardConfig { return g.cfg }

// Check reports whether a password from src for meeting may be evaluated at now,
// and if not why and for how long not.
func (g *Guard) Check(src netip.Addr, meeting string, now time.Time) (Refusal, time.Duration) {
	src = sourceKey(src, g.cfg.IPv6PrefixLen)
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.sources.get(src); ok && now.Before(s.until) {
		return Banned, s.until.Sub(now)
	}
	k := pairKey{src, meeting}
	if p, ok := g.pairs.get(k); ok && now.Before(p.until) {
		return BackingOff, p.until.Sub(now)
	}
	if !g.isKnown(k, now) {
		if wait := g.meetings.wait(meeting, now); wait > 0 {
			return MeetingGuarded, wait
		}
		if wait := g.gateway.wait(struct{}{}, now); wait > 0 {
			return GatewayGuarded, wait
		}
	}
	return Allowed, 0
}

// Banned reports whether src is banned at now, and until when.
func (g *Guard) Banned(src netip.Addr, now time.Time) (bool, time.Time) {
	src = sourceKey(src, g.cfg.IPv6PrefixLen)
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.sources.get(src); ok && now.Before(s.until) {
		return true, s.until
	}
	return false, time.Time{}
}

func (g *Guard) isKnown(k pairKey, now time.Time) bool {
	at, ok := g.known.get(k)
	return ok && now.Sub(at) < g.cfg.BanWindow
}

// Fail records a wrong password (or an unknown meeting) from src for meeting.
// guess identifies the guess (e.g. a hash of it; 0 for none): a guess src already
// made at the meeting lately is not counted again.
func (g *Guard) Fail(src netip.Addr, meeting string, guess uint64, now time.Time) FailResult {
	src = sourceKey(src, g.cfg.IPv6PrefixLen)
	g.mu.Lock()
	defer g.mu.Unlock()
	k := pairKey{src, meeting}
	p, ok := g.pairs.get(k)
	if !ok || now.Sub(p.last) >= g.cfg.Window {
		p = &pairState{}
	}
	g.pairs.put(k, p)
	if p.seen(guess) {
		return FailResult{}
	}
	p.guesses[p.next] = guess
	p.next = (p.next + 1) % recentGuesses
	p.fails++
	p.last = now
	if p.fails >= g.cfg.PerSource {
		p.until = now.Add(doubled(g.cfg.Backoff, p.fails-g.cfg.PerSource, g.cfg.BackoffMax))
	}
	res := FailResult{Counted: true}

	s, ok := g.sources.get(src)
	if !ok {
		s = &sourceState{}
	}
	g.sources.put(src, s)
	n := 0
	for n < len(s.fails) && now.Sub(s.fails[n].at) >= g.cfg.BanWindow {
		n++
	}
	s.fails = append(s.fails[n:], failure[string]{at: now, peer: meeting})
	if len(s.fails) >= g.cfg.BanAfter {
		s.bans++
		s.until = now.Add(doubled(g.cfg.Ban, s.bans-1, g.cfg.BanMax))
		ms := map[string]bool{}
		for _, f := range s.fails {
			ms[f.peer] = true
		}
		res.Ban = &Ban{Source: src, Until: s.until, Count: s.bans, Failures: len(s.fails), Meetings: len(ms)}
		s.fails = nil
	}

	g.gateway.record(struct{}{}, src, now) // not forgiven by a success elsewhere
	g.meetings.record(meeting, src, now)
	if e := g.meetings.entries[meeting]; e != nil && len(e.fails) >= g.cfg.AlertSources {
		end, alerted := g.alerted.get(meeting)
		if !alerted || !now.Before(end) {
			if n := g.distinctSources(e.fails); n >= g.cfg.AlertSources {
				g.alerted.put(meeting, now.Add(g.cfg.Window))
				res.Alert = &Alert{Meeting: meeting, Sources: n, Failures: len(e.fails)}
			}
		}
	}
	return res
}

// distinctSources counts the sources among fails (at most PerMeeting of them),
// reusing one buffer.
func (g *Guard) distinctSources(fails []failure[netip.Addr]) int {
	g.scratch = g.scratch[:0]
	for _, f := range fails {
		if !slices.Contains(g.scratch, f.peer) {
			g.scratch = append(g.scratch, f.peer)
		}
	}
	return len(g.scratch)
}

// Succeed records a right password from src for meeting: its failures there are
// forgiven (from the meeting's count and its own) and it is a known source of the
// meeting from now on, which the meeting's guard does not hold back.
func (g *Guard) Succeed(src netip.Addr, meeting string, now time.Time) {
	src = sourceKey(src, g.cfg.IPv6PrefixLen)
	g.mu.Lock()
	defer g.mu.Unlock()
	k := pairKey{src, meeting}
	g.pairs.remove(k)
	g.known.put(k, now)
	g.meetings.forget(meeting, src)
	if s, ok := g.sources.get(src); ok {
		kept := s.fails[:0]
		for _, f := range s.fails {
			if f.peer != meeting {
				kept = append(kept, f)
			}
		}
		s.fails = kept
	}
}

// Restore puts bans read back from storage (after a restart) on the list.
func (g *Guard) Restore(bans []Ban) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range bans {
		src := sourceKey(b.Source, g.cfg.IPv6PrefixLen)
		s, ok := g.sources.get(src)
		if !ok {
			s = &sourceState{}
		}
		if b.Until.After(s.until) {
			s.until = b.Until
		}
		s.bans = max(s.bans, b.Count)
		g.sources.put(src, s)
	}
}

// Bans lists the sources banned at now.
func (g *Guard) Bans(now time.Time) []Ban {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Ban
	g.sources.each(func(src netip.Addr, s *sourceState) {
		if now.Before(s.until) {
			out = append(out, Ban{Source: src, Until: s.until, Count: s.bans})
		}
	})
	return out
}

// doubled returns base·2^n, at most limit.
func doubled(base time.Duration, n int, limit time.Duration) time.Duration {
	d := base
	for range n {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

// sourceKey maps an address to the key it is counted under: IPv4-mapped IPv6
// as IPv4, zones dropped, IPv6 truncated to prefixLen.
func sourceKey(a netip.Addr, prefixLen int) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() && prefixLen < 128 {
		if p, err := a.Prefix(prefixLen); err == nil {
			return p.Addr()
		}
	}
	return a
}
