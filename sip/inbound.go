package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

// InboundCall is a dial-in call: an INVITE waiting for the gateway's answer,
// then the dialog it creates.
type InboundCall struct {
	*call
	req *sip.Request
	tx  sip.ServerTransaction

	// RequestUser, FromUser and ToUser are the user parts of the
	// Request-URI, From and To (the dialled meeting ID is usually in the
	// Request-URI).
	RequestUser string
	FromUser    string
	ToUser      string
	// DisplayName is the caller's From display name.
	DisplayName string
	// UserAgent is the caller's User-Agent header, for endpoint profiles.
	UserAgent string
	// Source is where the INVITE came from.
	Source netip.AddrPort
	// Transport is "UDP" or "TCP".
	Transport string
	// Offer is the parsed SDP offer; nil for an offer-less INVITE, which
	// Accept answers with our offer (RFC 3261 §13.2.1).
	Offer *sdp.Session
	// OfferSDP is the raw offer.
	OfferSDP []byte

	final    chan struct{} // closed once the INVITE has its final outcome
	finalSet bool
	ackSDP   []byte
}

// Header returns the value of a header of the INVITE ("" if absent).
func (c *InboundCall) Header(name string) string {
	if h := c.req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func (s *Service) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if _, ok := to.Params.Get("tag"); ok {
			s.inDialog(req, tx)
			return
		}
	}
	if !acceptsSDP(req) {
		// Our answer is SDP (RFC 3261 §21.4.7; RFC 4475 §3.3.15 sdp01).
		s.respond(tx, req, 406, "Not Acceptable", sip.NewHeader("Accept", "application/sdp"))
		return
	}
	var offer *sdp.Session
	if body := req.Body(); len(body) > 0 {
		if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp") {
			s.respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
			return
		}
		o, err := sdp.Parse(body)
		if err != nil {
			// RFC 3261 §21.4.26; the Warning says why (§20.43, 399 misc).
			s.log.Info("INVITE with malformed SDP", "protocol_id", req.CallID().Value(), "err", err)
			s.respond(tx, req, 488, "Not Acceptable Here", sdpWarning(err))
			return
		}
		offer = o
	}
	var st sessionTimer
	if code, hdrs, ok := st.checkRequest(req, s.cfg); !ok {
		s.respond(tx, req, code, "Session Interval Too Small", hdrs...)
		return
	}
	c := s.newInbound(req, tx, offer)
	c.timer.fromRequest(req, s.cfg)
	if err := s.register(c.call); err != nil {
		if errors.Is(err, errCallLimit) {
			s.stats.callLimited.Add(1)
			s.log.Debug("INVITE over calls_per_source", "protocol_id", c.callID, "source", c.Source.String())
		}
		s.respond(tx, req, 503, "Service Unavailable", s.retryAfter())
		c.end(EndRejected)
		return
	}
	if !tx.OnCancel(func(*sip.Request) {
		// The transaction layer answered 200 to CANCEL and 487 to the
		// INVITE (RFC 3261 §9.2); the call is over.
		c.finish(EndCanceled)
	}) {
		c.finish(EndCanceled) // CANCEL won the race with registration
		return
	}
	c.log.Info("INVITE", "from", c.FromUser, "to", c.ToUser, "ruri", c.RequestUser, "ua", c.UserAgent, "source", c.Source.String(), "transport", c.Transport, "offer", offer != nil)
	if !s.startHandler(c) {
		s.respond(tx, req, 503, "Service Unavailable", s.retryAfter())
		c.end(EndShutdown)
		return
	}

	// The INVITE server transaction lives while this handler runs: wait for
	// the final outcome (or ring timeout).
	ring := time.NewTimer(s.cfg.RingTimeout)
	defer ring.Stop()
	select {
	case <-c.final:
	case <-c.done:
	case <-ring.C:
		c.reject(480, "Temporarily Unavailable", EndRingTimeout)
	case <-tx.Done():
		if c.EndReason() == "" && !c.answered() {
			c.finish(EndCanceled)
		}
	}
}

