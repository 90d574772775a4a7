package h323

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/q931"
)

// DialParams describe a dial-out call.
type DialParams struct {
	// Address is where to connect (port 0: 1720). The call connects there
	// and nowhere else.
	Address netip.AddrPort
	// DestAliases go in destinationAddress (the "alias" of IP##alias);
	// SourceAliases in sourceAddress (default: Config.Aliases).
	DestAliases   []Alias
	SourceAliases []Alias
	// Display, CallingNumber and CalledNumber are Q.931 elements.
	Display       string
	CallingNumber string
	CalledNumber  string
	// FastStart are the encoded OpenLogicalChannel proposals.
	FastStart [][]byte
	// Tunnelling offers H.245 tunnelling; H245Early, without tunnelling,
	// puts our h245Address in Setup.
	Tunnelling bool
	H245Early  bool
	// RingTimeout bounds the wait for Connect (default Config.RingTimeout).
	RingTimeout time.Duration
	// OnProgress receives proceeding, alerting, connected and released,
	// on the call's signalling goroutine.
	OnProgress func(Progress)
}

// ProgressState is a step of a dial-out.
type ProgressState string

// Progress states.
const (
	Proceeding ProgressState = "proceeding"
	Alerting   ProgressState = "alerting"
	Connected  ProgressState = "connected"
	Released   ProgressState = "released"
)

// Progress is one step of a dial-out; End is set for Released.
type Progress struct {
	State ProgressState
	End   EndReason
}

// FailureKind classifies a dial-out that did not connect.
type FailureKind string

// Failure kinds.
const (
	FailBusy        FailureKind = "busy"
	FailDeclined    FailureKind = "declined"
	FailNoAnswer    FailureKind = "no-answer"
	FailUnreachable FailureKind = "unreachable"
	FailCanceled    FailureKind = "canceled"
	FailOther       FailureKind = "failed"
)

// CallError is why a dial-out did not connect.
type CallError struct {
	Kind FailureKind
	End  EndReason
}

func (e *CallError) Error() string {
	s := fmt.Sprintf("h323: call %s (%s by %s", e.Kind, e.End.Why, e.End.By)
	if e.End.Cause != 0 {
		s += fmt.Sprintf(", cause %d %s", int(e.End.Cause), e.End.Cause.String())
	}
	if e.End.Reason != "" {
		s += ", reason " + e.End.Reason
	}
	if e.End.Err != nil {
		s += ": " + e.End.Err.Error()
	}
	return s + ")"
}

func (e *CallError) Unwrap() error { return e.End.Err }

// classify maps how a dial-out ended to a failure kind (Q.850 causes).
func classify(r EndReason) FailureKind {
	switch {
	case r.Why == EndCanceled:
		return FailCanceled
	case r.Why == EndRingTimeout:
		return FailNoAnswer
	case r.By == ByNetwork:
		return FailUnreachable
	}
	switch r.Cause {
	case q931.CauseUserBusy, q931.CauseNoCircuitAvailable, q931.CauseSwitchingCongestion:
		return FailBusy
	case q931.CauseNoUserResponding, q931.CauseNoAnswer:
		return FailNoAnswer
	case q931.CauseCallRejected, q931.CauseNormalClearing, q931.CauseIncompatibleDestination:
		return FailDeclined
	case q931.CauseUnallocatedNumber, q931.CauseNoRouteToDestination, q931.CauseSubscriberAbsent,
		q931.CauseDestinationOutOfOrder, q931.CauseNetworkOutOfOrder, q931.CauseInvalidNumberFormat:
		return FailUnreachable
	}
	return FailOther
}

// OutboundCall is a dial-out call.
type OutboundCall struct {
	*call

	pmu       sync.Mutex
	fsAnswer  [][]byte
	fsSeen    bool
	vendor    Vendor
	hasVendor bool
	kind      EndpointKind
	version   int
}

