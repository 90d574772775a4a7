package bfcp

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// memAddr and memConn are an in-memory datagram network for synctest
// bubbles, where real sockets would keep fake time from advancing.
type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

type memNet struct {
	mu    sync.Mutex
	conns map[memAddr]*memConn
}

type datagram struct {
	b    []byte
	from memAddr
}

type memConn struct {
	n      *memNet
	local  memAddr
	remote memAddr // for Read/Write: a connected socket
	in     chan datagram
	done   chan struct{}
	once   sync.Once
	// drop, if set, decides whether a datagram this conn sends is lost.
	drop func(b []byte) bool
}

func (n *memNet) listen(addr string, remote string) *memConn {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns == nil {
		n.conns = map[memAddr]*memConn{}
	}
	c := &memConn{n: n, local: memAddr(addr), remote: memAddr(remote), in: make(chan datagram, 64), done: make(chan struct{})}
	n.conns[c.local] = c
	return c
}

func (c *memConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.from, nil
	case <-c.done:
		return 0, nil, net.ErrClosed
	}
}

func (c *memConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.drop != nil && c.drop(b) {
		return len(b), nil
	}
	c.n.mu.Lock()
	dst := c.n.conns[memAddr(addr.String())]
	c.n.mu.Unlock()
	if dst == nil {
		return len(b), nil
	}
	select {
	case dst.in <- datagram{b: append([]byte(nil), b...), from: c.local}:
	default:
	}
	return len(b), nil
}

func (c *memConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFrom(b)
	return n, err
}

func (c *memConn) Write(b []byte) (int, error) { return c.WriteTo(b, c.remote) }

func (c *memConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr              { return c.local }
func (c *memConn) RemoteAddr() net.Addr             { return c.remote }
func (c *memConn) SetDeadline(time.Time) error      { return os.ErrNoDeadline }
func (c *memConn) SetReadDeadline(time.Time) error  { return os.ErrNoDeadline }
func (c *memConn) SetWriteDeadline(time.Time) error { return os.ErrNoDeadline }

// memServer serves UDP on an in-memory network inside a synctest bubble;
// the server closes when the test ends.
func memServer(t *testing.T, cfg Config) (*Server, *memNet, *memConn) {
	t.Helper()
	mn := &memNet{}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	spc := mn.listen("server", "")
	if err := srv.ServeUDP(spc); err != nil {
		t.Fatal(err)
	}
	return srv, mn, spc
}
