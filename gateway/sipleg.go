package gateway

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// sipLeg is the SIP adapter of the call flow: dial-in (HandleInvite) and dial-out
// (a call.Dialer).
type sipLeg struct {
	log  *slog.Logger
	svc  *sip.Service
	flow *call.Flow
	caps sdp.Capabilities
	// media finds a call's content side by its ports (nil: no content).
	media *mediaFactory
}

var _ sip.Handler = (*sipLeg)(nil)

// HandleInvite runs one dial-in call from INVITE to hang-up.
func (l *sipLeg) HandleInvite(ctx context.Context, c *sip.InboundCall) {
	l.flow.Inbound(ctx, &sipInbound{sipDialog: sipDialog{c}, c: c, caps: l.caps, media: l.media})
}

// sipStatus maps a refusal to a SIP status and reason phrase.
func sipStatus(r call.Refusal) (int, string) {
	switch r {
	case call.NotFound:
		return 404, "Meeting Not Found"
	case call.Locked:
		return 403, "Meeting Locked"
	case call.WrongPassword:
		return 403, "Wrong Password"
	case call.RateLimited:
		return 403, "Too Many Wrong Passwords"
	case call.NoMediaPorts:
		return 503, "No Media Ports Available"
	case call.NotAcceptable:
		return 488, "Not Acceptable Here"
	case call.NotAdmitted:
		return 403, "Not Admitted"
	case call.Unavailable, call.Busy:
		return 503, "Service Unavailable"
	}
	return 500, "Server Error"
}

// dialog is what SIP's inbound and outbound calls share.
type dialog interface {
	Bye(reason string) error
	RequestKeyframe(ctx context.Context) error
	SetEvents(sip.Events)
	Done() <-chan struct{}
	EndReason() sip.EndReason
}

// sipDialog is the part of call.Leg both directions share.
type sipDialog struct{ d dialog }

// HangUp sends BYE; a call that already ended needs none.
func (s sipDialog) HangUp(reason string) error {
	if err := s.d.Bye(reason); err != nil && !errors.Is(err, sip.ErrCallEnded) {
		return err
	}
	return nil
}

func (s sipDialog) RequestKeyframe(ctx context.Context) error { return s.d.RequestKeyframe(ctx) }
func (s sipDialog) Done() <-chan struct{}                     { return s.d.Done() }
func (s sipDialog) EndReason() string                         { return string(s.d.EndReason()) }
func (s sipDialog) Close()                                    {}

// setEvents installs the flow's events; re-offers are answered on the call's ports
// through sm and applied by the flow's OnPlan.
func (s sipDialog) setEvents(e call.Events, sm *sipMedia) {
	ev := sip.Events{OnKeyframeRequest: e.OnKeyframeRequest, OnOffer: sm.reoffer(e.OnPlan, e.Log)}
	if e.OnDigit != nil {
		ev.OnDTMF = func(d rune, _ time.Duration) { e.OnDigit(byte(d)) }
	}
	s.d.SetEvents(ev)
}

// sipInbound is a SIP dial-in as the flow's call.Inbound.
type sipInbound struct {
	sipDialog
	c     *sip.InboundCall
	caps  sdp.Capabilities
	media *mediaFactory
	sm    *sipMedia
	// body is what Accept sends: the answer, or our offer for an offer-less INVITE.
	body []byte
}

var _ call.Inbound = (*sipInbound)(nil)

func (s *sipInbound) Info() call.Info {
	c := s.c
	ep := ParseUserAgent(c.UserAgent)
	caller := c.DisplayName
	if caller == "" {
		caller = c.FromUser
	}
	var signalled []netprofile.Field
	for _, a := range c.SignalledAddrs() {
		signalled = append(signalled, netprofile.Field{Name: a.Field, Addr: a.Addr})
	}
	return call.Info{Leg: "sip-in", Protocol: "sip", ProtocolID: c.CallID(), Source: c.Source, Signalled: signalled,
		Dialled: []string{c.RequestUser, c.ToUser}, Caller: caller,
		Endpoint: call.Identity{Vendor: ep.Vendor, Product: ep.Product, Version: ep.Version},
		Attrs:    []any{"user_agent", c.UserAgent, "transport", c.Transport}}
}

func (s *sipInbound) Negotiate(local media.Local) (media.Plan, error) {
	s.sm = newSIPMedia(local, s.caps, s.media.contentAt(local))
	if s.c.Offer == nil {
		offer, err := sdp.BuildOffer(s.caps, s.sm.local())
		if err != nil {
			return media.Plan{}, err
		}
		s.body = offer
		return media.Plan{}, nil
	}
	res, err := sdp.NegotiateSession(s.c.Offer, s.caps, s.sm.local())
	if err != nil {
		return media.Plan{}, call.Refuse(call.NotAcceptable, err)
	}
	s.body = res.SDP
	s.sm.startContent(res, nil)
	return s.sm.plan(res), nil
}

func (s *sipInbound) Ringing() error { return s.c.Ringing() }

func (s *sipInbound) SetEvents(e call.Events) { s.setEvents(e, s.sm) }

func (s *sipInbound) Answer(context.Context) (media.Plan, error) {
	if err := s.c.Accept(s.body); err != nil {
		return media.Plan{}, err
	}
	if s.c.Offer != nil {
		return s.sm.current(), nil
	}
	res, err := sdp.ParseAnswer(s.body, s.c.AckSDP())
	if err != nil {
		_ = s.c.Bye("bad SDP answer")
		return media.Plan{}, err
	}
	s.sm.startContent(res, nil)
	return s.sm.plan(res), nil
}

func (s *sipInbound) Reject(r call.Refusal, _ string) error {
	status, phrase := sipStatus(r)
	return s.c.Reject(status, phrase)
}