func (s *Service) newInbound(req *sip.Request, tx sip.ServerTransaction, offer *sdp.Session) *InboundCall {
	from, to := req.From(), req.To()
	remoteTag, _ := from.Params.Get("tag")
	transport := strings.ToUpper(req.Transport())
	c := &InboundCall{
		call:        newCall(s, req.CallID().Value(), sip.GenerateTagN(16), transport, true),
		req:         req,
		tx:          tx,
		RequestUser: req.Recipient.User,
		FromUser:    from.Address.User,
		ToUser:      to.Address.User,
		DisplayName: from.DisplayName,
		Transport:   transport,
		Offer:       offer,
		OfferSDP:    req.Body(),
		final:       make(chan struct{}),
	}
	c.abort = func() { c.reject(503, "Service Unavailable", EndShutdown) }
	if h := req.GetHeader("User-Agent"); h != nil {
		c.UserAgent = h.Value()
	}
	c.Source, _ = netip.ParseAddrPort(req.Source())
	c.Source = netip.AddrPortFrom(c.Source.Addr().Unmap(), c.Source.Port())
	// Dialog state as UAS (RFC 3261 §12.1.1).
	c.remoteTag = remoteTag
	c.localURI, c.localName = *to.Address.Clone(), ""
	c.remoteURI, c.remoteName = *from.Address.Clone(), from.DisplayName
	c.target = from.Address
	if ct := req.Contact(); ct != nil {
		c.target = *ct.Address.Clone()
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			c.routes = append(c.routes, *rr.Address.Clone())
		}
	}
	c.source = c.Source
	c.peer = s.peerFor(c.Source)
	c.remoteCSeq = req.CSeq().SeqNo
	c.localCSeq = 1
	if h := req.GetHeader("Allow"); h != nil {
		c.peerAllow = h.Value()
	}
	return c
}

func (c *InboundCall) answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state >= stateAnswered && c.state != stateEnded
}

// finish closes the INVITE outcome once and ends the call.
func (c *InboundCall) finish(r EndReason) {
	c.closeFinal()
	c.end(r)
}

func (c *InboundCall) closeFinal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finalSet {
		c.finalSet = true
		close(c.final)
	}
}

// Ringing sends 180 Ringing.
func (c *InboundCall) Ringing() error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st != stateEarly {
		return ErrCallEnded
	}
	res := sip.NewResponseFromRequest(c.req, 180, "Ringing", nil)
	res.To().Params.Add("tag", c.localTag)
	res.AppendHeader(c.svc.contactAt(c.advertised(), c.ToUser, c.transport))
	if c.tooLarge(res) {
		// Not sent: a failed send would end the transaction, and with it
		// the final answer (RFC 3261 §17.2.4).
		return ErrTooLarge
	}
	return c.tx.Respond(res)
}

// Reject answers the INVITE with a final non-2xx status (e.g. 404 unknown
// meeting, 403 wrong PIN, 486 busy) and ends the call.
func (c *InboundCall) Reject(status int, reason string) error {
	return c.reject(status, reason, EndRejected)
}

func (c *InboundCall) reject(status int, reason string, end EndReason) error {
	if status < 300 || status > 699 {
		return fmt.Errorf("sip: reject status %d is not a failure", status)
	}
	c.mu.Lock()
	if c.state != stateEarly {
		c.mu.Unlock()
		return ErrCallEnded
	}
	c.state = stateEnded
	c.mu.Unlock()
	err := c.sendFinal(status, reason)
	c.finish(end)
	return err
}

// sendFinal answers the INVITE with a non-2xx final response.
func (c *InboundCall) sendFinal(status int, reason string) error {
	res := sip.NewResponseFromRequest(c.req, status, reason, nil)
	res.To().Params.Add("tag", c.localTag)
	res.AppendHeader(sip.NewHeader("Server", c.svc.cfg.UserAgent))
	return c.tx.Respond(res)
}

