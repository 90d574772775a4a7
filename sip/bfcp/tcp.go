package bfcp

import (
	"bufio"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// tcpLink is a peer's TCP connection: a reader goroutine that frames
// messages by their Payload Length and a writer goroutine draining a
// bounded queue, so a peer that stops reading never blocks the server.
type tcpLink struct {
	c       net.Conn
	out     chan []byte // nil entry: close after what is queued
	quit    closeOnce
	closing atomic.Bool // the nil entry is queued
}

const tcpQueue = 32

func (l *tcpLink) enqueue(b []byte) {
	select {
	case l.out <- b:
	default: // the peer does not read: give up on it
		l.close(false)
	}
}

// close ends the connection; graceful lets the writer send what is queued
// first (GoodbyeAck).
func (l *tcpLink) close(graceful bool) {
	if graceful {
		if l.closing.Load() {
			return
		}
		select {
		case l.out <- nil:
			l.closing.Store(true)
			return
		default:
		}
	}
	l.quit.close()
	_ = l.c.Close()
}

func (s *Server) adoptTCP(c net.Conn) {
	s.mu.Lock()
	if s.closed || len(s.peers) >= s.cfg.MaxConns {
		s.mu.Unlock()
		s.log.Warn("bfcp: connection refused", "peer", c.RemoteAddr().String(), "reason", "limit")
		_ = c.Close()
		return
	}
	p := newPeer(s, c.RemoteAddr())
	p.tcp = &tcpLink{c: c, out: make(chan []byte, tcpQueue), quit: closeOnce{ch: make(chan struct{})}}
	s.peers[p] = struct{}{}
	s.links[p.tcp] = struct{}{}
	p.armIdle(s.cfg.HandshakeTimeout, "no BFCP message")
	s.wg.Add(2)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.writeTCP(p.tcp)
		s.mu.Lock()
		delete(s.links, p.tcp)
		s.mu.Unlock()
	}()
	go func() {
		defer s.wg.Done()
		s.readTCP(p)
		if !p.tcp.closing.Load() { // else the writer closes once the queue is out
			p.tcp.close(false)
		}
		s.mu.Lock()
		rel := s.dropPeer(p, "connection closed")
		delete(s.peers, p)
		s.mu.Unlock()
		s.released(rel)
	}()
}

func (s *Server) writeTCP(l *tcpLink) {
	for {
		select {
		case <-l.quit.ch:
			return
		case b := <-l.out:
			if b == nil {
				l.close(false)
				return
			}
			_ = l.c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
			if _, err := l.c.Write(b); err != nil {
				l.close(false)
				return
			}
		}
	}
}

// readTCP reads messages until the connection fails or a message cannot be
// framed. Bytes that frame but do not decode get an Error and reading goes
// on (RFC 8855 §13.8).
func (s *Server) readTCP(p *peer) {
	r := bufio.NewReaderSize(p.tcp.c, 4096)
	hdr := make([]byte, HeaderSize)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return
		}
		var h Header
		if _, err := h.Unmarshal(hdr); err != nil {
			s.streamError(p, hdr, err) // cannot find the next message: close
			return
		}
		if h.Fragment {
			s.streamError(p, hdr, syntaxErr(ErrUnparsable, "F bit over a reliable transport"))
			return
		}
		size := h.MessageSize()
		if size > s.cfg.MaxMessageSize {
			s.streamError(p, hdr, syntaxErr(ErrIncorrectLength, "message of %d octets exceeds %d", size, s.cfg.MaxMessageSize))
			return
		}
		buf := make([]byte, size)
		copy(buf, hdr)
		if _, err := io.ReadFull(r, buf[HeaderSize:]); err != nil {
			return
		}
		s.receive(p, buf)
	}
}

// streamError answers bytes that break framing with an Error built from
// what the header says, then the caller closes the connection.
func (s *Server) streamError(p *peer, hdr []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.gone {
		return
	}
	req := headerOf(hdr)
	p.respondError(&req, CodeOf(err), err.Error(), nil)
	p.tcp.close(true)
}

// headerOf reads the IDs of a header that may not decode, to address an
// Error to its sender: version 1 unless it says 2.
func headerOf(b []byte) Message {
	var m Message
	m.Version = Version1
	if b[0]>>5 == Version2 {
		m.Version = Version2
	}
	m.ConferenceID = uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
	m.TransactionID = uint16(b[8])<<8 | uint16(b[9])
	m.UserID = uint16(b[10])<<8 | uint16(b[11])
	return m
}
