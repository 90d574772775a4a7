package api

import (
	"net/netip"
	"sync"
	"time"
)

// session is what a participant's browser holds after a successful join: the
// credential for its own actions (leave) and, while it is host, host actions.
type session struct {
	Token     string
	MeetingID string
	Identity  string
	Name      string
	Created   time.Time
}

type ticketState int

const (
	ticketWaiting ticketState = iota
	ticketAdmitted
	ticketDenied
)

// ticket is a place in a meeting's waiting room.
type ticket struct {
	ID      string
	Name    string
	Since   time.Time
	State   ticketState
	Result  *joinResult // set on admit
	Decided time.Time   // when admitted or denied
	// RoomSystem is set for a room system waiting; its leg turns the admission into
	// a token itself (WaitAdmission).
	RoomSystem *RoomSystemJoin
	Source     netip.Addr // who asked to join
	Polled     time.Time  // last poll of the ticket: entries nobody polls expire
	admitting  bool       // taken by a background admission
}

// ticketKeep is how long a decided ticket stays readable.
const ticketKeep = 60 * time.Second

// liveMeeting is the in-memory state of a meeting that has participants: who is host,
// the waiting room, and sessions. It is rebuilt as people (re)join after a restart;
// what must survive a restart (settings, passwords) lives in the directory.
type liveMeeting struct {
	ID          string
	Host        string    // identity of the current host, "" when none
	HostMissing time.Time // when the supervisor first saw the host gone
	Waiting     map[string]*ticket
	MicRevoked  map[string]bool // identities whose microphone permission the host revoked
	EmptySince  time.Time       // when the supervisor first saw nobody in the meeting
}

// idleForget is how long an empty meeting keeps its live state (host, sessions).
const idleForget = 10 * time.Minute

// registry holds live meetings and sessions. One mutex: every operation is tiny and
// none calls out while holding it.
type registry struct {
	mu       sync.Mutex
	meetings map[string]*liveMeeting
	sessions map[string]*session
}

func newRegistry() *registry {
	return &registry{meetings: map[string]*liveMeeting{}, sessions: map[string]*session{}}
}

// with runs fn on the live meeting id (created when absent) under the lock.
func (g *registry) with(id string, fn func(lm *liveMeeting)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	lm := g.meetings[id]
	if lm == nil {
		lm = &liveMeeting{ID: id, Waiting: map[string]*ticket{}, MicRevoked: map[string]bool{}}
		g.meetings[id] = lm
	}
	fn(lm)
}

func (g *registry) host(id string) string {
	var h string
	g.with(id, func(lm *liveMeeting) { h = lm.Host })
	return h
}

func (g *registry) addSession(s *session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions[s.Token] = s
}

func (g *registry) session(token string) *session {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sessions[token]
}

// ids lists the live meetings.
func (g *registry) ids() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.meetings))
	for id := range g.meetings {
		out = append(out, id)
	}
	return out
}

// drop forgets a meeting and its sessions (meeting ended or deleted).
func (g *registry) drop(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.meetings, id)
	for t, s := range g.sessions {
		if s.MeetingID == id {
			delete(g.sessions, t)
		}
	}
}

// waitingCount is the number of people in the waiting room.
func (lm *liveMeeting) waitingCount() int {
	n := 0
	for _, t := range lm.Waiting {
		if t.State == ticketWaiting {
			n++
		}
	}
	return n
}

// hostGrace is how long a host may be absent from the meeting core (joining,
// reconnecting) before the supervisor hands the role on.
const hostGrace = 8 * time.Second

// forgetDecided drops tickets decided more than ticketKeep ago.
func (lm *liveMeeting) forgetDecided(now time.Time) {
	for id, t := range lm.Waiting {
		if t.State != ticketWaiting && now.Sub(t.Decided) > ticketKeep {
			delete(lm.Waiting, id)
		}
	}
}
