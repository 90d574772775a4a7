package sip

import (
	"context"
	"errors"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

// handleRequest serves a request the peer sent inside the dialog.
func (c *call) handleRequest(req *sip.Request, tx sip.ServerTransaction) {
	if req.Method == sip.INFO {
		// sipgo serves each request on its own goroutine: without this, two INFOs
		// close together (IVR digits) could reach OnDTMF out of order.
		c.infoMu.Lock()
		defer c.infoMu.Unlock()
	}
	if !c.checkCSeq(req) {
		c.svc.respond(tx, req, 500, "CSeq Out of Order")
		return
	}
	switch req.Method {
	case sip.BYE:
		c.svc.respond(tx, req, 200, "OK")
		c.end(EndRemoteBye)
	case sip.INFO:
		c.handleInfo(req, tx)
	case sip.UPDATE:
		c.handleUpdate(req, tx)
	case sip.INVITE:
		c.handleReinvite(req, tx)
	default:
		c.svc.respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", allowed))
	}
}

func (c *call) handleInfo(req *sip.Request, tx sip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	c.mu.Lock()
	ev := c.events
	c.mu.Unlock()
	info, err := ParseInfo(ct, req.Body())
	switch {
	case errors.Is(err, errUnknownInfo):
		c.svc.respond(tx, req, 415, "Unsupported Media Type",
			sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf, application/media_control+xml"))
		return
	case err != nil:
		c.svc.respond(tx, req, 400, "Bad Request")
		return
	}
	switch {
	case info.Digit != 0 && ev.OnDTMF != nil:
		ev.OnDTMF(info.Digit, info.Duration)
	case info.FastUpdate && ev.OnKeyframeRequest != nil:
		ev.OnKeyframeRequest()
	}
	c.svc.respond(tx, req, 200, "OK")
	c.log.Debug("INFO", "content_type", ct, "digit", string(info.Digit), "fast_update", info.FastUpdate)
}

// answerOffer produces our answer to an in-dialog offer, or the status to
// reject it with.
func (c *call) answerOffer(body []byte) ([]byte, int) {
	offer, err := sdp.Parse(body)
	if err != nil {
		return nil, 488
	}
	c.mu.Lock()
	same := c.hasRemoteVer && offer.Origin.Version == c.remoteVersion && c.localSDP != nil
	local, ev := c.localSDP, c.events
	c.mu.Unlock()
	if same {
		// Unchanged offer, e.g. a session refresh: same answer (RFC 3264 §8).
		return local, 0
	}
	if ev.OnOffer == nil {
		c.log.Warn("re-offer without OnOffer handler", "err", errNoAnswer)
		return nil, 488
	}
	ans, err := ev.OnOffer(offer, body)
	if err != nil {
		var sc sdp.StatusCoder
		if errors.As(err, &sc) {
			return nil, sc.SIPStatus()
		}
		return nil, 488
	}
	return ans, 0
}

// handleReinvite serves a re-INVITE (RFC 3261 §14.2): hold/resume, media
// change or session refresh.
func (c *call) handleReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c.mu.Lock()
	glare := c.reinviting
	st := c.state
	c.mu.Unlock()
	if st != stateConfirmed {
		c.svc.respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	if glare {
		c.svc.respond(tx, req, 491, "Request Pending") // RFC 3261 §14.2
		return
	}
	if code, hdrs, ok := c.timer.checkRequest(req, c.svc.cfg); !ok {
		c.svc.respond(tx, req, code, "Session Interval Too Small", hdrs...)
		return
	}
	c.updateTarget(req)
	body := req.Body()
	var answer []byte
	offerless := len(body) == 0
	if offerless {
		answer = c.LocalSDP() // our offer goes in the 2xx (RFC 3261 §14.2)
	} else {
		ans, code := c.answerOffer(body)
		if code != 0 {
			c.svc.respond(tx, req, code, "Not Acceptable Here")
			return
		}
		answer = ans
	}
	c.mu.Lock()
	c.timer.fromRequest(req, c.svc.cfg)
	c.mu.Unlock()
	res := c.svc.okResponse(req, c.advertised(), c.localTag, "", answer)
	c.addTimerHeaders(res, true)
	if c.tooLarge(res) {
		c.svc.stats.tooLarge.Add(1)
		c.svc.respond(tx, req, 513, "Message Too Large") // the dialog goes on unchanged
		return
	}
	ack, err := c.respond2xx(tx, res, req.CSeq().SeqNo)
	if err != nil {
		c.log.Warn("re-INVITE not acknowledged", "err", err)
		if errors.Is(err, ErrNoAck) {
			_ = c.bye(context.Background(), EndNoAck, "")
		}
		return
	}
	if offerless {
		c.setSDP(nil, ack.Body())
	} else {
		c.setSDP(answer, body)
	}
	c.armTimer()
}

// handleUpdate serves UPDATE (RFC 3311): a new offer or a session refresh.
func (c *call) handleUpdate(req *sip.Request, tx sip.ServerTransaction) {
	if code, hdrs, ok := c.timer.checkRequest(req, c.svc.cfg); !ok {
		c.svc.respond(tx, req, code, "Session Interval Too Small", hdrs...)
		return
	}
	c.updateTarget(req)
	var answer []byte
	if body := req.Body(); len(body) > 0 {
		ans, code := c.answerOffer(body)
		if code != 0 {
			c.svc.respond(tx, req, code, "Not Acceptable Here")
			return
		}
		answer = ans
		c.setSDP(answer, body)
	}
	c.mu.Lock()
	c.timer.fromRequest(req, c.svc.cfg)
	c.mu.Unlock()
	res := c.svc.okResponse(req, c.advertised(), c.localTag, "", answer)
	c.addTimerHeaders(res, true)
	if err := tx.Respond(res); err != nil {
		c.log.Warn("UPDATE response failed", "err", err)
	}
	c.armTimer()
}

// okResponse builds a 2xx carrying our tag, Contact and capabilities, and
// the SDP body when given.
func (s *Service) okResponse(req *sip.Request, host, localTag, contactUser string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if to := res.To(); to != nil {
		to.Params.Add("tag", localTag)
	}
	transport := strings.ToUpper(req.Transport())
	if contactUser == "" {
		if to := req.To(); to != nil {
			contactUser = to.Address.User
		}
	}
	res.AppendHeader(s.contactAt(host, contactUser, transport))
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	res.AppendHeader(sip.NewHeader("Supported", "timer"))
	res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res.SetBody(body)
	}
	return res
}
