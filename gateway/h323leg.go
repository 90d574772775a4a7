package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/ras"
	"github.com/roomgate/roomgate/transcode/media"
)

// h323Leg is the H.323 adapter of the call flow: dial-in (HandleSetup) and dial-out
// (a call.Dialer), with the H.245 session of each call (h245Driver).
type h323Leg struct {
	log  *slog.Logger
	svc  *h323.Service
	flow *call.Flow
	caps *control.LocalCaps
	// gk is the built-in gatekeeper (nil when off): dial-out by alias looks up its
	// registrations; gkc the registration with an external gatekeeper (nil: none),
	// which resolves the aliases the built-in one does not know.
	gk  *ras.Gatekeeper
	gkc *ras.Client
	// mediaWait bounds how long an answered call without fastStart waits for its
	// H.245 channels before it gives up.
	mediaWait time.Duration
	// media finds a call's content side (its H.239 token is the meeting's floor).
	media *mediaFactory
}

var _ h323.Handler = (*h323Leg)(nil)

// h323VideoSettle is how long a call whose audio channels are open waits for the
// video channel the capability exchange chose before it starts without it.
const h323VideoSettle = 3 * time.Second

// HandleSetup runs one dial-in call from Setup to ReleaseComplete.
func (l *h323Leg) HandleSetup(ctx context.Context, c *h323.InboundCall) {
	l.flow.Inbound(ctx, &h323Inbound{leg: l, c: c})
}

// h323Cause maps a refusal to a Q.931 cause and H.225.0 ReleaseCompleteReason.
func h323Cause(r call.Refusal) (q931.CauseValue, *h225.ReleaseCompleteReason) {
	var rr h225.ReleaseCompleteReason
	switch r {
	case call.NotFound:
		rr.CalledPartyNotRegistered = &struct{}{}
		return q931.CauseUnallocatedNumber, &rr
	case call.Locked, call.NotAdmitted:
		rr.DestinationRejection = &struct{}{}
		return q931.CauseCallRejected, &rr
	case call.WrongPassword, call.RateLimited:
		rr.SecurityDenied = &struct{}{}
		return q931.CauseCallRejected, &rr
	case call.NoMediaPorts:
		rr.GatewayResources = &struct{}{}
		return q931.CauseResourceUnavailable, &rr
	case call.NotAcceptable:
		return q931.CauseIncompatibleDestination, nil
	case call.Busy:
		rr.AdaptiveBusy = &struct{}{}
		return q931.CauseUserBusy, &rr
	case call.Unavailable:
		rr.UnreachableDestination = &struct{}{}
		return q931.CauseTemporaryFailure, &rr
	}
	return q931.CauseTemporaryFailure, nil
}

// h323Endpoint names an H.323 endpoint from its H.225.0 vendor identifier: the
// productId and versionId read like a SIP User-Agent ("Polycom HDX 8000 HD" +
// "Release 3.1.0"), the T.35 codes say the rest.
func h323Endpoint(v h323.Vendor, has bool) call.Identity {
	if !has {
		return call.Identity{}
	}
	product, version := printable(v.Product), printable(v.Version)
	ep := ParseUserAgent(product)
	id := call.Identity{Vendor: ep.Vendor, Product: product, Version: version}
	if id.Vendor == "" {
		id.Vendor = t35Vendor(v.CountryCode, v.Manufacturer)
	}
	if len(id.Product) > 64 {
		id.Product = id.Product[:64]
	}
	if len(id.Version) > 32 {
		id.Version = id.Version[:32]
	}
	return id
}

// t35Vendor names the manufacturers room systems commonly carry in their T.35
// codes (H.225.0 VendorIdentifier: country 181 is the United States), for products
// whose productId does not say.
func t35Vendor(country, manufacturer int) string {
	switch {
	case country == 181 && manufacturer == 0x2331:
		return "Polycom"
	case country == 130 && manufacturer == 0x0001:
		return "Tandberg"
	case country == 38 && manufacturer == 0x0001:
		return "Huawei"
	}
	return ""
}

// h323Inbound is an H.323 dial-in as the flow's call.Inbound.
type h323Inbound struct {
	leg   *h323Leg
	c     *h323.InboundCall
	local media.Local
	fs    *control.FastStart // the fastStart channels we accept (nil: H.245 follows)
	drv   *h245Driver
	log   *slog.Logger
	evMu  sync.Mutex
	ev    call.Events
	endMu sync.Once
}

var _ call.Inbound = (*h323Inbound)(nil)

func (s *h323Inbound) Info() call.Info {
	c := s.c
	var dialled []string
	for _, a := range c.DestAliases {
		dialled = append(dialled, a.Value)
	}
	if c.CalledNumber != "" {
		dialled = append(dialled, c.CalledNumber)
	}
	caller := c.Display
	if caller == "" && len(c.SourceAliases) > 0 {
		caller = c.SourceAliases[0].Value
	}
	if caller == "" {
		caller = c.CallingNumber
	}
	ep := h323Endpoint(c.Vendor, c.HasVendor)
	var signalled []netprofile.Field
	if c.H245Address.IsValid() {
		signalled = append(signalled, netprofile.Field{Name: "h245Address", Addr: c.H245Address})
	}
	return call.Info{Leg: "h323-in", Protocol: "h323", ProtocolID: c.CallID(), Source: c.Remote(), Signalled: signalled, Dialled: dialled,
		Caller: caller, Endpoint: ep, AdmitEarly: true,
		Attrs: []any{"h225_version", c.Version, "vendor", ep.Vendor, "product", ep.Product, "version", ep.Version,
			"t35", fmt.Sprintf("%d/%d/%d", c.Vendor.CountryCode, c.Vendor.Extension, c.Vendor.Manufacturer),
			"faststart", len(c.FastStart), "tunnelling", c.PeerTunnelling}}
}

