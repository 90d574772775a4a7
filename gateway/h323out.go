package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/transcode/media"
)

var _ call.Dialer = (*h323Leg)(nil)

// Normalize checks an H.323 dial-out address: "IP", "IP:port", "IP##alias", or an
// alias or E.164 number that a gatekeeper resolves.
func (l *h323Leg) Normalize(address string) (string, string, error) {
	a := strings.TrimSpace(address)
	if a == "" || len(a) > 256 || strings.ContainsAny(a, " <>\"\r\n\t") {
		return "", "", fmt.Errorf("address %q is not an H.323 address (IP[:port], IP##alias, alias or number)", address)
	}
	if ap, aliases, err := h323.ParseDialString(a); err == nil {
		name := ap.Addr().String()
		if len(aliases) > 0 {
			name = aliases[0].Value
		}
		return a, name, nil
	}
	if strings.Contains(a, "##") || strings.ContainsAny(a, ":[]") {
		return "", "", fmt.Errorf("address %q: not IP[:port] or IP##alias", address)
	}
	return a, a, nil
}

// resolve turns a dial-out address into where to connect and which aliases to
// call: an IP as given, an alias through the built-in gatekeeper's registrations,
// then through the external gatekeeper (LRQ).
func (l *h323Leg) resolve(ctx context.Context, address string) (netip.AddrPort, []h323.Alias, error) {
	if ap, aliases, err := h323.ParseDialString(address); err == nil {
		return ap, aliases, nil
	}
	alias := h323.ParseAlias(address)
	if l.gk != nil {
		if reg, ok := l.gk.Lookup(address); ok && len(reg.CallSignal) > 0 {
			return reg.CallSignal[0], []h323.Alias{alias}, nil
		}
	}
	if l.gkc != nil {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ap, err := l.gkc.Locate(lctx, address)
		if err == nil {
			return ap, []h323.Alias{alias}, nil
		}
		return netip.AddrPort{}, nil, fmt.Errorf("alias %q: gatekeeper: %w", address, err)
	}
	return netip.AddrPort{}, nil, fmt.Errorf("alias %q is not registered with the gatekeeper", address)
}

// Dial places an H.323 dial-out with fastStart proposals and H.245 tunnelling (the
// callee may answer either way).
func (l *h323Leg) Dial(ctx context.Context, req call.DialRequest) (call.Outbound, error) {
	to, aliases, err := l.resolve(ctx, req.Address)
	if err != nil {
		return nil, err
	}
	proposals, err := control.ProposeFastStart(l.caps, req.Local)
	if err != nil {
		return nil, err
	}
	o := &h323Outbound{leg: l, local: req.Local, proposals: proposals}
	out, err := l.svc.Dial(ctx, h323.DialParams{Address: to, DestAliases: aliases, Display: "Meeting " + req.MeetingID,
		CallingNumber: req.MeetingID, FastStart: proposals, Tunnelling: true,
		OnProgress: func(p h323.Progress) {
			if p.State == h323.Alerting && req.OnRinging != nil {
				req.OnRinging()
			}
		}})
	if err != nil {
		return nil, unreachable(err)
	}
	o.out = out
	o.drv = newH245Driver(l.log.With("leg", "h323-out", "protocol_id", out.CallID()), out,
		control.Config{Caps: l.caps, Local: req.Local}, func(reason string) { o.release(reason) })
	o.drv.useContent(l.media.contentAt(req.Local))
	out.SetEvents(h323.Events{OnH245: o.drv.deliver})
	return o, nil
}

// h323Outbound is an H.323 dial-out as the flow's call.Outbound.
type h323Outbound struct {
	leg       *h323Leg
	out       *h323.OutboundCall
	local     media.Local
	proposals [][]byte
	drv       *h245Driver
	endOnce   sync.Once
}

var _ call.Outbound = (*h323Outbound)(nil)

func (s *h323Outbound) Wait(ctx context.Context) (media.Plan, error) {
	if err := s.out.Wait(ctx); err != nil {
		var ce *h323.CallError
		if !errors.As(err, &ce) {
			return media.Plan{}, err
		}
		e := &call.DialError{State: call.DialFailed, Code: int(ce.End.Cause), Reason: h323EndReason(ce.End)}
		switch ce.Kind {
		case h323.FailBusy:
			e.State = call.DialBusy
		case h323.FailDeclined:
			e.State = call.DialDeclined
		case h323.FailNoAnswer:
			e.State = call.DialNoAnswer
		case h323.FailCanceled:
			e.State, e.Reason = call.DialCancelled, "cancelled"
		}
		return media.Plan{}, e
	}
	var fs *control.FastStart
	if acc := s.out.FastStartAccepted(); len(acc) > 0 {
		var err error
		if fs, err = control.AcceptedFastStart(acc, s.leg.caps); err != nil {
			s.drv.log.Info("fastStart answer unusable, H.245 follows", "err", err)
			fs = nil
		}
	}
	if fs != nil {
	}
	return s.drv.answerPlan(ctx, fs, s.leg.mediaWait, s.release)
}

// release ends the call from our side, once (see h323Inbound.release).
func (s *h323Outbound) release(reason string) {
	s.endOnce.Do(func() {
		if reason == "" {
			// A hang-up before Connect is a cancel (the registry then says cancelled,
			// not declined); after Connect, Cancel releases with normal clearing.
			_ = s.out.Cancel()
			return
		}
		s.drv.log.Info("H.245 ended the call", "reason", reason)
		_ = s.out.ReleaseWithReason(h245Failure())
	})
}

// HangUp ends the H.245 session (endSessionCommand) and the call: released with
// normal clearing once connected, cancelled before (the dial-out then ends
// cancelled, not declined by the room system).
func (s *h323Outbound) HangUp(string) error {
	s.drv.do(func(_ time.Time, sess *control.Session) { sess.End() })
	s.release("")
	return nil
}

func (s *h323Outbound) RequestKeyframe(context.Context) error {
	s.drv.do(func(_ time.Time, sess *control.Session) { _ = sess.RequestFastUpdate(media.RoleMain) })
	return nil
}

func (s *h323Outbound) SetEvents(e call.Events) { s.drv.setEvents(e) }
func (s *h323Outbound) Done() <-chan struct{}   { return s.out.Done() }
func (s *h323Outbound) EndReason() string       { return h323EndReason(s.out.EndReason()) }
func (s *h323Outbound) Close()                  { s.drv.close() }
func (s *h323Outbound) Cancel()                 { _ = s.out.Cancel() }
func (s *h323Outbound) Peer() netip.AddrPort    { return s.out.Remote() }
func (s *h323Outbound) AnswerCode() int         { return 0 }

func (s *h323Outbound) Endpoint() call.Identity {
	v, ok := s.out.PeerVendor()
	return h323Endpoint(v, ok)
}
