package gateway

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// tickLog records the ticks one subscriber saw.
type tickLog struct {
	mu sync.Mutex
	n  []uint64
	at []time.Time
}

func (l *tickLog) tick(n uint64, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n = append(l.n, n)
	l.at = append(l.at, at)
}

func (l *tickLog) snapshot() ([]uint64, []time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]uint64(nil), l.n...), append([]time.Time(nil), l.at...)
}

// waitTicks waits until l has seen at least k ticks.
func waitTicks(t *testing.T, l *tickLog, k int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := l.snapshot(); len(n) >= k {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d ticks in 10 s", k)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFrameClockSharedTicks(t *testing.T) {
	const period = 2 * time.Millisecond
	c := newFrameClock(period)
	var a, b tickLog
	stopA := c.add(a.tick)
	waitTicks(t, &a, 3)
	stopB := c.add(b.tick)
	waitTicks(t, &b, 5)
	stopA()
	na, atA := a.snapshot()
	time.Sleep(10 * period)
	if n, _ := a.snapshot(); len(n) != len(na) {
		t.Errorf("ticks after remove: %d, then %d", len(na), len(n))
	}
	stopB()
	nb, _ := b.snapshot()
	// Consecutive frame numbers and rising due times (one period apart unless the
	// clock stalled), for each subscriber; both saw the same frames while both were on.
	for i := 1; i < len(na); i++ {
		if na[i] != na[i-1]+1 || !atA[i].After(atA[i-1]) {
			t.Fatalf("tick %d: n %d after %d, due %v after the previous", i, na[i], na[i-1], atA[i].Sub(atA[i-1]))
		}
	}
	seen := map[uint64]bool{}
	for _, n := range na {
		seen[n] = true
	}
	common := 0
	for _, n := range nb {
		if seen[n] {
			common++
		}
	}
	if common < 4 {
		t.Errorf("b saw %v, a saw %v: the same frames should overlap", nb, na)
	}
	// The clock stops with its last subscriber and starts again with the next, with
	// frame numbers that keep rising.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		running := c.running
		c.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("clock still running without subscribers")
		}
		time.Sleep(period)
	}
	var d tickLog
	stopD := c.add(d.tick)
	waitTicks(t, &d, 1)
	stopD()
	if nd, _ := d.snapshot(); nd[0] <= nb[len(nb)-1] {
		t.Errorf("frame numbers restarted: %d after %d", nd[0], nb[len(nb)-1])
	}
}

func TestFrameClockSpreadsManySubscribers(t *testing.T) {
	c := newFrameClock(2 * time.Millisecond)
	const subs = 3*clockChunk + 5
	var counts [subs]atomic.Int64
	var last [subs]atomic.Uint64
	var stops []func()
	var bad atomic.Int64
	for i := range subs {
		stops = append(stops, c.add(func(n uint64, _ time.Time) {
			if prev := last[i].Swap(n); prev != 0 && n != prev+1 {
				bad.Add(1)
			}
			counts[i].Add(1)
		}))
	}
	deadline := time.Now().Add(10 * time.Second)
	for counts[subs-1].Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for _, s := range stops {
		s()
	}
	for i := range subs {
		if counts[i].Load() == 0 {
			t.Fatalf("subscriber %d never ticked", i)
		}
	}
	if bad.Load() != 0 {
		t.Errorf("%d ticks skipped or repeated a frame number", bad.Load())
	}
}

func TestFrameClockRemoveWaitsForRunningTick(t *testing.T) {
	c := newFrameClock(time.Millisecond)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var after atomic.Int64
	var removed atomic.Bool
	remove := c.add(func(uint64, time.Time) {
		if removed.Load() {
			after.Add(1)
		}
		once.Do(func() {
			close(entered)
			<-release
		})
	})
	<-entered // a tick is running, blocked
	done := make(chan struct{})
	go func() {
		remove()
		removed.Store(true)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("remove returned while the subscriber's tick was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-done
	time.Sleep(10 * time.Millisecond)
	if n := after.Load(); n != 0 {
		t.Errorf("%d ticks after remove returned", n)
	}
}

// Close stops the clock's goroutine even with subscribers left (a gateway shutting
// down), waits for it, and a subscriber added afterwards never runs.
func TestFrameClockClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFrameClock(20 * time.Millisecond)
		var ticks atomic.Int64
		remove := c.add(func(uint64, time.Time) { ticks.Add(1) })
		time.Sleep(100 * time.Millisecond)
		if ticks.Load() == 0 {
			t.Fatal("no tick before Close")
		}
		c.Close()
		synctest.Wait() // the clock's goroutine is gone: nothing left to run
		n := ticks.Load()
		var late atomic.Int64
		c.add(func(uint64, time.Time) { late.Add(1) })
		time.Sleep(100 * time.Millisecond)
		if ticks.Load() != n || late.Load() != 0 {
			t.Errorf("ticks after Close: %d more, %d for a late subscriber", ticks.Load()-n, late.Load())
		}
		remove()
		c.Close() // idempotent
	})
}
