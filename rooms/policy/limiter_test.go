package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

type op int

const (
	allow op = iota
	fail
	succeed
)

// step is one call on the limiter, at t0+at. For allow, ok and retry are the
// expected results; n repeats fail (with 1 ms between repeats).
type step struct {
	op      op
	at      time.Duration
	src     string
	meeting string
	n       int
	ok      bool
	retry   time.Duration
}

func failN(at time.Duration, src, meeting string, n int) step {
	return step{op: fail, at: at, src: src, meeting: meeting, n: n}
}
func failAt(at time.Duration, src, meeting string) step { return failN(at, src, meeting, 1) }
func allowed(at time.Duration, src, meeting string) step {
	return step{op: allow, at: at, src: src, meeting: meeting, ok: true}
}
func refused(at time.Duration, src, meeting string, retry time.Duration) step {
	return step{op: allow, at: at, src: src, meeting: meeting, retry: retry}
}
func succeedAt(src, meeting string) step { return step{op: succeed, src: src, meeting: meeting} }

const (
	a  = "192.0.2.1"
	b  = "192.0.2.2"
	m1 = "123456789"
	m2 = "987654321"
	s  = time.Second
	ms = time.Millisecond
)

// manyFail is one failure at meeting from each of n distinct sources.
func manyFail(at time.Duration, meeting string, n int) []step {
	var out []step
	for i := range n {
		out = append(out, failAt(at, fmt.Sprintf("198.51.100.%d", i+1), meeting))
	}
	return out
}

func cat(parts ...any) []step {
	var out []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			out = append(out, p)
		case []step:
			out = append(out, p...)
		}
	}
	return out
}

func TestLimiter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   LimiterConfig
		steps []step
	}{
		{"fresh source allowed", LimiterConfig{}, cat(allowed(0, a, m1))},
		{"four failures still allowed", LimiterConfig{}, cat(failN(0, a, m1, 4), allowed(s, a, m1))},
		{"five failures refuse the source", LimiterConfig{}, cat(
			failN(0, a, m1, 5), refused(5*s, a, m1, 55*s))},
		{"source refusal covers other meetings", LimiterConfig{}, cat(
			failN(0, a, m1, 5), refused(s, a, m2, 59*s))},
		{"other sources unaffected", LimiterConfig{}, cat(
			failN(0, a, m1, 5), allowed(s, b, m1), allowed(s, b, m2))},
		{"window expiry", LimiterConfig{}, cat(
			failN(0, a, m1, 5),
			refused(60*s-ms, a, m1, ms),
			allowed(60*s, a, m1))},
		{"window slides", LimiterConfig{}, cat(
			failAt(0, a, m1), failAt(10*s, a, m1), failAt(20*s, a, m1), failAt(30*s, a, m1), failAt(40*s, a, m1),
			refused(45*s, a, m1, 15*s),
			allowed(60*s, a, m1), // the failure at 0 left
			failAt(65*s, a, m1),
			refused(66*s, a, m1, 4*s), // until the failure at 10 s leaves
			allowed(70*s, a, m1))},
		{"failures beyond the limit extend the wait", LimiterConfig{}, cat(
			failAt(0, a, m1), failAt(1*s, a, m1), failAt(2*s, a, m1), failAt(3*s, a, m1),
			failAt(4*s, a, m1), failAt(5*s, a, m1), failAt(6*s, a, m1),
			refused(61*s, a, m1, s), // 2..6 s still count
			allowed(62*s, a, m1))},
		{"per meeting limit across sources", LimiterConfig{}, cat(
			manyFail(0, m1, 19), allowed(s, b, m1),
			failAt(2*s, a, m1),
			refused(3*s, b, m1, 57*s),
			allowed(3*s, b, m2),
			allowed(62*s, b, m1))},
		{"succeed forgives the source's failures at that meeting", LimiterConfig{}, cat(
			failN(0, a, m1, 4), succeedAt(a, m1), failN(s, a, m1, 4), allowed(2*s, a, m1),
			failAt(3*s, a, m1), refused(4*s, a, m1, 57*s))},
		{"succeed at another meeting forgives nothing", LimiterConfig{}, cat(
			failN(0, a, m1, 4), succeedAt(a, m2), failAt(s, a, m1), refused(2*s, a, m1, 58*s))},
		{"succeed keeps failures at other meetings", LimiterConfig{}, cat(
			failN(0, a, m2, 3), failN(s, a, m1, 2), succeedAt(a, m1), allowed(2*s, a, m1),
			failN(3*s, a, m1, 2), refused(4*s, a, m1, 56*s))},
		{"succeed removes only that source from the meeting count", LimiterConfig{}, cat(
			manyFail(0, m1, 19), failAt(s, a, m1), refused(2*s, b, m1, 58*s),
			succeedAt(a, m1), allowed(2*s, b, m1),
			succeedAt("198.51.100.1", m2), failAt(2*s, b, m1), refused(3*s, "192.0.2.9", m1, 57*s))},
		{"ipv6 sources grouped by /64", LimiterConfig{}, cat(
			failAt(0, "2001:db8::1", m1), failAt(0, "2001:db8::2", m1), failAt(0, "2001:db8::ffff:1", m1),
			failAt(0, "2001:db8::aa:bb:cc", m1), failAt(0, "2001:db8:0:0:1::", m1),
			refused(s, "2001:db8::9", m2, 59*s),
			allowed(s, "2001:db8:0:1::1", m2))},
		{"ipv6 prefix 128 tracks each address", LimiterConfig{IPv6PrefixLen: 128}, cat(
			failN(0, "2001:db8::1", m1, 5), refused(s, "2001:db8::1", m2, 59*s), allowed(s, "2001:db8::2", m2))},
		{"ipv4-mapped ipv6 counts as ipv4", LimiterConfig{}, cat(
			failN(0, "::ffff:192.0.2.1", m1, 5), refused(s, a, m2, 59*s))},
		{"zone ignored", LimiterConfig{}, cat(
			failN(0, "fe80::1%eth0", m1, 5), refused(s, "fe80::1%eth1", m2, 59*s), refused(s, "fe80::1", m2, 59*s))},
		{"clock stepping back stays conservative", LimiterConfig{}, cat(
			failN(10*s, a, m1, 5), refused(5*s, a, m1, 65*s), refused(69*s, a, m1, s), allowed(70*s+4*ms, a, m1))},
		{"custom limits", LimiterConfig{PerSource: 2, PerMeeting: 3, Window: 10 * s}, cat(
			failN(0, a, m1, 2), refused(s, a, m1, 9*s), failAt(s, b, m1), refused(2*s, "192.0.2.3", m1, 8*s),
			allowed(11*s, "192.0.2.3", m1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLimiter(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				src := netip.MustParseAddr(st.src)
				now := t0.Add(st.at)
				switch st.op {
				case fail:
					for j := range max(st.n, 1) {
						l.Fail(src, st.meeting, now.Add(time.Duration(j)*ms))
					}
				case succeed:
					l.Succeed(src, st.meeting)
				case allow:
					ok, retry := l.Allow(src, st.meeting, now)
					if ok != st.ok || retry != st.retry {
						t.Fatalf("step %d: Allow(%s, %s, +%v) = %v, %v; want %v, %v",
							i, st.src, st.meeting, st.at, ok, retry, st.ok, st.retry)
					}
				}
			}
		})
	}
}

