package ras

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// ClientConfig configures the registration of the gateway with an
// external gatekeeper.
type ClientConfig struct {
	// Gatekeeper is the gatekeeper's RAS address (port 0 means 1719).
	// Only datagrams from its IP are read.
	Gatekeeper netip.AddrPort
	// Discover sends a GRQ before the first RRQ; otherwise the RRQ goes
	// straight to Gatekeeper (discoveryComplete false). GCF's rasAddress
	// is not followed: requests keep going to Gatekeeper.
	Discover bool
	// GatekeeperID, when set, is named in GRQ and RRQ.
	GatekeeperID string
	// Listen is the local UDP address. Default "0.0.0.0:0".
	Listen string
	// RAS is the rasAddress we announce; default: the local socket's
	// address (with CallSignal's IP when it is unspecified).
	RAS netip.AddrPort
	// CallSignal is the gateway's call signalling address. Required.
	CallSignal netip.AddrPort
	// Aliases the gateway registers (see ParseAlias). At least one.
	Aliases []string
	// TTL is the time to live asked for. Default 300 s.
	TTL time.Duration
	// Vendor identifies the gateway; default T.35 country 0xB5 (USA),
	// manufacturer 0, product "roomgate".
	Vendor h225.VendorIdentifier
	// Timeout overrides the per-try timeout of every request (default:
	// 5 s for GRQ, ARQ, LRQ, 3 s otherwise); Tries the number of tries
	// (default 3).
	Timeout time.Duration
	Tries   int
	// MinBackoff and MaxBackoff bound the wait before registering again
	// after a rejection or a timeout (doubling). Defaults 2 s and 60 s.
	MinBackoff, MaxBackoff time.Duration
	// OnState, when set, is told of every registration state change, from
	// the client's goroutine.
	OnState func(ClientState)
	Logger  *slog.Logger
	Clock   Clock
}

// ClientState is the client's registration.
type ClientState struct {
	Registered   bool
	EndpointID   string
	GatekeeperID string
	TTL          time.Duration
	Err          error // why the last attempt failed, when not registered
}

func (c ClientConfig) withDefaults() (ClientConfig, []h225.AliasAddress, error) {
	if !c.Gatekeeper.Addr().IsValid() {
		return c, nil, errors.New("ras: client: gatekeeper address required")
	}
	c.Gatekeeper = gkAddrOf(c.Gatekeeper)
	if !c.CallSignal.IsValid() || c.CallSignal.Port() == 0 {
		return c, nil, errors.New("ras: client: call signalling address required")
	}
	if len(c.Aliases) == 0 {
		return c, nil, errors.New("ras: client: at least one alias required")
	}
	aliases := make([]h225.AliasAddress, 0, len(c.Aliases))
	for _, s := range c.Aliases {
		a, err := ParseAlias(s)
		if err != nil {
			return c, nil, fmt.Errorf("ras: client: alias %q: %w", s, err)
		}
		aliases = append(aliases, a)
	}
	if c.Listen == "" {
		c.Listen = "0.0.0.0:0"
	}
	if c.TTL <= 0 {
		c.TTL = 300 * time.Second
	}
	if c.Vendor.Vendor.T35CountryCode == 0 && c.Vendor.ProductId == nil {
		c.Vendor = h225.VendorIdentifier{Vendor: h225.H221NonStandard{T35CountryCode: 0xB5},
			ProductId: []byte("roomgate"), VersionId: []byte("1")}
	}
	if c.Tries <= 0 {
		c.Tries = defaultTries
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 2 * time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(60*time.Second, c.MinBackoff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	return c, aliases, nil
}

// Client registers the gateway with a gatekeeper and keeps it registered.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	conn   *net.UDPConn
	gkAddr netip.AddrPort

	mu         sync.Mutex
	ep         h225.RASEndpoint // ID set while registered
	gkID       string
	state      ClientState
	discovered bool
	seq        int64
	pending    map[int64]chan *h225.RasMessage
	closed     bool

	kick      chan struct{} // register again now (URQ from the gatekeeper)
	stop      chan struct{}
	loopDone  chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// NewClient checks cfg; Start opens the socket and registers.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg, aliases, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cs, err := h225.NewTransportAddress(cfg.CallSignal)
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "h323-ras-client", "gatekeeper", cfg.Gatekeeper.String()),
		gkAddr:  cfg.Gatekeeper,
		ep:      h225.RASEndpoint{CallSignal: cs, Type: h225.EndpointType{Gateway: &h225.GatewayInfo{}}, Vendor: cfg.Vendor, Aliases: aliases},
		gkID:    cfg.GatekeeperID,
		pending: map[int64]chan *h225.RasMessage{},
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
	}, nil
}

