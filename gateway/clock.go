package gateway

import (
	"runtime"
	"sync"
	"time"
)

// frameClock drives every call's audio from one 20 ms timer. One timer for all calls,
// instead of one per call, wakes the process 50 times a second however many calls there
// are, and gives all calls of a meeting the same frame boundaries, so the meeting's
// tap mixes each 20 ms of the meeting once for all of them (tick n is the same frame
// for every call).
type frameClock struct {
	period time.Duration

	mu      sync.Mutex
	subs    []*clockSub
	running bool
	closed  bool
	n       uint64         // the last tick handed out
	wg      sync.WaitGroup // the loop goroutine, while it runs
}

// clockSub is one subscriber; its mutex is held while it runs, so removing it waits
// for a tick in progress.
type clockSub struct {
	mu   sync.Mutex
	gone bool
	f    func(n uint64, at time.Time)
}

// audioFrame is the period of the audio clock: one 20 ms frame.
const audioFrame = 20 * time.Millisecond

// newFrameClock makes a clock; its goroutine runs while it has subscribers, and Close
// waits for it. Each gateway instance owns one (a test its own).
func newFrameClock(period time.Duration) *frameClock {
	return &frameClock{period: period}
}

// add calls f every period with the tick number and the frame's due time (a late
// clock calls f for every frame that is due, in order). The returned remove stops the
// calls; when it returns, f is not running and will not run again (so f must not call
// remove itself: it would wait for itself).
func (c *frameClock) add(f func(n uint64, at time.Time)) (remove func()) {
	s := &clockSub{f: f}
	c.mu.Lock()
	c.subs = append(c.subs, s)
	if !c.running && !c.closed {
		c.running = true
		c.wg.Add(1)
		go c.loop()
	}
	c.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.gone = true
		s.mu.Unlock()
		c.mu.Lock()
		for i, x := range c.subs {
			if x == s {
				c.subs = append(c.subs[:i:i], c.subs[i+1:]...) // copy: a tick may hold the old slice
				break
			}
		}
		c.mu.Unlock()
	}
}

// Close stops the clock: no subscriber runs after it returns, and none added later
// does. It waits for the clock's goroutine and is idempotent.
func (c *frameClock) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
}

// loop runs while there are subscribers and the clock is open.
func (c *frameClock) loop() {
	defer c.wg.Done()
	t := time.NewTicker(c.period)
	defer t.Stop()
	next := time.Now().Add(c.period)
	for now := range t.C {
		c.mu.Lock()
		subs := c.subs
		if len(subs) == 0 || c.closed {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		// A ticker drops ticks when the process runs late (a loaded machine): run
		// every frame that is due, so room systems get 50 packets a second and their
		// jitter buffers do not run dry; after a long stall, start afresh.
		if now.Sub(next) > 10*c.period {
			next = now
		}
		for !next.After(now) {
			c.mu.Lock()
			c.n++
			n := c.n
			c.mu.Unlock()
			runTick(subs, n, next)
			next = next.Add(c.period)
		}
	}
}

// clockChunk is how many subscribers one goroutine runs per tick: a few dozen calls
// take well under a millisecond, more are spread over the cores.
const clockChunk = 64

func runTick(subs []*clockSub, n uint64, at time.Time) {
	one := func(part []*clockSub) {
		for _, s := range part {
			s.mu.Lock()
			if !s.gone {
				s.f(n, at)
			}
			s.mu.Unlock()
		}
	}
	if len(subs) <= clockChunk {
		one(subs)
		return
	}
	workers := min(runtime.GOMAXPROCS(0), (len(subs)+clockChunk-1)/clockChunk)
	size := (len(subs) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		part := subs[min(len(subs), w*size):min(len(subs), (w+1)*size)]
		wg.Go(func() { one(part) })
	}
	one(subs[:size])
	wg.Wait()
}
