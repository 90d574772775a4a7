package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

// EndReason says why a call ended.
type EndReason string

// End reasons.
const (
	EndLocalBye       EndReason = "local-bye"
	EndRemoteBye      EndReason = "remote-bye"
	EndCanceled       EndReason = "canceled"        // caller sent CANCEL, or we cancelled a dial-out
	EndRejected       EndReason = "rejected"        // we answered non-2xx / the callee did
	EndNoAck          EndReason = "no-ack"          // 2xx never acknowledged (RFC 3261 §13.3.1.4)
	EndSessionExpired EndReason = "session-expired" // peer did not refresh (RFC 4028 §10)
	EndRefreshFailed  EndReason = "refresh-failed"  // our refresh failed (RFC 4028 §10)
	EndRingTimeout    EndReason = "ring-timeout"
	EndShutdown       EndReason = "shutdown"
	EndTooLarge       EndReason = "too-large"      // our 2xx could not be sent over UDP (513)
	EndError          EndReason = "error"          // the answer could not be sent
	EndInternalError  EndReason = "internal-error" // a handler panicked
)

// Errors of call operations.
var (
	ErrCallEnded = errors.New("sip: call ended")
	ErrNoAck     = errors.New("sip: no ACK for 2xx")
	ErrTooLarge  = errors.New("sip: response too large for UDP")
	errNoAnswer  = errors.New("sip: no re-offer handler")
)

// Events are the in-dialog callbacks of a call. Callbacks run on the
// signalling goroutine of the request: keep them short. INFO events (digits,
// keyframe requests) arrive one at a time in CSeq order, before the INFO is
// answered: a peer that waits for each answer has its digits seen in order.
type Events struct {
	// OnDTMF receives digits from SIP INFO (application/dtmf-relay,
	// application/dtmf). Duration is 0 when not given.
	OnDTMF func(digit rune, duration time.Duration)
	// OnKeyframeRequest is called for INFO picture_fast_update (RFC 5168).
	OnKeyframeRequest func()
	// OnOffer answers a re-INVITE or UPDATE carrying a new offer (hold,
	// resume, codec change). Returning an error answers 488 (or the
	// error's SIPStatus). Re-offers with an unchanged o= version are
	// answered with our previous SDP without calling it (RFC 3264 §8).
	OnOffer func(offer *sdp.Session, raw []byte) (answer []byte, err error)
}

type callState int

const (
	stateEarly callState = iota
	stateAnswered
	stateConfirmed
	stateEnded
)

// call is a dialog (RFC 3261 §12) and what both directions do in it.
type call struct {
	svc       *Service
	log       *slog.Logger
	callID    string
	localTag  string
	transport string
	inbound   bool

	infoMu        sync.Mutex // one INFO at a time, from the CSeq check to its events
	mu            sync.Mutex
	state         callState
	remoteTag     string
	localURI      sip.Uri
	remoteURI     sip.Uri
	localName     string
	remoteName    string
	target        sip.Uri // remote Contact
	routes        []sip.Uri
	source        netip.AddrPort // where the peer's messages come from
	localCSeq     uint32
	remoteCSeq    uint32
	peerAllow     string
	localSDP      []byte
	remoteSDP     []byte
	remoteVersion uint64
	hasRemoteVer  bool
	reinviting    bool
	events        Events
	timer         sessionTimer
	peer          Peer        // the endpoint network's treatment (Config.Peers)
	keepalive     *time.Timer // CRLF keep-alives (peer.Keepalive)

	// abort ends a call that has no final answer yet (shutdown): 503 for
	// dial-in, CANCEL for dial-out.
	abort func()

	byeSent bool // a BYE is in flight: shutdown need not send another

	ackCh   chan *sip.Request
	done    chan struct{}
	endOnce sync.Once
	reason  EndReason
	ctx     context.Context
	cancel  context.CancelFunc
}

