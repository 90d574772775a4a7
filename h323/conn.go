package h323

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/h323/tpkt"
)

// frameConn is one TPKT stream (call signalling or H.245): reads
// bounded in size and time, writes serialised and bounded in time.
//
// Read deadlines: while a TPKT is incomplete it must finish within
// ReadTimeout of its first octet (slow senders); between TPKTs the
// connection may wait until idleUntil (zero: for ever, e.g. an answered
// call whose peer has nothing to say).
type frameConn struct {
	c   net.Conn
	ip  netip.Addr // the peer's
	lim Limits

	// Reader side: used by the connection's one reader goroutine only.
	partial   bool
	started   time.Time
	idleUntil time.Time

	wmu sync.Mutex
}

func newFrameConn(c net.Conn, lim Limits) *frameConn {
	return &frameConn{c: c, ip: addrOf(c.RemoteAddr()).Addr(), lim: lim}
}

// Read implements io.Reader for tpkt.ReadFrame with the deadlines above.
func (f *frameConn) Read(b []byte) (int, error) {
	dl := f.idleUntil
	if f.partial {
		dl = f.started.Add(f.lim.ReadTimeout)
	}
	if err := f.c.SetReadDeadline(dl); err != nil {
		return 0, err
	}
	n, err := f.c.Read(b)
	if n > 0 && !f.partial {
		f.partial, f.started = true, time.Now()
	}
	return n, err
}

// readFrame returns the next TPKT payload (empty for a keep-alive).
func (f *frameConn) readFrame() ([]byte, error) {
	f.partial = false
	return tpkt.ReadFrame(f, f.lim.MaxMessageSize)
}

// writeFrame sends payload as one TPKT.
func (f *frameConn) writeFrame(payload []byte) error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if err := f.c.SetWriteDeadline(time.Now().Add(f.lim.WriteTimeout)); err != nil {
		return err
	}
	return tpkt.WriteFrame(f.c, payload)
}

func (f *frameConn) close() { f.c.Close() }

// isTimeout: the read ended on its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func addrOf(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// transientAcceptError: errors after which accepting again can succeed
// (out of descriptors, aborted handshakes).
func transientAcceptError(err error) bool {
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOBUFS),
		errors.Is(err, syscall.ENOMEM), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	return isTimeout(err)
}

// tokenBucket rate-limits one source.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// maxTrackedSources bounds the limiter's memory: past it, new sources
// share one bucket.
const maxTrackedSources = 1 << 14

// rateLimiter is a token bucket per source IP.
type rateLimiter struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	srcs  map[netip.Addr]*tokenBucket
}

func newRateLimiter(l Limits) *rateLimiter {
	return &rateLimiter{rate: l.MessagesPerSecond, burst: float64(l.Burst), srcs: map[netip.Addr]*tokenBucket{}}
}

// take spends a token of ip; false when the source is over its rate.
func (r *rateLimiter) take(ip netip.Addr, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.srcs[ip]
	if b == nil {
		if len(r.srcs) >= maxTrackedSources {
			r.sweepLocked(now)
		}
		if len(r.srcs) >= maxTrackedSources {
			ip = netip.IPv6Unspecified()
			b = r.srcs[ip]
		}
		if b == nil {
			b = &tokenBucket{tokens: r.burst, last: now}
			r.srcs[ip] = b
		}
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweepLocked forgets sources whose bucket is full again.
func (r *rateLimiter) sweepLocked(now time.Time) {
	for ip, b := range r.srcs {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.srcs, ip)
		}
	}
}
