package ras

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

// ErrNotRegistered is returned by Admit and Disengage while the client is
// not registered.
var ErrNotRegistered = errors.New("ras: not registered with the gatekeeper")

var errUnexpected = errors.New("ras: unexpected answer from the gatekeeper")

// registerLoop keeps the gateway registered until Close.
func (c *Client) registerLoop() {
	backoff := c.cfg.MinBackoff
	for {
		var wait time.Duration
		var err error
		registered := c.State().Registered
		if registered {
			err = c.keepalive()
		} else {
			err = c.register()
		}
		switch {
		case errors.Is(err, errClosed):
			return
		case err == nil:
			backoff = c.cfg.MinBackoff
			wait = c.keepaliveDelay(c.State().TTL)
		default:
			c.log.Warn("H.323 registration with gatekeeper failed", "err", err, "keepalive", registered)
			c.setState(ClientState{Err: err})
			var rej *RejectError
			if registered && errors.As(err, &rej) {
				continue // keepalive refused: a full RRQ at once
			}
			wait = backoff
			backoff = min(backoff*2, c.cfg.MaxBackoff)
		}
		var fire <-chan time.Time
		var t Timer
		if wait > 0 {
			t = c.cfg.Clock.NewTimer(wait)
			fire = t.C()
		}
		select {
		case <-c.stop:
			if t != nil {
				t.Stop()
			}
			return
		case <-c.kick:
		case <-fire:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// keepaliveDelay is when to send the next lightweight RRQ: early enough
// that all its retries fit in the time to live (H.225.0 §7.9.1). Zero: the
// gatekeeper gave no time to live, no keepalive is needed.
func (c *Client) keepaliveDelay(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	margin := max(ttl/4, time.Duration(c.cfg.Tries)*c.timeout(shortTimeout))
	return max(ttl-margin, ttl/4)
}

func (c *Client) register() error {
	ctx := context.Background()
	c.mu.Lock()
	ep, gkID, discovered := c.ep, c.gkID, c.discovered
	c.mu.Unlock()
	if c.cfg.Discover && !discovered {
		seq := c.nextSeq()
		grq := ep.GatekeeperRequest(seq)
		if gkID != "" {
			grq.GatekeeperRequest.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier(gkID))
		}
		ans, err := c.request(ctx, c.stop, seq, grq, c.timeout(longTimeout), c.cfg.Tries)
		switch {
		case err != nil:
			return fmt.Errorf("GRQ: %w", err)
		case ans.GatekeeperReject != nil:
			return &RejectError{Message: "GRJ", Reason: choiceName(&ans.GatekeeperReject.RejectReason)}
		case ans.GatekeeperConfirm == nil:
			return fmt.Errorf("GRQ: %w", errUnexpected)
		}
		if id := ans.GatekeeperConfirm.GatekeeperIdentifier; id != nil {
			gkID = string(*id)
		}
		discovered = true
		c.mu.Lock()
		c.gkID, c.discovered = gkID, true
		c.mu.Unlock()
	}
	seq := c.nextSeq()
	m := ep.RegistrationRequest(seq, false, int64(c.cfg.TTL/time.Second))
	rrq := m.RegistrationRequest
	rrq.DiscoveryComplete = discovered
	rrq.EndpointIdentifier = nil
	if gkID != "" {
		rrq.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier(gkID))
	}
	ans, err := c.request(ctx, c.stop, seq, m, c.timeout(shortTimeout), c.cfg.Tries)
	switch {
	case err != nil:
		return fmt.Errorf("RRQ: %w", err)
	case ans.RegistrationReject != nil:
		reason := &ans.RegistrationReject.RejectReason
		if reason.DiscoveryRequired != nil {
			c.mu.Lock()
			c.discovered = false
			c.mu.Unlock()
		}
		return &RejectError{Message: "RRJ", Reason: choiceName(reason)}
	case ans.RegistrationConfirm == nil:
		return fmt.Errorf("RRQ: %w", errUnexpected)
	}
	rcf := ans.RegistrationConfirm
	st := ClientState{Registered: true, EndpointID: string(rcf.EndpointIdentifier), GatekeeperID: gkID}
	if rcf.GatekeeperIdentifier != nil {
		st.GatekeeperID = string(*rcf.GatekeeperIdentifier)
	}
	if rcf.TimeToLive != nil {
		st.TTL = time.Duration(*rcf.TimeToLive) * time.Second
	}
	c.mu.Lock()
	c.ep.ID = rcf.EndpointIdentifier
	c.gkID = st.GatekeeperID
	c.mu.Unlock()
	c.log.Info("H.323 registered with gatekeeper", "endpoint_id", st.EndpointID, "gatekeeper_id", st.GatekeeperID,
		"ttl", st.TTL.String())
	c.setState(st)
	return nil
}

// keepalive sends a lightweight RRQ (keepAlive, endpointIdentifier, no
// aliases) and takes the new time to live from the RCF.
func (c *Client) keepalive() error {
	c.mu.Lock()
	ep, st := c.ep, c.state
	c.mu.Unlock()
	seq := c.nextSeq()
	m := ep.RegistrationRequest(seq, true, int64(c.cfg.TTL/time.Second))
	m.RegistrationRequest.TerminalAlias = nil
	if st.GatekeeperID != "" {
		m.RegistrationRequest.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier(st.GatekeeperID))
	}
	ans, err := c.request(context.Background(), c.stop, seq, m, c.timeout(shortTimeout), c.cfg.Tries)
	switch {
	case err != nil:
		return fmt.Errorf("keepalive RRQ: %w", err)
	case ans.RegistrationReject != nil:
		return &RejectError{Message: "RRJ", Reason: choiceName(&ans.RegistrationReject.RejectReason)}
	case ans.RegistrationConfirm == nil:
		return fmt.Errorf("keepalive RRQ: %w", errUnexpected)
	}
	if t := ans.RegistrationConfirm.TimeToLive; t != nil {
		st.TTL = time.Duration(*t) * time.Second
	}
	c.setState(st)
	return nil
}