func newCall(svc *Service, callID, localTag, transport string, inbound bool) *call {
	ctx, cancel := context.WithCancel(context.Background())
	leg := "out"
	if inbound {
		leg = "in"
	}
	return &call{
		svc: svc, callID: callID, localTag: localTag, transport: transport, inbound: inbound,
		log:   svc.log.With("protocol_id", callID, "leg", leg),
		ackCh: make(chan *sip.Request, 4), done: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
}

func (c *call) key() string { return dialogKey(c.callID, c.localTag) }

// CallID is the SIP Call-ID.
func (c *call) CallID() string { return c.callID }

// Peer is the address of the peer's signalling: where its requests come from (or, for
// a call we place, the address we dial while no request came yet).
func (c *call) Peer() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.source
}

// Done is closed when the call has ended.
func (c *call) Done() <-chan struct{} { return c.done }

// EndReason is why the call ended; empty while it lasts.
func (c *call) EndReason() EndReason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// SetEvents installs the in-dialog callbacks; set them before Accept.
func (c *call) SetEvents(e Events) {
	c.mu.Lock()
	c.events = e
	c.mu.Unlock()
}

// LocalSDP and RemoteSDP are the current session descriptions.
func (c *call) LocalSDP() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.localSDP
}

// RemoteSDP is the peer's current session description.
func (c *call) RemoteSDP() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remoteSDP
}

// end marks the call ended once; it sends nothing.
func (c *call) end(r EndReason) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.reason = r
		c.state = stateEnded
		c.timer.stop()
		c.stopKeepaliveLocked()
		// The transaction layer keeps a finished INVITE transaction, and with it this
		// call, for up to 64·T1; the handlers close over the gateway's media, which
		// must not live that long.
		c.events = Events{}
		c.mu.Unlock()
		c.svc.unregister(c)
		c.cancel()
		close(c.done)
		c.log.Info("call ended", "reason", string(r))
	})
}

// Bye hangs up an established call (RFC 3261 §15.1.1). reason goes in a
// Reason header (RFC 3326).
func (c *call) Bye(reason string) error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st == stateEnded {
		return ErrCallEnded
	}
	if st < stateAnswered {
		return errors.New("sip: call not answered; use Reject or Cancel")
	}
	return c.bye(context.Background(), EndLocalBye, reason)
}

func (c *call) bye(ctx context.Context, r EndReason, text string) error {
	ctx, cancel := context.WithTimeout(ctx, 64*c.svc.cfg.T1)
	defer cancel()
	c.mu.Lock()
	c.byeSent = true
	c.mu.Unlock()
	var hdrs []sip.Header
	if text != "" {
		hdrs = append(hdrs, sip.NewHeader("Reason", `SIP;cause=200;text="`+text+`"`))
	}
	_, err := c.request(ctx, sip.BYE, nil, "", hdrs...)
	c.end(r)
	if err != nil {
		return fmt.Errorf("sip: bye: %w", err)
	}
	return nil
}

// hangup ends the call whatever its state (used at shutdown).
func (c *call) hangup(ctx context.Context, r EndReason) {
	c.mu.Lock()
	st, byeSent := c.state, c.byeSent
	c.mu.Unlock()
	if byeSent {
		// Its BYE is on its way (a dead peer's takes 64·T1): don't wait for a second;
		// the transport closing ends the first.
		return
	}
	if st >= stateAnswered && st != stateEnded {
		_ = c.bye(ctx, r, "")
		return
	}
	if st == stateEarly && c.abort != nil {
		c.abort()
	}
	c.end(r)
}

// SendINFO sends an INFO in the dialog (RFC 6086) and waits for its final
// response.
func (c *call) SendINFO(ctx context.Context, contentType string, body []byte) error {
	res, err := c.request(ctx, sip.INFO, body, contentType)
	if err != nil {
		return err
	}
	if !res.IsSuccess() {
		return &StatusError{Status: res.StatusCode, Reason: res.Reason}
	}
	return nil
}

// RequestKeyframe asks the endpoint's encoder for an intra picture with
// INFO picture_fast_update (RFC 5168).
func (c *call) RequestKeyframe(ctx context.Context) error {
	return c.SendINFO(ctx, contentMediaControl, []byte(FastUpdateXML))
}

// StatusError is a non-2xx final response to one of our requests.
type StatusError struct {
	Status int
	Reason string
}

