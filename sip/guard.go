package sip

import (
	"context"
	"fmt"
	"net/netip"
	"runtime/debug"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// supportedExtensions are the option tags we implement (RFC 3261 §8.2.2.3).
var supportedExtensions = map[string]bool{"timer": true}

// singleHeaders may appear once only (RFC 3261 §7.3.1 and §20: they are not
// comma-separated lists).
var singleHeaders = []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}

// rejection is how a request that fails the checks before any handling is
// answered: a status, or drop when no response can be routed.
type rejection struct {
	status int
	reason string
	hdrs   []sip.Header
	drop   bool
}

// checkRequest applies RFC 3261 §8.2's checks a UAS makes before anything
// else. Missing Max-Forwards is accepted: a UAS does not forward, and room
// systems that omit it exist; a zero Max-Forwards is served too (RFC 4475
// §3.3.11).
func checkRequest(req *sip.Request) *rejection {
	if req.Via() == nil {
		// Responses are routed by the top Via (RFC 3261 §18.2.2).
		return &rejection{drop: true}
	}
	if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
		return &rejection{status: 505, reason: "Version Not Supported"} // RFC 3261 §8.2.1... §21.5.7
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return &rejection{status: 400, reason: "Missing Mandatory Header"} // RFC 3261 §8.1.1
	}
	for _, name := range singleHeaders {
		if len(req.GetHeaders(name)) > 1 {
			return &rejection{status: 400, reason: "Multiple " + name + " Headers"}
		}
	}
	if !strings.EqualFold(string(req.CSeq().MethodName), string(req.Method)) {
		return &rejection{status: 400, reason: "CSeq Method Mismatch"} // RFC 3261 §8.1.1.5
	}
	if s := req.Recipient.Scheme; !strings.EqualFold(s, "sip") && !strings.EqualFold(s, "sips") {
		return &rejection{status: 416, reason: "Unsupported URI Scheme"} // RFC 3261 §8.2.2.1
	}
	if h := strings.Trim(req.Recipient.Host, "[]"); strings.Contains(h, ":") {
		if _, err := netip.ParseAddr(h); err != nil {
			return &rejection{status: 400, reason: "Bad Request-URI Host"} // RFC 5118 §4.10
		}
	}
	if req.Recipient.Headers.Length() > 0 {
		// Headers in a Request-URI are for building a request, never in one
		// sent (RFC 3261 §19.1.5, RFC 4475 §3.1.2.11).
		return &rejection{status: 400, reason: "Headers In Request-URI"}
	}
	if req.Method != sip.ACK && req.Method != sip.CANCEL {
		if un := unsupported(req); un != "" {
			return &rejection{status: 420, reason: "Bad Extension", hdrs: []sip.Header{sip.NewHeader("Unsupported", un)}}
		}
	}
	return nil
}

// unsupported lists the Require option tags we do not implement.
func unsupported(req *sip.Request) string {
	var out []string
	for _, h := range req.GetHeaders("Require") {
		for tag := range strings.SplitSeq(h.Value(), ",") {
			if tag = strings.TrimSpace(tag); tag != "" && !supportedExtensions[strings.ToLower(tag)] {
				out = append(out, tag)
			}
		}
	}
	return strings.Join(out, ", ")
}

// sourceAddr is where a message came from, or the zero Addr.
func sourceAddr(m sip.Message) netip.Addr {
	ap, err := netip.ParseAddrPort(m.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// guard wraps every request handler: the checks of checkRequest, the
// per-source rate limit's 503, and a recover that ends only the request's
// call when a handler panics.
func (s *Service) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer s.recoverRequest(req, tx)
		if rej := checkRequest(req); rej != nil {
			s.reject(req, tx, rej)
			return
		}
		if src := sourceAddr(req); src.IsValid() && s.limiter.limited(src) {
			if req.Method != sip.ACK && s.limiter.notice(src) {
				s.respond(tx, req, 503, "Service Unavailable", s.retryAfter())
			}
			s.stats.rateLimited.Add(1)
			return
		}
		h(req, tx)
	}
}

func (s *Service) retryAfter() sip.Header {
	return sip.NewHeader("Retry-After", fmt.Sprint(int(s.cfg.Limits.Block.Seconds())))
}

// reject answers (or drops) a request that failed checkRequest; counted,
// and logged at debug only: a flood of them must not flood the log.
func (s *Service) reject(req *sip.Request, tx sip.ServerTransaction, rej *rejection) {
	if rej.drop {
		s.stats.unroutable.Add(1)
		return
	}
	s.stats.malformed.Add(1)
	s.log.Debug("request refused before handling", "status", rej.status, "reason", rej.reason, "source", req.Source(), "method", string(req.Method))
	if req.Method == sip.ACK {
		return // never answered (RFC 3261 §17.2.3)
	}
	s.respond(tx, req, rej.status, rej.reason, rej.hdrs...)
}

// recoverRequest turns a handler's panic into a 500 for its request and
// the end of its call; the process and every other call go on.
func (s *Service) recoverRequest(req *sip.Request, tx sip.ServerTransaction) {
	r := recover()
	if r == nil {
		return
	}
	s.stats.panics.Add(1)
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	s.log.Error("SIP request handler panicked", "protocol_id", callID, "method", string(req.Method),
		"source", req.Source(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	if tx != nil && req.Method != sip.ACK {
		func() {
			defer func() { _ = recover() }() // the request may be too broken to answer
			res := sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil)
			_ = tx.Respond(res)
		}()
	}
	s.endCallID(callID, EndInternalError)
}

// endCallID ends the calls with this Call-ID (BYE when answered).
func (s *Service) endCallID(callID string, r EndReason) {
	if callID == "" {
		return
	}
	s.mu.Lock()
	var calls []*call
	for _, c := range s.calls {
		if c.callID == callID {
			calls = append(calls, c)
		}
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.hangup(context.Background(), r)
	}
}

// startHandler runs the gateway's HandleInvite for c on a goroutine the service owns
// (Shutdown waits for it); false once the service is shutting down.
func (s *Service) startHandler(c *InboundCall) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.handlers.Add(1) // under mu: never after Shutdown's Wait began
	s.mu.Unlock()
	go func() {
		defer s.handlers.Done()
		s.runHandler(c)
	}()
	return true
}

// runHandler calls the gateway's HandleInvite; a panic there ends the call
// (500 while it rings, BYE once answered) and nothing else.
func (s *Service) runHandler(c *InboundCall) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		s.stats.panics.Add(1)
		c.log.Error("call handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		if c.reject(500, "Server Internal Error", EndInternalError) != nil {
			c.hangup(context.Background(), EndInternalError)
		}
	}()
	s.handler.HandleInvite(c.ctx, c)
}
