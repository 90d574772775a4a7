package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// DialParams describe a dial-out call.
type DialParams struct {
	// URI is the endpoint, e.g. "sip:room@192.0.2.5:5060;transport=tcp".
	URI string
	// DisplayName and FromUser fill our From (e.g. the meeting name and ID).
	DisplayName string
	FromUser    string
	// Offer is our SDP offer (see sdp.BuildOffer).
	Offer []byte
	// RingTimeout cancels the call if unanswered; default Config.RingTimeout.
	RingTimeout time.Duration
	// OnProgress reports trying/ringing/answered/failed; may be nil.
	OnProgress func(Progress)
	// Events are installed before the INVITE leaves, so that nothing the
	// callee sends right after answering is missed (SetEvents replaces them).
	Events Events
}

// ProgressState is a dial-out stage.
type ProgressState string

// Progress states.
const (
	ProgressTrying   ProgressState = "trying"
	ProgressRinging  ProgressState = "ringing" // 180 or 183
	ProgressAnswered ProgressState = "answered"
	ProgressFailed   ProgressState = "failed"
)

// Progress is one dial-out event; Status is the SIP status when there is one.
type Progress struct {
	State  ProgressState
	Status int
	Reason string
}

// DialError is why a dial-out failed: the final status of the INVITE, or
// 408 with Timeout set when nobody answered in time, 487 when cancelled.
type DialError struct {
	Status  int
	Reason  string
	Timeout bool
}

func (e *DialError) Error() string {
	if e.Timeout {
		return fmt.Sprintf("sip: dial: no answer (timeout, %d)", e.Status)
	}
	return fmt.Sprintf("sip: dial: %d %s", e.Status, e.Reason)
}

// Busy reports 486 Busy Here / 600 Busy Everywhere.
func (e *DialError) Busy() bool { return e.Status == 486 || e.Status == 600 }

// Declined reports 603 Decline.
func (e *DialError) Declined() bool { return e.Status == 603 }

// NoAnswer reports 408/480 or a ring timeout.
func (e *DialError) NoAnswer() bool { return e.Timeout || e.Status == 408 || e.Status == 480 }

// Canceled reports that we cancelled the call (487 Request Terminated).
func (e *DialError) Canceled() bool { return e.Status == 487 && !e.Timeout }

// OutboundCall is a dial-out call.
type OutboundCall struct {
	*call
	params   DialParams
	answered chan struct{}
	result   error

	cmu        sync.Mutex
	invite     *sip.Request
	provisonal bool
	cancelReq  bool
	cancelSent bool
	timedOut   bool
}

// Dial sends an INVITE and returns at once; Wait blocks until the call is
// answered or fails, Cancel gives up while it rings. ctx bounds the
// dialling: cancelling it before the answer cancels the call, so pass a
// call-scoped context, not an HTTP request's.
func (s *Service) Dial(ctx context.Context, p DialParams) (*OutboundCall, error) {
	var uri sip.Uri
	if err := sip.ParseUri(p.URI, &uri); err != nil {
		return nil, fmt.Errorf("sip: dial uri %q: %w", p.URI, err)
	}
	if len(p.Offer) == 0 {
		return nil, errors.New("sip: dial needs an SDP offer")
	}
	if s.cli == nil {
		return nil, ErrClosed
	}
	if p.RingTimeout == 0 {
		p.RingTimeout = s.cfg.RingTimeout
	}
	transport, explicit := "UDP", false
	if tp, ok := uri.UriParams.Get("transport"); ok && tp != "" {
		transport, explicit = strings.ToUpper(tp), true
	}
	if transport != "UDP" && transport != "TCP" {
		return nil, fmt.Errorf("sip: dial transport %q not supported", transport)
	}
	fromUser := p.FromUser
	if fromUser == "" {
		fromUser = "roomgate"
	}
	c := &OutboundCall{
		call:     newCall(s, sip.GenerateTagN(24)+"@"+s.host, sip.GenerateTagN(16), transport, false),
		params:   p,
		answered: make(chan struct{}),
	}
	c.abort = c.Cancel
	c.events = p.Events
	c.localURI = sip.Uri{Scheme: "sip", User: fromUser, Host: s.host}
	c.localName = p.DisplayName
	c.remoteURI = sip.Uri{Scheme: uri.Scheme, User: uri.User, Host: uri.Host, Port: uri.Port}
	c.target = uri
	c.localSDP = p.Offer
	port := uri.Port
	if port == 0 {
		port = sip.DefaultPort(transport)
	}
	if a, err := netip.ParseAddr(uri.Host); err == nil {
		c.source = netip.AddrPortFrom(a, uint16(port))
	} else if ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", uri.Host); err == nil && len(ips) > 0 {
		// The address the call may connect to (Service.dialControl) and answers come from.
		c.source = netip.AddrPortFrom(ips[0].Unmap(), uint16(port))
	}
	c.peer = s.peerFor(c.source)
	c.localURI.Host = c.advertised()
	c.timer.interval = s.cfg.SessionExpires
	size := len(c.buildInvite(1).String())
	if transport == "UDP" && size > udpResponseLimit {
		c.cancel()
		return nil, fmt.Errorf("sip: INVITE of %d bytes too large for UDP", size)
	}
	if transport == "UDP" && explicit && size > udpRequestLimit {
		// The URI asks for UDP: the operator knows the room system takes nothing
		// else (IP fragments the datagram).
		s.log.Info("dial-out INVITE over 1300 bytes over UDP, as the URI asks", "uri", p.URI, "size", size)
	}
	switched := false
	if transport == "UDP" && !explicit && size > udpRequestLimit {
		// RFC 3261 §18.1.1: a request over 1300 bytes goes over a congestion-controlled
		// transport (an offer with SRTP keys and video often is). The URI did not ask
		// for UDP: TCP, the transport every room system takes.
		c.transport, switched = "TCP", true
		if c.source.IsValid() && uri.Port == 0 {
			c.source = netip.AddrPortFrom(c.source.Addr(), uint16(sip.DefaultPort("TCP")))
		}
		s.log.Info("dial-out INVITE too large for UDP: over TCP", "uri", p.URI)
	}
	if err := s.register(c.call); err != nil {
		return nil, err
	}
	tx, err := c.sendInvite(ctx)
	if err != nil && switched && ctx.Err() == nil {
		// The room system takes no TCP (connection refused): the INVITE goes over UDP
		// after all, as the URI implied — older room systems listen on UDP only.
		s.log.Info("dial-out over TCP failed: the INVITE goes over UDP", "uri", p.URI, "size", size, "err", err)
		c.transport = "UDP"
		if c.source.IsValid() && uri.Port == 0 {
			c.source = netip.AddrPortFrom(c.source.Addr(), uint16(sip.DefaultPort("UDP")))
		}
		tx, err = c.sendInvite(ctx)
	}
	if err != nil {
		c.end(EndRejected)
		return nil, err
	}
	go c.run(ctx, tx)
	return c, nil
}