func (e *StatusError) Error() string { return fmt.Sprintf("sip: %d %s", e.Status, e.Reason) }

// newRequest builds an in-dialog request (RFC 3261 §12.2.1.1). seq 0 takes
// the next local CSeq.
func (c *call) newRequest(method sip.RequestMethod, seq uint32) *sip.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq == 0 {
		c.localCSeq++
		seq = c.localCSeq
	}
	req := sip.NewRequest(method, *c.target.Clone())
	req.AppendHeader(c.svc.viaAt(c.advertised(), c.transport))
	from := &sip.FromHeader{DisplayName: c.localName, Address: *c.localURI.Clone(), Params: sip.HeaderParams{}}
	from.Params.Add("tag", c.localTag)
	to := &sip.ToHeader{DisplayName: c.remoteName, Address: *c.remoteURI.Clone(), Params: sip.HeaderParams{}}
	if c.remoteTag != "" {
		to.Params.Add("tag", c.remoteTag)
	}
	req.AppendHeader(from)
	req.AppendHeader(to)
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	for _, r := range c.routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	if method != sip.ACK {
		req.AppendHeader(c.svc.contactAt(c.advertised(), c.localURI.User, c.transport))
		req.AppendHeader(sip.NewHeader("User-Agent", c.svc.cfg.UserAgent))
	}
	c.svc.prepare(req, c.transport, c.destinationLocked())
	req.SetBody(nil)
	return req
}

// destinationLocked: the first route if any (loose routing, RFC 3261
// §12.2.1.1), else the Contact or the source address as the NAT policy says.
func (c *call) destinationLocked() string {
	if len(c.routes) > 0 {
		return hostPort(c.routes[0], c.transport)
	}
	if (c.transport == "TCP" || c.transport == "TLS") && c.source.IsValid() {
		// Reuse the connection the endpoint opened (RFC 5923 spirit):
		// behind NAT it is the only way back.
		if conn, err := c.svc.ua.TransportLayer().GetConnection(toLower(c.transport), c.source.String()); err == nil && conn != nil {
			conn.TryClose()
			return c.source.String()
		}
	}
	contact := uriAddrPort(c.target, c.transport)
	if c.peer.UseSource && c.source.IsValid() {
		// The profile trusts no signalled address: in-dialog requests go where the
		// endpoint's messages come from.
		return c.source.String()
	}
	if t := c.svc.cfg.NAT.Target(contact, c.source); t.IsValid() {
		return t.String()
	}
	return hostPort(c.target, c.transport)
}

func hostPort(u sip.Uri, transport string) string {
	port := u.Port
	if port == 0 {
		port = sip.DefaultPort(transport)
	}
	return net.JoinHostPort(u.Host, strconv.Itoa(port))
}

func uriAddrPort(u sip.Uri, transport string) netip.AddrPort {
	a, err := netip.ParseAddr(u.Host)
	if err != nil {
		return netip.AddrPort{}
	}
	port := u.Port
	if port == 0 {
		port = sip.DefaultPort(transport)
	}
	return netip.AddrPortFrom(a, uint16(port))
}

