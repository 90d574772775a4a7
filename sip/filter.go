package sip

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// errSourceLimited closes a TCP connection whose source is over its rate.
var errSourceLimited = errors.New("sip: source over its request rate")

// readFilter sees every UDP datagram and TCP read before sipgo parses it
// (sipgo's TransportReadFilter). It applies the per-source rate limit, and
// for UDP it answers statelessly what sipgo would drop in silence or hand to
// the transaction layer although it must be refused first: a request whose
// parse fails but whose Via was read (400, RFC 3261 §18.2.2 routes by Via),
// and a parsed request failing checkRequest. The parser is sipgo's own.
func (s *Service) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	src := addrOf(p.RemoteAddr)
	if p.Transport != "UDP" {
		if src.IsValid() && s.limiter.limited(src) {
			s.limiter.refuse(src)
			s.stats.rateLimited.Add(1)
			return nil, errSourceLimited // a stream cannot skip bytes: close it
		}
		return data, nil
	}
	if len(bytes.Trim(data, "\r\n\x00")) == 0 {
		return nil, nil // keep-alive (RFC 5626 §3.5.1)
	}
	if src.IsValid() {
		switch s.limiter.take(src) {
		case drop:
			s.stats.rateLimited.Add(1)
			return nil, nil
		case passOver:
			// Parsed and answered 503 by guard.
		}
	}
	msg, err := s.parseGuarded(data)
	req, _ := msg.(*sip.Request)
	if err != nil {
		if req == nil || req.Via() == nil {
			s.stats.unroutable.Add(1)
			return nil, nil
		}
		s.stats.malformed.Add(1)
		s.statelessReply(req, p.RemoteAddr, &rejection{status: 400, reason: "Bad Request"})
		return nil, nil
	}
	if req == nil {
		return data, nil // responses go to their transactions
	}
	if rej := checkRequest(req); rej != nil {
		if rej.drop {
			s.stats.unroutable.Add(1)
		} else if req.Method != sip.ACK {
			s.stats.malformed.Add(1)
			s.statelessReply(req, p.RemoteAddr, rej)
		}
		return nil, nil
	}
	if trimParams(req) {
		// sipgo would key the transaction and match the dialog on
		// parameter names with their white space: hand it the message
		// written back by its own printer.
		return []byte(req.String()), nil
	}
	return data, nil
}

// trimParams removes the linear white space sipgo's parser leaves around
// the names and values of header parameters (RFC 3261 §25.1: SEMI and EQUAL
// allow it; RFC 4475 §3.1.1.1 "tag = 98asjd8"). It reports a change.
func trimParams(req *sip.Request) bool {
	changed := false
	trim := func(hp *sip.HeaderParams) {
		for _, kv := range *hp {
			if strings.TrimSpace(kv.K) != kv.K || strings.TrimSpace(kv.V) != kv.V || kv.K == "" {
				changed = true
				break
			}
		}
		if !changed {
			return
		}
		out := sip.NewParams()
		for _, kv := range *hp {
			if k := strings.TrimSpace(kv.K); k != "" {
				out = append(out, sip.HeaderKV{K: k, V: strings.TrimSpace(kv.V)})
			}
		}
		*hp = out
	}
	if h := req.From(); h != nil {
		trim(&h.Params)
	}
	if h := req.To(); h != nil {
		trim(&h.Params)
	}
	if h := req.Via(); h != nil {
		trim(&h.Params)
		if t := strings.TrimSpace(h.Transport); t != h.Transport {
			h.Transport, changed = t, true
		}
	}
	return changed
}

// parseGuarded parses with sipgo's parser; a panic there (a parser bug
// reached by some datagram) drops the datagram instead of the process, and
// sipgo never sees it.
func (s *Service) parseGuarded(data []byte) (msg sip.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.stats.panics.Add(1)
			s.log.Error("SIP parser panicked on a datagram", "panic", fmt.Sprint(r), "size", len(data))
			msg, err = nil, errParserPanic
		}
	}()
	return s.parser.ParseSIP(data)
}

var errParserPanic = errors.New("sip: parser panicked")

// statelessReply answers a UDP request outside any transaction: to the
// source address, at the Via port, or the source port with rport (RFC 3261
// §18.2.2, RFC 3581 §4).
func (s *Service) statelessReply(req *sip.Request, from net.Addr, rej *rejection) {
	ua, ok := from.(*net.UDPAddr)
	if !ok {
		return
	}
	req.SetSource(ua.String())
	res := sip.NewResponseFromRequest(req, rej.status, rej.reason, nil)
	res.SipVersion = "SIP/2.0"
	for _, h := range rej.hdrs {
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	to := *ua
	via := req.Via()
	if _, rport := via.Params.Get("rport"); !rport {
		to.Port = via.Port
		if to.Port == 0 {
			to.Port = sip.DefaultUdpPort
		}
	}
	b := []byte(res.String())
	if len(b) > udpResponseLimit {
		return
	}
	if _, err := s.udp.WriteTo(b, &to); err != nil {
		s.log.Debug("stateless response not sent", "to", to.String(), "err", err)
	}
}

// udpRequestLimit is the largest request we send over UDP (RFC 3261 §18.1.1: 200
// bytes under the path MTU); a larger one goes over TCP.
const udpRequestLimit = 1300

// udpResponseLimit is the largest response we send over UDP. A response must go back
// on the request's transport, and room systems' offers with content, BFCP and far-end
// camera lines — behind proxies that add Record-Route — make 2xx answers of 1.5–3 KB
// that real room systems take as fragmented datagrams (a real TANDBERG INVITE's
// copied headers alone are 730 bytes). Larger ones are refused with 513.
const udpResponseLimit = 4096

// sipgo refuses to write a UDP message larger than its UDPMTUSize-200; it is told
// our limit once, before any transport exists (we write no request above
// udpRequestLimit).
func init() { sip.UDPMTUSize = udpResponseLimit + 200 }

// onMessage runs in the transport's read loop for every parsed message: a
// stream message (TCP; TLS next) spends its source's token, and completes a
// message on its connection (the read timeout starts again).
func (s *Service) onMessage(m sip.Message) {
	if m.Transport() == "UDP" {
		return // datagrams spend their token in readFilter
	}
	if m.Transport() == "TLS" {
		s.tlsGuard.completed(m.Source())
	} else {
		s.tcpGuard.completed(m.Source())
	}
	if src := sourceAddr(m); src.IsValid() {
		if s.limiter.take(src) == drop {
			s.stats.rateLimited.Add(1)
		}
	}
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