// Dial connects to p.Address and sends Setup; the call then rings (Wait
// for the answer). ctx bounds the TCP connect only.
func (s *Service) Dial(ctx context.Context, p DialParams) (*OutboundCall, error) {
	if !p.Address.IsValid() {
		return nil, errors.New("h323: dial: no address")
	}
	if p.Address.Port() == 0 {
		p.Address = netip.AddrPortFrom(p.Address.Addr(), DefaultPort)
	}
	src := s.aliases
	if p.SourceAliases != nil {
		var err error
		if src, err = aliasesH225(p.SourceAliases); err != nil {
			return nil, err
		}
	}
	dst, err := aliasesH225(p.DestAliases)
	if err != nil {
		return nil, err
	}
	ip := p.Address.Addr()
	if err := s.admit(ip); err != nil {
		return nil, err
	}
	released := false
	defer func() {
		if !released {
			s.release(ip)
		}
	}()
	d := net.Dialer{Timeout: s.cfg.Limits.SetupTimeout}
	nc, err := d.DialContext(ctx, "tcp", p.Address.String())
	if err != nil {
		return nil, &CallError{Kind: FailUnreachable, End: EndReason{By: ByNetwork, Why: EndConnectionLost, Err: err}}
	}
	id, err := h225.NewGUID()
	if err != nil {
		nc.Close()
		return nil, err
	}
	var crb [2]byte
	rand.Read(crb[:])
	crv := binary.BigEndian.Uint16(crb[:])&0x7fff | 1
	c := s.newCall(newFrameConn(s.tapped(nc, false), s.cfg.Limits), false, q931.NewCallReference(crv, false), id)
	c.onProgress = p.OnProgress
	oc := &OutboundCall{call: c}
	c.out = oc
	if err := s.register(c); err != nil {
		nc.Close()
		return nil, err
	}
	c.mu.Lock()
	c.state = stateCallInitiated
	c.b.Tunnelling = p.Tunnelling
	if p.H245Early && !p.Tunnelling {
		if ta, ok := c.listenH245Locked(); ok {
			c.b.H245Address = &ta
		}
	}
	destTA, _ := h225.NewTransportAddress(p.Address)
	srcTA, _ := h225.NewTransportAddress(c.advertised(c.local))
	ui := c.b.Setup(src, dst, &destTA, &srcTA, p.FastStart)
	c.b.H245Address = nil
	elems := []q931.Element{}
	if p.Display != "" {
		elems = append(elems, q931.Display{Text: p.Display})
	}
	if p.CallingNumber != "" {
		elems = append(elems, q931.CallingPartyNumber{PartyNumber: q931.PartyNumber{TypeOfNumber: q931.NumberTypeUnknown, NumberingPlan: q931.PlanE164, Digits: p.CallingNumber}})
	}
	called := p.CalledNumber
	if called == "" {
		for _, a := range p.DestAliases {
			if a.Kind == AliasDialedDigits {
				called = a.Value
				break
			}
		}
	}
	if called != "" {
		elems = append(elems, q931.CalledPartyNumber{PartyNumber: q931.PartyNumber{TypeOfNumber: q931.NumberTypeUnknown, NumberingPlan: q931.PlanE164, Digits: called}})
	}
	err = c.sendLocked(q931.Setup, ui, elems...)
	c.mu.Unlock()
	if err != nil {
		c.finish(EndReason{By: ByNetwork, Why: EndConnectionLost, Err: err})
		return nil, &CallError{Kind: FailUnreachable, End: c.EndReason()}
	}
	ring := p.RingTimeout
	if ring <= 0 {
		ring = s.cfg.RingTimeout
	}
	if !s.goTracked(func() {
		defer s.release(ip)
		c.readLoop()
	}) {
		c.finish(EndReason{By: ByLocal, Why: EndShutdown})
		return nil, ErrClosed
	}
	released = true
	if !s.goTracked(func() { oc.watchRing(ring, q931.CauseRecoveryOnTimerExpiry) }) {
		oc.releaseWith(q931.CauseNormalClearing, nil, EndShutdown)
		return nil, ErrClosed
	}
	c.log.Info("h323 Setup sent", "to", p.Address.String(), "dest", p.DestAliases, "fast_start", len(p.FastStart),
		"tunnelling", p.Tunnelling, "h245_early", p.H245Early && !p.Tunnelling)
	return oc, nil
}

