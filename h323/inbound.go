package h323

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/q931"
)

// InboundCall is a dial-in call: a Setup waiting for the gateway's answer,
// then the call it creates.
type InboundCall struct {
	*call

	// Version is the peer's H.225.0 version (protocolIdentifier).
	Version int
	// DestAliases are the destinationAddress aliases of Setup (what the
	// caller dialled), CalledNumber the Q.931 called party number.
	DestAliases  []Alias
	CalledNumber string
	// SourceAliases, Display and CallingNumber say who calls.
	SourceAliases []Alias
	Display       string
	CallingNumber string
	// Vendor is the caller's sourceInfo.vendor (HasVendor false without
	// one); Kind its endpoint type.
	Vendor    Vendor
	HasVendor bool
	Kind      EndpointKind
	// FastStart are the caller's fastStart proposals (encoded
	// OpenLogicalChannel PDUs, H.323 §8.1.7).
	FastStart [][]byte
	// PeerTunnelling: the Setup set h245Tunnelling.
	PeerTunnelling bool
	// H245Address is the caller's h245Address (zero without one).
	H245Address netip.AddrPort
	// CanOverlapSend and MediaWaitForConnect as the Setup says.
	CanOverlapSend      bool
	MediaWaitForConnect bool

	fsSent bool // fastStart answered (H.323 §8.1.7: once)
}

// Setup deadline is counted from accept; once the Setup arrived, the
// connection stays while the call does.
func (s *Service) serveInbound(nc net.Conn) {
	if !s.trackWaiting(nc, true) {
		nc.Close()
		return
	}
	waiting := true
	defer func() {
		if waiting {
			s.trackWaiting(nc, false)
		}
	}()
	fc := newFrameConn(s.tapped(nc, true), s.cfg.Limits)
	fc.idleUntil = time.Now().Add(s.cfg.Limits.SetupTimeout)
	for {
		p, err := fc.readFrame()
		if err != nil {
			if isTimeout(err) {
				s.stats.timeouts.Add(1)
			}
			s.log.Debug("h323 connection closed before Setup", "source", nc.RemoteAddr().String(), "err", err)
			nc.Close()
			return
		}
		if !s.limiter.take(fc.ip, time.Now()) {
			s.stats.rateLimited.Add(1)
			nc.Close()
			return
		}
		if len(p) == 0 {
			continue
		}
		var m q931.Message
		if _, err := m.Unmarshal(p); err != nil || m.CallRef.Length == 0 {
			s.stats.malformed.Add(1)
			s.log.Debug("h323 not Q.931 before Setup: closing", "source", nc.RemoteAddr().String(), "err", err)
			nc.Close()
			return
		}
		if m.Type != q931.Setup {
			s.log.Debug("h323 message before Setup ignored", "source", nc.RemoteAddr().String(), "message", m.Type.String())
			continue
		}
		fc.idleUntil = time.Time{}
		waiting = false
		s.trackWaiting(nc, false)
		if c := s.acceptSetup(fc, &m); c != nil {
			c.readLoop()
		} else {
			nc.Close()
		}
		return
	}
}

