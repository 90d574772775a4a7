package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/sdp"
)

// An INVITE too large for UDP (RFC 3261 §18.1.1: over 1300 bytes, as an offer with
// SRTP keys and video is) goes over TCP when the URI names no transport, and the
// call connects; a URI that asks for UDP gets UDP, and so does a room system that
// refuses TCP.
func TestDialLargeInviteOverTCP(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	b := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{}))
	a := startService(t, Config{SessionExpires: -1}, nil)
	offer, err := sdp.BuildOffer(sdp.DefaultCapabilities(), dialLocal)
	if err != nil {
		t.Fatal(err)
	}
	// Pad the offer past the limit whatever the headers weigh.
	for len(offer) < 1400 {
		offer = append(offer, []byte("a=x-pad:0123456789012345678901234567890123456789\r\n")...)
	}
	oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), Offer: offer})
	if err != nil {
		t.Fatal(err)
	}
	if err := oc.Wait(context.Background()); err != nil {
		t.Fatalf("large INVITE: %v", err)
	}
	ic := <-calls
	if ic.Transport != "TCP" {
		t.Errorf("callee got the INVITE over %s, want TCP", ic.Transport)
	}
	_ = oc.Bye("done")

	// A URI that asks for UDP gets UDP, large as the INVITE is.
	oc, err = a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s;transport=udp", b.Addr()), Offer: offer})
	if err != nil {
		t.Fatalf("large INVITE to a transport=udp URI: %v", err)
	}
	if err := oc.Wait(context.Background()); err != nil {
		t.Fatalf("large INVITE over UDP: %v", err)
	}
	if ic := <-calls; ic.Transport != "UDP" {
		t.Errorf("callee got the INVITE over %s, want the UDP the URI asks for", ic.Transport)
	}
	_ = oc.Bye("done")

	// A room system that takes no TCP (connection refused): the INVITE goes over UDP.
	udpOnly, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udpOnly.Close()
	if _, err := a.Dial(context.Background(), DialParams{URI: "sip:room@" + udpOnly.LocalAddr().String(), Offer: offer}); err != nil {
		t.Fatalf("large INVITE to a UDP-only room system: %v", err)
	}
	buf := make([]byte, 8192)
	_ = udpOnly.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := udpOnly.Read(buf)
	if err != nil {
		t.Fatalf("no INVITE over UDP after TCP was refused: %v", err)
	}
	if !strings.HasPrefix(string(buf[:n]), "INVITE ") || n <= udpRequestLimit {
		t.Errorf("got %d bytes %.40q, want the large INVITE", n, buf[:n])
	}
}
