package ports

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// freeRange finds 2*pairs consecutive even/odd ports in the dynamic range that are all
// bindable on loopback right now, so tests do not collide with other processes.
func freeRange(t *testing.T, pairs int) (int, int) {
	t.Helper()
	for base := 41000; base < 64000; base += 2 * pairs {
		ok := true
		for p := base; p < base+2*pairs && ok; p++ {
			c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(p))))
			if err != nil {
				ok = false
				continue
			}
			c.Close()
		}
		if ok {
			return base, base + 2*pairs - 1
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

func newAlloc(t *testing.T, pairs int) *Allocator {
	t.Helper()
	lo, hi := freeRange(t, pairs)
	a, err := New(Config{Min: lo, Max: hi, Addr: loopback})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewConfig(t *testing.T) {
	for _, tc := range []struct {
		name           string
		cfg            Config
		wantMin, total int
		wantErr        bool
	}{
		{name: "defaults", cfg: Config{}, wantMin: 3000, total: 3500},
		{name: "odd min raised", cfg: Config{Min: 3001, Max: 3010}, wantMin: 3002, total: 4},
		{name: "odd max drops half pair", cfg: Config{Min: 3000, Max: 3004}, wantMin: 3000, total: 2},
		{name: "max below min", cfg: Config{Min: 4000, Max: 3000}, wantErr: true},
		{name: "single port", cfg: Config{Min: 4000, Max: 4000}, wantErr: true},
		{name: "above 65535", cfg: Config{Min: 65000, Max: 70000}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.cfg)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("New(%+v) succeeded", tc.cfg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.min != tc.wantMin || a.Stats().Total != tc.total {
				t.Fatalf("min %d total %d, want %d %d", a.min, a.Stats().Total, tc.wantMin, tc.total)
			}
		})
	}
}

func TestAllocateBindsEvenPairs(t *testing.T) {
	a := newAlloc(t, 4)
	pairs, err := a.Allocate(2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release(pairs...)
	for _, p := range pairs {
		if p.RTPPort%2 != 0 || p.RTPPort < a.min || p.RTCPPort() > a.max {
			t.Errorf("pair %d/%d outside even pairs of %d-%d", p.RTPPort, p.RTCPPort(), a.min, a.max)
		}
		if got := p.RTP.LocalAddr().(*net.UDPAddr).Port; got != p.RTPPort {
			t.Errorf("RTP socket on %d, want %d", got, p.RTPPort)
		}
		if got := p.RTCP.LocalAddr().(*net.UDPAddr).Port; got != p.RTPPort+1 {
			t.Errorf("RTCP socket on %d, want %d", got, p.RTPPort+1)
		}
		// The port really is held: a second bind fails.
		if c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p.RTPPort}); err == nil {
			c.Close()
			t.Errorf("port %d bindable while allocated", p.RTPPort)
		}
	}
	if pairs[0].RTPPort == pairs[1].RTPPort {
		t.Fatal("same pair handed out twice")
	}
	if s := a.Stats(); s.InUse != 2 || s.Free != 2 {
		t.Fatalf("stats %+v, want 2 in use, 2 free", s)
	}
}

func TestExhaustion(t *testing.T) {
	a := newAlloc(t, 3)
	first, err := a.Allocate(2)
	if err != nil {
		t.Fatal(err)
	}
	// Two more do not fit: nothing is kept, the one free pair stays free.
	_, err = a.Allocate(2)
	if !errors.Is(err, ErrExhausted) {
		t.Fatalf("err %v, want ErrExhausted", err)
	}
	s := a.Stats()
	if s.InUse != 2 || s.Exhausted != 1 {
		t.Fatalf("after failed allocate: %+v", s)
	}
	one, err := a.Allocate(1)
	if err != nil {
		t.Fatalf("last free pair not allocatable after failed allocate: %v", err)
	}
	if _, err := a.Allocate(1); !errors.Is(err, ErrExhausted) {
		t.Fatalf("full range: err %v", err)
	}
	a.Release(first...)
	a.Release(one...)
	if s := a.Stats(); s.InUse != 0 || s.Free != 3 {
		t.Fatalf("after release: %+v", s)
	}
	all, err := a.Allocate(3)
	if err != nil {
		t.Fatalf("whole range after release: %v", err)
	}
	a.Release(all...)
}

func TestAllocateZero(t *testing.T) {
	a := newAlloc(t, 1)
	if _, err := a.Allocate(0); err == nil || errors.Is(err, ErrExhausted) {
		t.Fatalf("Allocate(0) err %v", err)
	}
}

func TestSkipsPortsHeldElsewhere(t *testing.T) {
	a := newAlloc(t, 3)
	// Another process holds the RTCP port of the first pair.
	held, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: a.min + 1})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	pairs, err := a.Allocate(2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release(pairs...)
	for _, p := range pairs {
		if p.RTPPort == a.min {
			t.Fatalf("allocated pair %d whose RTCP port is held", p.RTPPort)
		}
	}
	// Pairs are chosen at random: the held one may not have been tried yet. Asking for
	// the last pair tries it for sure (and finds the range exhausted).
	if _, err := a.Allocate(1); !errors.Is(err, ErrExhausted) {
		t.Fatalf("third pair: %v, want ErrExhausted (its RTCP port is held)", err)
	}
	if s := a.Stats(); s.BindFailures < 1 {
		t.Fatalf("bind failures %d, want at least 1", s.BindFailures)
	}
	// The RTP half bound before the RTCP bind failed must have been closed again.
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: a.min})
	if err != nil {
		t.Fatalf("RTP port of the failed pair leaked: %v", err)
	}
	c.Close()
}