// acceptSetup reads a Setup and starts the call and its handler; nil when
// it was refused (ReleaseComplete sent).
func (s *Service) acceptSetup(fc *frameConn, m *q931.Message) *InboundCall {
	cr := q931.NewCallReference(m.CallRef.Value, true)
	refuse := func(cause q931.CauseValue, why string, err error) *InboundCall {
		// Malformed Setups are counted (Stats.Malformed) and logged at
		// debug: a peer can send many; a call refused for the limit is news.
		level := slog.LevelDebug
		if errors.Is(err, ErrLimit) {
			level = slog.LevelInfo
		}
		s.log.Log(context.Background(), level, "h323 Setup refused", "source", fc.c.RemoteAddr().String(), "why", why, "err", err, "cause", int(cause))
		if rc, e := q931.NewReleaseComplete(cr, cause, nil); e == nil {
			if b, e := rc.Marshal(); e == nil {
				fc.writeFrame(b)
			}
		}
		return nil
	}
	uu, err := m.UserUser()
	if err != nil {
		s.stats.malformed.Add(1)
		return refuse(q931.CauseMandatoryIEMissing, "no user-user information", err)
	}
	var ui h225.H323UserInformation
	if err := ui.Unmarshal(uu.Data); err != nil {
		s.stats.malformed.Add(1)
		return refuse(q931.CauseInvalidMessage, "undecodable Setup-UUIE", err)
	}
	su := ui.H323UuPdu.H323MessageBody.Setup
	if su == nil {
		s.stats.malformed.Add(1)
		return refuse(q931.CauseInvalidMessage, "Setup without Setup-UUIE", nil)
	}
	id := h225.GloballyUniqueID(nil)
	if su.CallIdentifier != nil && len(su.CallIdentifier.Guid) == 16 {
		id = su.CallIdentifier.Guid
	} else if len(su.ConferenceID) == 16 {
		id = su.ConferenceID // version 1 peers have no callIdentifier
	} else {
		return refuse(q931.CauseInvalidMessage, "no call identifier", nil)
	}
	c := s.newCall(fc, true, cr, id)
	if len(su.ConferenceID) == 16 {
		c.b.ConferenceID = su.ConferenceID
	}
	ic := &InboundCall{call: c, Version: versionOf(su.ProtocolIdentifier),
		DestAliases: aliasesOf(su.DestinationAddress), SourceAliases: aliasesOf(su.SourceAddress),
		FastStart: su.FastStart, Kind: kindOf(&su.SourceInfo)}
	ic.Vendor, ic.HasVendor = vendorOf(&su.SourceInfo)
	if len(ic.FastStart) > maxH245PerMessage {
		ic.FastStart = ic.FastStart[:maxH245PerMessage]
	}
	uuPDU := &ui.H323UuPdu
	ic.PeerTunnelling = uuPDU.H245Tunnelling != nil && *uuPDU.H245Tunnelling
	if su.H245Address != nil {
		if ap, err := c.h245AddrOf(su.H245Address); err == nil {
			ic.H245Address, c.peerH245 = ap, ap
		}
	}
	ic.CanOverlapSend = su.CanOverlapSend != nil && *su.CanOverlapSend
	ic.MediaWaitForConnect = su.MediaWaitForConnect != nil && *su.MediaWaitForConnect
	if d, err := m.Display(); err == nil {
		ic.Display = text([]byte(d.Text))
	}
	if n, err := m.CalledPartyNumber(); err == nil {
		ic.CalledNumber = text([]byte(n.Digits))
	}
	if n, err := m.CallingPartyNumber(); err == nil {
		ic.CallingNumber = text([]byte(n.Digits))
	}
	c.peerV, c.state = ic.Version, stateCallPresent
	c.b.Tunnelling = !s.cfg.NoTunnelling
	c.tunnelDecideLocked(uuPDU)
	if err := s.register(c); err != nil {
		c.cancel()
		return refuse(q931.CauseNoCircuitAvailable, "call limit", err)
	}
	c.log.Info("h323 Setup", "source", c.remote.String(), "version", ic.Version, "dest", ic.DestAliases,
		"called", ic.CalledNumber, "src", ic.SourceAliases, "display", ic.Display, "vendor", ic.Vendor.String(),
		"fast_start", len(ic.FastStart), "tunnelling", ic.PeerTunnelling, "h245_address", ic.H245Address.IsValid())
	c.deliverH245(uuPDU) // H.245 tunnelled in Setup waits for SetEvents
	if !s.startHandler(ic) {
		c.releaseWith(CauseUnavailable, nil, EndShutdown)
		return nil
	}
	if !s.goTracked(func() { ic.watchRing(s.cfg.RingTimeout, q931.CauseNoUserResponding) }) {
		c.releaseWith(CauseUnavailable, nil, EndShutdown)
		return nil
	}
	return ic
}