// Negotiate answers the fastStart proposals, if any fit; otherwise the media is
// agreed over H.245 after Connect.
func (s *h323Inbound) Negotiate(local media.Local) (media.Plan, error) {
	s.local = local
	_ = s.c.Proceeding(nil) // the Setup is being handled (H.225.0: within 4 s)
	if len(s.c.FastStart) == 0 {
		return media.Plan{}, nil
	}
	fs, err := control.AnswerFastStart(s.c.FastStart, s.leg.caps, local)
	if err != nil {
		// Refusing fastStart is no refusal of the call: H.245 follows.
		s.logger().Info("fastStart refused", "reason", err.Error())
		return media.Plan{}, nil
	}
	s.fs = fs
	return fs.Plan, nil
}

func (s *h323Inbound) logger() *slog.Logger {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	if s.ev.Log != nil {
		return s.ev.Log
	}
	return s.leg.log.With("leg", "h323-in", "protocol_id", s.c.CallID())
}

func (s *h323Inbound) Ringing() error {
	var olcs [][]byte
	if s.fs != nil {
		olcs = s.fs.OLCs
	}
	return s.c.Alerting(olcs)
}

func (s *h323Inbound) SetEvents(e call.Events) {
	s.evMu.Lock()
	s.ev = e
	s.evMu.Unlock()
	if s.drv != nil {
		s.drv.setEvents(e)
	}
}

// Answer connects the call and starts its H.245 session; without fastStart it
// returns once the channels carry audio (and video, if chosen).
func (s *h323Inbound) Answer(ctx context.Context) (media.Plan, error) {
	log := s.logger()
	s.drv = newH245Driver(log, s.c, control.Config{Caps: s.leg.caps, Local: s.local, Quirks: h245Quirks(s.c.Vendor.Product)},
		func(reason string) { s.release(reason) })
	s.drv.useContent(s.leg.media.contentAt(s.local))
	s.evMu.Lock()
	s.drv.setEvents(s.ev)
	s.evMu.Unlock()
	s.c.SetEvents(h323.Events{OnH245: s.drv.deliver, OnKeypad: func(digits string) {
		s.evMu.Lock()
		on := s.ev.OnDigit
		s.evMu.Unlock()
		if on != nil {
			for i := 0; i < len(digits); i++ {
				on(digits[i])
			}
		}
	}})
	var olcs [][]byte
	if s.fs != nil {
		olcs = s.fs.OLCs
	}
	if err := s.c.Connect(olcs); err != nil {
		return media.Plan{}, err
	}
	return s.drv.answerPlan(ctx, s.fs, s.leg.mediaWait, s.release)
}

// release ends the call from our side, once: normal clearing after
// endSessionCommand, else the failure's reason with temporary failure.
func (s *h323Inbound) release(reason string) {
	s.endMu.Do(func() {
		if reason == "" {
			_ = s.c.Release(q931.CauseNormalClearing)
			return
		}
		s.logger().Info("H.245 ended the call", "reason", reason)
		_ = s.c.ReleaseWithReason(h245Failure())
	})
}

func (s *h323Inbound) Reject(r call.Refusal, _ string) error {
	cause, reason := h323Cause(r)
	return s.c.Reject(cause, reason)
}

// HangUp ends the H.245 session (endSessionCommand) and the call.
func (s *h323Inbound) HangUp(string) error {
	if s.drv != nil {
		s.drv.do(func(_ time.Time, sess *control.Session) { sess.End() })
	}
	s.release("")
	return nil
}

func (s *h323Inbound) RequestKeyframe(context.Context) error {
	if s.drv == nil {
		return nil
	}
	s.drv.do(func(_ time.Time, sess *control.Session) { _ = sess.RequestFastUpdate(media.RoleMain) })
	return nil
}

func (s *h323Inbound) Done() <-chan struct{} { return s.c.Done() }
func (s *h323Inbound) EndReason() string     { return h323EndReason(s.c.EndReason()) }

// Close stops the call's H.245 session (the flow is done with the call).
func (s *h323Inbound) Close() {
	if s.drv != nil {
		s.drv.close()
	}
}

// h323EndReason says how an H.323 call ended, for the registry and the logs.
func h323EndReason(e h323.EndReason) string {
	if e.Why == "" {
		return ""
	}
	s := fmt.Sprintf("%s by %s", e.Why, e.By)
	if e.Cause != 0 {
		s += fmt.Sprintf(", cause %d", int(e.Cause))
	}
	if e.Reason != "" {
		s += ", " + e.Reason
	}
	return s
}

// printable is s as valid UTF-8 without control characters, trimmed (vendor strings
// come from the network and go into logs, the API and the UI).
func printable(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "")))
}

// h245Failure is the cause and reason of a call the H.245 session failed (timers,
// no channels, unanswered round trips): temporary failure, reason undefined (H.225.0
// Table 5 would derive adaptiveBusy from the cause, which tells the room system to
// call again later for the wrong reason).
func h245Failure() (q931.CauseValue, *h225.ReleaseCompleteReason) {
	return q931.CauseTemporaryFailure, &h225.ReleaseCompleteReason{UndefinedReason: &struct{}{}}
}