// request sends an in-dialog request and waits for its final response.
// A 2xx to INVITE is acknowledged here.
func (c *call) request(ctx context.Context, method sip.RequestMethod, body []byte, ctype string, hdrs ...sip.Header) (*sip.Response, error) {
	if c.EndReason() != "" {
		return nil, ErrCallEnded
	}
	req := c.newRequest(method, 0)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
		req.SetBody(body)
	}
	tx, err := c.svc.cli.TransactionRequest(ctx, req, noBuild)
	if err != nil {
		return nil, fmt.Errorf("sip: %s: %w", method, err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if method == sip.INVITE && res.IsSuccess() {
				c.ack(req.CSeq().SeqNo)
			}
			return res, nil
		case <-tx.Done():
			return nil, fmt.Errorf("sip: %s: %w", method, tx.Err())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ack acknowledges a 2xx to our INVITE or re-INVITE (RFC 3261 §13.2.2.4):
// a new transaction with the INVITE's CSeq number.
func (c *call) ack(seq uint32) {
	ack := c.newRequest(sip.ACK, seq)
	if err := c.svc.cli.WriteRequest(ack, noBuild); err != nil {
		c.log.Warn("ACK send failed", "err", err)
	}
}

func (c *call) gotAck(req *sip.Request) {
	select {
	case c.ackCh <- req:
	default:
	}
}

// respond2xx sends a 2xx to an INVITE and, as the UAS core must (RFC 3261
// §13.3.1.4), retransmits it over UDP until the ACK with the same CSeq
// arrives or 64*T1 passes.
func (c *call) respond2xx(tx sip.ServerTransaction, res *sip.Response, seq uint32) (*sip.Request, error) {
	if err := tx.Respond(res); err != nil {
		return nil, fmt.Errorf("sip: send 2xx: %w", err)
	}
	t1 := c.svc.cfg.T1
	deadline := time.NewTimer(64 * t1)
	defer deadline.Stop()
	interval := t1
	retrans := time.NewTimer(interval)
	defer retrans.Stop()
	if c.transport != "UDP" {
		retrans.Stop()
	}
	match := func(ack *sip.Request) bool { return ack.CSeq() != nil && ack.CSeq().SeqNo == seq }
	for {
		select {
		case ack := <-c.ackCh:
			if match(ack) {
				return ack, nil
			}
		case ack := <-tx.Acks():
			if ack != nil && match(ack) {
				return ack, nil
			}
		case <-retrans.C:
			if err := tx.Respond(res); err != nil {
				_ = c.svc.ua.TransportLayer().WriteMsg(res)
			}
			interval = min(2*interval, t2)
			retrans.Reset(interval)
		case <-deadline.C:
			return nil, ErrNoAck
		case <-c.done:
			return nil, ErrCallEnded
		}
	}
}

// updateTarget applies a target refresh (RFC 3261 §12.2.2: re-INVITE and
// UPDATE may change the remote Contact).
func (c *call) updateTarget(req *sip.Request) {
	if ct := req.Contact(); ct != nil {
		c.mu.Lock()
		c.target = *ct.Address.Clone()
		c.mu.Unlock()
	}
}

// checkCSeq enforces RFC 3261 §12.2.2: lower or equal CSeq in a dialog is
// out of order.
func (c *call) checkCSeq(req *sip.Request) bool {
	seq := req.CSeq().SeqNo
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remoteCSeq != 0 && seq <= c.remoteCSeq {
		return false
	}
	c.remoteCSeq = seq
	return true
}

// setLocal records our SDP after an exchange.
func (c *call) setSDP(local, remote []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if local != nil {
		c.localSDP = local
	}
	if remote != nil {
		c.remoteSDP = remote
		if s, err := sdp.Parse(remote); err == nil {
			c.remoteVersion, c.hasRemoteVer = s.Origin.Version, true
		}
	}
}

// Reinvite sends a new offer in the dialog (hold, resume, media change;
// RFC 3261 §14.1) and returns the answer. A 491 (glare) is returned as a
// *StatusError for the caller to retry later.
func (c *call) Reinvite(ctx context.Context, offer []byte) ([]byte, error) {
	c.mu.Lock()
	if c.state != stateConfirmed {
		c.mu.Unlock()
		return nil, ErrCallEnded
	}
	if c.reinviting {
		c.mu.Unlock()
		return nil, &StatusError{Status: 491, Reason: "Request Pending"}
	}
	c.reinviting = true
	interval := c.timer.interval
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.reinviting = false
		c.mu.Unlock()
	}()
	res, err := c.request(ctx, sip.INVITE, offer, "application/sdp", c.svc.timerRequestHeaders(interval)...)
	if err != nil {
		return nil, err
	}
	if !res.IsSuccess() {
		return nil, &StatusError{Status: res.StatusCode, Reason: res.Reason}
	}
	c.setSDP(offer, res.Body())
	c.mu.Lock()
	c.timer.fromResponse(res, interval)
	c.mu.Unlock()
	c.armTimer() // a re-INVITE is also a refresh (RFC 4028 §7.4)
	return res.Body(), nil
}
