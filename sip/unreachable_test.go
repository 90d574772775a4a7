package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

// closedUDPPort returns a loopback UDP port nobody listens on.
func closedUDPPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	c.Close()
	return addr
}

// A dial-out over UDP to a port nobody listens on ends with the ICMP port
// unreachable error (503, RFC 3261 §8.1.3.1), not with Timer B's timeout; the
// service's UDP reader goes on serving after the error.
func TestDialUnreachableUDP(t *testing.T) {
	// T1 500 ms: Timer B would end the transaction only after 32 s.
	a := startService(t, Config{SessionExpires: -1, T1: 500e6}, nil)
	dead := closedUDPPort(t)
	for range 2 { // twice: the error queue is drained, the second dial fails alike
		pl := newProgressLog()
		oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", dead), Offer: dialOffer(t, "", 1), OnProgress: pl.add})
		if err != nil {
			t.Fatal(err)
		}
		err = oc.Wait(context.Background())
		var de *DialError
		if !errors.As(err, &de) || de.Unreachable == nil {
			t.Fatalf("Wait = %v, want an unreachable DialError", err)
		}
		if de.Status != 503 || de.Timeout || de.NoAnswer() || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("DialError %+v (%v): want 503, port unreachable", de, err)
		}
		if de.Unreachable.Dest.String() != dead {
			t.Fatalf("unreachable %s, want %s", de.Unreachable.Dest, dead)
		}
		if got := oc.EndReason(); got != EndRejected {
			t.Fatalf("end reason %q, want %q", got, EndRejected)
		}
		if st := pl.states(); len(st) == 0 || st[len(st)-1] != ProgressFailed {
			t.Fatalf("progress %v, want … failed", st)
		}
	}
	// The UDP listener still answers: a dial-out to a live peer is answered.
	calls := make(chan *InboundCall, 1)
	b := startService(t, Config{SessionExpires: -1}, answerHandler(t, calls, Events{}))
	oc, err := a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s", b.Addr()), Offer: dialOffer(t, "", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := oc.Wait(context.Background()); err != nil {
		t.Fatalf("dial-out after the ICMP errors: %v", err)
	}
	<-calls
	_ = oc.Bye("done")
}

// A dial-out over TCP to a port nobody listens on fails in Dial with the
// connection's error (RST: connection refused), which the gateway shows as is.
func TestDialRefusedTCP(t *testing.T) {
	a := startService(t, Config{SessionExpires: -1, T1: 500e6}, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	_, err = a.Dial(context.Background(), DialParams{URI: fmt.Sprintf("sip:room@%s;transport=tcp", dead), Offer: dialOffer(t, "", 1)})
	var op *net.OpError
	if !errors.As(err, &op) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial = %v (%T), want a *net.OpError, connection refused", err, err)
	}
}