// The next call's port cannot be predicted from the previous ones: not the next pair
// up (as round-robin allocation gave), and spread over the range.
func TestAllocationIsRandom(t *testing.T) {
	lo, hi := freeRange(t, 200)
	a, err := New(Config{Min: lo, Max: hi, Addr: loopback, Quarantine: -1})
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 1000
	prev, next, seen := -1, 0, map[int]bool{}
	for range rounds {
		p, err := a.Allocate(1)
		if err != nil {
			t.Fatal(err)
		}
		port := p[0].RTPPort
		if port == prev+2 {
			next++
		}
		prev = port
		seen[port] = true
		a.Release(p...)
	}
	// A random choice among 200 pairs is the next one up about 5 times in 1000.
	if next > 50 {
		t.Errorf("the next allocation was the previous port+2 in %d of %d", next, rounds)
	}
	if len(seen) < 150 {
		t.Errorf("%d allocations used only %d of 200 pairs", rounds, len(seen))
	}
}

// Two allocators (a gateway and the same gateway after a restart) start at different
// places: allocation does not begin again at the start of the range.
func TestRestartDoesNotRepeat(t *testing.T) {
	lo, hi := freeRange(t, 200)
	same := 0
	for range 20 {
		a, err := New(Config{Min: lo, Max: hi, Addr: loopback})
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Allocate(1)
		if err != nil {
			t.Fatal(err)
		}
		if p[0].RTPPort == lo {
			same++
		}
		a.Release(p...)
	}
	if same > 3 {
		t.Fatalf("%d of 20 fresh allocators handed out port_min first", same)
	}
}

// A released pair rests for the quarantine while other pairs are free; it is used
// before refusing a call, and free again once the quarantine is over.
func TestQuarantine(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lo, hi := freeRange(t, 8)
	a, err := New(Config{Min: lo, Max: hi, Addr: loopback, Quarantine: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Allocate(1)
	if err != nil {
		t.Fatal(err)
	}
	old := first[0].RTPPort
	a.Release(first...)
	if s := a.Stats(); s.Quarantined != 1 || s.InUse != 0 {
		t.Fatalf("after release: %+v", s)
	}
	// The seven other pairs go first, whatever the random choice.
	var held []Pair
	for i := range 7 {
		now = now.Add(5 * time.Second)
		p, err := a.Allocate(1)
		if err != nil {
			t.Fatal(err)
		}
		if p[0].RTPPort == old {
			t.Fatalf("allocation %d handed out port %d within its quarantine", i+1, old)
		}
		held = append(held, p...)
	}
	// Nothing else free: the quarantined pair rather than a refused call.
	p, err := a.Allocate(1)
	if err != nil || p[0].RTPPort != old {
		t.Fatalf("last pair: %v %v, want the quarantined %d", p, err, old)
	}
	if _, err := a.Allocate(1); !errors.Is(err, ErrExhausted) {
		t.Fatalf("full range: err %v", err)
	}
	a.Release(p...)
	a.Release(held...)
	if s := a.Stats(); s.Quarantined != 8 || s.Free != 8 {
		t.Fatalf("all released: %+v", s)
	}
	now = now.Add(time.Minute)
	if s := a.Stats(); s.Quarantined != 0 || s.Free != 8 {
		t.Fatalf("after the quarantine: %+v", s)
	}
	all, err := a.Allocate(8)
	if err != nil {
		t.Fatalf("whole range after the quarantine: %v", err)
	}
	a.Release(all...)
}

func TestDoubleReleaseKeepsReallocatedPort(t *testing.T) {
	a := newAlloc(t, 1)
	old, err := a.Allocate(1)
	if err != nil {
		t.Fatal(err)
	}
	a.Release(old...)
	cur, err := a.Allocate(1)
	if err != nil {
		t.Fatal(err)
	}
	if cur[0].RTPPort != old[0].RTPPort {
		t.Fatalf("single-pair range handed %d then %d", old[0].RTPPort, cur[0].RTPPort)
	}
	a.Release(old...) // late second release by the old call
	if s := a.Stats(); s.InUse != 1 {
		t.Fatalf("stale release freed the new owner's port: %+v", s)
	}
	if _, err := cur[0].RTP.WriteToUDP([]byte{0}, cur[0].RTCP.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatalf("new owner's socket closed by stale release: %v", err)
	}
	a.Release(cur...)
	if s := a.Stats(); s.InUse != 0 {
		t.Fatalf("%+v", s)
	}
}

func TestConcurrentAllocateRelease(t *testing.T) {
	const workers, rounds = 8, 50
	a := newAlloc(t, 12)
	var wg sync.WaitGroup
	var mu sync.Mutex
	owned := map[int]bool{}
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				pairs, err := a.Allocate(1 + r%2)
				if errors.Is(err, ErrExhausted) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, p := range pairs {
					if owned[p.RTPPort] {
						mu.Unlock()
						errs <- errors.New("port handed to two owners")
						return
					}
					owned[p.RTPPort] = true
				}
				mu.Unlock()
				_ = a.Stats()
				mu.Lock()
				for _, p := range pairs {
					delete(owned, p.RTPPort)
				}
				mu.Unlock()
				a.Release(pairs...)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if s := a.Stats(); s.InUse != 0 || s.Free != s.Total {
		t.Fatalf("leak after concurrent use: %+v", s)
	}
}

func BenchmarkAllocateRelease(b *testing.B) {
	a, err := New(Config{Min: 42000, Max: 42999, Addr: loopback})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, err := a.Allocate(2)
		if err != nil {
			b.Fatal(err)
		}
		a.Release(p...)
	}
}
