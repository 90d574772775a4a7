package policy

import (
	"net/netip"
	"testing"
	"time"
)

var g0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// gstep is one event fed to a Guard: a check, a failure (with its guess) or a success.
type gstep struct {
	src     string
	meeting string
	op      string // "check", "fail", "ok", "wait"
	guess   uint64
	after   time.Duration // advance the clock before the gstep
	want    Refusal       // for check
	counted bool          // for fail
	ban     bool          // for fail: this failure bans
	alert   bool          // for fail: this failure raises the alert
}

func TestGuardTransitions(t *testing.T) {
	cfg := GuardConfig{PerSource: 3, Backoff: 10 * time.Second, BackoffMax: time.Minute, PerMeeting: 6, PerGateway: 12, Window: time.Hour,
		BanAfter: 8, BanWindow: 24 * time.Hour, Ban: time.Hour, BanMax: 4 * time.Hour, AlertSources: 3}
	fails := func(src, m string, n int, from uint64) []gstep {
		var out []gstep
		for i := range n {
			out = append(out, gstep{src: src, meeting: m, op: "fail", guess: from + uint64(i), counted: true})
		}
		return out
	}
	cat := func(parts ...[]gstep) []gstep {
		var out []gstep
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name  string
		steps []gstep
	}{
		{"fresh->check->allowed", []gstep{{src: "192.0.2.1", meeting: "m", op: "check", want: Allowed}}},
		{"fail×2->check->allowed (free budget)", cat(fails("192.0.2.1", "m", 2, 1),
			[]gstep{{src: "192.0.2.1", meeting: "m", op: "check", want: Allowed}})},
		{"fail×3->check->backing off, other meeting allowed", cat(fails("192.0.2.1", "m", 3, 1), []gstep{
			{src: "192.0.2.1", meeting: "m", op: "check", want: BackingOff},
			{src: "192.0.2.1", meeting: "other", op: "check", want: Allowed},
			{src: "192.0.2.2", meeting: "m", op: "check", want: Allowed},
		})},
		{"backing off->wait 10s->allowed->fail->backing off 20s", cat(fails("192.0.2.1", "m", 3, 1), []gstep{
			{src: "192.0.2.1", meeting: "m", op: "check", after: 10 * time.Second, want: Allowed},
			{src: "192.0.2.1", meeting: "m", op: "fail", guess: 9, counted: true},
			{src: "192.0.2.1", meeting: "m", op: "check", after: 15 * time.Second, want: BackingOff},
			{src: "192.0.2.1", meeting: "m", op: "check", after: 5 * time.Second, want: Allowed},
		})},
		{"same guess twice->counted once", []gstep{
			{src: "192.0.2.1", meeting: "m", op: "fail", guess: 7, counted: true},
			{src: "192.0.2.1", meeting: "m", op: "fail", guess: 7, counted: false},
			{src: "192.0.2.1", meeting: "m", op: "fail", guess: 8, counted: true},
			{src: "192.0.2.1", meeting: "m", op: "check", want: Allowed},
		}},
		{"fail×2->success->forgiven", cat(fails("192.0.2.1", "m", 2, 1), []gstep{
			{src: "192.0.2.1", meeting: "m", op: "ok"},
			{src: "192.0.2.1", meeting: "m", op: "fail", guess: 1, counted: true},
			{src: "192.0.2.1", meeting: "m", op: "fail", guess: 2, counted: true},
			{src: "192.0.2.1", meeting: "m", op: "check", want: Allowed},
		})},
		{"many sources->meeting guarded for newcomers, not for known sources; alert once", cat(
			[]gstep{{src: "192.0.2.9", meeting: "m", op: "ok"}},
			fails("192.0.2.1", "m", 2, 1),
			fails("192.0.2.2", "m", 2, 1),
			[]gstep{{src: "192.0.2.3", meeting: "m", op: "fail", guess: 1, counted: true, alert: true}},
			[]gstep{{src: "192.0.2.4", meeting: "m", op: "fail", guess: 1, counted: true}},
			[]gstep{
				{src: "192.0.2.5", meeting: "m", op: "check", want: MeetingGuarded},
				{src: "192.0.2.9", meeting: "m", op: "check", want: Allowed},
				{src: "192.0.2.5", meeting: "other", op: "check", want: Allowed},
				{src: "192.0.2.5", meeting: "m", op: "check", after: time.Hour, want: Allowed},
			})},
		{"fail×8 across meetings->banned everywhere->ban ends->second ban twice as long", cat(
			fails("192.0.2.1", "a", 2, 1), fails("192.0.2.1", "b", 2, 1), fails("192.0.2.1", "c", 2, 1), fails("192.0.2.1", "d", 1, 1),
			[]gstep{
				{src: "192.0.2.1", meeting: "e", op: "fail", guess: 1, counted: true, ban: true},
				{src: "192.0.2.1", meeting: "f", op: "check", want: Banned},
				{src: "192.0.2.2", meeting: "f", op: "check", want: Allowed},
				{src: "192.0.2.1", meeting: "f", op: "check", after: time.Hour, want: Allowed},
			},
			fails("192.0.2.1", "g", 2, 1), fails("192.0.2.1", "h", 2, 1), fails("192.0.2.1", "i", 2, 1), fails("192.0.2.1", "j", 1, 1),
			[]gstep{
				{src: "192.0.2.1", meeting: "k", op: "fail", guess: 1, counted: true, ban: true},
				{src: "192.0.2.1", meeting: "f", op: "check", after: 90 * time.Minute, want: Banned},
				{src: "192.0.2.1", meeting: "f", op: "check", after: 30 * time.Minute, want: Allowed},
			})},
		{"failures spread over meetings->gateway guarded for newcomers, known sources pass", cat(
			[]gstep{{src: "192.0.2.9", meeting: "a", op: "ok"}},
			fails("192.0.2.1", "a", 1, 1), fails("192.0.2.2", "b", 1, 1), fails("192.0.2.3", "c", 1, 1),
			fails("192.0.2.4", "d", 1, 1), fails("192.0.2.5", "e", 1, 1), fails("192.0.2.6", "f", 1, 1),
			fails("192.0.2.7", "g", 1, 1), fails("192.0.2.8", "h", 1, 1), fails("192.0.2.11", "i", 1, 1),
			fails("192.0.2.12", "j", 1, 1), fails("192.0.2.13", "k", 1, 1), fails("192.0.2.14", "l", 1, 1),
			[]gstep{
				{src: "192.0.2.10", meeting: "z", op: "check", want: GatewayGuarded},
				{src: "192.0.2.9", meeting: "a", op: "check", want: Allowed},
				{src: "192.0.2.10", meeting: "z", op: "check", after: time.Hour, want: Allowed},
			})},
		{"IPv6 /64 is one source", cat(fails("2001:db8::1", "m", 2, 1), []gstep{
			{src: "2001:db8::2", meeting: "m", op: "fail", guess: 5, counted: true},
			{src: "2001:db8::3", meeting: "m", op: "check", want: BackingOff},
			{src: "2001:db8:1::3", meeting: "m", op: "check", want: Allowed},
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGuard(cfg)
			if err != nil {
				t.Fatal(err)
			}
			now := g0
			for i, s := range tc.steps {
				now = now.Add(s.after)
				src := netip.MustParseAddr(s.src)
				switch s.op {
				case "check":
					if got, wait := g.Check(src, s.meeting, now); got != s.want {
						t.Fatalf("gstep %d: Check(%s, %s) = %v (wait %v), want %v", i, s.src, s.meeting, got, wait, s.want)
					}
				case "fail":
					r := g.Fail(src, s.meeting, s.guess, now)
					if r.Counted != s.counted || (r.Ban != nil) != s.ban || (r.Alert != nil) != s.alert {
						t.Fatalf("gstep %d: Fail(%s, %s, %d) = %+v, want counted %v ban %v alert %v", i, s.src, s.meeting, s.guess, r, s.counted, s.ban, s.alert)
					}
				case "ok":
					g.Succeed(src, s.meeting, now)
				}
			}
		})
	}
}

func TestGuardRestoreKeepsBanAndItsCount(t *testing.T) {
	cfg := GuardConfig{BanAfter: 2, Ban: time.Hour, BanMax: 10 * time.Hour}
	g, _ := NewGuard(cfg)
	src := netip.MustParseAddr("198.51.100.7")
	g.Fail(src, "a", 1, g0)
	r := g.Fail(src, "b", 1, g0)
	if r.Ban == nil || r.Ban.Count != 1 || !r.Ban.Until.Equal(g0.Add(time.Hour)) || r.Ban.Meetings != 2 {
		t.Fatalf("first ban = %+v", r.Ban)
	}
	// a restarted process: a new Guard restored from the stored list
	g2, _ := NewGuard(cfg)
	g2.Restore(g.Bans(g0))
	if got, _ := g2.Check(src, "c", g0.Add(30*time.Minute)); got != Banned {
		t.Fatalf("restored guard: %v, want banned", got)
	}
	later := g0.Add(2 * time.Hour)
	g2.Fail(src, "a", 1, later)
	if r := g2.Fail(src, "b", 1, later); r.Ban == nil || r.Ban.Count != 2 || !r.Ban.Until.Equal(later.Add(2*time.Hour)) {
		t.Fatalf("second ban after restore = %+v, want count 2 for 2 h", r.Ban)
	}
}

func TestGuardBoundsMemory(t *testing.T) {
	g, _ := NewGuard(GuardConfig{MaxEntries: 16})
	for i := range 1000 {
		src := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		g.Fail(src, "m"+string(rune('a'+i%26)), uint64(i), g0)
		g.Succeed(src, "x", g0)
	}
	if g.sources.len() > 16 || g.pairs.len() > 16 || g.known.len() > 16 || len(g.meetings.entries) > 16 {
		t.Fatalf("tracked %d sources, %d pairs, %d known, %d meetings; cap 16", g.sources.len(), g.pairs.len(), g.known.len(), len(g.meetings.entries))
	}
}

func TestDoubled(t *testing.T) {
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{0, time.Second}, {1, 2 * time.Second}, {3, 8 * time.Second}, {5, 30 * time.Second}, {200, 30 * time.Second}} {
		if got := doubled(time.Second, c.n, 30*time.Second); got != c.want {
			t.Errorf("doubled(1s, %d, 30s) = %v, want %v", c.n, got, c.want)
		}
	}
}

// BenchmarkGuardCheck is the cost added to every password attempt before it is
// evaluated, with 10,000 sources tracked.
func BenchmarkGuardCheck(b *testing.B) {
	g, _ := NewGuard(GuardConfig{})
	for i := range 10_000 {
		g.Fail(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), "123456789", uint64(i), g0)
	}
	src := netip.MustParseAddr("10.1.0.7")
	b.ReportAllocs()
	for b.Loop() {
		g.Check(src, "123456789", g0)
	}
}

// BenchmarkGuardFail is the cost of recording a wrong password (sources cycling
// through 100,000 addresses, so entries are evicted at the 10,000 cap).
func BenchmarkGuardFail(b *testing.B) {
	g, _ := NewGuard(GuardConfig{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		g.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), "123456789", uint64(i), g0)
		if i == 100_000 {
			i = 0
		}
	}
}
