package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// OptionsResult is the answer to an OPTIONS ping.
type OptionsResult struct {
	Status    int
	Allow     string
	UserAgent string
}

// Options sends an out-of-dialog OPTIONS (RFC 3261 §11), e.g. as a
// keepalive or to probe an endpoint before dial-out. Any final response
// means the endpoint is alive; a transport failure or timeout is an error.
func (s *Service) Options(ctx context.Context, uri string) (*OptionsResult, error) {
	if s.cli == nil {
		return nil, ErrClosed
	}
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil {
		return nil, fmt.Errorf("sip: options uri %q: %w", uri, err)
	}
	transport := "UDP"
	if tp, ok := u.UriParams.Get("transport"); ok && tp != "" {
		transport = strings.ToUpper(tp)
	}
	req := sip.NewRequest(sip.OPTIONS, u)
	req.AppendHeader(s.via(transport))
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "roomgate", Host: s.host}, Params: sip.HeaderParams{}}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}})
	cid := sip.CallIDHeader(sip.GenerateTagN(24) + "@" + s.host)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(s.contact("roomgate", transport))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	req.SetBody(nil)
	dest := hostPort(u, transport)
	s.prepare(req, transport, dest)
	if ap, err := netip.ParseAddrPort(dest); err == nil {
		defer s.allowDial(ap.Addr())()
	} else if ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Host); err == nil {
		for _, ip := range ips {
			defer s.allowDial(ip)()
		}
	}
	res, err := s.cli.Do(ctx, req, noBuild)
	if err != nil {
		return nil, fmt.Errorf("sip: options: %w", err)
	}
	out := &OptionsResult{Status: res.StatusCode}
	if h := res.GetHeaders("Allow"); len(h) > 0 {
		out.Allow = h[0].Value()
	}
	if h := res.GetHeaders("Server"); len(h) > 0 {
		out.UserAgent = h[0].Value()
	} else if h := res.GetHeaders("User-Agent"); len(h) > 0 {
		out.UserAgent = h[0].Value()
	}
	return out, nil
}
