package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Handler receives dial-in calls. HandleInvite runs in its own goroutine per
// INVITE; ctx is cancelled when the call ends. It must answer the call with
// Accept or Reject (Ringing first if it takes a while).
type Handler interface {
	HandleInvite(ctx context.Context, call *InboundCall)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, call *InboundCall)

// HandleInvite calls f.
func (f HandlerFunc) HandleInvite(ctx context.Context, call *InboundCall) { f(ctx, call) }

// allowed is what we answer in Allow (RFC 3261 §20.5).
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"

// ErrClosed is returned by operations on a closed Service.
var ErrClosed = errors.New("sip: service closed")

// Service is a SIP user agent serving dial-in and placing dial-out calls.
type Service struct {
	cfg     Config
	handler Handler
	log     *slog.Logger

	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client

	host    string // advertised host
	port    int
	udp     net.PacketConn
	tcp     net.Listener
	tlsPort int      // 0: no TLS listener
	udpAddr sip.Addr // local UDP socket, to send from the listening port

	parser   *sip.Parser
	limiter  *rateLimiter
	tcpGuard *connGuard
	tlsGuard *connGuard // the TLS listener's TCP side: the same caps and timeouts
	stats    counters

	mu    sync.Mutex
	calls map[string]*call // dialog key → call
	perIP map[netip.Addr]int
	// dialing holds addresses the gateway sends requests of its own to (dial.go).
	dialing map[netip.Addr]int
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// handlers are the gateway's HandleInvite goroutines; Shutdown waits for them.
	handlers sync.WaitGroup
}

// New creates the service; Start opens the sockets.
func New(cfg Config, handler Handler, log *slog.Logger) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if handler == nil {
		handler = HandlerFunc(func(_ context.Context, c *InboundCall) { c.Reject(480, "Temporarily Unavailable") })
	}
	return &Service{cfg: cfg, handler: handler, log: log, calls: map[string]*call{}, perIP: map[netip.Addr]int{}, dialing: map[netip.Addr]int{},
		parser: sip.NewParser(), limiter: newRateLimiter(cfg.Limits, log, time.Now)}, nil
}

// Start listens on UDP and TCP and serves until Close or ctx ends.
func (s *Service) Start(ctx context.Context) error {
	if err := s.listen(); err != nil {
		return err
	}
	// sipgo logs every unparseable packet at error level with its bytes:
	// one attacker could fill the disk. Its lines go to debug; Stats counts.
	sipLog := slog.New(debugOnly{s.log.Handler()}).With("layer", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(s.cfg.UserAgent),
		sipgo.WithUserAgentHostname(s.host),
		sipgo.WithUserAgentParser(s.parser),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog), sip.WithTransportLayerReadFilter(s.readFilter),
			sip.WithTransportLayerTransports(sip.TransportsConfig{
				TCP: &sip.TransportTCP{DialerCreate: s.dialer},
				TLS: &sip.TransportTLS{TransportTCP: &sip.TransportTCP{DialerCreate: s.dialer}},
			})),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}),
		),
	)
	if err != nil {
		s.closeListeners()
		return fmt.Errorf("sip: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		ua.Close()
		s.closeListeners()
		return fmt.Errorf("sip: server: %w", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog), sipgo.WithClientHostname(s.host))
	if err != nil {
		ua.Close()
		s.closeListeners()
		return fmt.Errorf("sip: client: %w", err)
	}
	s.ua, s.srv, s.cli = ua, srv, cli
	ua.TransportLayer().OnMessage(s.onMessage)
	srv.OnInvite(s.guard(s.onInvite))
	srv.OnAck(s.guard(s.onAck))
	srv.OnBye(s.guard(s.inDialog))
	srv.OnInfo(s.guard(s.inDialog))
	srv.OnUpdate(s.guard(s.inDialog))
	srv.OnOptions(s.guard(s.onOptions))
	srv.OnCancel(s.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		// CANCELs matching an INVITE are answered by the transaction layer.
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
	}))
	srv.OnNoRoute(s.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
	}))

	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	if s.tlsGuard != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.ServeTLS(tls.NewListener(s.tlsGuard, s.cfg.TLS)); err != nil && ctx.Err() == nil {
				s.log.Warn("tls serve ended", "err", err)
			}
		}()
	}
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := srv.ServeUDP(s.udp); err != nil && ctx.Err() == nil {
			s.log.Warn("udp serve ended", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := srv.ServeTCP(s.tcpGuard); err != nil && ctx.Err() == nil {
			s.log.Warn("tcp serve ended", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.sweepLimits(ctx)
	}()
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	// Requests we originate over UDP leave from the listening socket, which
	// sipgo registers when its reader starts: wait for that.
	for i := 0; ; i++ {
		if c, err := ua.TransportLayer().GetConnection("udp", s.udpAddr.String()); err == nil && c != nil {
			c.TryClose()
			break
		}
		if i == 200 {
			s.Close()
			return errors.New("sip: udp listener did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s.tlsGuard != nil {
		s.log.Info("sip listening", "udp", s.udp.LocalAddr().String(), "tcp", s.tcp.Addr().String(), "tls", s.tlsGuard.Addr().String(), "advertised", s.host)
	} else {
		s.log.Info("sip listening", "udp", s.udp.LocalAddr().String(), "tcp", s.tcp.Addr().String(), "advertised", s.host)
	}
	return nil
}

// listen opens UDP and TCP on the same port.
func (s *Service) listen() error {
	host, portStr, _ := net.SplitHostPort(s.cfg.Listen)
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("sip: listen port: %w", err)
	}
	for attempt := 0; attempt < 10; attempt++ {
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("sip: listen udp: %w", err)
		}
		uport := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(uport)))
		if err != nil {
			udp.Close()
			if port == 0 {
				continue // the free UDP port is taken on TCP: try another
			}
			return fmt.Errorf("sip: listen tcp: %w", err)
		}
		if s.cfg.TLSListen != "" {
			tl, err := net.Listen("tcp", s.cfg.TLSListen)
			if err != nil {
				udp.Close()
				tcp.Close()
				return fmt.Errorf("sip: listen tls: %w", err)
			}
			s.tlsGuard, s.tlsPort = newConnGuard(tl, s), tl.Addr().(*net.TCPAddr).Port
		}
		s.udp, s.tcp, s.port = udp, tcp, uport
		s.tcpGuard = newConnGuard(tcp, s)
		la := udp.LocalAddr().(*net.UDPAddr)
		s.udpAddr = sip.Addr{IP: la.IP, Port: la.Port, Hostname: la.IP.String()}
		s.host = advertisedHost(s.cfg.PublicIP, la.IP)
		return nil
	}
	return errors.New("sip: no port free on both udp and tcp")
}

