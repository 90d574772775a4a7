// Package httpguard bounds what one client can hold of roomgate's HTTP listener:
// a net.Listener wrapper that caps concurrent connections per source address and
// in total, and the http.Server timeouts that end slow and idle connections.
//
// Connections over a cap are accepted and closed at once (the kernel's backlog is
// not left to fill). Accept errors pass through unchanged: net/http's Serve backs
// off and retries on temporary ones such as EMFILE and ENFILE (syscall.Errno
// reports them Temporary), so a full descriptor table delays new connections
// instead of ending the accept loop.
package httpguard

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Limits configure the listener and the server; zero fields take the defaults.
type Limits struct {
	// MaxConnsPerSource caps open connections from one address (IPv6: one /64).
	MaxConnsPerSource int
	// MaxConns caps open connections in total.
	MaxConns int
	// ReadHeaderTimeout ends a connection that has not sent its request headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout ends a connection that has not sent a whole request (headers and
	// body) in this time. Hijacked connections (WebSocket) are not affected:
	// net/http clears their deadlines.
	ReadTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request line and headers.
	MaxHeaderBytes int
}

// Defaults.
const (
	DefaultMaxConnsPerSource = 256
	DefaultMaxConns          = 4096
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
)

// WithDefaults returns l with zero fields defaulted.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxConnsPerSource, DefaultMaxConnsPerSource)
	def(&l.MaxConns, DefaultMaxConns)
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	defDur(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	defDur(&l.ReadTimeout, DefaultReadTimeout)
	defDur(&l.IdleTimeout, DefaultIdleTimeout)
	return l
}

// Server returns an http.Server for h with l's timeouts and header cap.
func (l Limits) Server(h http.Handler, errorLog *slog.Logger) *http.Server {
	l = l.WithDefaults()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes}
	if errorLog != nil {
		srv.ErrorLog = slog.NewLogLogger(errorLog.Handler(), slog.LevelDebug)
	}
	return srv
}

// Listener wraps a net.Listener with the connection caps.
type Listener struct {
	net.Listener
	perSource, total int
	log              *slog.Logger

	mu      sync.Mutex
	open    map[netip.Addr]int
	n       int
	refused atomic.Uint64
	// full is the source last refused, so that a flood from one source logs once
	// rather than once per connection.
	full netip.Addr
}

// Listen wraps ln; log gets one line when a source first hits its cap.
func Listen(ln net.Listener, l Limits, log *slog.Logger) *Listener {
	l = l.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: ln, perSource: l.MaxConnsPerSource, total: l.MaxConns, log: log, open: map[netip.Addr]int{}}
}

// Accept returns the next connection within the caps; connections over them are
// closed at once and counted (Refused).
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err // unchanged: Serve retries temporary errors (EMFILE) with back-off
		}
		src := source(c.RemoteAddr())
		if l.take(src) {
			return &conn{Conn: c, release: func() { l.release(src) }}, nil
		}
		l.refused.Add(1)
		_ = c.Close()
	}
}

// Refused is the number of connections closed for being over a cap.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// Open returns the open connections from src and in total.
func (l *Listener) Open(src netip.Addr) (fromSource, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[key(src)], l.n
}

func (l *Listener) take(src netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n >= l.total || l.open[src] >= l.perSource {
		if l.full != src {
			l.full = src
			l.log.Warn("http: connection cap reached, closing new connections", "source", src,
				"open_from_source", l.open[src], "open", l.n, "max_per_source", l.perSource, "max", l.total)
		}
		return false
	}
	l.open[src]++
	l.n++
	return true
}

func (l *Listener) release(src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	if l.open[src]--; l.open[src] <= 0 {
		delete(l.open, src)
	}
	if l.full == src {
		l.full = netip.Addr{}
	}
}

// conn releases its slot once, on the first Close.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// source is the counting key of a remote address: IPv4 (also when mapped) as is,
// IPv6 by /64.
func source(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return key(ap.Addr())
}

func key(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return a
}