// Start opens the RAS socket and starts registering in the background;
// OnState and State tell how it goes. The client runs until Close or the
// end of ctx.
func (c *Client) Start(ctx context.Context) error {
	ap, err := netip.ParseAddrPort(c.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ras: client listen address %q: %w", c.cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return fmt.Errorf("ras: client listen: %w", err)
	}
	c.conn = conn
	ras := c.cfg.RAS
	if !ras.IsValid() {
		local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
		ras = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
		if ras.Addr().IsUnspecified() {
			ras = netip.AddrPortFrom(c.cfg.CallSignal.Addr(), local.Port())
		}
	}
	t, err := h225.NewTransportAddress(ras)
	if err != nil {
		conn.Close()
		return err
	}
	c.ep.RAS = t
	c.loopDone = make(chan struct{})
	c.wg.Add(3)
	go func() {
		defer c.wg.Done()
		c.readLoop()
	}()
	go func() {
		defer c.wg.Done()
		defer close(c.loopDone)
		c.registerLoop()
	}()
	go func() {
		defer c.wg.Done()
		select {
		case <-ctx.Done():
			c.shutdown()
		case <-c.stop:
		}
	}()
	return nil
}

// LocalAddr is the client's RAS socket address (after Start).
func (c *Client) LocalAddr() netip.AddrPort { return c.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// State returns the current registration state.
func (c *Client) State() ClientState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Close unregisters (one URQ, waiting at most one timeout for UCF), stops
// the client and waits for its goroutines. It is idempotent.
func (c *Client) Close() error {
	c.shutdown()
	c.wg.Wait()
	return nil
}

func (c *Client) shutdown() {
	c.closeOnce.Do(func() {
		if c.conn == nil {
			close(c.stop)
			return
		}
		close(c.stop)
		<-c.loopDone
		c.mu.Lock()
		registered := c.state.Registered
		ep := c.ep
		c.mu.Unlock()
		if registered {
			seq := c.nextSeq()
			_, err := c.request(context.Background(), nil, seq, ep.UnregistrationRequest(seq), c.timeout(shortTimeout), 1)
			c.log.Info("H.323 unregistered from gatekeeper", "err", err)
		}
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.conn.Close()
	})
}

func (c *Client) timeout(def time.Duration) time.Duration {
	if c.cfg.Timeout > 0 {
		return c.cfg.Timeout
	}
	return def
}

func (c *Client) readLoop() {
	buf := make([]byte, maxDatagram+1)
	for {
		n, src, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n > maxDatagram || src.Addr().Unmap() != c.gkAddr.Addr() {
			continue
		}
		var m h225.RasMessage
		if err := m.Unmarshal(buf[:n]); err != nil {
			c.log.Debug("RAS datagram from the gatekeeper not decodable", "err", err)
			continue
		}
		switch {
		case isResponse(&m):
			c.deliver(&m)
		case m.UnregistrationRequest != nil:
			c.onURQ(m.UnregistrationRequest, src)
		case m.InfoRequest != nil:
			c.onIRQ(m.InfoRequest, src)
		}
	}
}

// onURQ: the gatekeeper ends our registration (H.225.0 §7.10.2); confirm
// and register again.
func (c *Client) onURQ(r *h225.UnregistrationRequest, src netip.AddrPort) {
	c.mu.Lock()
	ok := c.state.Registered && (r.EndpointIdentifier == nil || string(*r.EndpointIdentifier) == c.state.EndpointID)
	ep := c.ep
	c.mu.Unlock()
	seq := int64(r.RequestSeqNum)
	var ans *h225.RasMessage
	if ok {
		ans = ep.UnregistrationConfirm(seq)
	} else {
		ans = &h225.RasMessage{UnregistrationReject: &h225.UnregistrationReject{RequestSeqNum: r.RequestSeqNum,
			RejectReason: h225.UnregRejectReason{NotCurrentlyRegistered: null}}}
	}
	c.send(ans, src)
	if !ok {
		return
	}
	reason := "undefined"
	if r.Reason != nil {
		reason = choiceName(r.Reason)
	}
	c.log.Info("H.323 gatekeeper unregistered us: registering again", "reason", reason)
	c.setState(ClientState{Err: fmt.Errorf("ras: unregistered by the gatekeeper (%s)", reason)})
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// onIRQ answers an IRQ with an IRR (H.225.0 §7.15.1), without call details.
func (c *Client) onIRQ(r *h225.InfoRequest, src netip.AddrPort) {
	c.mu.Lock()
	registered, ep := c.state.Registered, c.ep
	c.mu.Unlock()
	if !registered {
		return
	}
	c.send(ep.InfoRequestResponse(int64(r.RequestSeqNum), false), src)
}

func (c *Client) send(m *h225.RasMessage, to netip.AddrPort) {
	b, err := m.Marshal()
	if err != nil {
		c.log.Error("RAS message not encodable", "err", err)
		return
	}
	c.conn.WriteToUDPAddrPort(b, to)
}

func (c *Client) setState(s ClientState) {
	c.mu.Lock()
	c.state = s
	if !s.Registered {
		c.ep.ID = ""
	}
	c.mu.Unlock()
	if c.cfg.OnState != nil {
		c.cfg.OnState(s)
	}
}