func advertisedHost(public string, listen net.IP) string {
	if public != "" {
		return public
	}
	if !listen.IsUnspecified() {
		return listen.String()
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}

// Addr is the address the service listens on (UDP and TCP share the port).
func (s *Service) Addr() netip.AddrPort {
	if s.udp == nil {
		return netip.AddrPort{}
	}
	return s.udp.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TLSAddr is the address of the SIP over TLS listener (zero without one).
func (s *Service) TLSAddr() netip.AddrPort {
	if s.tlsGuard == nil {
		return netip.AddrPort{}
	}
	return s.tlsGuard.Addr().(*net.TCPAddr).AddrPort()
}

// portFor is our port for a transport: the TLS listener's for TLS, else the UDP/TCP one.
func (s *Service) portFor(transport string) int {
	if strings.EqualFold(transport, "TLS") && s.tlsPort != 0 {
		return s.tlsPort
	}
	return s.port
}

// AdvertisedAddr is the host used in Via, Contact and SDP.
func (s *Service) AdvertisedAddr() string { return s.host }

// shutdownByeWait bounds how long Shutdown waits for the answers to its BYEs.
const shutdownByeWait = 2 * time.Second

// Close is Shutdown with a one-second grace period for BYE responses.
func (s *Service) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown ends every call with BYE (waiting for the answers until ctx
// ends), stops listening and waits for the service's goroutines. It is
// idempotent.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	// The counters once, for the operator (and the attack tests: a dialog
	// left behind shows here as calls).
	st := s.Stats()
	s.log.Info("sip service stopping", "calls", st.Calls, "malformed", st.Malformed, "unroutable", st.Unroutable,
		"rate_limited", st.RateLimited, "call_limited", st.CallLimited, "panics", st.Panics, "too_large", st.TooLarge,
		"tcp_refused", st.TCPRefused, "tcp_timeouts", st.TCPTimeouts, "accept_errors", st.AcceptErrors)
	s.mu.Lock()
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	cancel := s.cancel
	s.mu.Unlock()

	// A peer that is gone never answers its BYE, and the process is going away: wait
	// for the answers a short while, not a BYE transaction's 64·T1.
	byeCtx, byeCancel := context.WithTimeout(ctx, shutdownByeWait)
	defer byeCancel()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.hangup(byeCtx, EndShutdown)
		}()
	}
	wg.Wait()
	if cancel != nil {
		cancel()
	}
	s.closeListeners()
	if s.ua != nil {
		s.ua.Close()
	}
	s.wg.Wait()
	// Every call has ended: the gateway's handlers return as they see it. A handler
	// that does not within ctx is logged, not waited for longer.
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("call handlers still running at the end of shutdown")
	}
	return nil
}

