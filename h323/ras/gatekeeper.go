package ras

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/roomgate/roomgate/h323/h225"
)

// Config configures the built-in gatekeeper.
type Config struct {
	// Listen is the UDP host:port for RAS. Default "0.0.0.0:1719".
	Listen string
	// Advertise is the rasAddress sent in GCF. Default: the listen address
	// when its IP is specified, else the IP of the first CallSignal address
	// with the listening port.
	Advertise netip.AddrPort
	// GatekeeperID is our gatekeeperIdentifier, at most 32 characters.
	// Default "roomgate".
	GatekeeperID string
	// CallSignal are the gateway's own call signalling addresses: ACF and
	// LCF for aliases the gateway owns point there.
	CallSignal []netip.AddrPort
	// CallSignalFor is the IP of the gateway's call signalling address as an
	// endpoint at src must see it in ACF and LCF (split horizon: a LAN endpoint the
	// private address, one on the internet the public side of a one-to-one NAT);
	// nil or an invalid result: CallSignal's. Called with the gatekeeper's lock held:
	// it must not call back into the Gatekeeper.
	CallSignalFor func(src netip.AddrPort) netip.Addr
	// OwnsAlias reports whether a dialled alias belongs to the gateway (a
	// meeting ID, "ID#HWPASS", …). Nil: none does. It is called with the
	// gatekeeper's lock held and must not call back into the Gatekeeper.
	OwnsAlias func(Alias) bool
	// DefaultTTL is granted when an RRQ asks for no time to live; asked
	// values are clamped to [MinTTL, MaxTTL]. Defaults 300 s, 30 s, 3600 s.
	DefaultTTL, MinTTL, MaxTTL time.Duration
	// Grace is added to the time to live before a registration expires, so
	// that a keepalive that needed its retries still arrives. Default 10 s.
	Grace time.Duration
	// RequireDiscovery rejects RRQs that did not follow a GRQ
	// (discoveryComplete false) with discoveryRequired. Default: accept.
	RequireDiscovery bool
	// TrustSignalledAddresses keeps the IPs of callSignalAddress as sent;
	// by default they are replaced by the RRQ's source IP (see the package
	// documentation).
	TrustSignalledAddresses bool
	// LocateFrom lists the networks (besides registered endpoints) whose
	// LRQs for registered endpoints are answered; LRQs for the gateway's own
	// aliases are answered to anybody. Default: none.
	LocateFrom []netip.Prefix
	// MaxBandwidth caps what ARQ and BRQ are granted, in units of 100 bit/s
	// for both directions (H.225.0 BandWidth). Default 100000 (10 Mbit/s).
	MaxBandwidth int64
	// SweepInterval is how often expired registrations are removed (they
	// are invisible as soon as they expire). Default 5 s.
	SweepInterval time.Duration
	Limits        Limits
	// OnChange, when set, is told of every registration change, one call at
	// a time, in order, without the gatekeeper's lock held.
	OnChange func(Change)
	Logger   *slog.Logger
	Clock    Clock
}

const maxGatekeeperID = 32

func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = "0.0.0.0:1719"
	}
	if c.GatekeeperID == "" {
		c.GatekeeperID = "roomgate"
	}
	if n := len(utf16.Encode([]rune(c.GatekeeperID))); n > maxGatekeeperID {
		return c, fmt.Errorf("ras: gatekeeper identifier longer than %d characters", maxGatekeeperID)
	}
	if c.DefaultTTL <= 0 {
		c.DefaultTTL = 300 * time.Second
	}
	if c.MinTTL <= 0 {
		c.MinTTL = 30 * time.Second
	}
	if c.MaxTTL <= 0 {
		c.MaxTTL = time.Hour
	}
	if c.MinTTL > c.MaxTTL {
		return c, errors.New("ras: MinTTL above MaxTTL")
	}
	c.DefaultTTL = min(max(c.DefaultTTL, c.MinTTL), c.MaxTTL)
	if c.Grace <= 0 {
		c.Grace = 10 * time.Second
	}
	if c.MaxBandwidth <= 0 {
		c.MaxBandwidth = 100000
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 5 * time.Second
	}
	for _, a := range c.CallSignal {
		if !a.IsValid() || a.Port() == 0 {
			return c, fmt.Errorf("ras: invalid gateway call signalling address %v", a)
		}
	}
	if c.OwnsAlias == nil {
		c.OwnsAlias = func(Alias) bool { return false }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	c.Limits = c.Limits.withDefaults()
	return c, nil
}

