package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

var _ call.Dialer = (*sipLeg)(nil)

// Normalize checks a dial-out address and returns it as a SIP URI, and the name the
// participant list shows until the room system says its own.
func (l *sipLeg) Normalize(address string) (string, string, error) {
	uri := strings.TrimSpace(address)
	if !strings.HasPrefix(uri, "sip:") && !strings.HasPrefix(uri, "sips:") {
		uri = "sip:" + uri
	}
	if strings.ContainsAny(uri, " <>\"\r\n") || len(uri) < 5 {
		return "", "", fmt.Errorf("address %q is not a SIP URI", address)
	}
	return uri, strings.TrimPrefix(strings.TrimPrefix(uri, "sips:"), "sip:"), nil
}

// Dial places a dial-out (the host's "Invite room system").
func (l *sipLeg) Dial(ctx context.Context, req call.DialRequest) (call.Outbound, error) {
	sm := newSIPMedia(req.Local, l.caps, l.media.contentAt(req.Local))
	offer, err := sdp.BuildOffer(l.caps, sm.local())
	if err != nil {
		return nil, err
	}
	if sm.content != nil && forcesUDP(req.Address) && len(offer) > maxUDPOffer {
		// The URI insists on UDP and content with BFCP would push the INVITE past
		// what UDP carries (RFC 3261 §18.1.1): offer no content.
		sm.content = nil
		if offer, err = sdp.BuildOffer(l.caps, sm.local()); err != nil {
			return nil, err
		}
	}
	out, err := l.svc.Dial(ctx, sip.DialParams{URI: req.Address, DisplayName: "Meeting " + req.MeetingID, FromUser: req.MeetingID, Offer: offer,
		OnProgress: func(p sip.Progress) {
			if p.State == sip.ProgressRinging && req.OnRinging != nil {
				req.OnRinging()
			}
		}})
	if err != nil {
		return nil, unreachable(err)
	}
	return &sipOutbound{sipDialog: sipDialog{out}, out: out, sm: sm, offer: offer}, nil
}

// sipOutbound is a SIP dial-out as the flow's call.Outbound.
type sipOutbound struct {
	sipDialog
	out   *sip.OutboundCall
	sm    *sipMedia
	offer []byte
}

var _ call.Outbound = (*sipOutbound)(nil)

func (s *sipOutbound) Wait(ctx context.Context) (media.Plan, error) {
	if err := s.out.Wait(ctx); err != nil {
		var de *sip.DialError
		if !errors.As(err, &de) {
			return media.Plan{}, err
		}
		e := &call.DialError{State: call.DialFailed, Code: de.Status, Reason: err.Error()}
		switch {
		case de.Unreachable != nil:
			// No SIP answer at all: no status to show, the ICMP error says why.
			e.Code, e.Reason = 0, de.Unreachable.Error()
		case de.Busy():
			e.State = call.DialBusy
		case de.Declined():
			e.State = call.DialDeclined
		case de.NoAnswer():
			e.State = call.DialNoAnswer
		case de.Canceled():
			e.State, e.Reason = call.DialCancelled, "cancelled"
		}
		return media.Plan{}, e
	}
	res, err := sdp.ParseAnswer(s.offer, s.out.AnswerSDP())
	if err != nil {
		_ = s.out.Bye("bad SDP answer")
		return media.Plan{}, fmt.Errorf("bad SDP answer: %w", err)
	}
	s.sm.startContent(res, nil)
	return s.sm.plan(res), nil
}

func (s *sipOutbound) SetEvents(e call.Events) { s.setEvents(e, s.sm) }
func (s *sipOutbound) Cancel()                 { s.out.Cancel() }
func (s *sipOutbound) Peer() netip.AddrPort    { return s.out.Peer() }

// Endpoint is who answered, from the Server (or User-Agent) header of the 200 OK, as
// for a dial-in's User-Agent.
func (s *sipOutbound) Endpoint() call.Identity {
	ep := ParseUserAgent(printable(s.out.PeerAgent()))
	return call.Identity{Vendor: ep.Vendor, Product: ep.Product, Version: ep.Version}
}
func (s *sipOutbound) AnswerCode() int { return 200 }

// unreachable makes a dial-out that reached nobody — connection refused (TCP RST),
// no route, a name that does not resolve — a failed dial (call.DialError) with the
// network's reason, so that the host sees it at once. Other errors are returned as
// they are.
func unreachable(err error) error {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		why := "name not found"
		if !dns.IsNotFound {
			why = "name lookup failed"
		}
		return &call.DialError{State: call.DialFailed, Reason: fmt.Sprintf("%s: %s (%s)", why, dns.Name, dns.Err)}
	case errors.As(err, &op) && op.Addr != nil:
		return &call.DialError{State: call.DialFailed, Reason: fmt.Sprintf("%s unreachable (%v)", op.Addr, op.Err)}
	case errors.As(err, &op):
		return &call.DialError{State: call.DialFailed, Reason: "unreachable: " + op.Error()}
	}
	return err
}

// maxUDPOffer is the largest SDP offer sent in an INVITE that must go over UDP: the
// SIP headers of a dial-out take about 500 bytes of the 1300 RFC 3261 §18.1.1 allows.
const maxUDPOffer = 800

// forcesUDP says whether a dial-out URI asks for UDP (;transport=udp); otherwise a
// large INVITE goes over TCP.
func forcesUDP(uri string) bool {
	return strings.Contains(strings.ToLower(uri), ";transport=udp")
}
