// Package api is roomgate's REST API (/api/v1, documented in docs/api.md) and join
// policy: it checks meeting passwords, locks and the waiting room before it mints
// meeting-core access tokens, and turns host actions into meeting-core calls.
package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomgate/roomgate/rooms/core"
	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/policy"
)

// Options configure a Server.
type Options struct {
	Store         *directory.Store
	Core          *core.Core
	Log           *slog.Logger
	OperatorToken string
	OpenCreate    bool
	PublicHost    string // host in dial strings
	// Legs are the enabled room-system legs as dial strings name them.
	Legs      Legs
	PublicURL string // base URL of the web UI, no trailing slash
	// LiveKitURL is the ws(s) URL browsers connect to; empty means "same origin as the
	// page" (the /rtc proxy of the embedded core).
	LiveKitURL string
	// ICEServers are the STUN/TURN URLs browsers should use instead of what the meeting
	// core hands out; nil leaves the core's choice (external LiveKit).
	ICEServers []string
	// Attempts limits password guessing (README "Limits").
	Attempts policy.GuardConfig
	// Lookups is how many anonymous meeting lookups (public view, invitation) one
	// source may make per minute; 0: DefaultLookups.
	Lookups int
	// Waiting bounds the waiting room; zero fields take defaults.
	Waiting WaitingLimits
	Version string
	// Calls is the room-system call control (dial-out); nil when no leg is enabled.
	Calls Calls
	// CDRRetention bounds the call detail records (zero: defaults).
	CDRRetention CDRRetention
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// DefaultLookups is the default of Options.Lookups: a person opening a meeting page
// makes one or two; a scanner makes thousands.
const DefaultLookups = 60

// Server serves the REST API.
type Server struct {
	Options
	log      *slog.Logger
	live     *registry
	guard    *policy.Guard
	lookups  *policy.Limiter
	creates  *policy.Limiter
	seed     maphash.Seed // keys the fingerprints of wrong guesses
	sec      securityCounters
	counts   atomic.Pointer[liveCounts] // as the supervisor last saw them
	now      func() time.Time
	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
	// background work (admitting a waiting room): bgCtx ends on Close.
	bg       sync.WaitGroup
	bgMu     sync.Mutex
	bgClosed bool
	bgCtx    context.Context
	bgCancel context.CancelFunc
}

// New creates a Server. Call Run to start its supervisor and Close to stop it.
func New(o Options) (*Server, error) {
	s := &Server{Options: o, log: o.Log, live: newRegistry(), stop: make(chan struct{}), now: o.Now}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.guard, err = policy.NewGuard(o.Attempts); err != nil {
		return nil, fmt.Errorf("password attempts: %w", err)
	}
	s.seed = maphash.MakeSeed()
	if s.Lookups == 0 {
		s.Lookups = DefaultLookups
	}
	if s.lookups, err = policy.NewLimiter(policy.LimiterConfig{PerSource: s.Lookups, PerMeeting: 1 << 30, Window: time.Minute}); err != nil {
		return nil, fmt.Errorf("lookups: %w", err)
	}
	s.Waiting = s.Waiting.withDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.restoreBans(ctx); err != nil {
		return nil, fmt.Errorf("ban list: %w", err)
	}
	// Anonymous meeting creation (api.open_create) is limited per source address with
	// the same sliding window: each creation counts as one event.
	if s.creates, err = policy.NewLimiter(policy.LimiterConfig{PerSource: 20, PerMeeting: 1 << 30, Window: time.Minute}); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the API routes (mount at /).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/info", s.handleInfo)
	mux.HandleFunc("GET /api/v1/security", s.handleSecurity)
	mux.HandleFunc("POST /api/v1/meetings", s.handleCreate)
	mux.HandleFunc("GET /api/v1/meetings", s.handleList)
	mux.HandleFunc("GET /api/v1/meetings/{id}", s.handleGet)
	mux.HandleFunc("PATCH /api/v1/meetings/{id}", s.handlePatch)
	mux.HandleFunc("DELETE /api/v1/meetings/{id}", s.handleDelete)
	mux.HandleFunc("POST /api/v1/meetings/{id}/hardware_password", s.handleRegenerate)
	mux.HandleFunc("GET /api/v1/meetings/{id}/invitation", s.handleInvitation)
	mux.HandleFunc("POST /api/v1/meetings/{id}/join", s.handleJoin)
	mux.HandleFunc("GET /api/v1/meetings/{id}/join/{ticket}", s.handleTicket)
	mux.HandleFunc("POST /api/v1/meetings/{id}/leave", s.handleLeave)
	mux.HandleFunc("GET /api/v1/meetings/{id}/participants", s.handleParticipants)
	mux.HandleFunc("GET /api/v1/meetings/{id}/waiting", s.handleWaiting)
	mux.HandleFunc("POST /api/v1/meetings/{id}/waiting/{ticket}/{verdict}", s.handleVerdict)
	mux.HandleFunc("POST /api/v1/meetings/{id}/actions/{action}", s.handleMeetingAction)
	mux.HandleFunc("POST /api/v1/meetings/{id}/participants/{identity}/{action}", s.handleParticipantAction)
	mux.HandleFunc("POST /api/v1/meetings/{id}/dialout", s.handleDialOut)
	mux.HandleFunc("GET /api/v1/calls", s.handleActiveCalls)
	mux.HandleFunc("GET /api/v1/cdrs", s.handleCDRs)
	mux.HandleFunc("GET /api/v1/calls/{call_id}", s.handleGetCall)
	mux.HandleFunc("DELETE /api/v1/calls/{call_id}", s.handleHangupCall)
	mux.HandleFunc("GET /api/v1/h323/registrations", s.handleRegistrations)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// caller is who sent a request.
type caller struct {
	Operator bool
	HostKey  bool     // holds the meeting's host key
	Session  *session // a participant of the meeting
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// identify resolves the request's credential against meeting m (m may be nil for
// requests not about one meeting).
func (s *Server) identify(r *http.Request, m *directory.Meeting) caller {
	tok := bearer(r)
	if tok == "" {
		return caller{}
	}
	if equal(tok, s.OperatorToken) {
		return caller{Operator: true}
	}
	if m != nil && equal(tok, m.HostKey) {
		return caller{HostKey: true}
	}
	if sess := s.live.session(tok); sess != nil && m != nil && sess.MeetingID == m.ID {
		return caller{Session: sess}
	}
	return caller{}
}

// isHost reports whether c may act as host of meeting id right now.
func (s *Server) isHost(c caller, id string) bool {
	if c.Operator || c.HostKey {
		return true
	}
	return c.Session != nil && s.live.host(id) == c.Session.Identity
}

func (s *Server) meeting(ctx context.Context, id string) (directory.Meeting, error) {
	if directory.ValidateID(id) != nil {
		return directory.Meeting{}, errorf(http.StatusNotFound, "not_found", "meeting %s does not exist", id)
	}
	m, err := s.Store.Get(ctx, id)
	if err != nil {
		return m, err
	}
	return m, nil
}

// owner reports whether c holds a persistent credential of the meeting: the host
// key or the operator token. Only owners see the meeting's secrets (host key,
// passwords) and make persistent changes (password, topic, schedule, deletion); a
// participant who is host for the session (promoted when the host left, or named
// by the host) gets the session's powers only.
func (c caller) owner() bool { return c.Operator || c.HostKey }

// requireHost loads the meeting and checks that the caller is its host. A caller
// without a valid credential gets 401 whether or not the meeting exists, so that
// these endpoints cannot be used to find out which IDs exist.
func (s *Server) requireHost(r *http.Request) (directory.Meeting, caller, error) {
	m, c, err := s.requireMember(r)
	if err != nil {
		return m, c, err
	}
	if !s.isHost(c, m.ID) {
		return m, c, errForbidden
	}
	return m, c, nil
}

// requireOwner is requireHost for persistent changes and secrets (see owner).
func (s *Server) requireOwner(r *http.Request) (directory.Meeting, caller, error) {
	m, c, err := s.requireMember(r)
	if err != nil {
		return m, c, err
	}
	if !c.owner() {
		return m, c, errorf(http.StatusForbidden, "forbidden", "only the meeting's owner (host key) or an operator may do this")
	}
	return m, c, nil
}

// requireMember loads the meeting and checks that the caller holds some
// credential for it (operator, host key or a session in it).
func (s *Server) requireMember(r *http.Request) (directory.Meeting, caller, error) {
	m, err := s.meeting(r.Context(), r.PathValue("id"))
	if err != nil {
		if isNotFound(err) && !s.identify(r, nil).Operator {
			return m, caller{}, errUnauthorized
		}
		return m, caller{}, err
	}
	c := s.identify(r, &m)
	if !c.Operator && !c.HostKey && c.Session == nil {
		return m, c, errUnauthorized
	}
	return m, c, nil
}

func sourceAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"version":     s.Version,
		"public_host": s.PublicHost,
		"livekit_url": s.LiveKitURL,
		"open_create": s.OpenCreate,
		"ice_servers": s.ICEServers,
	})
}

// Run supervises live meetings until ctx ends or Close is called.
func (s *Server) Run(ctx context.Context) {
	s.wg.Add(1)
	defer s.wg.Done()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	s.pruneCDRs(ctx)
	prune := time.NewTicker(cdrPruneEvery)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
			s.supervise(ctx)
		case <-prune.C:
			s.pruneCDRs(ctx)
		}
	}
}

// Close stops the supervisor and background admissions and waits for them. It is
// idempotent.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.bgMu.Lock()
	s.bgClosed = true
	s.bgMu.Unlock()
	s.bgCancel()
	s.bg.Wait()
	s.wg.Wait()
}