// Stats counts what the gatekeeper saw.
type Stats struct {
	Received    uint64 // datagrams read
	RateLimited uint64 // dropped by the per-source rate limit
	Malformed   uint64 // not a decodable RasMessage (or too long)
	Retransmits uint64 // answered from the retransmission cache
	Answered    uint64 // answers sent
	Ignored     uint64 // decodable but not answered (responses, foreign GRQ)
	Oversized   uint64 // answers dropped by the amplification check
}

// Gatekeeper is the built-in H.323 gatekeeper.
type Gatekeeper struct {
	cfg  Config
	log  *slog.Logger
	conn *net.UDPConn
	gk   h225.Gatekeeper // builder of our confirmations

	// Read-loop state.
	limiter rateLimiter
	cache   *replyCache
	seed    maphash.Seed

	mu      sync.Mutex
	reg     *registry
	seq     int64 // our own requests (URQ)
	stats   Stats
	pending []Change
	cbMu    sync.Mutex

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	// tap, when set before Start (tests), sees every datagram received
	// and sent.
	tap func(from, to netip.AddrPort, b []byte)
}

// NewGatekeeper checks cfg; Start opens the socket.
func NewGatekeeper(cfg Config) (*Gatekeeper, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Gatekeeper{
		cfg:   cfg,
		log:   cfg.Logger.With("component", "h323-gatekeeper"),
		cache: newReplyCache(),
		seed:  maphash.MakeSeed(),
		reg:   newRegistry(),
		stop:  make(chan struct{}),
	}
	g.limiter = rateLimiter{lim: cfg.Limits, log: g.log, srcs: map[netip.Addr]*bucket{}}
	return g, nil
}

// Start listens and serves until ctx ends or Close is called.
func (g *Gatekeeper) Start(ctx context.Context) error {
	ap, err := netip.ParseAddrPort(g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ras: listen address %q: %w", g.cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return fmt.Errorf("ras: listen: %w", err)
	}
	g.conn = conn
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	adv := g.cfg.Advertise
	if !adv.IsValid() {
		adv = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
		if adv.Addr().IsUnspecified() && len(g.cfg.CallSignal) > 0 {
			adv = netip.AddrPortFrom(g.cfg.CallSignal[0].Addr(), local.Port())
		}
	}
	ras, err := h225.NewTransportAddress(adv)
	if err != nil {
		conn.Close()
		return fmt.Errorf("ras: advertised address: %w", err)
	}
	g.gk = h225.Gatekeeper{RAS: ras, ID: h225.GatekeeperIdentifier(g.cfg.GatekeeperID)}
	g.log.Info("H.323 gatekeeper listening", "listen", local.String(), "advertise", adv.String(),
		"gatekeeper_id", g.cfg.GatekeeperID)
	g.wg.Add(3)
	go func() {
		defer g.wg.Done()
		g.readLoop()
	}()
	go func() {
		defer g.wg.Done()
		g.sweepLoop()
	}()
	go func() {
		defer g.wg.Done()
		select {
		case <-ctx.Done():
			g.shutdown()
		case <-g.stop:
		}
	}()
	return nil
}

// Addr is the local address of the RAS socket (after Start).
func (g *Gatekeeper) Addr() netip.AddrPort {
	return g.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (g *Gatekeeper) shutdown() {
	g.closeOnce.Do(func() {
		close(g.stop)
		if g.conn != nil {
			g.conn.Close()
		}
	})
}

// Close stops serving and waits for the gatekeeper's goroutines. It is
// idempotent. Registrations are kept (and lost with the Gatekeeper).
func (g *Gatekeeper) Close() error {
	g.shutdown()
	g.wg.Wait()
	return nil
}

func (g *Gatekeeper) readLoop() {
	buf := make([]byte, maxDatagram+1)
	for {
		n, src, err := g.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-g.stop:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			g.log.Debug("RAS read error", "err", err)
			continue
		}
		g.tapped(src, g.Addr(), buf[:n])
		if reply := g.datagram(buf[:n], src); reply != nil {
			g.tapped(g.Addr(), src, reply)
			if _, err := g.conn.WriteToUDPAddrPort(reply, src); err != nil {
				g.log.Debug("RAS send failed", "to", src.String(), "err", err)
			}
		}
		g.flush()
	}
}

func (g *Gatekeeper) tapped(from, to netip.AddrPort, b []byte) {
	if g.tap != nil {
		g.tap(from, to, b)
	}
}

func (g *Gatekeeper) sweepLoop() {
	for {
		t := g.cfg.Clock.NewTimer(g.cfg.SweepInterval)
		select {
		case <-g.stop:
			t.Stop()
			return
		case <-t.C():
		}
		g.mu.Lock()
		g.expireLocked(g.cfg.Clock.Now())
		g.mu.Unlock()
		g.flush()
	}
}

