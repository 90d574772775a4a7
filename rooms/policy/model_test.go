package policy

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// model is a deliberately naive limiter: it keeps every failure forever and
// counts the ones inside the window on each question.
type model struct {
	cfg   LimiterConfig
	fails []modelFail
}

type modelFail struct {
	src     netip.Addr
	meeting string
	at      time.Time
}

func (m *model) wait(match func(modelFail) bool, limit int, now time.Time) time.Duration {
	var in []time.Time
	for _, f := range m.fails {
		if match(f) && now.Sub(f.at) < m.cfg.Window {
			in = append(in, f.at)
		}
	}
	if len(in) < limit {
		return 0
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	return in[len(in)-limit].Add(m.cfg.Window).Sub(now)
}

func (m *model) allow(src netip.Addr, meeting string, now time.Time) (bool, time.Duration) {
	w := max(
		m.wait(func(f modelFail) bool { return f.src == src }, m.cfg.PerSource, now),
		m.wait(func(f modelFail) bool { return f.meeting == meeting }, m.cfg.PerMeeting, now),
	)
	return w == 0, w
}

func (m *model) succeed(src netip.Addr, meeting string) {
	m.fails = slices.DeleteFunc(m.fails, func(f modelFail) bool { return f.src == src && f.meeting == meeting })
}

// FuzzLimiterModel drives the limiter and the model with the same calls, the
// way a join handler does (Allow first, Fail only for attempts that were
// allowed), with a clock that only moves forward, and requires identical
// answers. Each op is 3 bytes: op and source, meeting, time step.
func FuzzLimiterModel(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 1, 0, 0})
	f.Add([]byte{4, 1, 1, 8, 1, 1, 12, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 80, 2, 2, 0})
	f.Add([]byte{0, 0, 10, 4, 0, 10, 8, 0, 10, 12, 0, 10, 0, 1, 10, 5, 1, 10, 9, 2, 39, 13, 0, 1})
	f.Fuzz(runModel)
}

// TestLimiterModelRandom runs runModel on seeded random op sequences, so that
// plain `go test` compares limiter and model on far more than the seeds.
func TestLimiterModelRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		ops := make([]byte, 3*r.IntN(200))
		for i := range ops {
			ops[i] = byte(r.UintN(256))
			if i%3 == 2 {
				ops[i] %= 16 // small time steps keep failures inside the window
			}
		}
		runModel(t, ops)
	}
}

func runModel(t *testing.T, ops []byte) {
	cfg := LimiterConfig{PerSource: 3, PerMeeting: 4, Window: 10 * time.Second, MaxEntries: 1 << 20}
	srcs := []netip.Addr{
		netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:1::1"),
	}
	meetings := []string{"123456789", "987654321", "555555555"}
	l, err := NewLimiter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := &model{cfg: l.Config()}
	now := t0
	for i := 0; i+2 < len(ops); i += 3 {
		src, meeting := srcs[ops[i]>>2%4], meetings[ops[i+1]%3]
		now = now.Add(time.Duration(ops[i+2]) * 250 * time.Millisecond)
		gotOK, gotWait := l.Allow(src, meeting, now)
		wantOK, wantWait := m.allow(src, meeting, now)
		if gotOK != wantOK || gotWait != wantWait {
			t.Fatalf("op %d: Allow(%v, %s, +%v) = %v, %v; model %v, %v",
				i/3, src, meeting, now.Sub(t0), gotOK, gotWait, wantOK, wantWait)
		}
		switch ops[i] % 4 {
		case 0, 1: // wrong password
			if gotOK {
				l.Fail(src, meeting, now)
				m.fails = append(m.fails, modelFail{src, meeting, now})
			}
		case 2: // right password
			if gotOK {
				l.Succeed(src, meeting)
				m.succeed(src, meeting)
			}
		case 3: // only asked
		}
	}
}
