package h323

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// Causes the service itself sends.
const (
	CauseUnavailable = q931.CauseTemporaryFailure // no handler, or the call could not be set up
	CauseInternal    = q931.CauseTemporaryFailure // a handler panicked
	CauseShutdown    = q931.CauseNormalClearing
)

// Party says who ended a call.
type Party string

// Parties.
const (
	ByLocal   Party = "local"   // we sent ReleaseComplete (or gave up)
	ByRemote  Party = "remote"  // the peer sent ReleaseComplete
	ByNetwork Party = "network" // the TCP connection failed or closed
)

// EndWhy names how a call ended.
type EndWhy string

// End kinds.
const (
	EndReleased       EndWhy = "released"        // ReleaseComplete, either side
	EndRejected       EndWhy = "rejected"        // refused before Connect, either side
	EndCanceled       EndWhy = "canceled"        // we gave up a dial-out
	EndRingTimeout    EndWhy = "ring-timeout"    // nobody answered in time
	EndConnectionLost EndWhy = "connection-lost" // TCP closed or reset without ReleaseComplete
	EndTimeout        EndWhy = "timeout"         // a read timed out (slow or silent sender)
	EndRateLimited    EndWhy = "rate-limited"
	EndProtocolError  EndWhy = "protocol-error" // bytes that are not H.225.0
	EndShutdown       EndWhy = "shutdown"
	EndInternalError  EndWhy = "internal-error"
)

// EndReason says how a call ended: who, how, the Q.931 cause and the H.225.0
// ReleaseComplete reason (its ASN.1 name, "" when none was given).
type EndReason struct {
	By     Party           `json:"by"`
	Why    EndWhy          `json:"why"`
	Cause  q931.CauseValue `json:"cause,omitempty"`
	Reason string          `json:"reason,omitempty"`
	Err    error           `json:"-"`
}

// Events are a call's callbacks. They run one at a time on the call's
// signalling goroutine (H.245 from a separate connection on its own):
// keep them short, and do not call SetEvents from one. Messages that
// arrive before SetEvents (H.245 tunnelled in Setup or in early answers)
// are kept and delivered by SetEvents.
type Events struct {
	// OnH245 receives every H.245 PDU, tunnelled or from the separate
	// connection.
	OnH245 func(*h245.MultimediaSystemControlMessage)
	// OnH245Closed: the separate H.245 connection closed (the call goes on
	// until ReleaseComplete).
	OnH245Closed func()
	// OnKeypad receives the keypad facility IE of Information messages.
	OnKeypad func(digits string)
	// OnFacility receives the reason of each Facility (ASN.1 name).
	OnFacility func(reason string)
	// OnStatus receives Status messages: cause and the peer's call state.
	OnStatus func(cause q931.CauseValue, state uint8)
}

// Q.931 §2 call states we report in Status.
const (
	stateNull             = 0
	stateCallInitiated    = 1
	stateOutgoingProceed  = 3
	stateCallDelivered    = 4
	stateCallPresent      = 6
	stateCallReceived     = 7
	stateIncomingProceed  = 9
	stateActive           = 10
	maxPendingH245        = 64
	maxBacklog            = 64
	maxH245PerMessage     = 32
	shutdownReleaseWindow = time.Second
)

// call is what inbound and outbound calls share: the signalling
// connection, the call state and the H.245 transport.
type call struct {
	svc     *Service
	log     *slog.Logger
	inbound bool
	sig     *frameConn
	local   netip.AddrPort
	remote  netip.AddrPort
	cr      q931.CallReference // as we send it
	id      string             // callIdentifier, hex

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	b          h225.Call // builder; b.Tunnelling is the tunnelling state
	state      uint8
	tunnelSet  bool // tunnelling decided (both sides' first messages seen)
	peerV      int  // the peer's H.225.0 version
	pending    [][]byte
	h245       h245Link
	ended      bool
	end        EndReason
	peerH245   netip.AddrPort // the peer's h245Address, once given
	events     Events
	deliverMu  sync.Mutex // one event at a time, in order
	backlog    []*h245.MultimediaSystemControlMessage
	connected  chan struct{} // closed at Connect
	connOnce   sync.Once
	onProgress func(Progress)
	out        *OutboundCall // set for dial-outs
	releasing  *EndReason    // our ReleaseComplete is going out
}

