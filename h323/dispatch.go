package h323

import (
	"errors"
	"net/netip"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// handle processes one message from the peer (H.225.0 §7.3–7.4) on the
// signalling goroutine.
func (c *call) handle(m *q931.Message) {
	if m.CallRef.Length == 0 || m.CallRef.Value != c.cr.Value {
		if m.Type == q931.Setup {
			// One call per connection (multipleCalls FALSE in what we send).
			cr := q931.NewCallReference(m.CallRef.Value, !m.CallRef.Flag)
			if rc, err := q931.NewReleaseComplete(cr, q931.CauseResourceUnavailable, nil); err == nil {
				if b, err := rc.Marshal(); err == nil {
					c.sig.writeFrame(b)
				}
			}
		}
		c.log.Debug("h323 message for another call reference ignored", "message", m.Type.String(), "crv", m.CallRef.Value)
		return
	}
	ui, err := c.userInfo(m)
	if err != nil {
		c.svc.stats.malformed.Add(1)
		c.log.Debug("h323 undecodable user-user information", "message", m.Type.String(), "err", err)
		if m.Type != q931.ReleaseComplete {
			c.status(q931.CauseInvalidMessage)
			return
		}
	}
	var uu *h225.H323UUPDU
	if ui != nil {
		uu = &ui.H323UuPdu
	}
	c.log.Debug("h323 received", "message", m.Type.String())
	switch m.Type {
	case q931.ReleaseComplete:
		c.deliverH245(uu)
		c.onReleaseComplete(m, uu)
		return
	case q931.CallProceeding, q931.Alerting, q931.Connect, q931.Progress:
		if c.inbound {
			c.status(q931.CauseMessageTypeNonexistent)
			return
		}
		c.onResponse(m.Type, uu)
	case q931.Facility:
		c.onFacility(uu)
	case q931.Information:
		if k, err := m.Keypad(); err == nil && k.Digits != "" {
			if f := c.eventsNow().OnKeypad; f != nil {
				c.deliverMu.Lock()
				f(text([]byte(k.Digits)))
				c.deliverMu.Unlock()
			}
		}
	case q931.Notify:
		if n, err := m.NotificationIndicator(); err == nil {
			c.log.Debug("h323 notify", "description", n.Description)
		}
	case q931.Status:
		cause, _ := m.Cause()
		st, _ := m.CallState()
		c.log.Debug("h323 status", "cause", int(cause.Value), "state", st.State)
		if f := c.eventsNow().OnStatus; f != nil {
			c.deliverMu.Lock()
			f(cause.Value, st.State)
			c.deliverMu.Unlock()
		}
	case q931.StatusInquiry:
		c.status(q931.CauseStatusEnquiryResponse)
	case q931.Setup:
		c.log.Debug("h323 repeated Setup ignored")
		return
	default:
		// Q.931 §5.8.4: a message type we do not implement.
		c.status(q931.CauseMessageTypeNonexistent)
		return
	}
	c.deliverH245(uu)
}

// status answers with STATUS: cause and our call state (Q.931 §5.8.10).
func (c *call) status(cause q931.CauseValue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	var ui *h225.H323UserInformation
	if c.peerV == 0 || c.peerV >= 4 {
		ui = c.b.Status() // Status-UUIE is an H.225.0 v4 addition
	}
	c.sendLocked(q931.Status, ui, causeIE(cause), q931.CallState{State: c.state})
}

// onReleaseComplete ends the call with the peer's cause and reason; the
// one missing is derived from the other (H.225.0 Table 5).
func (c *call) onReleaseComplete(m *q931.Message, uu *h225.H323UUPDU) {
	var reason *h225.ReleaseCompleteReason
	if uu != nil && uu.H323MessageBody.ReleaseComplete != nil {
		reason = uu.H323MessageBody.ReleaseComplete.Reason
	}
	cause := q931.CauseValue(0)
	if ce, err := m.Cause(); err == nil {
		cause = ce.Value
	} else if reason != nil {
		cause = CauseForReason(reason)
	} else {
		cause = q931.CauseNormalClearing
	}
	c.mu.Lock()
	why := EndReleased
	if c.state != stateActive {
		why = EndRejected
	}
	c.mu.Unlock()
	c.finish(EndReason{By: ByRemote, Why: why, Cause: cause, Reason: ReasonName(reason)})
}

// peerFields are what every answer may carry.
type peerFields struct {
	proto       h225.ProtocolIdentifier
	h245Address *h225.TransportAddress
	fastStart   [][]byte
	dest        *h225.EndpointType
	refused     bool
}

func answerFields(uu *h225.H323UUPDU) (f peerFields, ok bool) {
	if uu == nil {
		return f, false
	}
	b := uu.H323MessageBody
	switch {
	case b.CallProceeding != nil:
		x := b.CallProceeding
		return peerFields{x.ProtocolIdentifier, x.H245Address, x.FastStart, &x.DestinationInfo, x.FastConnectRefused != nil}, true
	case b.Alerting != nil:
		x := b.Alerting
		return peerFields{x.ProtocolIdentifier, x.H245Address, x.FastStart, &x.DestinationInfo, x.FastConnectRefused != nil}, true
	case b.Connect != nil:
		x := b.Connect
		return peerFields{x.ProtocolIdentifier, x.H245Address, x.FastStart, &x.DestinationInfo, x.FastConnectRefused != nil}, true
	case b.Progress != nil:
		x := b.Progress
		return peerFields{x.ProtocolIdentifier, x.H245Address, x.FastStart, &x.DestinationInfo, x.FastConnectRefused != nil}, true
	case b.Facility != nil:
		x := b.Facility
		return peerFields{x.ProtocolIdentifier, x.H245Address, x.FastStart, x.DestinationInfo, x.FastConnectRefused != nil}, true
	}
	return f, false
}

// onFacility: startH245 opens the separate H.245 connection the peer
// offers; redirects are not followed (a call only connects where it was
// asked to).
func (c *call) onFacility(uu *h225.H323UUPDU) {
	if uu == nil || uu.H323MessageBody.Facility == nil {
		return
	}
	f := uu.H323MessageBody.Facility
	reason := facilityReasonName(&f.Reason)
	if !c.inbound {
		c.onResponse(q931.Facility, uu)
	}
	c.mu.Lock()
	if c.peerV == 0 {
		c.peerV = versionOf(f.ProtocolIdentifier)
	}
	c.tunnelDecideLocked(uu)
	if f.Reason.StartH245 != nil && f.H245Address != nil {
		if ap, err := c.h245AddrOf(f.H245Address); err == nil {
			c.peerH245 = ap
			c.dialH245Locked()
		}
	}
	c.mu.Unlock()
	switch {
	case f.Reason.CallForwarded != nil, f.Reason.RouteCallToGatekeeper != nil, f.Reason.RouteCallToMC != nil:
		c.log.Info("h323 peer asks to redirect the call: not followed", "reason", reason)
	}
	if cb := c.eventsNow().OnFacility; cb != nil {
		c.deliverMu.Lock()
		cb(reason)
		c.deliverMu.Unlock()
	}
}

func facilityReasonName(r *h225.FacilityReason) string {
	switch {
	case r.StartH245 != nil:
		return "startH245"
	case r.UndefinedReason != nil:
		return "undefinedReason"
	case r.TransportedInformation != nil:
		return "transportedInformation"
	case r.CallForwarded != nil:
		return "callForwarded"
	case r.RouteCallToGatekeeper != nil:
		return "routeCallToGatekeeper"
	case r.RouteCallToMC != nil:
		return "routeCallToMC"
	case r.NoH245 != nil:
		return "noH245"
	case r.ConferenceListChoice != nil:
		return "conferenceListChoice"
	case r.NewTokens != nil:
		return "newTokens"
	case r.FeatureSetUpdate != nil:
		return "featureSetUpdate"
	case r.ForwardedElements != nil:
		return "forwardedElements"
	}
	return "unknown"
}

// versionOf reads the H.225.0 version of a protocolIdentifier
// (0.0.8.2250.0.v); 0 when it is not one.
func versionOf(p h225.ProtocolIdentifier) int {
	if len(p) == 6 && p[3] == 2250 && p[5] >= 1 && p[5] <= 64 {
		return int(p[5])
	}
	return 0
}

// deliverH245 hands the tunnelled PDUs of a message to OnH245 (H.323
// §8.2.1: only when both sides tunnel).
func (c *call) deliverH245(uu *h225.H323UUPDU) {
	if uu == nil || len(uu.H245Control) == 0 {
		return
	}
	c.mu.Lock()
	on := c.tunnelSet && c.b.Tunnelling
	c.mu.Unlock()
	if !on {
		c.log.Debug("h323 tunnelled H.245 while tunnelling is off: ignored", "pdus", len(uu.H245Control))
		return
	}
	for i, p := range uu.H245Control {
		if i == maxH245PerMessage {
			break
		}
		c.deliverPDU(p)
	}
}

// deliverPDU decodes one H.245 PDU and hands it over (or keeps it until
// SetEvents).
func (c *call) deliverPDU(p []byte) {
	msg := new(h245.MultimediaSystemControlMessage)
	if err := msg.Unmarshal(p); err != nil {
		c.svc.stats.malformed.Add(1)
		c.log.Debug("h323 undecodable H.245 PDU", "err", err)
		return
	}
	c.deliverMu.Lock()
	defer c.deliverMu.Unlock()
	c.mu.Lock()
	f := c.events.OnH245
	if f == nil {
		if !c.ended && len(c.backlog) < maxBacklog {
			c.backlog = append(c.backlog, msg)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	f(msg)
}

// tunnelDecideLocked settles tunnelling on the peer's first message
// (H.323 §8.2.1): it is on only when both sides set h245Tunnelling.
func (c *call) tunnelDecideLocked(uu *h225.H323UUPDU) {
	if c.tunnelSet || uu == nil {
		return
	}
	c.tunnelSet = true
	c.b.Tunnelling = c.b.Tunnelling && uu.H245Tunnelling != nil && *uu.H245Tunnelling
	if !c.inbound {
		c.flushPendingLocked()
	}
}

// h245AddrOf reads an h245Address; the peer's signalling IP replaces the
// one given (we connect nowhere else; a peer behind NAT gives its private
// address).
func (c *call) h245AddrOf(ta *h225.TransportAddress) (netip.AddrPort, error) {
	ap, err := ta.AddrPort()
	if err != nil {
		return ap, err
	}
	if ap.Port() == 0 {
		return ap, errors.New("h323: h245Address with port 0")
	}
	if ap.Addr().Unmap() != c.remote.Addr() {
		c.log.Debug("h323 h245Address on another host: using the signalling address", "given", ap.String())
	}
	return netip.AddrPortFrom(c.remote.Addr(), ap.Port()), nil
}
