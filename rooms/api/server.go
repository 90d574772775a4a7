// Package api is roomgate's REST API (/api/v1, documented in docs/api.md) and join
// policy: it checks meeting passwords, locks and the waiting room before it mints
// meeting-core access tokens, and turns host actions into meeting-core calls.
package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
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
	PublicURL     string // base URL of the web UI, no trailing slash
	// LiveKitURL is the ws(s) URL browsers connect to; empty means "same origin as the
	// page" (the /rtc proxy of the embedded core).
	LiveKitURL string
	// ICEServers are the STUN/TURN URLs browsers should use instead of what the meeting
	// core hands out; nil leaves the core's choice (external LiveKit).
	ICEServers []string
	Attempts   policy.LimiterConfig
	Version    string
	// Calls is the room-system call control (dial-out); nil when no leg is enabled.
	Calls Calls
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Server serves the REST API.
type Server struct {
	Options
	log      *slog.Logger
	live     *registry
	limiter  *policy.Limiter
	creates  *policy.Limiter
	now      func() time.Time
	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

// New creates a Server. Call Run to start its supervisor and Close to stop it.
func New(o Options) (*Server, error) {
	s := &Server{Options: o, log: o.Log, live: newRegistry(), stop: make(chan struct{}), now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.limiter, err = policy.NewLimiter(o.Attempts); err != nil {
		return nil, fmt.Errorf("password attempts: %w", err)
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
	mux.HandleFunc("GET /api/v1/calls/{call_id}", s.handleGetCall)
	mux.HandleFunc("DELETE /api/v1/calls/{call_id}", s.handleHangupCall)
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

// requireHost loads the meeting and checks that the caller is its host.
func (s *Server) requireHost(r *http.Request) (directory.Meeting, caller, error) {
	m, err := s.meeting(r.Context(), r.PathValue("id"))
	if err != nil {
		return m, caller{}, err
	}
	c := s.identify(r, &m)
	if !c.Operator && !c.HostKey && c.Session == nil {
		return m, c, errUnauthorized
	}
	if !s.isHost(c, m.ID) {
		return m, c, errForbidden
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
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
			s.supervise(ctx)
		}
	}
}

// Close stops the supervisor and waits for it. It is idempotent.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}