func (s *Service) newCall(sig *frameConn, inbound bool, cr q931.CallReference, id h225.GloballyUniqueID) *call {
	ctx, cancel := context.WithCancel(context.Background())
	leg := "h323-out"
	if inbound {
		leg = "h323-in"
	}
	hexID := hex.EncodeToString(id)
	c := &call{svc: s, inbound: inbound, sig: sig, cr: cr, id: hexID, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), connected: make(chan struct{}),
		local: addrOf(sig.c.LocalAddr()), remote: addrOf(sig.c.RemoteAddr()),
		log: s.log.With("protocol_id", hexID, "leg", leg)}
	c.b = h225.Call{CallID: id, ConferenceID: id, Endpoint: s.endpoint}
	return c
}

// CallID is the H.225.0 callIdentifier as hex.
func (c *call) CallID() string { return c.id }

// CallReference is the Q.931 call reference value.
func (c *call) CallReference() uint16 { return c.cr.Value }

// Remote is the peer's call signalling address; Local ours.
func (c *call) Remote() netip.AddrPort { return c.remote }

// Local is our end of the call signalling connection.
func (c *call) Local() netip.AddrPort { return c.local }

// advertised is local as the peer must see it: the IP Config.Advertise gives for the
// peer, with local's port.
func (c *call) advertised(local netip.AddrPort) netip.AddrPort {
	if f := c.svc.cfg.Advertise; f != nil {
		if a := f(c.remote); a.IsValid() && !a.IsUnspecified() {
			return netip.AddrPortFrom(a, local.Port())
		}
	}
	return local
}

// Done is closed when the call has ended.
func (c *call) Done() <-chan struct{} { return c.done }

// Context is cancelled when the call ends.
func (c *call) Context() context.Context { return c.ctx }

// EndReason is how the call ended; zero while it lasts.
func (c *call) EndReason() EndReason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end
}

// Tunnelling reports whether H.245 is tunnelled in call signalling (both
// sides set h245Tunnelling, H.323 §8.2.1).
func (c *call) Tunnelling() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tunnelSet && c.b.Tunnelling
}

// SetEvents installs the callbacks and delivers the H.245 PDUs that
// arrived before.
func (c *call) SetEvents(e Events) {
	c.deliverMu.Lock()
	defer c.deliverMu.Unlock()
	c.mu.Lock()
	c.events = e
	backlog := c.backlog
	c.backlog = nil
	c.mu.Unlock()
	if e.OnH245 != nil {
		for _, m := range backlog {
			e.OnH245(m)
		}
	}
}

