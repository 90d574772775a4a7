package sip

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// A profile's peer treatment: our Contact carries its host (split horizon), and CRLF
// keep-alives reach the endpoint's flow while the call lasts.
func TestPeerAdvertisedHostAndKeepalive(t *testing.T) {
	var mu sync.Mutex
	var asked []netip.AddrPort
	calls := make(chan *InboundCall, 1)
	s := startService(t, Config{SessionExpires: -1, Peers: func(src netip.AddrPort) Peer {
		mu.Lock()
		asked = append(asked, src)
		mu.Unlock()
		return Peer{Host: "192.0.2.77", UseSource: true, Keepalive: 20 * time.Millisecond}
	}}, answerHandler(t, calls, Events{}))
	p := newRawPeer(t, s.Addr())
	p.send(peerInvite, inviteVars("123456789", "peer1", "127.0.0.1:{port}", "", peerOffer))
	ok := p.response(5*time.Second, 200)
	if ct := ok.Contact(); ct == nil || ct.Address.Host != "192.0.2.77" {
		t.Fatalf("200 OK Contact %v: want the peer's advertised host 192.0.2.77", ok.Contact())
	}
	ackFor(p, ok, "peer1", "")
	c := <-calls
	mu.Lock()
	if len(asked) != 1 || asked[0] != c.Source || asked[0].Port() != uint16(p.port()) {
		t.Errorf("Peers asked for %v, want once for the INVITE's source %v", asked, c.Source)
	}
	mu.Unlock()
	// The keep-alive is a datagram of CRLFs from the SIP port (not a SIP message).
	buf := make([]byte, 2048)
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.conn.SetReadDeadline(deadline)
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no keep-alive: %v", err)
		}
		if string(buf[:n]) == "\r\n\r\n" {
			if from.Port() != s.Addr().Port() {
				t.Errorf("keep-alive from port %d, want the SIP port %d (the NAT binding of our SIP)", from.Port(), s.Addr().Port())
			}
			break
		}
	}
	if s.Stats().Keepalives == 0 {
		t.Error("keep-alive not counted")
	}
	// Our BYE carries the advertised host in its Via and goes to the source.
	byeErr := make(chan error, 1)
	go func() { byeErr <- c.Bye("done") }()
	bye := p.request(5*time.Second, sip.BYE)
	if v := bye.Via(); v == nil || v.Host != "192.0.2.77" {
		t.Errorf("BYE Via %v: want host 192.0.2.77", bye.Via())
	}
	p.reply(bye, 200, "OK", "")
	if err := <-byeErr; err != nil {
		t.Fatal(err)
	}
	waitDone(t, c.Done(), 5*time.Second, "call end")
	// After the end no more keep-alives are armed (the timer is stopped).
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keepalive == nil || c.keepalive.Stop() {
		t.Error("keep-alive timer still armed after the call ended")
	}
}

// With UseSource the in-dialog requests go to where the endpoint's messages come
// from, even when its Contact is a public address the default policy would use.
func TestPeerUseSourceDestination(t *testing.T) {
	s := startService(t, Config{}, answerHandler(t, nil, Events{}))
	var target sip.Uri
	if err := sip.ParseUri("sip:room@198.51.100.20:5060", &target); err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("127.0.0.1:5555")
	for _, tc := range []struct {
		peer Peer
		want string
	}{
		{Peer{}, "198.51.100.20:5060"},
		{Peer{UseSource: true}, "127.0.0.1:5555"},
	} {
		c := &call{svc: s, transport: "UDP", target: target, source: src, peer: tc.peer}
		if got := c.destinationLocked(); got != tc.want {
			t.Errorf("peer %+v: destination %s, want %s", tc.peer, got, tc.want)
		}
	}
	if got := (&call{svc: s, peer: Peer{Host: "10.0.0.1"}}).advertised(); got != "10.0.0.1" {
		t.Errorf("advertised %q", got)
	}
	if got := (&call{svc: s}).advertised(); got != s.AdvertisedAddr() || strings.TrimSpace(got) == "" {
		t.Errorf("advertised without a peer host %q, want the service's %q", got, s.AdvertisedAddr())
	}
}
