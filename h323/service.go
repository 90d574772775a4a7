package h323

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// Handler receives dial-in calls. HandleSetup runs in its own goroutine per
// Setup; ctx is cancelled when the call ends. It answers the call with
// Proceeding/Alerting/Connect, or Reject; a call left unanswered is
// released after Config.RingTimeout.
type Handler interface {
	HandleSetup(ctx context.Context, call *InboundCall)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, call *InboundCall)

// HandleSetup calls f.
func (f HandlerFunc) HandleSetup(ctx context.Context, call *InboundCall) { f(ctx, call) }

// Errors of the service and its calls.
var (
	ErrClosed     = errors.New("h323: service closed")
	ErrCallEnded  = errors.New("h323: call ended")
	ErrLimit      = errors.New("h323: connection or call limit reached")
	ErrAnswered   = errors.New("h323: call already connected")
	ErrQueueFull  = errors.New("h323: too many H.245 messages waiting for a channel")
	errRateLimit  = errors.New("h323: source over its message rate")
	errNotAllowed = errors.New("h323: message not allowed in this call state")
)

// Service is an H.323 endpoint: it answers dial-in calls on its TCP
// listener and places dial-out calls.
type Service struct {
	cfg      Config
	handler  Handler
	log      *slog.Logger
	endpoint h225.EndpointType
	aliases  []h225.AliasAddress
	limiter  *rateLimiter
	stats    counters

	ln   net.Listener
	stop chan struct{}
	// tap, in tests, wraps every TCP connection (accepted: we listened) to
	// record what goes through.
	tap func(c net.Conn, accepted bool) net.Conn

	mu     sync.Mutex
	closed bool
	conns  int
	perIP  map[netip.Addr]int
	calls  map[*call]struct{}
	// waiting are connections accepted that have not brought a Setup yet.
	waiting map[net.Conn]struct{}
	// wg: accept loop, connection readers, H.245 listeners and dialers,
	// ring watchers. handlers: the gateway's HandleSetup goroutines.
	wg       sync.WaitGroup
	handlers sync.WaitGroup
}

// New checks cfg and creates the service; Start opens the listener.
func New(cfg Config, handler Handler, log *slog.Logger) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if handler == nil {
		handler = HandlerFunc(func(_ context.Context, c *InboundCall) {
			c.Reject(CauseUnavailable, nil)
		})
	}
	var aliases []h225.AliasAddress
	for _, a := range cfg.Aliases {
		h, err := ParseAlias(a).h225()
		if err != nil {
			return nil, err
		}
		aliases = append(aliases, h)
	}
	return &Service{cfg: cfg, handler: handler, log: log.With("layer", "h323"), endpoint: cfg.Identity.endpointType(),
		aliases: aliases, limiter: newRateLimiter(cfg.Limits), stop: make(chan struct{}),
		perIP: map[netip.Addr]int{}, calls: map[*call]struct{}{}, waiting: map[net.Conn]struct{}{}}, nil
}

// Start listens for call signalling and serves until Shutdown or ctx ends.
func (s *Service) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("h323: listen: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.ln = ln
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.acceptLoop(ln)
	}()
	go func() { // ends with the service; Shutdown waits for s.wg, not for this
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.stop:
		}
	}()
	s.log.Info("h323 listening", "tcp", ln.Addr().String())
	return nil
}

// Addr is the address of the call signalling listener.
func (s *Service) Addr() netip.AddrPort {
	if s.ln == nil {
		return netip.AddrPort{}
	}
	return addrOf(s.ln.Addr())
}

// maxAcceptBackoff bounds the wait between failing Accepts.
const maxAcceptBackoff = time.Second

func (s *Service) acceptLoop(ln net.Listener) {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !transientAcceptError(err) {
				return
			}
			s.stats.acceptErrors.Add(1)
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			s.log.Warn("h323 accept failing, retrying", "err", err, "backoff", backoff.String())
			select {
			case <-s.stop:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		ip := addrOf(c.RemoteAddr()).Addr()
		if err := s.admit(ip); err != nil {
			s.log.Debug("h323 connection refused", "source", c.RemoteAddr().String(), "err", err)
			c.Close()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			s.release(ip)
			c.Close()
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer s.release(ip)
			s.serveInbound(c)
		}()
	}
}