func (c *call) eventsNow() Events {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

// sendLocked builds and writes one Q.931 message; c.mu is held. ui may be
// nil (no user-user element). A failed write ends the call.
func (c *call) sendLocked(t q931.MessageType, ui *h225.H323UserInformation, elems ...q931.Element) error {
	var uu []byte
	if ui != nil {
		b, err := ui.Marshal()
		if err != nil {
			return err
		}
		uu = b
	}
	var m *q931.Message
	var err error
	switch {
	case t == q931.Setup:
		m, err = q931.NewSetup(c.cr, uu, elems...)
	case uu != nil:
		m, err = q931.New(t, c.cr, append(elems, q931.UserUser{Protocol: q931.UserUserProtocolX208, Data: uu})...)
	default:
		m, err = q931.New(t, c.cr, elems...)
	}
	if err != nil {
		return err
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := c.sig.writeFrame(b); err != nil {
		c.log.Debug("h323 write failed", "message", t.String(), "err", err)
		c.sig.close() // the reader ends the call
		return err
	}
	c.log.Debug("h323 sent", "message", t.String(), "octets", len(b))
	return nil
}

// releaseWith sends ReleaseComplete (when the call still runs) and ends
// the call. A nil reason is derived from the cause.
func (c *call) releaseWith(cause q931.CauseValue, reason *h225.ReleaseCompleteReason, why EndWhy) error {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return ErrCallEnded
	}
	if reason == nil {
		reason = ReasonForCause(cause)
	}
	r := EndReason{By: ByLocal, Why: why, Cause: cause, Reason: ReasonName(reason)}
	c.releasing = &r // the peer closing on our ReleaseComplete does not change why
	err := c.sendLocked(q931.ReleaseComplete, c.b.ReleaseComplete(reason), causeIE(cause))
	c.mu.Unlock()
	c.finish(r)
	return err
}

func causeIE(v q931.CauseValue) q931.Cause { return q931.NewCause(v) }

// finish ends the call once: connections closed, goroutines told.
func (c *call) finish(r EndReason) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	if c.releasing != nil {
		r = *c.releasing
	}
	c.ended, c.end, c.state = true, r, stateNull
	c.events = Events{}
	c.backlog, c.pending = nil, nil
	h := c.h245
	c.mu.Unlock()
	c.svc.unregister(c) // before Done: a caller that saw Done sees the count
	c.cancel()
	close(c.done)
	c.sig.close()
	h.close()
	attrs := []any{"by", string(r.By), "why", string(r.Why)}
	if r.Cause != 0 {
		attrs = append(attrs, "cause", int(r.Cause), "cause_text", r.Cause.String())
	}
	if r.Reason != "" {
		attrs = append(attrs, "reason", r.Reason)
	}
	if r.Err != nil {
		attrs = append(attrs, "err", r.Err.Error())
	}
	c.log.Info("h323 call ended", attrs...)
	if cb := c.onProgress; cb != nil {
		cb(Progress{State: Released, End: r})
	}
}

// readLoop reads the call's signalling until the connection ends.
func (c *call) readLoop() {
	for {
		p, err := c.sig.readFrame()
		if err != nil {
			r := EndReason{By: ByNetwork, Why: EndConnectionLost, Err: err}
			if isTimeout(err) {
				c.svc.stats.timeouts.Add(1)
				r.Why = EndTimeout
			}
			c.finish(r)
			return
		}
		if !c.svc.limiter.take(c.sig.ip, time.Now()) {
			c.svc.stats.rateLimited.Add(1)
			c.releaseWith(q931.CauseTemporaryFailure, nil, EndRateLimited)
			return
		}
		if len(p) == 0 {
			continue // TPKT keep-alive
		}
		var m q931.Message
		if _, err := m.Unmarshal(p); err != nil {
			c.svc.stats.malformed.Add(1)
			c.log.Debug("h323 malformed Q.931", "err", err)
			continue
		}
		c.handle(&m)
	}
}

// userInfo decodes the H323-UserInformation of m (nil without one).
func (c *call) userInfo(m *q931.Message) (*h225.H323UserInformation, error) {
	uu, err := m.UserUser()
	if errors.Is(err, q931.ErrAbsent) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ui := new(h225.H323UserInformation)
	if err := ui.Unmarshal(uu.Data); err != nil {
		return nil, err
	}
	return ui, nil
}

// StatusInquiry asks the peer for its call state (Q.931 §5.8.10); the
// answer arrives as Events.OnStatus.
func (c *call) StatusInquiry() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrCallEnded
	}
	return c.sendLocked(q931.StatusInquiry, nil)
}

// SendKeypad sends digits in an Information message's keypad facility
// element (H.225.0 §7.3.6).
func (c *call) SendKeypad(digits string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrCallEnded
	}
	return c.sendLocked(q931.Information, c.b.Information(), q931.Keypad{Digits: digits})
}
