package bfcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Floors decides who holds a floor; the meeting's floor state machine
// implements it. The server calls it without holding its locks, so an
// implementation may call Server.Grant, Deny or Revoke from inside.
type Floors interface {
	// Request asks for a decision on a new floor request: StatusGranted,
	// StatusAccepted or StatusPending (decide later with Server.Grant or
	// Server.Deny), or StatusDenied.
	Request(r Request) RequestStatus
	// Released tells that a request ended from the participant's side:
	// FloorRelease, Goodbye, a closed connection or a dead UDP peer. r.Status
	// is StatusReleased (it was granted) or StatusCancelled.
	Released(r Request)
}

// FloorEvent reports a floor request changing state.
type FloorEvent struct {
	Request Request       // Request.Status is the new state
	Prev    RequestStatus // 0 for a request just made
}

// Config configures a Server. Zero fields take the defaults named.
type Config struct {
	ConferenceID uint32   // a=confid; messages for another conference get Error 1
	FloorIDs     []uint16 // a=floorid values served; others get Error 6
	Floors       Floors   // nil grants every request
	// OnFloorChange, if set, is called for every state change, in order,
	// never with the server's locks held.
	OnFloorChange func(FloorEvent)
	// Logger gets the server's lines; give it the call's attributes
	// (call_id, leg). Nil discards.
	Logger *slog.Logger

	MaxConns         int           // TCP connections plus UDP peers: 4
	MaxRequests      int           // outstanding floor requests per connection: 2
	MaxMessageSize   int           // octets, header included: 16384
	Rate             float64       // messages per second per connection: 20
	Burst            int           // burst of messages per connection: 40
	HandshakeTimeout time.Duration // until the first valid message: 10 s
	IdleTimeout      time.Duration // without a message; 0 keeps quiet connections
	WriteTimeout     time.Duration // TCP write: 5 s
	T1               time.Duration // UDP retransmission timer, doubling: 500 ms
	MaxRetransmits   int           // UDP retransmissions before a peer is dead: 4
	ResponseLinger   time.Duration // UDP responses kept to answer duplicates: 10 s
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxConns, 4)
	def(&c.MaxRequests, 2)
	def(&c.MaxMessageSize, 16384)
	def(&c.Burst, 40)
	def(&c.MaxRetransmits, 4)
	if c.Rate <= 0 {
		c.Rate = 20
	}
	defd(&c.HandshakeTimeout, 10*time.Second)
	defd(&c.WriteTimeout, 5*time.Second)
	defd(&c.T1, 500*time.Millisecond)
	defd(&c.ResponseLinger, 10*time.Second)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server is the floor control server of one conference (RFC 8855 §4). It
// serves any number of transports: listeners (a=setup:passive), dialled
// connections (a=setup:active toward a passive room system) and UDP
// sockets. roomgate runs one Server per SIP call with BFCP.
type Server struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	closed    bool
	done      chan struct{}
	peers     map[*peer]struct{}
	links     map[*tcpLink]struct{} // TCP connections whose writer runs
	requests  map[uint16]*request
	nextReqID uint16
	closers   []io.Closer
	events    []FloorEvent

	dispatching bool // a goroutine delivers s.events; guarded by mu
	wg          sync.WaitGroup
}

type request struct {
	Request
	peer *peer
}

// NewServer returns a Server for cfg.
func NewServer(cfg Config) (*Server, error) {
	if len(cfg.FloorIDs) == 0 {
		return nil, errors.New("bfcp: Config.FloorIDs is empty")
	}
	cfg.defaults()
	return &Server{cfg: cfg, log: cfg.Logger, done: make(chan struct{}),
		peers: map[*peer]struct{}{}, links: map[*tcpLink]struct{}{}, requests: map[uint16]*request{}}, nil
}

// Serve accepts BFCP over TCP on ln (the gateway answered a=setup:passive)
// until Close, which also closes ln.
func (s *Server) Serve(ln net.Listener) error {
	if !s.own(ln) {
		return errClosed
	}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if s.isClosed() {
					return
				}
				s.log.Warn("bfcp: accept", "err", err)
				if errors.Is(err, net.ErrClosed) {
					return
				}
				select { // out of descriptors or the like: breathe
				case <-s.done:
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			s.adoptTCP(c)
		}
	})
	return nil
}

