package ras

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// recorder keeps the datagrams the gatekeeper saw, in order.
type recorder struct {
	mu     sync.Mutex
	frames []recorded
}

type recorded struct {
	from, to netip.AddrPort
	b        []byte
}

func (r *recorder) tap(from, to netip.AddrPort, b []byte) {
	r.mu.Lock()
	r.frames = append(r.frames, recorded{from, to, slices.Clone(b)})
	r.mu.Unlock()
}

// TestTsharkDissectsExchange records a client ⇄ gatekeeper session and a
// few other endpoints' requests, writes them to a pcap (the gatekeeper's
// port shown as 1719, where Wireshark looks for RAS) and checks that tshark
// finds no malformed packet, no expert warning or error, and the message
// names in the order they were exchanged.
func TestTsharkDissectsExchange(t *testing.T) {
	var rec recorder
	tg := newTappedGK(t, nil, rec.tap)
	c := newTestClient(t, tg.Addr(), tg.clock, func(c *ClientConfig) { c.Discover = true })
	c.registered(t)
	tg.clock.waitTimer(t, 45*time.Second)
	tg.clock.Advance(45 * time.Second)
	c.registered(t)

	room := newPeer(t, roomB, tg.Addr())
	ep := endpoint(roomB, h323ID("room-b"), digits("2002"))
	room.send(ep.RegistrationRequest(1, false, 60))
	ep.ID = room.recv().RegistrationConfirm.EndpointIdentifier
	dup := newPeer(t, "127.0.0.4", tg.Addr())
	dup.send(endpoint("127.0.0.4", h323ID("room-b")).RegistrationRequest(1, false, 60))
	dup.recv()

	ctx := context.Background()
	if _, err := c.Locate(ctx, "room-b"); err != nil {
		t.Fatal(err)
	}
	adm := Admission{Call: call(), CRV: 9, Dest: []string{"123456789"}, Bandwidth: 7680}
	if _, err := c.Admit(ctx, adm); err != nil {
		t.Fatal(err)
	}
	room.send(&h225.RasMessage{BandwidthRequest: &h225.BandwidthRequest{RequestSeqNum: 2, EndpointIdentifier: ep.ID,
		ConferenceID: h225.ConferenceIdentifier(call().CallID), CallReferenceValue: 9, BandWidth: 3840}})
	room.recv()
	irr := ep.InfoRequestResponse(3, true)
	irr.InfoRequestResponse.NeedResponse = ptr(true)
	room.send(irr)
	room.recv()
	if err := c.Disengage(ctx, adm); err != nil {
		t.Fatal(err)
	}
	c.Close()
	tg.clock.Advance(2 * time.Minute) // room-b expires: URQ
	tg.Registrations()
	room.recv()

	gkPort := netip.AddrPortFrom(tg.Addr().Addr(), 1719)
	shown := func(a netip.AddrPort) netip.AddrPort {
		if a == tg.Addr() {
			return gkPort
		}
		return a
	}
	capture := pdutest.NewCapture()
	rec.mu.Lock()
	for _, f := range rec.frames {
		capture.UDP(t, shown(f.from), shown(f.to), f.b)
	}
	rec.mu.Unlock()
	path := filepath.Join(t.TempDir(), "ras.pcap")
	capture.Write(t, path)

	var got []string
	for _, row := range pdutest.Tshark(t, path) {
		if row.Malformed || row.ExpertErrorOrWarning() {
			t.Errorf("frame %d: malformed %v, expert %q: %s", row.Frame, row.Malformed, row.Severities, row.Info)
		}
		got = append(got, strings.TrimSpace(strings.TrimPrefix(row.Info, "RAS: ")))
	}
	want := []string{
		"gatekeeperRequest", "gatekeeperConfirm",
		"registrationRequest", "registrationConfirm",
		"registrationRequest", "registrationConfirm", // keepalive
		"registrationRequest", "registrationConfirm", // room-b
		"registrationRequest", "registrationReject", // duplicate alias
		"locationRequest", "locationConfirm",
		"admissionRequest", "admissionConfirm",
		"bandwidthRequest", "bandwidthConfirm",
		"infoRequestResponse", "infoRequestAck",
		"disengageRequest", "disengageConfirm",
		"unregistrationRequest", "unregistrationConfirm",
		"unregistrationRequest", // expiry
	}
	if !slices.Equal(got, want) {
		t.Errorf("tshark saw\n%v\nwant\n%v", got, want)
	}
}