// watchRing releases a call not connected within d with cause: 18 no
// user responding for a dial-in the handler leaves unanswered, 102 (timer
// expiry) for a dial-out nobody answers.
func (c *call) watchRing(d time.Duration, cause q931.CauseValue) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
	case <-c.connected:
	case <-t.C:
		c.log.Info("h323 call not answered in time", "ring_timeout", d.String())
		c.releaseWith(cause, nil, EndRingTimeout)
	}
}

// Proceeding sends CallProceeding, with the accepted fastStart channels
// if any.
func (c *InboundCall) Proceeding(fastStart [][]byte) error {
	return c.answer(q931.CallProceeding, fastStart)
}

// Alerting sends Alerting, with the accepted fastStart channels if any.
func (c *InboundCall) Alerting(fastStart [][]byte) error { return c.answer(q931.Alerting, fastStart) }

// Connect answers the call. fastStart are the encoded OpenLogicalChannel
// PDUs the call accepts; they go in the first answer that carries any
// (H.323 §8.1.7), later ones are ignored. A Connect without any fastStart
// answer refuses fastStart (fastConnectRefused) and H.245 follows: tunnelled,
// or over a separate connection (the caller's h245Address, or ours in
// Connect).
func (c *InboundCall) Connect(fastStart [][]byte) error { return c.answer(q931.Connect, fastStart) }

var errAnswerOrder = errors.New("h323: answer after Connect or out of order")

func (c *InboundCall) answer(t q931.MessageType, fastStart [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrCallEnded
	}
	if c.state == stateActive {
		return ErrAnswered
	}
	if t == q931.CallProceeding && c.state != stateCallPresent || t == q931.Alerting && c.state == stateCallReceived {
		return errAnswerOrder
	}
	var fs [][]byte
	if len(fastStart) > 0 && !c.fsSent && len(c.FastStart) > 0 {
		fs, c.fsSent = fastStart, true
	}
	tunnel := c.tunnelSet && c.b.Tunnelling
	if tunnel && len(c.pending) > 0 {
		n := min(len(c.pending), maxH245PerMessage)
		c.b.H245, c.pending = c.pending[:n:n], c.pending[n:]
	}
	if !tunnel && !c.h245.busy() {
		switch {
		case c.peerH245.IsValid():
			c.dialH245Locked()
		case t == q931.Connect && (!c.fsSent || len(c.pending) > 0):
			if ta, ok := c.listenH245Locked(); ok {
				c.b.H245Address = &ta
			}
		}
	}
	var ui *h225.H323UserInformation
	next := c.state
	switch t {
	case q931.CallProceeding:
		ui, next = c.b.CallProceeding(fs), stateIncomingProceed
	case q931.Alerting:
		ui, next = c.b.Alerting(fs), stateCallReceived
	default:
		ui, next = c.b.Connect(fs), stateActive
		if len(c.FastStart) > 0 && !c.fsSent {
			ui.H323UuPdu.H323MessageBody.Connect.FastConnectRefused = &struct{}{}
		}
	}
	c.b.H245Address, c.b.H245 = nil, nil
	if err := c.sendLocked(t, ui); err != nil {
		return err
	}
	c.state = next
	if next == stateActive {
		c.connOnce.Do(func() { close(c.connected) })
	}
	c.flushPendingLocked()
	return nil
}

// Reject refuses the call before Connect: ReleaseComplete with the cause
// and the reason (nil: derived from the cause, H.225.0 Table 5).
func (c *InboundCall) Reject(cause q931.CauseValue, reason *h225.ReleaseCompleteReason) error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st == stateActive {
		return ErrAnswered
	}
	return c.releaseWith(cause, reason, EndRejected)
}

// Release ends the call with ReleaseComplete and the cause.
func (c *call) Release(cause q931.CauseValue) error {
	return c.releaseWith(cause, nil, EndReleased)
}

// ReleaseWithReason ends the call with ReleaseComplete, the cause and an
// explicit H.225.0 reason.
func (c *call) ReleaseWithReason(cause q931.CauseValue, reason *h225.ReleaseCompleteReason) error {
	return c.releaseWith(cause, reason, EndReleased)
}