// DialTCP connects to a room system that answered or offered
// a=setup:passive and serves BFCP on the connection.
func (s *Server) DialTCP(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("bfcp: dial %s: %w", addr, err)
	}
	s.adoptTCP(c)
	return nil
}

// ServeConn serves BFCP on an established TCP connection.
func (s *Server) ServeConn(c net.Conn) { s.adoptTCP(c) }

// ServeUDP serves BFCP over UDP on pc with the reliability of RFC 8855
// §6.2 until Close, which also closes pc.
func (s *Server) ServeUDP(pc net.PacketConn) error {
	if !s.own(pc) {
		return errClosed
	}
	u := &udpTransport{s: s, pc: pc, peers: map[string]*peer{}}
	s.wg.Go(u.read)
	return nil
}

// Close ends every connection and waits for the server's goroutines. Open
// floor requests end as if released; Floors.Released is not called.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	closers := s.closers
	for p := range s.peers {
		p.gone = true
		s.stopTimer(p.idle)
		p.idle = nil
		if p.udp != nil {
			p.udp.drop(p)
		}
	}
	for l := range s.links {
		l.close(false)
	}
	s.mu.Unlock()
	for _, c := range closers {
		_ = c.Close()
	}
	s.wg.Wait()
	return nil
}

func (s *Server) own(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return false
	}
	s.closers = append(s.closers, c)
	return true
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Requests returns the open floor requests.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, 0, len(s.requests))
	for _, r := range s.requests {
		out = append(out, r.copy())
	}
	return out
}

// Grant gives the floors of request id (Pending or Accepted) to its user.
func (s *Server) Grant(id uint16) error {
	return s.decide(id, StatusGranted, "", StatusPending, StatusAccepted)
}

// Accept marks request id as accepted but not yet granted (queued).
func (s *Server) Accept(id uint16) error { return s.decide(id, StatusAccepted, "", StatusPending) }

// Deny refuses request id (Pending or Accepted); reason goes in STATUS-INFO.
func (s *Server) Deny(id uint16, reason string) error {
	return s.decide(id, StatusDenied, reason, StatusPending, StatusAccepted)
}

// Revoke takes the floors of request id back from its user (Granted).
func (s *Server) Revoke(id uint16, reason string) error {
	return s.decide(id, StatusRevoked, reason, StatusGranted)
}

var errNoRequest = errors.New("bfcp: no such floor request")

func (s *Server) decide(id uint16, to RequestStatus, reason string, from ...RequestStatus) error {
	s.mu.Lock()
	r, ok := s.requests[id]
	if !ok {
		s.mu.Unlock()
		return errNoRequest
	}
	if r.Status == 0 { // inside Floors.Request: the response will carry it
		r.Status = to
		s.mu.Unlock()
		return nil
	}
	allowed := false
	for _, f := range from {
		allowed = allowed || r.Status == f
	}
	if !allowed {
		st := r.Status
		s.mu.Unlock()
		return fmt.Errorf("bfcp: floor request %d is %s, cannot become %s", id, st, to)
	}
	s.setStatus(r, to, reason)
	s.mu.Unlock()
	s.flush()
	return nil
}

// setStatus moves r to st, notifies its user and the floors' watchers and
// queues the event. s.mu is held.
func (s *Server) setStatus(r *request, st RequestStatus, reason string) {
	prev := r.Status
	r.Status = st
	if st.Final() {
		delete(s.requests, r.ID)
		if r.peer != nil {
			r.peer.open--
		}
	}
	if r.peer != nil && !r.peer.gone {
		r.peer.notify(FloorRequestStatus, []Attribute{r.info(reason)})
	}
	s.notifyFloors(r)
	s.events = append(s.events, FloorEvent{Request: r.copy(), Prev: prev})
}

func (r *request) copy() Request {
	c := r.Request
	c.FloorIDs = append([]uint16(nil), r.FloorIDs...)
	return c
}

// flush delivers queued events in order, without s.mu held. One goroutine
// delivers at a time; one that finds another delivering leaves its events
// to it, so an OnFloorChange that calls Grant does not deadlock.
func (s *Server) flush() {
	s.mu.Lock()
	if s.dispatching {
		s.mu.Unlock()
		return
	}
	s.dispatching = true
	for {
		evs := s.events
		s.events = nil
		if len(evs) == 0 {
			s.dispatching = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if s.cfg.OnFloorChange != nil {
			for _, e := range evs {
				s.cfg.OnFloorChange(e)
			}
		}
		s.mu.Lock()
	}
}
