package bfcp

import (
	"net"
	"sync"
	"time"
)

// peer is one BFCP association: a TCP connection or a UDP remote address.
// Its fields are guarded by Server.mu.
type peer struct {
	s       *Server
	addr    net.Addr
	user    uint16
	version uint8
	valid   bool // a valid message arrived
	gone    bool // dropped: requests released, nothing more sent
	queried map[uint16]bool
	open    int // open floor requests
	nextTID uint16

	tokens float64
	refill time.Time
	idle   *time.Timer

	tcp *tcpLink
	udp *udpLink
}

func newPeer(s *Server, addr net.Addr) *peer {
	return &peer{s: s, addr: addr, version: Version1, queried: map[uint16]bool{},
		tokens: float64(s.cfg.Burst), refill: time.Now()}
}

// allow takes a token from p's bucket (Config.Rate, Config.Burst).
func (p *peer) allow(now time.Time) bool {
	p.tokens += now.Sub(p.refill).Seconds() * p.s.cfg.Rate
	p.refill = now
	if b := float64(p.s.cfg.Burst); p.tokens > b {
		p.tokens = b
	}
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

// armIdle (re)starts the timer that drops p after d without a message.
func (p *peer) armIdle(d time.Duration, reason string) {
	p.s.stopTimer(p.idle)
	p.idle = nil
	if d <= 0 {
		return
	}
	var t *time.Timer
	t = p.s.after(d, func() {
		p.s.mu.Lock()
		if p.idle != t {
			p.s.mu.Unlock()
			return
		}
		p.idle = nil
		rel := p.s.dropPeer(p, reason)
		p.s.mu.Unlock()
		p.s.released(rel)
	})
	p.idle = t
}

// send writes an encoded message to p. s.mu is held.
func (p *peer) send(b []byte) {
	if p.tcp != nil {
		p.tcp.enqueue(b)
		return
	}
	p.udp.write(b, p.addr)
}

// respond answers the request req (RFC 8855 §6: same conference,
// transaction and user IDs; R set in version 2). s.mu is held.
func (p *peer) respond(req *Message, prim Primitive, attrs []Attribute) {
	m := Message{Header: Header{Version: req.Version, Responder: req.Version == Version2, Primitive: prim,
		ConferenceID: req.ConferenceID, TransactionID: req.TransactionID, UserID: req.UserID}, Attributes: attrs}
	b, err := m.Marshal()
	if err != nil {
		p.s.log.Error("bfcp: encode response", "primitive", prim, "err", err)
		return
	}
	if p.udp != nil && req.TransactionID != 0 { // 0 cannot tell retransmissions apart
		p.udp.cache(req.TransactionID, b)
	}
	p.send(b)
}

func (p *peer) respondError(req *Message, code ErrorCode, info string, details []byte) {
	attrs := []Attribute{NewErrorCode(code, details)}
	if info != "" {
		attrs = append(attrs, NewText(ErrorInfo, info))
	}
	p.respond(req, Error, attrs)
}

// notify sends a message the server starts (FloorRequestStatus or
// FloorStatus outside a transaction). Over TCP its Transaction ID is 0
// (RFC 8855 §8); to a version 2 UDP peer it gets a fresh Transaction ID and
// is retransmitted until acknowledged (§6.2). s.mu is held.
func (p *peer) notify(prim Primitive, attrs []Attribute) {
	if p.gone {
		return
	}
	m := Message{Header: Header{Version: p.version, Primitive: prim, ConferenceID: p.s.cfg.ConferenceID,
		UserID: p.user}, Attributes: attrs}
	reliable := p.udp != nil && p.version == Version2
	if reliable {
		p.nextTID++
		if p.nextTID == 0 {
			p.nextTID = 1
		}
		m.TransactionID = p.nextTID
	}
	b, err := m.Marshal()
	if err != nil {
		p.s.log.Error("bfcp: encode notification", "primitive", prim, "err", err)
		return
	}
	p.send(b)
	if reliable {
		p.udp.expectAck(p, m.TransactionID, b)
	}
}

// after runs f after d as a goroutine the server waits for. s.mu is held
// and the server is open, so no timer starts after Close.
func (s *Server) after(d time.Duration, f func()) *time.Timer {
	s.wg.Add(1)
	return time.AfterFunc(d, func() {
		defer s.wg.Done()
		f()
	})
}

func (s *Server) stopTimer(t *time.Timer) {
	if t != nil && t.Stop() {
		s.wg.Done()
	}
}

// dropPeer ends p: its open requests end (Released if granted, else
// Cancelled) and its transport closes. It returns the requests for
// Floors.Released, to be called after s.mu is released. s.mu is held.
func (s *Server) dropPeer(p *peer, reason string) []Request {
	if p.gone {
		return nil
	}
	p.gone = true
	s.log.Info("bfcp: peer gone", "peer", p.addr.String(), "user", p.user, "reason", reason)
	s.stopTimer(p.idle)
	p.idle = nil
	var rel []Request
	for _, r := range s.requests {
		if r.peer != p || r.Status == 0 {
			continue
		}
		st := StatusCancelled
		if r.Status == StatusGranted {
			st = StatusReleased
		}
		s.setStatus(r, st, reason)
		rel = append(rel, r.copy())
	}
	if p.udp != nil {
		p.udp.drop(p)
		delete(s.peers, p)
	} else {
		p.tcp.close(reason == "goodbye" || p.tcp.closing.Load())
	}
	return rel
}

// released reports requests ended by their participant to Floors and
// delivers the queued events. s.mu is not held.
func (s *Server) released(rel []Request) {
	if s.cfg.Floors != nil {
		for _, r := range rel {
			s.cfg.Floors.Released(r)
		}
	}
	s.flush()
}

// closeOnce guards a channel closed by several paths.
type closeOnce struct {
	once sync.Once
	ch   chan struct{}
}

func (c *closeOnce) close() { c.once.Do(func() { close(c.ch) }) }
