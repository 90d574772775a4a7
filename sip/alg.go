package sip

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/roomgate/roomgate/sip/sdp"
)

// SignalledAddr is one address the endpoint's INVITE names, with where it was.
type SignalledAddr struct {
	Field string // "via", "contact", "from", "call-id", "sdp o=", "sdp c="
	Addr  netip.AddrPort
}

// SignalledAddrs lists the IP addresses the INVITE names for its sender — top Via
// sent-by, Contact, From, the Call-ID's host part, SDP o= and session c= — for the
// gateway's ALG check and diagnostics (an ALG such as the kernel's nf_nat_sip rewrites
// some of them to the NAT's public address and leaves others). Host names are left out.
func (c *InboundCall) SignalledAddrs() []SignalledAddr { return signalledAddrs(c.req, c.Offer) }

func signalledAddrs(req *sip.Request, offer *sdp.Session) []SignalledAddr {
	var out []SignalledAddr
	add := func(field, host string, port int) {
		a, err := netip.ParseAddr(strings.Trim(host, "[]"))
		if err != nil {
			return
		}
		if port < 0 || port > 65535 {
			port = 0
		}
		out = append(out, SignalledAddr{Field: field, Addr: netip.AddrPortFrom(a.Unmap(), uint16(port))})
	}
	if v := req.Via(); v != nil {
		add("via", v.Host, v.Port)
	}
	if ct := req.Contact(); ct != nil {
		add("contact", ct.Address.Host, ct.Address.Port)
	}
	if f := req.From(); f != nil {
		add("from", f.Address.Host, f.Address.Port)
	}
	if id := req.CallID(); id != nil {
		if _, host, ok := strings.Cut(string(*id), "@"); ok {
			h, p := splitHostPort(host)
			add("call-id", h, p)
		}
	}
	if o := offer; o != nil {
		add("sdp o=", o.Origin.Address, 0)
		add("sdp c=", o.ConnAddr, 0)
	}
	return out
}

// Contact is the INVITE's Contact address (zero when absent or a host name).
func (c *InboundCall) Contact() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return uriAddrPort(c.target, c.transport)
}

// splitHostPort splits "host[:port]" leniently (a Call-ID host part is free text).
func splitHostPort(s string) (string, int) {
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "]"); i > 0 {
			p, _ := strconv.Atoi(strings.TrimPrefix(s[i+1:], ":"))
			return s[1:i], p
		}
	}
	if strings.Count(s, ":") == 1 {
		h, ps, _ := strings.Cut(s, ":")
		p, _ := strconv.Atoi(ps)
		return h, p
	}
	return s, 0
}
