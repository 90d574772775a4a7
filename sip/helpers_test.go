package sip

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/roomgate/roomgate/sip/sdp"
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SIP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startService runs a Service on a free loopback port.
func startService(t testing.TB, cfg Config, h Handler) *Service {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.T1 == 0 {
		cfg.T1 = 100 * time.Millisecond
	}
	s, err := New(cfg, h, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// answerWith returns a handler that negotiates the offer (or makes one for
// an offer-less INVITE), optionally rings, and accepts.
func answerHandler(t testing.TB, calls chan<- *InboundCall, ev Events) Handler {
	return HandlerFunc(func(ctx context.Context, c *InboundCall) {
		c.SetEvents(ev)
		local := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 40000, VideoPort: 40002, SessionID: 1, Version: 1}
		var body []byte
		if c.Offer == nil {
			o, err := sdp.BuildOffer(sdp.DefaultCapabilities(), local)
			if err != nil {
				t.Error(err)
				return
			}
			body = o
		} else {
			r, err := sdp.NegotiateSession(c.Offer, sdp.DefaultCapabilities(), local)
			if err != nil {
				c.Reject(488, "Not Acceptable Here")
				return
			}
			body = r.SDP
		}
		_ = c.Ringing()
		if err := c.Accept(body); err != nil {
			t.Errorf("Accept: %v", err)
		}
		if calls != nil {
			calls <- c
		}
	})
}

// rawPeer is a hand-driven SIP endpoint on a UDP loopback socket: it sends
// text messages and parses what comes back with sipgo's parser.
type rawPeer struct {
	t    testing.TB
	conn *net.UDPConn
	to   *net.UDPAddr
}

func newRawPeer(t testing.TB, to netip.AddrPort) *rawPeer {
	t.Helper()
	return newRawPeerAt(t, "127.0.0.1", to)
}

// newRawPeerAt is a rawPeer on another loopback address (an attacker, or a
// second room system).
func newRawPeerAt(t testing.TB, ip string, to netip.AddrPort) *rawPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawPeer{t: t, conn: conn, to: net.UDPAddrFromAddrPort(to)}
}

func (p *rawPeer) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// send writes a message given with \n line ends; Content-Length is computed.
func (p *rawPeer) send(msg string, vars map[string]string) {
	p.t.Helper()
	for k, v := range vars {
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	msg = strings.ReplaceAll(msg, "{port}", fmt.Sprint(p.port()))
	head, body, _ := strings.Cut(strings.TrimLeft(msg, "\n"), "\n\n")
	var b bytes.Buffer
	for line := range strings.SplitSeq(strings.TrimSpace(head), "\n") {
		b.WriteString(strings.TrimSpace(line) + "\r\n")
	}
	body = strings.ReplaceAll(strings.TrimLeft(body, "\n"), "\n", "\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := p.conn.WriteToUDP(b.Bytes(), p.to); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next message accepted by keep within d.
func (p *rawPeer) recv(d time.Duration, keep func(sip.Message) bool) sip.Message {
	p.t.Helper()
	deadline := time.Now().Add(d)
	buf := make([]byte, 65535)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("recv: %v", err)
		}
		m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			p.t.Fatalf("parse: %v\n%s", err, buf[:n])
		}
		if keep == nil || keep(m) {
			return m
		}
	}
}

func (p *rawPeer) response(d time.Duration, code int) *sip.Response {
	p.t.Helper()
	m := p.recv(d, func(m sip.Message) bool {
		r, ok := m.(*sip.Response)
		return ok && r.StatusCode == code
	})
	return m.(*sip.Response)
}

func (p *rawPeer) request(d time.Duration, method sip.RequestMethod) *sip.Request {
	p.t.Helper()
	m := p.recv(d, func(m sip.Message) bool {
		r, ok := m.(*sip.Request)
		return ok && r.Method == method
	})
	return m.(*sip.Request)
}

// reply answers a request the peer received.
func (p *rawPeer) reply(req *sip.Request, code int, reason string, extra string) {
	p.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\n", code, reason)
	for _, name := range []string{"Via", "From", "To", "Call-ID", "CSeq"} {
		for _, h := range req.GetHeaders(name) {
			fmt.Fprintf(&b, "%s: %s\n", h.Name(), h.Value())
		}
	}
	b.WriteString(extra)
	p.send(b.String()+"\n", nil)
}

const peerOffer = `v=0
o=room 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 30000 RTP/AVP 0 8 101
a=rtpmap:101 telephone-event/8000
a=sendrecv
m=video 30002 RTP/AVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=42e01f;packetization-mode=1
a=sendrecv
`

const peerInvite = `INVITE sip:{ruri}@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{branch};rport
From: "Board Room" <sip:room@127.0.0.1>;tag=peer1
To: <sip:{ruri}@127.0.0.1>
Call-ID: {callid}
CSeq: 1 INVITE
Contact: <sip:room@{contact}>
Max-Forwards: 70
User-Agent: TestRoom/1.0
{extra}Content-Type: application/sdp

{body}`

func inviteVars(ruri, callid, contact, extra, body string) map[string]string {
	return map[string]string{"ruri": ruri, "branch": callid, "callid": callid, "contact": contact, "extra": extra, "body": body}
}

func waitDone(t testing.TB, done <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("timeout waiting for %s", what)
	}
}