// Wait waits for the answer: nil once connected, a *CallError when the
// call ended first, ctx's error when ctx ends first.
func (c *OutboundCall) Wait(ctx context.Context) error {
	select {
	case <-c.connected:
		return nil
	case <-c.done:
		select {
		case <-c.connected:
			return nil
		default:
		}
		r := c.EndReason()
		return &CallError{Kind: classify(r), End: r}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Cancel gives up a call that has not connected (ReleaseComplete, normal
// clearing); a connected call is released.
func (c *OutboundCall) Cancel() error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st == stateActive {
		return c.Release(q931.CauseNormalClearing)
	}
	return c.releaseWith(q931.CauseNormalClearing, nil, EndCanceled)
}

// FastStartAccepted are the OpenLogicalChannel PDUs of the callee's
// fastStart answer (nil when it refused fastStart or has not answered).
func (c *OutboundCall) FastStartAccepted() [][]byte {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return c.fsAnswer
}

// PeerVendor is the callee's destinationInfo.vendor (ok false without one
// so far), PeerKind its endpoint type, PeerVersion its H.225.0 version.
func (c *OutboundCall) PeerVendor() (Vendor, bool) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return c.vendor, c.hasVendor
}

// PeerKind is the callee's endpoint type, once it answered.
func (c *OutboundCall) PeerKind() EndpointKind {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return c.kind
}

// PeerVersion is the callee's H.225.0 version, once it answered.
func (c *OutboundCall) PeerVersion() int {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return c.version
}

// onResponse handles CallProceeding, Alerting, Connect, Progress and
// Facility of a dial-out: tunnelling, the callee's fastStart answer (the
// first that carries one, H.323 §8.1.7), its h245Address and vendor.
func (c *call) onResponse(t q931.MessageType, uu *h225.H323UUPDU) {
	oc := c.out
	if oc == nil {
		return
	}
	f, ok := answerFields(uu)
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	if ok && c.peerV == 0 {
		c.peerV = versionOf(f.proto)
	}
	c.tunnelDecideLocked(uu)
	if ok && f.h245Address != nil && !c.peerH245.IsValid() {
		if ap, err := c.h245AddrOf(f.h245Address); err == nil {
			c.peerH245 = ap
		}
	}
	oc.pmu.Lock()
	if ok && !oc.fsSeen && len(f.fastStart) > 0 {
		oc.fsAnswer, oc.fsSeen = f.fastStart[:min(len(f.fastStart), maxH245PerMessage)], true
	}
	if ok && !oc.hasVendor {
		oc.vendor, oc.hasVendor = vendorOf(f.dest)
	}
	if ok && oc.kind == "" {
		oc.kind = kindOf(f.dest)
	}
	oc.version = c.peerV
	fsAccepted := oc.fsSeen
	oc.pmu.Unlock()
	prev := c.state
	var step ProgressState
	switch {
	case t == q931.CallProceeding && c.state < stateOutgoingProceed:
		c.state, step = stateOutgoingProceed, Proceeding
	case t == q931.Alerting && c.state < stateCallDelivered:
		c.state, step = stateCallDelivered, Alerting
	case t == q931.Connect && c.state != stateActive:
		c.state, step = stateActive, Connected
	}
	tunnel := c.tunnelSet && c.b.Tunnelling
	if !tunnel && c.peerH245.IsValid() {
		c.dialH245Locked()
	}
	if t == q931.Connect && !tunnel && !fsAccepted {
		c.ensureH245Locked() // no fastStart: H.245 is needed now
	}
	c.flushPendingLocked()
	changed := c.state != prev
	c.mu.Unlock()
	if step == Connected {
		c.connOnce.Do(func() { close(c.connected) })
		c.log.Info("h323 dial-out connected", "fast_start", fsAccepted, "tunnelling", tunnel)
	}
	if step != "" && changed && c.onProgress != nil {
		c.onProgress(Progress{State: step})
	}
}