// tooLarge reports a response sipgo would refuse to send over UDP (RFC 3261
// §18.1.1's bound, which sipgo applies to responses too).
func (c *call) tooLarge(res *sip.Response) bool {
	return c.transport == "UDP" && len(res.String()) > udpResponseLimit
}

// acceptsSDP: an INVITE's Accept, when present, must allow our SDP answer.
func acceptsSDP(req *sip.Request) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		for t := range strings.SplitSeq(h.Value(), ",") {
			t, _, _ = strings.Cut(t, ";")
			switch strings.ToLower(strings.TrimSpace(t)) {
			case "application/sdp", "application/*", "*/*", "":
				return true
			}
		}
	}
	return false
}

// sdpWarning says why an offer is refused (RFC 3261 §20.43: 399
// miscellaneous, or 305 incompatible media format).
func sdpWarning(err error) sip.Header {
	text := strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(err.Error())
	if len(text) > 120 {
		text = text[:120]
	}
	return sip.NewHeader("Warning", `399 roomgate "`+text+`"`)
}

// Accept answers 200 OK with sdpBody and waits for the ACK. For an INVITE
// with an offer, sdpBody is the answer; for an offer-less INVITE it is our
// offer and the answer arrives in the ACK (AckSDP).
func (c *InboundCall) Accept(sdpBody []byte) error {
	if len(sdpBody) == 0 {
		return errors.New("sip: accept needs an SDP body")
	}
	c.mu.Lock()
	if c.state != stateEarly {
		c.mu.Unlock()
		return ErrCallEnded
	}
	c.state = stateAnswered
	c.mu.Unlock()

	res := c.svc.okResponse(c.req, c.advertised(), c.localTag, c.ToUser, sdpBody)
	c.addTimerHeaders(res, true)
	if c.tooLarge(res) {
		// The answer cannot go back over UDP: refuse the INVITE instead
		// (RFC 3261 §21.5.11) and end the dialog.
		c.svc.stats.tooLarge.Add(1)
		c.log.Info("2xx too large for UDP: INVITE refused with 513", "size", len(res.String()))
		c.sendFinal(513, "Message Too Large")
		c.finish(EndTooLarge)
		return ErrTooLarge
	}
	ack, err := c.respond2xx(c.tx, res, c.req.CSeq().SeqNo)
	if err != nil {
		if errors.Is(err, ErrNoAck) {
			// RFC 3261 §13.3.1.4: no ACK → confirm and end with BYE. Over UDP nothing
			// but the INVITE ever came from that address: it may be a victim's, named
			// by a spoofed INVITE, which already drew eleven 2xx; a BYE and its
			// retransmissions would double what the gateway sends there. A real peer
			// that lost every ACK ends the call at its own media timeout.
			c.mu.Lock()
			c.state = stateConfirmed
			c.mu.Unlock()
			// The usual cause on a real network: the room system cannot reach the
			// address our Contact gave it (its ACK goes there), e.g. a public address
			// advertised to a LAN endpoint without hairpin NAT.
			c.log.Warn("the room system never acknowledged the answer: can it reach our Contact address?",
				"contact_host", c.advertised(), "transport", c.transport)
			if c.transport == "UDP" {
				c.log.Info("no ACK over UDP: call ended without BYE (source unverified)")
				c.end(EndNoAck)
			} else {
				_ = c.bye(context.Background(), EndNoAck, "no ACK")
			}
		}
		c.finish(EndError) // every failure ends the dialog
		return err
	}
	c.mu.Lock()
	c.state = stateConfirmed
	c.mu.Unlock()
	if c.Offer != nil {
		c.setSDP(sdpBody, c.OfferSDP)
	} else {
		c.setSDP(sdpBody, ack.Body())
		c.mu.Lock()
		c.ackSDP = ack.Body()
		c.mu.Unlock()
	}
	c.closeFinal()
	c.armTimer()
	c.startKeepalive()
	c.log.Info("call established")
	return nil
}

// AckSDP is the answer carried by the ACK of an offer-less INVITE.
func (c *InboundCall) AckSDP() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ackSDP
}
