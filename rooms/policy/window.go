package policy

import "time"

// maxSweep bounds how many idle entries one record call drops, keeping each
// call's cost flat after a quiet period.
const maxSweep = 8

// failure is one wrong attempt: when, and the other side (the meeting for a
// source's log, the source for a meeting's log), so Succeed can forgive it.
type failure[P comparable] struct {
	at   time.Time
	peer P
}

// logEntry is the failures of one key inside the window, oldest first, at most
// limit of them (older ones cannot change any decision), linked into the
// recency list.
type logEntry[K, P comparable] struct {
	key        K
	fails      []failure[P]
	prev, next *logEntry[K, P]
}

// windowLog is a sliding-window log of failures per key with a bounded number
// of keys. head is the most recently failed key, tail the least: eviction and
// idle sweeping start at the tail.
//
// Each key keeps only its latest limit failures. When callers gate every
// attempt with Allow, a key never holds more, and the log answers exactly as
// one keeping every failure would (FuzzLimiterModel checks this). Failures
// recorded past the limit (a caller skipping Allow, two attempts racing) push
// the oldest out, which keeps the wait exact; only a later Succeed may then
// forgive slightly more than a full history would.
type windowLog[K, P comparable] struct {
	limit, maxEntries int
	window            time.Duration
	entries           map[K]*logEntry[K, P]
	head, tail        *logEntry[K, P]
}

func newWindowLog[K, P comparable](limit, maxEntries int, window time.Duration) *windowLog[K, P] {
	return &windowLog[K, P]{
		limit:      limit,
		maxEntries: maxEntries,
		window:     window,
		entries:    make(map[K]*logEntry[K, P]),
	}
}

// expired reports whether a failure at at no longer counts at now.
func (w *windowLog[K, P]) expired(at, now time.Time) bool {
	return now.Sub(at) >= w.window
}

// prune drops e's failures that left the window and removes e when none are
// left; it reports whether e is still tracked.
func (w *windowLog[K, P]) prune(e *logEntry[K, P], now time.Time) bool {
	n := 0
	for n < len(e.fails) && w.expired(e.fails[n].at, now) {
		n++
	}
	if n > 0 {
		e.fails = append(e.fails[:0], e.fails[n:]...)
	}
	if len(e.fails) == 0 {
		w.remove(e)
		return false
	}
	return true
}

// wait returns how long key must wait before its next attempt: zero below the
// limit, else until the oldest counted failure leaves the window.
func (w *windowLog[K, P]) wait(key K, now time.Time) time.Duration {
	e := w.entries[key]
	if e == nil || !w.prune(e, now) || len(e.fails) < w.limit {
		return 0
	}
	return e.fails[len(e.fails)-w.limit].at.Add(w.window).Sub(now)
}

// record adds a failure of key with peer at now.
func (w *windowLog[K, P]) record(key K, peer P, now time.Time) {
	w.sweep(now)
	e := w.entries[key]
	if e == nil {
		if len(w.entries) >= w.maxEntries {
			w.remove(w.tail)
		}
		e = &logEntry[K, P]{key: key, fails: make([]failure[P], 0, min(w.limit, 4))}
		w.entries[key] = e
	} else {
		w.prune(e, now)
		w.unlink(e)
		w.entries[key] = e // prune may have removed it
	}
	// Keep time order even if the caller's clock stepped back.
	i := len(e.fails)
	for i > 0 && e.fails[i-1].at.After(now) {
		i--
	}
	e.fails = append(e.fails, failure[P]{})
	copy(e.fails[i+1:], e.fails[i:])
	e.fails[i] = failure[P]{at: now, peer: peer}
	if len(e.fails) > w.limit {
		e.fails = append(e.fails[:0], e.fails[len(e.fails)-w.limit:]...)
	}
	w.pushFront(e)
}

// forget drops key's failures noting peer.
func (w *windowLog[K, P]) forget(key K, peer P) {
	e := w.entries[key]
	if e == nil {
		return
	}
	kept := e.fails[:0]
	for _, f := range e.fails {
		if f.peer != peer {
			kept = append(kept, f)
		}
	}
	clear(e.fails[len(kept):]) // release peers' strings
	e.fails = kept
	if len(e.fails) == 0 {
		w.remove(e)
	}
}

// sweep drops up to maxSweep least recently failed keys whose failures have
// all left the window.
func (w *windowLog[K, P]) sweep(now time.Time) {
	for range maxSweep {
		e := w.tail
		if e == nil || !w.expired(e.fails[len(e.fails)-1].at, now) {
			return
		}
		w.remove(e)
	}
}

// remove forgets e entirely; a no-op when e is not tracked.
func (w *windowLog[K, P]) remove(e *logEntry[K, P]) {
	if e == nil || w.entries[e.key] != e {
		return
	}
	delete(w.entries, e.key)
	w.unlink(e)
}

func (w *windowLog[K, P]) unlink(e *logEntry[K, P]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if w.head == e {
		w.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if w.tail == e {
		w.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (w *windowLog[K, P]) pushFront(e *logEntry[K, P]) {
	e.next = w.head
	if w.head != nil {
		w.head.prev = e
	}
	w.head = e
	if w.tail == nil {
		w.tail = e
	}
}