// tapped is c, or c wrapped by the test tap.
func (s *Service) tapped(c net.Conn, accepted bool) net.Conn {
	if s.tap == nil {
		return c
	}
	return s.tap(c, accepted)
}

// admit counts a new connection of ip against the limits.
func (s *Service) admit(ip netip.Addr) error {
	if !s.limiter.take(ip, time.Now()) {
		s.stats.rateLimited.Add(1)
		return errRateLimit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.conns >= s.cfg.Limits.MaxConnections || s.perIP[ip] >= s.cfg.Limits.ConnectionsPerSource:
		s.stats.refused.Add(1)
		return ErrLimit
	}
	s.conns++
	s.perIP[ip]++
	return nil
}

func (s *Service) release(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns--
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}

// trackWaiting adds (or removes) a connection waiting for its Setup, for
// Shutdown to close; false once the service is closed.
func (s *Service) trackWaiting(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.waiting, c)
		return true
	}
	if s.closed {
		return false
	}
	s.waiting[c] = struct{}{}
	return true
}

// register adds a call within MaxCalls.
func (s *Service) register(c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if len(s.calls) >= s.cfg.Limits.MaxCalls {
		s.stats.refused.Add(1)
		return ErrLimit
	}
	s.calls[c] = struct{}{}
	s.stats.calls.Add(1)
	return nil
}

func (s *Service) unregister(c *call) {
	s.mu.Lock()
	delete(s.calls, c)
	s.mu.Unlock()
}

// goTracked runs f on a goroutine Shutdown waits for; false once the
// service is closed.
func (s *Service) goTracked(f func()) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1) // under mu: never after Shutdown's Wait began
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// startHandler runs HandleSetup on a goroutine Shutdown waits for.
func (s *Service) startHandler(c *InboundCall) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.handlers.Done()
		defer func() {
			if r := recover(); r != nil {
				s.stats.panics.Add(1)
				c.log.Error("h323 call handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				c.releaseWith(CauseInternal, nil, EndInternalError)
			}
		}()
		s.handler.HandleSetup(c.ctx, c)
	}()
	return true
}

// Close is Shutdown with a one-second grace period.
func (s *Service) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown releases every call with ReleaseComplete, stops listening and
// waits for the service's goroutines; the gateway's handlers are waited
// for until ctx ends. It is idempotent.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	calls := make([]*call, 0, len(s.calls))
	for c := range s.calls {
		calls = append(calls, c)
	}
	ln := s.ln
	for c := range s.waiting {
		c.Close()
	}
	s.mu.Unlock()
	st := s.Stats()
	s.log.Info("h323 service stopping", "calls", len(calls), "calls_total", st.Calls, "malformed", st.Malformed,
		"refused", st.Refused, "rate_limited", st.RateLimited, "timeouts", st.Timeouts, "panics", st.Panics)
	if ln != nil {
		ln.Close()
	}
	for _, c := range calls {
		c.releaseWith(CauseShutdown, nil, EndShutdown)
	}
	s.wg.Wait()
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("h323 call handlers still running at the end of shutdown")
	}
	return nil
}

// Stats are the service's counters since New.
type Stats struct {
	Calls        uint64 // calls registered, both directions
	Active       int    // calls now
	Connections  int    // TCP connections and H.245 listeners now
	Malformed    uint64 // messages that did not decode
	Refused      uint64 // connections or calls over a limit
	RateLimited  uint64 // connections closed for their source's rate
	Timeouts     uint64 // connections closed by a read timeout
	Panics       uint64
	AcceptErrors uint64
}

type counters struct {
	calls, malformed, refused, rateLimited, timeouts, panics, acceptErrors atomic.Uint64
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	active, conns := len(s.calls), s.conns
	s.mu.Unlock()
	return Stats{Calls: s.stats.calls.Load(), Active: active, Connections: conns, Malformed: s.stats.malformed.Load(),
		Refused: s.stats.refused.Load(), RateLimited: s.stats.rateLimited.Load(), Timeouts: s.stats.timeouts.Load(),
		Panics: s.stats.panics.Load(), AcceptErrors: s.stats.acceptErrors.Load()}
}