func (s *Service) closeListeners() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcpGuard != nil {
		s.tcpGuard.Close()
	}
	if s.tlsGuard != nil {
		s.tlsGuard.Close()
	}
}

// register adds a call; false when the service is closed or the call's
// source has calls_per_source calls already (errCallLimit).
func (s *Service) register(c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	ip := c.source.Addr()
	if c.inbound && ip.IsValid() {
		if s.perIP[ip] >= s.cfg.Limits.CallsPerSource {
			return errCallLimit
		}
		s.perIP[ip]++
	}
	s.calls[c.key()] = c
	return nil
}

var errCallLimit = errors.New("sip: calls_per_source reached")

func (s *Service) unregister(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls[c.key()] != c {
		return
	}
	delete(s.calls, c.key())
	if ip := c.source.Addr(); c.inbound && ip.IsValid() {
		if s.perIP[ip]--; s.perIP[ip] <= 0 {
			delete(s.perIP, ip)
		}
	}
}

// hasCallOn reports whether a call's requests come over the stream
// connection from raddr.
func (s *Service) hasCallOn(raddr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c.transport != "UDP" && c.source.String() == raddr {
			return true
		}
	}
	return false
}

// lookup finds the dialog of an in-dialog request: our tag in To, the
// peer's in From, and the Call-ID (RFC 3261 §12.2.2). A request naming a
// dialog with the wrong peer tag is not in it.
func (s *Service) lookup(req *sip.Request) *call {
	callID, to, from := req.CallID(), req.To(), req.From()
	if callID == nil || to == nil || from == nil {
		return nil
	}
	tag, _ := to.Params.Get("tag")
	remote, _ := from.Params.Get("tag")
	s.mu.Lock()
	c := s.calls[dialogKey(callID.Value(), tag)]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remoteTag != remote {
		return nil
	}
	return c
}

// sweepLimits ends the rate limiter's expired block periods every second.
func (s *Service) sweepLimits(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.limiter.sweep()
		}
	}
}

func dialogKey(callID, localTag string) string { return callID + "\x00" + localTag }

func (s *Service) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
	res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond failed", "code", code, "err", err)
	}
}

func (s *Service) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	// RFC 3261 §11.2: same capabilities in or out of a dialog.
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf, application/media_control+xml"))
	res.AppendHeader(sip.NewHeader("Supported", "timer"))
	res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	_ = tx.Respond(res)
}

func (s *Service) onAck(req *sip.Request, _ sip.ServerTransaction) {
	if c := s.lookup(req); c != nil {
		c.gotAck(req)
	}
}

func (s *Service) inDialog(req *sip.Request, tx sip.ServerTransaction) {
	c := s.lookup(req)
	if c == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.handleRequest(req, tx)
}

func (s *Service) contact(user, transport string) *sip.ContactHeader {
	return s.contactAt(s.host, user, transport)
}

// contactAt is our Contact with host advertised (a peer's split-horizon address).
func (s *Service) contactAt(host, user, transport string) *sip.ContactHeader {
	u := sip.Uri{Scheme: "sip", User: user, Host: host, Port: s.portFor(transport)}
	if transport != "" && transport != "UDP" {
		u.UriParams = sip.HeaderParams{}
		u.UriParams.Add("transport", toLower(transport))
	}
	return &sip.ContactHeader{Address: u}
}

func (s *Service) via(transport string) *sip.ViaHeader { return s.viaAt(s.host, transport) }

// viaAt is our Via with host advertised (a peer's split-horizon address).
func (s *Service) viaAt(host, transport string) *sip.ViaHeader {
	v := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: transport, Host: host, Port: s.portFor(transport), Params: sip.HeaderParams{}}
	v.Params.Add("branch", sip.GenerateBranch())
	v.Params.Add("rport", "")
	return v
}

// prepare sets how a request we originate leaves: from the listening UDP
// socket (so NATs and endpoints see our well-known port), or a TCP
// connection (reused when one to the destination exists).
func (s *Service) prepare(req *sip.Request, transport, dest string) {
	req.SetTransport(transport)
	req.SetDestination(dest)
	if transport == "UDP" {
		s.udpAddr.Copy(&req.Laddr)
	}
}

// noBuild keeps sipgo from adding headers to requests we built completely.
func noBuild(*sipgo.Client, *sip.Request) error { return nil }

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