// datagram handles one received datagram and returns the answer to send
// to src, or nil. It is the read loop's body (and the fuzz target's).
func (g *Gatekeeper) datagram(b []byte, src netip.AddrPort) []byte {
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	now := g.cfg.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats.Received++
	if !g.limiter.allow(src.Addr(), now) {
		g.stats.RateLimited++
		return nil
	}
	if len(b) > maxDatagram {
		g.stats.Malformed++
		return nil
	}
	key := replyKey{src: src, hash: maphash.Bytes(g.seed, b)}
	if reply, ok := g.cache.get(key, now); ok {
		g.stats.Retransmits++
		if reply != nil {
			g.stats.Answered++
		}
		return reply
	}
	var m h225.RasMessage
	if err := m.Unmarshal(b); err != nil {
		g.stats.Malformed++
		g.log.Debug("RAS datagram not decodable", "source", src.String(), "len", len(b), "err", err)
		return nil
	}
	g.expireLocked(now)
	ans := g.dispatch(&m, src, now)
	if ans == nil {
		g.stats.Ignored++
		g.cache.put(key, nil, now)
		return nil
	}
	reply, err := ans.Marshal()
	if err != nil {
		g.log.Error("RAS answer not encodable", "source", src.String(), "err", err)
		return nil
	}
	if len(reply) > len(b)+MaxReplyGrowth {
		g.stats.Oversized++
		g.log.Warn("RAS answer larger than its request allows: not sent", "source", src.String(),
			"request", len(b), "answer", len(reply))
		return nil
	}
	g.cache.put(key, reply, now)
	g.stats.Answered++
	return reply
}

// expireLocked removes expired registrations, queues their Expired change
// and sends each one URQ (ttlExpired) to where its RRQs came from.
func (g *Gatekeeper) expireLocked(now time.Time) {
	for _, r := range g.reg.expired(now) {
		g.log.Info("H.323 registration expired", "endpoint_id", r.EndpointID, "aliases", aliasStrings(r.Aliases),
			"source", r.Source.String())
		g.pending = append(g.pending, Change{Kind: Expired, Registration: r.clone()})
		g.seq = g.seq%65535 + 1
		urq := &h225.RasMessage{UnregistrationRequest: &h225.UnregistrationRequest{
			RequestSeqNum:        h225.RequestSeqNum(g.seq),
			CallSignalAddress:    transportAddresses(r.CallSignal),
			EndpointIdentifier:   ptr(h225.EndpointIdentifier(r.EndpointID)),
			GatekeeperIdentifier: ptr(h225.GatekeeperIdentifier(g.cfg.GatekeeperID)),
			Reason:               &h225.UnregRequestReason{TtlExpired: &struct{}{}},
		}}
		if b, err := urq.Marshal(); err == nil && g.conn != nil {
			g.tapped(g.Addr(), r.Source, b)
			g.conn.WriteToUDPAddrPort(b, r.Source)
		}
	}
}

// flush delivers the queued changes in order.
func (g *Gatekeeper) flush() {
	g.cbMu.Lock()
	defer g.cbMu.Unlock()
	g.mu.Lock()
	evs := g.pending
	g.pending = nil
	g.mu.Unlock()
	if g.cfg.OnChange == nil {
		return
	}
	for _, e := range evs {
		g.cfg.OnChange(e)
	}
}

// Registrations returns the current registrations, ordered by endpoint ID.
func (g *Gatekeeper) Registrations() []Registration {
	g.mu.Lock()
	g.expireLocked(g.cfg.Clock.Now())
	out := make([]Registration, 0, len(g.reg.byID))
	for _, r := range g.reg.byID {
		out = append(out, r.clone())
	}
	g.mu.Unlock()
	g.flush()
	sort.Slice(out, func(i, j int) bool { return out[i].EndpointID < out[j].EndpointID })
	return out
}

// Lookup finds the registration holding alias: "kind:value" (e.g.
// "h323-ID:Room 1") or a bare value matched against dialledDigits, h323-ID,
// url-ID, email-ID, partyNumber and transportID aliases in that order.
func (g *Gatekeeper) Lookup(alias string) (Registration, bool) {
	g.mu.Lock()
	g.expireLocked(g.cfg.Clock.Now())
	r := g.reg.lookup(alias)
	var out Registration
	if r != nil {
		out = r.clone()
	}
	g.mu.Unlock()
	g.flush()
	return out, r != nil
}

// Stats returns the counters.
func (g *Gatekeeper) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

func ptr[T any](v T) *T { return &v }

func aliasStrings(as []Alias) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func transportAddresses(aps []netip.AddrPort) []h225.TransportAddress {
	out := make([]h225.TransportAddress, 0, len(aps))
	for _, ap := range aps {
		if t, err := h225.NewTransportAddress(ap); err == nil {
			out = append(out, t)
		}
	}
	return out
}