func TestLimiterMemoryBound(t *testing.T) {
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for _, tc := range []struct {
		name                      string
		cfg                       LimiterConfig
		run                       func(l *Limiter)
		wantSources, wantMeetings int
		check                     func(t *testing.T, l *Limiter)
	}{
		{
			name: "cap evicts the least recently failed source",
			cfg:  LimiterConfig{MaxEntries: 2},
			run: func(l *Limiter) {
				l.Fail(addr(1), m1, t0) // addr 1 fails first ...
				l.Fail(addr(2), m1, t0.Add(s))
				l.Fail(addr(1), m1, t0.Add(2*s)) // ... then again: 2 is now the oldest
				l.Fail(addr(3), m1, t0.Add(3*s))
			},
			wantSources: 2, wantMeetings: 1,
			check: func(t *testing.T, l *Limiter) {
				l.mu.Lock()
				defer l.mu.Unlock()
				for i, want := range map[int]bool{1: true, 2: false, 3: true} {
					if _, got := l.sources.entries[addr(i)]; got != want {
						t.Errorf("source %d tracked = %v, want %v", i, got, want)
					}
				}
			},
		},
		{
			name: "cap evicts the least recently failed meeting",
			cfg:  LimiterConfig{MaxEntries: 3},
			run: func(l *Limiter) {
				for i := range 10 {
					l.Fail(addr(1), fmt.Sprint(100000000+i), t0.Add(time.Duration(i)*ms))
				}
			},
			wantSources: 1, wantMeetings: 3,
			check: func(t *testing.T, l *Limiter) {
				l.mu.Lock()
				defer l.mu.Unlock()
				for _, id := range []string{"100000007", "100000008", "100000009"} {
					if l.meetings.entries[id] == nil {
						t.Errorf("meeting %s not tracked", id)
					}
				}
			},
		},
		{
			name: "flood of sources stays at the cap",
			cfg:  LimiterConfig{MaxEntries: 100},
			run: func(l *Limiter) {
				for i := range 100_000 {
					l.Fail(addr(i), m1, t0.Add(time.Duration(i)*time.Microsecond))
				}
			},
			wantSources: 100, wantMeetings: 1,
			check: func(t *testing.T, l *Limiter) {
				l.mu.Lock()
				defer l.mu.Unlock()
				if n := len(l.meetings.entries[m1].fails); n != DefaultPerMeeting {
					t.Errorf("meeting keeps %d failures, want at most %d", n, DefaultPerMeeting)
				}
				n := 0
				for e := l.sources.head; e != nil; e = e.next {
					n++
				}
				if n != 100 {
					t.Errorf("recency list has %d entries, map %d", n, len(l.sources.entries))
				}
			},
		},
		{
			name: "idle entries are swept when others fail",
			run: func(l *Limiter) {
				for i := range 5 {
					l.Fail(addr(i), fmt.Sprint(100000000+i), t0)
				}
				l.Fail(addr(99), m1, t0.Add(DefaultWindow))
			},
			wantSources: 1, wantMeetings: 1,
		},
		{
			name: "allow drops an expired entry",
			run: func(l *Limiter) {
				l.Fail(addr(1), m1, t0)
				l.Allow(addr(1), m1, t0.Add(DefaultWindow))
			},
		},
		{
			name: "succeed drops an emptied entry",
			run: func(l *Limiter) {
				l.Fail(addr(1), m1, t0)
				l.Fail(addr(1), m1, t0)
				l.Succeed(addr(1), m1)
			},
		},
		{
			name: "succeed keeps entries with other failures",
			run: func(l *Limiter) {
				l.Fail(addr(1), m1, t0)
				l.Fail(addr(1), m2, t0)
				l.Fail(addr(2), m1, t0)
				l.Succeed(addr(1), m1)
			},
			wantSources: 2, wantMeetings: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLimiter(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			tc.run(l)
			if src, mtg := l.Len(); src != tc.wantSources || mtg != tc.wantMeetings {
				t.Fatalf("Len() = %d sources, %d meetings; want %d, %d", src, mtg, tc.wantSources, tc.wantMeetings)
			}
			if tc.check != nil {
				tc.check(t, l)
			}
		})
	}
}

