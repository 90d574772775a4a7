package sip

import (
	"context"
	"fmt"
	"testing"

	"github.com/roomgate/roomgate/sip/sdp"
)

// An INVITE too large for UDP (RFC 3261 §18.1.1: over 1300 bytes, as an offer with
// SRTP keys and video is) goes over TCP when the URI names no transport, and the
// call connects; a URI that asks for UDP gets an error instead of a silent switch.
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

	if _, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s;transport=udp", b.Addr()), Offer: offer}); err == nil {
		t.Error("a large INVITE to a transport=udp URI was sent")
	}
}
