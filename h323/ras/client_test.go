package ras

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

var gwCS = netip.MustParseAddrPort("127.0.0.1:1730")

type testClient struct {
	*Client
	states chan ClientState
}

func newTestClient(t *testing.T, gk netip.AddrPort, clock Clock, mut func(*ClientConfig)) *testClient {
	t.Helper()
	tc := &testClient{states: make(chan ClientState, 64)}
	cfg := ClientConfig{
		Gatekeeper: gk, Listen: "127.0.0.1:0", CallSignal: gwCS, Aliases: []string{"roomgate", "5000"},
		TTL: 60 * time.Second, Clock: clock, OnState: func(s ClientState) { tc.states <- s },
	}
	if mut != nil {
		mut(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc.Client = c
	return tc
}

// next waits for the next state change (the deadline only guards a hang).
func (tc *testClient) next(t *testing.T) ClientState {
	t.Helper()
	select {
	case s := <-tc.states:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no state change")
	}
	return ClientState{}
}

func (tc *testClient) registered(t *testing.T) ClientState {
	t.Helper()
	s := tc.next(t)
	if !s.Registered {
		t.Fatalf("state %+v, want registered", s)
	}
	return s
}

func TestClientWithBuiltinGatekeeper(t *testing.T) {
	tg := newTestGK(t, nil)
	c := newTestClient(t, tg.Addr(), tg.clock, nil)
	st := c.registered(t)
	reg, ok := tg.Lookup("h323-ID:roomgate")
	if !ok || reg.EndpointID != st.EndpointID || reg.CallSignal[0] != gwCS || reg.Type != "gateway" ||
		st.GatekeeperID != "gk-test" || st.TTL != 60*time.Second || reg.Vendor.Product != "roomgate" {
		t.Fatalf("registration %+v, client state %+v", reg, st)
	}

	// Keepalive: 45 s into a 60 s time to live a lightweight RRQ refreshes it.
	tg.clock.waitTimer(t, 45*time.Second)
	tg.clock.Advance(45 * time.Second)
	if s := c.registered(t); s.EndpointID != st.EndpointID {
		t.Fatalf("keepalive changed the endpoint ID: %+v", s)
	}
	tg.clock.Advance(30 * time.Second) // past the first TTL + grace
	if _, ok := tg.Lookup("5000"); !ok {
		t.Fatal("registration expired despite the keepalive")
	}

	// Locate through LRQ: a registered room system, a meeting, nobody.
	tg.register(roomB, endpoint(roomB, h323ID("room-b")), 1)
	ctx := context.Background()
	if ap, err := c.Locate(ctx, "room-b"); err != nil || ap.String() != roomB+":1720" {
		t.Errorf("Locate(room-b) = %v, %v", ap, err)
	}
	if ap, err := c.Locate(ctx, "123456789"); err != nil || ap != gatewayCS {
		t.Errorf("Locate(meeting) = %v, %v", ap, err)
	}
	var rej *RejectError
	if _, err := c.Locate(ctx, "nobody"); !errors.As(err, &rej) || rej.Reason != "notRegistered" {
		t.Errorf("Locate(nobody) error %v", err)
	}

	// Admission for a registered alias and for a meeting ID, then DRQ.
	adm := Admission{Call: call(), CRV: 3, Dest: []string{"room-b"}, Bandwidth: 20000}
	if ap, err := c.Admit(ctx, adm); err != nil || ap.String() != roomB+":1720" {
		t.Errorf("Admit(room-b) = %v, %v", ap, err)
	}
	if ap, err := c.Admit(ctx, Admission{Call: call(), CRV: 4, Dest: []string{"123456789#123456"}}); err != nil || ap != gatewayCS {
		t.Errorf("Admit(meeting) = %v, %v", ap, err)
	}
	if err := c.Disengage(ctx, adm); err != nil {
		t.Errorf("Disengage: %v", err)
	}

	// Close unregisters.
	c.Close()
	if _, ok := tg.Lookup("roomgate"); ok {
		t.Error("still registered after Close")
	}
	want := []string{"registered", "refreshed", "registered", "unregistered"}
	if k := tg.kinds(); !slices.Equal(k, want) {
		t.Errorf("gatekeeper changes %v, want %v", k, want)
	}
}

// TestClientExpiryAndReregistration stops the client's keepalives (its own
// clock never moves) while the gatekeeper's time runs: the registration
// expires, the gatekeeper's URQ reaches the client, which confirms and
// registers again at once.
func TestClientExpiryAndReregistration(t *testing.T) {
	tg := newTestGK(t, nil)
	c := newTestClient(t, tg.Addr(), newManualClock(), nil)
	first := c.registered(t)
	tg.clock.Advance(71 * time.Second)
	if _, ok := tg.Lookup("roomgate"); ok {
		t.Fatal("registration did not expire")
	}
	if s := c.next(t); s.Registered || s.Err == nil {
		t.Fatalf("after URQ: %+v", s)
	}
	again := c.registered(t)
	if again.EndpointID == first.EndpointID {
		t.Error("expired registration came back with the old endpoint ID")
	}
	if _, ok := tg.Lookup("roomgate"); !ok {
		t.Fatal("not registered again")
	}
	if k := tg.kinds(); !slices.Equal(k, []string{"registered", "expired", "registered"}) {
		t.Errorf("gatekeeper changes %v", k)
	}
}

func TestClientDiscovery(t *testing.T) {
	tg := newTestGK(t, func(c *Config) { c.RequireDiscovery = true })
	c := newTestClient(t, tg.Addr(), tg.clock, func(c *ClientConfig) { c.Discover = true })
	if s := c.registered(t); s.GatekeeperID != "gk-test" {
		t.Errorf("state %+v", s)
	}
}

// fakeGK is a raw socket playing the gatekeeper, to drive the client
// through timeouts, rejections and gatekeeper requests.
func fakeGK(t *testing.T) *udpPeer { return newPeer(t, "127.0.0.1", netip.AddrPort{}) }

func (p *udpPeer) answer(to netip.AddrPort, m *h225.RasMessage) {
	p.t.Helper()
	p.to = to
	p.send(m)
}

func TestClientRetriesBackoffAndRequests(t *testing.T) {
	gk := fakeGK(t)
	clock := newManualClock()
	c := newTestClient(t, gk.addr(), clock, nil)
	from := c.LocalAddr()
	gkb := &h225.Gatekeeper{RAS: ta(gk.addr().String()), ID: "fake"}

	// Three tries with the same sequence number, 3 s apart, then a timeout.
	var seqs []int64
	for i := range 3 {
		rrq := gk.recv().RegistrationRequest
		if rrq == nil || rrq.KeepAlive == nil || *rrq.KeepAlive {
			t.Fatalf("try %d: not a full RRQ", i+1)
		}
		seqs = append(seqs, int64(rrq.RequestSeqNum))
		clock.waitTimer(t, 3*time.Second)
		clock.Advance(3 * time.Second)
	}
	if seqs[0] != seqs[1] || seqs[1] != seqs[2] {
		t.Errorf("retransmissions with sequence numbers %v", seqs)
	}
	if s := c.next(t); !errors.Is(s.Err, ErrTimeout) {
		t.Fatalf("state %+v", s)
	}
	// Backoff 2 s, then a new RRQ, refused: backoff doubles to 4 s.
	clock.waitTimer(t, 2*time.Second)
	clock.Advance(2 * time.Second)
	rrq := gk.recv().RegistrationRequest
	if int64(rrq.RequestSeqNum) == seqs[0] {
		t.Error("new attempt reused the sequence number")
	}
	gk.answer(from, gkb.RegistrationReject(int64(rrq.RequestSeqNum), h225.RegistrationRejectReason{ResourceUnavailable: null}))
	var rej *RejectError
	if s := c.next(t); !errors.As(s.Err, &rej) || rej.Message != "RRJ" || rej.Reason != "resourceUnavailable" {
		t.Fatalf("state %+v", s)
	}
	clock.waitTimer(t, 4*time.Second)
	clock.Advance(4 * time.Second)
	rrq = gk.recv().RegistrationRequest
	gk.answer(from, gkb.RegistrationConfirm(int64(rrq.RequestSeqNum), nil, nil, "ep-1", 60))
	c.registered(t)

	// The gatekeeper's IRQ gets an IRR naming us.
	gk.answer(from, gkb.InfoRequest(77, 0, nil))
	irr := gk.recv().InfoRequestResponse
	if irr == nil || irr.RequestSeqNum != 77 || irr.EndpointIdentifier != "ep-1" {
		t.Fatalf("IRR %+v", irr)
	}

	// A refused keepalive leads to a full RRQ at once.
	clock.waitTimer(t, 45*time.Second)
	clock.Advance(45 * time.Second)
	ka := gk.recv().RegistrationRequest
	if ka.KeepAlive == nil || !*ka.KeepAlive || ka.EndpointIdentifier == nil || *ka.EndpointIdentifier != "ep-1" {
		t.Fatalf("keepalive %+v", ka)
	}
	gk.answer(from, gkb.RegistrationReject(int64(ka.RequestSeqNum), h225.RegistrationRejectReason{FullRegistrationRequired: null}))
	if s := c.next(t); s.Registered {
		t.Fatalf("state %+v", s)
	}
	full := gk.recv().RegistrationRequest
	if full.KeepAlive == nil || *full.KeepAlive || len(full.TerminalAlias) != 2 {
		t.Fatalf("not a full RRQ after the refused keepalive: %+v", full)
	}
	gk.answer(from, gkb.RegistrationConfirm(int64(full.RequestSeqNum), nil, nil, "ep-2", 60))
	c.registered(t)

	// A datagram from another host is ignored, even a URQ.
	stranger := newPeer(t, "127.0.0.7", from)
	stranger.send(&h225.RasMessage{UnregistrationRequest: &h225.UnregistrationRequest{RequestSeqNum: 5,
		CallSignalAddress: []h225.TransportAddress{}}})
	// The gatekeeper's URQ is confirmed and followed by a new RRQ.
	gk.answer(from, &h225.RasMessage{UnregistrationRequest: &h225.UnregistrationRequest{RequestSeqNum: 6,
		CallSignalAddress: []h225.TransportAddress{}, Reason: &h225.UnregRequestReason{Maintenance: null}}})
	if ucf := gk.recv(); ucf.UnregistrationConfirm == nil || ucf.UnregistrationConfirm.RequestSeqNum != 6 {
		t.Fatalf("got %s", describe(ucf))
	}
	if s := c.next(t); s.Registered {
		t.Fatalf("state %+v", s)
	}
	if rrq := gk.recv().RegistrationRequest; rrq == nil {
		t.Fatal("no RRQ after URQ")
	}
}