func TestLimiterConfig(t *testing.T) {
	defaults := LimiterConfig{PerSource: 5, PerMeeting: 20, Window: time.Minute, MaxEntries: 10_000, IPv6PrefixLen: 64}
	for _, tc := range []struct {
		name string
		in   LimiterConfig
		want LimiterConfig
		err  bool
	}{
		{name: "zero takes defaults", want: defaults},
		{name: "set fields kept", in: LimiterConfig{PerSource: 3, Window: time.Hour},
			want: LimiterConfig{PerSource: 3, PerMeeting: 20, Window: time.Hour, MaxEntries: 10_000, IPv6PrefixLen: 64}},
		{name: "negative per source", in: LimiterConfig{PerSource: -1}, err: true},
		{name: "negative per meeting", in: LimiterConfig{PerMeeting: -1}, err: true},
		{name: "negative window", in: LimiterConfig{Window: -time.Second}, err: true},
		{name: "negative max entries", in: LimiterConfig{MaxEntries: -1}, err: true},
		{name: "prefix over 128", in: LimiterConfig{IPv6PrefixLen: 129}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLimiter(tc.in)
			if tc.err {
				if !errors.Is(err, errConfig) {
					t.Fatalf("NewLimiter(%+v) = %v, want errConfig", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Config(); got != tc.want {
				t.Fatalf("Config() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Hammer one limiter from several goroutines; with -race this checks the
// locking, and the totals check that no failure is lost.
func TestLimiterConcurrent(t *testing.T) {
	l, err := NewLimiter(LimiterConfig{PerSource: 1000, PerMeeting: 1000})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			src := netip.AddrFrom4([4]byte{10, 0, 0, byte(w)})
			for i := range each {
				now := t0.Add(time.Duration(i) * ms)
				l.Allow(src, m1, now)
				l.Fail(src, m1, now)
			}
		})
	}
	wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.meetings.entries[m1].fails); n != workers*each {
		t.Fatalf("meeting counted %d failures, want %d", n, workers*each)
	}
	for w := range workers {
		if n := len(l.sources.entries[netip.AddrFrom4([4]byte{10, 0, 0, byte(w)})].fails); n != each {
			t.Fatalf("source %d counted %d failures, want %d", w, n, each)
		}
	}
}

// BenchmarkAllow measures the check on every join attempt with a full table
// of tracked sources.
func BenchmarkAllow(b *testing.B) {
	l, err := NewLimiter(LimiterConfig{})
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]netip.Addr, DefaultMaxEntries)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		for range 3 {
			l.Fail(addrs[i], fmt.Sprint(100000000+i%500), t0)
		}
	}
	now := t0.Add(time.Second)
	i := 0
	for b.Loop() {
		l.Allow(addrs[i%len(addrs)], "100000042", now)
		i++
	}
}

func BenchmarkFail(b *testing.B) {
	l, err := NewLimiter(LimiterConfig{})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.Fail(src, "100000042", t0.Add(time.Duration(i)*time.Microsecond))
		i++
	}
}
