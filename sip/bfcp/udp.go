package bfcp

import (
	"errors"
	"net"
	"time"
)

// udpTransport serves one UDP socket. Peers are keyed by remote address
// and exist only once a valid message arrived from that address; Errors for
// bytes from unknown addresses are sent statelessly, rate limited.
type udpTransport struct {
	s     *Server
	pc    net.PacketConn
	peers map[string]*peer // guarded by s.mu
	anon  *peer            // token bucket for stateless Errors; guarded by s.mu
}

// udpLink is a UDP peer's share of the socket: the responses kept for
// duplicate requests and the notifications awaiting an Ack (RFC 8855 §6.2).
type udpLink struct {
	t        *udpTransport
	key      string
	frag     Reassembler
	sent     map[uint16]cachedResponse
	awaiting map[uint16]*pendingNotify
}

type cachedResponse struct {
	b  []byte
	at time.Time
}

type pendingNotify struct {
	b     []byte
	tries int
	timer *time.Timer
}

const (
	maxCachedResponses = 64
	maxAwaitingAcks    = 32
)

func (u *udpTransport) read() {
	buf := make([]byte, 65536)
	for {
		n, addr, err := u.pc.ReadFrom(buf)
		if err != nil {
			if u.s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			u.s.log.Debug("bfcp: udp read", "err", err) // ICMP errors and the like
			continue
		}
		u.datagram(append([]byte(nil), buf[:n]...), addr)
	}
}

func (u *udpTransport) datagram(b []byte, addr net.Addr) {
	s := u.s
	now := time.Now()
	var m Message
	n, err := m.Unmarshal(b)
	if err == nil && n != len(b) {
		err = syntaxErr(ErrIncorrectLength, "%d octets after the message", len(b)-n)
	}
	if err == nil && m.Fragment && 4*int(m.PayloadLength)+HeaderSize > s.cfg.MaxMessageSize {
		err = syntaxErr(ErrIncorrectLength, "fragmented message of %d units exceeds the limit", m.PayloadLength)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	key := addr.String()
	p := u.peers[key]
	if p == nil && err == nil {
		if len(s.peers) >= s.cfg.MaxConns {
			s.mu.Unlock()
			return
		}
		p = newPeer(s, addr)
		p.udp = &udpLink{t: u, key: key, sent: map[uint16]cachedResponse{}, awaiting: map[uint16]*pendingNotify{}}
		u.peers[key] = p
		s.peers[p] = struct{}{}
	}
	if err != nil {
		if len(b) >= HeaderSize && b[1] != byte(Error) && b[0]&0x10 == 0 { // never answer a response or an Error
			lim := p
			if lim == nil {
				if u.anon == nil {
					u.anon = newPeer(s, addr)
				}
				lim = u.anon
			}
			if lim.allow(now) {
				req := headerOf(b)
				e := Message{Header: Header{Version: req.Version, Responder: req.Version == Version2, Primitive: Error,
					ConferenceID: req.ConferenceID, TransactionID: req.TransactionID, UserID: req.UserID},
					Attributes: []Attribute{NewErrorCode(CodeOf(err), nil), NewText(ErrorInfo, err.Error())}}
				if eb, merr := e.Marshal(); merr == nil {
					u.write(eb, addr)
				}
			}
		}
		s.mu.Unlock()
		return
	}
	if !p.allow(now) {
		s.mu.Unlock()
		return
	}
	if m.Fragment {
		whole, ferr := p.udp.frag.Add(&m, now)
		if ferr != nil || whole == nil {
			s.mu.Unlock()
			return
		}
		m = *whole
	}
	s.mu.Unlock()
	s.handle(p, &m)
}

func (u *udpTransport) write(b []byte, addr net.Addr) {
	_, _ = u.pc.WriteTo(b, addr)
}

func (l *udpLink) write(b []byte, addr net.Addr) { l.t.write(b, addr) }

// cache keeps the response to transaction tid so a retransmitted request
// gets it again instead of being processed twice (RFC 8855 §6.2).
func (l *udpLink) cache(tid uint16, b []byte) {
	now := time.Now()
	linger := l.t.s.cfg.ResponseLinger
	var oldest uint16
	var oldestAt time.Time
	for k, c := range l.sent {
		if now.Sub(c.at) > linger {
			delete(l.sent, k)
			continue
		}
		if oldestAt.IsZero() || c.at.Before(oldestAt) {
			oldest, oldestAt = k, c.at
		}
	}
	if len(l.sent) >= maxCachedResponses {
		delete(l.sent, oldest)
	}
	l.sent[tid] = cachedResponse{b: b, at: now}
}

// resend answers a duplicate request from the cache.
func (l *udpLink) resend(tid uint16, addr net.Addr) bool {
	c, ok := l.sent[tid]
	if !ok || time.Since(c.at) > l.t.s.cfg.ResponseLinger {
		return false
	}
	l.write(c.b, addr)
	return true
}

// expectAck retransmits b with T1 doubling until ack(tid) or
// Config.MaxRetransmits, after which the peer is dead.
func (l *udpLink) expectAck(p *peer, tid uint16, b []byte) {
	s := l.t.s
	if len(l.awaiting) >= maxAwaitingAcks {
		// s.mu is held, maybe inside another peer's drop: drop later.
		s.after(0, func() {
			s.mu.Lock()
			rel := s.dropPeer(p, "notifications not acknowledged")
			s.mu.Unlock()
			s.released(rel)
		})
		return
	}
	pn := &pendingNotify{b: b}
	l.awaiting[tid] = pn
	l.arm(p, tid, pn)
}

func (l *udpLink) arm(p *peer, tid uint16, pn *pendingNotify) {
	s := l.t.s
	pn.timer = s.after(s.cfg.T1<<pn.tries, func() {
		s.mu.Lock()
		if p.gone || s.closed || l.awaiting[tid] != pn {
			s.mu.Unlock()
			return
		}
		if pn.tries >= s.cfg.MaxRetransmits {
			rel := s.dropPeer(p, "no acknowledgement")
			s.mu.Unlock()
			s.released(rel)
			return
		}
		pn.tries++
		l.write(pn.b, p.addr)
		l.arm(p, tid, pn)
		s.mu.Unlock()
	})
}

// ack ends the retransmission of notification tid.
func (l *udpLink) ack(tid uint16) {
	if pn, ok := l.awaiting[tid]; ok {
		l.t.s.stopTimer(pn.timer)
		delete(l.awaiting, tid)
	}
}

// drop forgets p's UDP state and stops its timers. s.mu is held.
func (l *udpLink) drop(p *peer) {
	for tid := range l.awaiting {
		l.ack(tid)
	}
	if l.t.peers[l.key] == p {
		delete(l.t.peers, l.key)
	}
}