// buildInvite makes the INVITE with CSeq seq (0: the next one).
func (c *OutboundCall) buildInvite(seq uint32) *sip.Request {
	req := c.newRequest(sip.INVITE, seq)
	c.mu.Lock()
	interval := c.timer.interval
	c.mu.Unlock()
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	for _, h := range c.svc.timerRequestHeaders(interval) {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.params.Offer)
	return req
}

// sendInvite builds and sends the (possibly retried) INVITE.
func (c *OutboundCall) sendInvite(ctx context.Context) (sip.ClientTransaction, error) {
	req := c.buildInvite(0)
	c.cmu.Lock()
	c.invite = req
	c.provisonal = false
	c.cmu.Unlock()
	tx, err := c.svc.cli.TransactionRequest(ctx, req, noBuild)
	if err != nil {
		return nil, fmt.Errorf("sip: dial: %w", err)
	}
	return tx, nil
}

func (c *OutboundCall) progress(p Progress) {
	if c.params.OnProgress != nil {
		c.params.OnProgress(p)
	}
}

// run follows the INVITE transaction to its outcome.
func (c *OutboundCall) run(ctx context.Context, tx sip.ClientTransaction) {
	ring := time.NewTimer(c.params.RingTimeout)
	defer ring.Stop()
	retried422 := false
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.StatusCode == 100:
				c.progress(Progress{State: ProgressTrying, Status: 100, Reason: res.Reason})
			case res.IsProvisional():
				c.cmu.Lock()
				c.provisonal = true
				pending := c.cancelReq && !c.cancelSent
				c.cmu.Unlock()
				if pending {
					c.sendCancel()
				}
				if res.StatusCode == 180 || res.StatusCode == 183 {
					c.progress(Progress{State: ProgressRinging, Status: res.StatusCode, Reason: res.Reason})
				}
			case res.IsSuccess():
				c.established(tx, res)
				return
			case res.StatusCode == 422 && !retried422:
				// RFC 4028 §7.3: retry with the peer's Min-SE.
				retried422 = true
				if m := minSE(res); m > 0 {
					c.mu.Lock()
					c.timer.interval = max(m, c.timer.interval)
					c.mu.Unlock()
				}
				tx.Terminate()
				ntx, err := c.sendInvite(ctx)
				if err != nil {
					c.fail(&DialError{Status: 422, Reason: err.Error()})
					return
				}
				tx = ntx
			default:
				c.cmu.Lock()
				timedOut := c.timedOut
				c.cmu.Unlock()
				c.fail(&DialError{Status: res.StatusCode, Reason: res.Reason, Timeout: timedOut})
				return
			}
		case <-tx.Done():
			c.fail(&DialError{Status: 408, Reason: "Request Timeout", Timeout: true})
			return
		case <-ring.C:
			c.cmu.Lock()
			c.timedOut = true
			c.cmu.Unlock()
			c.Cancel()
			ring.Reset(64 * c.svc.cfg.T1) // wait for the 487, then give up
		case <-ctx.Done():
			c.Cancel()
			ctx = context.Background()
		}
	}
}

