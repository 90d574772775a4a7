package call

import (
	"fmt"
	"sync"
)

// Presenter is who shares content in a meeting: a browser's screen share, a SIP
// room system holding the BFCP floor, an H.323 room system holding the H.239 token.
type Presenter struct {
	// Identity is the participant's identity in the meeting.
	Identity string
	// Kind is "web", "sip" or "h323".
	Kind string
}

// None reports that nobody presents.
func (p Presenter) None() bool { return p.Identity == "" }

// FloorRefusal says why a request to present was refused.
type FloorRefusal string

// Floor refusals.
const (
	FloorAllowed  FloorRefusal = ""
	FloorHostOnly FloorRefusal = "only the host may share" // the host's sharing lock
	FloorUnknown  FloorRefusal = "not in the meeting"
)

// FloorChange is what a meeting's floor did: the new presenter (None when nobody
// presents) and, when a presenter lost the floor to someone else or to the host,
// the one who lost it — whose side must stop presenting (BFCP FloorRequestStatus
// Revoked, H.239 token taken back, the browser's screen share stopped).
type FloorChange struct {
	Presenter Presenter
	Revoked   Presenter
}

// Floor is "who presents" in one meeting, whatever the side: one presenter at a
// time; a new presenter takes the floor from the current one (as people expect of a
// meeting: the last to share is shown); the host's sharing lock lets only the host
// present; the host can stop a share; a presenter who leaves frees the floor. It is
// a plain state machine: the legs and the meeting tap feed it, listeners (every
// room-system call in the meeting) learn each change in order.
type Floor struct {
	mu        sync.Mutex
	presenter Presenter
	hostOnly  bool
	host      string // identity of the meeting's host
	members   map[string]Presenter
	listeners map[int]func(FloorChange)
	next      int
}

// NewFloor returns the floor of a meeting nobody presents in.
func NewFloor() *Floor {
	return &Floor{members: map[string]Presenter{}, listeners: map[int]func(FloorChange){}}
}

// Watch adds a listener and tells it the current presenter at once (a room system
// that joins while someone presents gets the content at once); the returned func
// removes it. Listeners run with the floor locked: they must not call back into it.
func (f *Floor) Watch(fn func(FloorChange)) (stop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	f.listeners[id] = fn
	fn(FloorChange{Presenter: f.presenter})
	return func() {
		f.mu.Lock()
		delete(f.listeners, id)
		f.mu.Unlock()
	}
}

// Join and Leave track who is in the meeting; a presenter who leaves frees the floor.
func (f *Floor) Join(p Presenter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[p.Identity] = p
}

func (f *Floor) Leave(identity string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.members, identity)
	if f.presenter.Identity == identity {
		f.set(Presenter{}, Presenter{})
	}
}

// SetHost and SetHostOnly follow the meeting's host and its sharing lock; turning
// the lock on takes the floor from a presenter who is not the host.
func (f *Floor) SetHost(identity string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.host = identity
	f.enforceLock()
}

func (f *Floor) SetHostOnly(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostOnly = on
	f.enforceLock()
}

func (f *Floor) enforceLock() {
	if f.hostOnly && !f.presenter.None() && f.presenter.Identity != f.host {
		f.set(Presenter{}, f.presenter)
	}
}

// Request asks for the floor for identity (a room system's floor request or token
// request, a browser that starts sharing). Granted, it takes the floor from the
// current presenter.
func (f *Floor) Request(identity string) FloorRefusal {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.members[identity]
	switch {
	case !ok:
		return FloorUnknown
	case f.hostOnly && identity != f.host:
		return FloorHostOnly
	case f.presenter.Identity == identity:
		return FloorAllowed
	}
	f.set(p, f.presenter)
	return FloorAllowed
}

// Release gives the floor up (a room system's FloorRelease or token release, a
// browser that stops sharing); a no-op for anyone but the presenter.
func (f *Floor) Release(identity string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.presenter.Identity == identity && identity != "" {
		f.set(Presenter{}, Presenter{})
	}
}

// Stop is the host stopping the share: the presenter loses the floor.
func (f *Floor) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.presenter.None() {
		f.set(Presenter{}, f.presenter)
	}
}

// Presenter is who presents now.
func (f *Floor) Presenter() Presenter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.presenter
}

func (f *Floor) set(p, revoked Presenter) {
	if revoked.Identity == p.Identity {
		revoked = Presenter{}
	}
	f.presenter = p
	for _, fn := range f.listeners {
		fn(FloorChange{Presenter: p, Revoked: revoked})
	}
}

func (c FloorChange) String() string {
	return fmt.Sprintf("presenter=%q revoked=%q", c.Presenter.Identity, c.Revoked.Identity)
}
