package gateway

import (
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/control"
)

// h239Control is an H.323 call's floor control: the H.239 presentation token of
// its H.245 session (h323/control). The room system's token request is the
// meeting's floor request (GrantToken or DenyToken), its release the floor's
// release; a floor change that takes the floor from it is RevokeToken; someone
// else presenting is our RequestToken toward the room system (our content channel
// opens first), nobody presenting our ReleaseToken.
type h239Control struct {
	cp *contentPath
	d  *h245Driver

	mu   sync.Mutex
	want bool // someone else presents: we hold or ask for the token toward the room system
}

var _ floorControl = (*h239Control)(nil)

// useH239 makes the H.239 token of d the content path's floor control.
func (cp *contentPath) useH239(d *h245Driver) *h239Control {
	c := &h239Control{cp: cp, d: d}
	cp.mu.Lock()
	cp.ctl, cp.kind = c, "h323"
	cp.mu.Unlock()
	return c
}

// revoke takes the token back from the room system if it still presents.
func (c *h239Control) revoke(string) {
	c.d.do(func(now time.Time, s *control.Session) {
		if s.Token() == control.TokenRemote {
			if err := s.RevokeToken(now); err == nil {
				c.cp.log.Info("H.239: presentation token revoked")
			}
		}
	})
}

// othersPresent asks for the token toward the room system when someone else in
// the meeting presents (on true) and gives it back when nobody does (false).
func (c *h239Control) othersPresent(on bool) {
	c.mu.Lock()
	changed := c.want != on
	c.want = on
	c.mu.Unlock()
	if !changed {
		return
	}
	c.d.do(func(now time.Time, s *control.Session) {
		// The floor may have moved on while this waited for the session: the
		// room system's own token request is decided on the session's goroutine,
		// between a browser's share and this. Act on the floor as it is now, or a
		// stale request would take the token from the room system that just got
		// the floor (and its release would leave nobody presenting).
		if live, ok := c.othersOnFloor(); ok {
			on = live
		}
		switch {
		case on && s.Token() != control.TokenLocal:
			if err := s.RequestToken(now); err != nil {
				c.cp.log.Info("H.239: presentation token not requested", "err", err)
			}
		case !on:
			// Ours, or a request still under way; in other states a no-op.
			_ = s.ReleaseToken(now)
		}
	})
}

// othersOnFloor reports whether someone other than this room system holds the
// meeting's floor now (ok false: the call is on no floor yet).
func (c *h239Control) othersOnFloor() (others, ok bool) {
	c.cp.mu.Lock()
	floor, self := c.cp.floor, c.cp.self
	c.cp.mu.Unlock()
	if floor == nil {
		return false, false
	}
	p := floor.Presenter().Identity
	return p != "" && p != self, true
}

// close has nothing of its own to end: the token goes with the H.245 session.
func (c *h239Control) close() {}

// tokenRequested answers the room system's token request with the meeting's floor
// (on the session's goroutine: s is the session).
func (c *h239Control) tokenRequested(now time.Time, s *control.Session) {
	if why := c.cp.roomRequest(); why != "" {
		c.cp.log.Info("H.239: presentation token refused", "reason", string(why))
		_ = s.DenyToken(now)
		return
	}
	c.cp.log.Info("H.239: presentation token granted")
	_ = s.GrantToken(now)
}

// tokenReleased is the room system no longer presenting.
func (c *h239Control) tokenReleased(reason string) {
	c.cp.log.Info("H.239: the room system released the presentation token", "reason", reason)
	c.cp.roomRelease()
}