// Locate asks the gatekeeper where alias can be called (LRQ, H.225.0
// §7.12) and returns its call signalling address. It works whether or not
// the client is registered.
func (c *Client) Locate(ctx context.Context, alias string) (netip.AddrPort, error) {
	a, err := ParseAlias(alias)
	if err != nil {
		return netip.AddrPort{}, err
	}
	c.mu.Lock()
	ep, gkID := c.ep, c.gkID
	c.mu.Unlock()
	seq := c.nextSeq()
	m := ep.LocationRequest(seq, []h225.AliasAddress{a})
	if gkID != "" {
		m.LocationRequest.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier(gkID))
	}
	ans, err := c.request(ctx, c.stop, seq, m, c.timeout(longTimeout), c.cfg.Tries)
	switch {
	case err != nil:
		return netip.AddrPort{}, fmt.Errorf("LRQ %s: %w", alias, err)
	case ans.LocationReject != nil:
		return netip.AddrPort{}, &RejectError{Message: "LRJ", Reason: choiceName(&ans.LocationReject.RejectReason)}
	case ans.LocationConfirm == nil:
		return netip.AddrPort{}, fmt.Errorf("LRQ %s: %w", alias, errUnexpected)
	}
	ap, err := ans.LocationConfirm.CallSignalAddress.AddrPort()
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("LCF %s: %w", alias, err)
	}
	return ap, nil
}

// Admission describes a call for Admit and Disengage (H.225.0 §7.11,
// §7.14).
type Admission struct {
	Call *h225.Call // CallID and ConferenceID of the call
	CRV  int64      // Q.931 call reference value
	// Dest are the dialled aliases (ParseAlias forms); DestAddr the
	// dialled address, if any.
	Dest     []string
	DestAddr netip.AddrPort
	// Answer is true when we are the called side.
	Answer bool
	// Bandwidth for both directions in units of 100 bit/s.
	Bandwidth int64
}

// Admit asks the gatekeeper to admit a call (ARQ) and returns where to
// send the Setup (ACF destCallSignalAddress). H.323 §8.1 wants an ARQ
// before every call of a registered endpoint; the caller decides whether
// to place the call after an error.
func (c *Client) Admit(ctx context.Context, a Admission) (netip.AddrPort, error) {
	c.mu.Lock()
	ep, registered := c.ep, c.state.Registered
	c.mu.Unlock()
	if !registered {
		return netip.AddrPort{}, ErrNotRegistered
	}
	dest := make([]h225.AliasAddress, 0, len(a.Dest))
	for _, s := range a.Dest {
		al, err := ParseAlias(s)
		if err != nil {
			return netip.AddrPort{}, err
		}
		dest = append(dest, al)
	}
	seq := c.nextSeq()
	m := ep.AdmissionRequest(seq, a.CRV, a.Call, dest, a.Answer, a.Bandwidth)
	if a.DestAddr.IsValid() {
		t, err := h225.NewTransportAddress(a.DestAddr)
		if err != nil {
			return netip.AddrPort{}, err
		}
		m.AdmissionRequest.DestCallSignalAddress = &t
	}
	ans, err := c.request(ctx, c.stop, seq, m, c.timeout(longTimeout), c.cfg.Tries)
	switch {
	case err != nil:
		return netip.AddrPort{}, fmt.Errorf("ARQ: %w", err)
	case ans.AdmissionReject != nil:
		return netip.AddrPort{}, &RejectError{Message: "ARJ", Reason: choiceName(&ans.AdmissionReject.RejectReason)}
	case ans.AdmissionConfirm == nil:
		return netip.AddrPort{}, fmt.Errorf("ARQ: %w", errUnexpected)
	}
	return ans.AdmissionConfirm.DestCallSignalAddress.AddrPort()
}

// Disengage tells the gatekeeper a call admitted with Admit has ended
// (DRQ).
func (c *Client) Disengage(ctx context.Context, a Admission) error {
	c.mu.Lock()
	ep, registered := c.ep, c.state.Registered
	c.mu.Unlock()
	if !registered {
		return ErrNotRegistered
	}
	seq := c.nextSeq()
	ans, err := c.request(ctx, c.stop, seq, ep.DisengageRequest(seq, a.CRV, a.Call, a.Answer), c.timeout(shortTimeout), c.cfg.Tries)
	switch {
	case err != nil:
		return fmt.Errorf("DRQ: %w", err)
	case ans.DisengageReject != nil:
		return &RejectError{Message: "DRJ", Reason: choiceName(&ans.DisengageReject.RejectReason)}
	case ans.DisengageConfirm == nil:
		return fmt.Errorf("DRQ: %w", errUnexpected)
	}
	return nil
}