func (c *OutboundCall) established(tx sip.ClientTransaction, res *sip.Response) {
	c.mu.Lock()
	c.remoteTag, _ = res.To().Params.Get("tag")
	if ct := res.Contact(); ct != nil {
		c.target = *ct.Address.Clone()
	}
	// Route set: Record-Route of the 2xx in reverse (RFC 3261 §12.1.2).
	rrs := res.GetHeaders("Record-Route")
	c.routes = nil
	for i := len(rrs) - 1; i >= 0; i-- {
		if rr, ok := rrs[i].(*sip.RecordRouteHeader); ok {
			c.routes = append(c.routes, *rr.Address.Clone())
		}
	}
	if src, err := netip.ParseAddrPort(res.Source()); err == nil {
		c.source = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	}
	if h := res.GetHeaders("Allow"); len(h) > 0 {
		c.peerAllow = h[0].Value()
	}
	c.state = stateConfirmed
	c.timer.fromResponse(res, c.timer.interval)
	c.mu.Unlock()
	c.setSDP(nil, res.Body())

	seq := res.CSeq().SeqNo
	c.ack(seq)
	// 2xx retransmissions (lost ACK) are acknowledged again.
	tx.OnRetransmission(func(*sip.Response) { c.ack(seq) })

	c.cmu.Lock()
	cancelled := c.cancelReq && !c.timedOut
	timedOut := c.timedOut
	c.cmu.Unlock()
	if cancelled || timedOut {
		// The 2xx crossed our CANCEL (RFC 3261 §9.1): end with BYE.
		_ = c.bye(context.Background(), EndCanceled, "")
		c.fail(&DialError{Status: 487, Reason: "Request Terminated", Timeout: timedOut})
		return
	}
	c.result = nil
	c.progress(Progress{State: ProgressAnswered, Status: res.StatusCode, Reason: res.Reason})
	close(c.answered)
	c.armTimer()
	c.startKeepalive()
	c.log.Info("dial-out answered", "status", res.StatusCode)
}

func (c *OutboundCall) fail(err *DialError) {
	c.result = err
	c.progress(Progress{State: ProgressFailed, Status: err.Status, Reason: err.Reason})
	r := EndRejected
	if err.Status == 487 {
		r = EndCanceled
	}
	if err.Timeout {
		r = EndRingTimeout
	}
	c.end(r) // before Wait returns: a caller reads EndReason next
	close(c.answered)
}

// Wait blocks until the call is answered (nil) or fails (*DialError).
func (c *OutboundCall) Wait(ctx context.Context) error {
	select {
	case <-c.answered:
		return c.result
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Answered is closed when the INVITE has its outcome (see Wait).
func (c *OutboundCall) Answered() <-chan struct{} { return c.answered }

// AnswerSDP is the callee's answer from the 2xx.
func (c *OutboundCall) AnswerSDP() []byte { return c.RemoteSDP() }

// Cancel gives up a ringing call (RFC 3261 §9.1). A CANCEL is only sent
// once a provisional response arrived; before that it is sent when one
// does. On an answered call use Bye.
func (c *OutboundCall) Cancel() {
	c.cmu.Lock()
	c.cancelReq = true
	send := c.provisonal && !c.cancelSent
	c.cmu.Unlock()
	if send {
		c.sendCancel()
	}
}

func (c *OutboundCall) sendCancel() {
	c.cmu.Lock()
	if c.cancelSent {
		c.cmu.Unlock()
		return
	}
	c.cancelSent = true
	inv := c.invite
	c.cmu.Unlock()
	cancel := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	// Same Via branch, From, To, Call-ID and CSeq number (RFC 3261 §9.1).
	cancel.AppendHeader(inv.Via().Clone())
	for _, name := range []string{"From", "To", "Call-ID", "Route"} {
		for _, h := range inv.GetHeaders(name) {
			cancel.AppendHeader(sip.HeaderClone(h))
		}
	}
	cancel.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	mf := sip.MaxForwardsHeader(70)
	cancel.AppendHeader(&mf)
	cancel.SetBody(nil)
	c.svc.prepare(cancel, c.transport, inv.Destination())
	go func() {
		ctx, done := context.WithTimeout(context.Background(), 64*c.svc.cfg.T1)
		defer done()
		tx, err := c.svc.cli.TransactionRequest(ctx, cancel, noBuild)
		if err != nil {
			c.log.Warn("CANCEL failed", "err", err)
			return
		}
		defer tx.Terminate()
		select {
		case <-tx.Responses():
		case <-tx.Done():
		case <-ctx.Done():
		}
	}()
}
