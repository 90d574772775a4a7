package gateway

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// Every neutral refusal has its Q.931 cause and H.225.0 ReleaseCompleteReason.
func TestH323Cause(t *testing.T) {
	cases := []struct {
		r      call.Refusal
		cause  q931.CauseValue
		reason string // ReasonName, "" for none
	}{
		{call.NotFound, q931.CauseUnallocatedNumber, "calledPartyNotRegistered"},
		{call.Locked, q931.CauseCallRejected, "destinationRejection"},
		{call.NotAdmitted, q931.CauseCallRejected, "destinationRejection"},
		{call.WrongPassword, q931.CauseCallRejected, "securityDenied"},
		{call.RateLimited, q931.CauseCallRejected, "securityDenied"},
		{call.NoMediaPorts, q931.CauseResourceUnavailable, "gatewayResources"},
		{call.NotAcceptable, q931.CauseIncompatibleDestination, ""},
		{call.Busy, q931.CauseUserBusy, "adaptiveBusy"},
		{call.Unavailable, q931.CauseTemporaryFailure, "unreachableDestination"},
		{call.Internal, q931.CauseTemporaryFailure, ""},
	}
	for _, tc := range cases {
		t.Run(tc.r.String(), func(t *testing.T) {
			c, r := h323Cause(tc.r)
			name := ""
			if r != nil {
				name = h323.ReasonName(r)
			}
			if c != tc.cause || name != tc.reason {
				t.Errorf("h323Cause(%v) = %d %q, want %d %q", tc.r, c, name, tc.cause, tc.reason)
			}
		})
	}
}

// A Setup the flow refuses gets CallProceeding then ReleaseComplete with the
// refusal's cause and reason; nothing is left behind.
func TestH323DialInRefused(t *testing.T) {
	frames := captureFrames(t, captureName)
	g := startH323Gateway(t, nil)
	for _, tc := range []struct {
		name, dest string
		cause      q931.CauseValue
		reason     string
	}{
		{"unknown-meeting", meetUnknown, q931.CauseUnallocatedNumber, "calledPartyNotRegistered"},
		{"locked", meetLocked, q931.CauseCallRejected, "destinationRejection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			peer := dialSig(t, g.addr())
			peer.send(callerSetup(t, frames, tc.dest, g.addr(), peer.c.LocalAddr().(*net.TCPAddr).AddrPort()))
			ui := peer.expectRelease(tc.cause)
			var rc *h225.ReleaseCompleteUUIE
			if ui != nil {
				rc = ui.H323UuPdu.H323MessageBody.ReleaseComplete
			}
			if rc == nil || rc.Reason == nil || h323.ReasonName(rc.Reason) != tc.reason {
				t.Errorf("ReleaseComplete UUIE %+v, want reason %s", rc, tc.reason)
			}
			g.settled(t, base)
		})
	}
}

// ID#000000 to a meeting with a hardware password is no refusal: the call is
// answered into the IVR, which asks for the password; the right one typed as
// H.245 userInputIndication admits it.
func TestH323DialInWrongPasswordGoesToIVR(t *testing.T) {
	d := startDialIn(t, meetPassword+"#000000")
	d.openMedia(t)
	if _, n := d.g.meet.lastJoin(); n != 0 {
		t.Fatalf("%d admissions before the password", n)
	}
	// The IVR's prompt plays.
	if pkts, _ := exchangeRTP(t, d.rtpC, d.gwRTP, 5); pkts[0].PayloadType != 8 {
		t.Errorf("IVR RTP PT %d, want 8", pkts[0].PayloadType)
	}
	pin := meetPIN + "#"
	d.hs.p.send(&h245.MultimediaSystemControlMessage{Indication: &h245.IndicationMessage{UserInput: &h245.UserInputIndication{Alphanumeric: &pin}}})
	waitJoin(t, d.g, 1)
	if j, _ := d.g.meet.lastJoin(); j.MeetingID != meetPassword || j.PIN != meetPIN {
		t.Errorf("admission after the IVR %+v", j)
	}
	releaseFromPeer(t, d)
	d.g.settled(t, d.base)
}

// waitJoin waits for the n-th admission request.
func waitJoin(t testing.TB, g *testGateway, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, got := g.meet.lastJoin(); got < n; _, got = g.meet.lastJoin() {
		if time.Now().After(deadline) {
			t.Fatalf("%d admissions, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// releaseFromPeer sends Callgen323's ReleaseComplete and waits for the gateway
// to close the connection.
func releaseFromPeer(t testing.TB, d *dialIn) {
	t.Helper()
	rc, err := q931.NewReleaseComplete(q931.NewCallReference(0x77f4, false), q931.CauseNormalClearing, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.peer.send(rc)
	if !d.peer.closed() {
		t.Error("the gateway kept the call signalling connection after ReleaseComplete")
	}
	d.hc.Close()
}

// The room system's TCP connection drops mid-call (no ReleaseComplete): the call
// ends, its ports and goroutines are freed.
func TestH323DialInTCPDrop(t *testing.T) {
	d := startDialIn(t, meetOpen)
	d.openMedia(t)
	exchangeRTP(t, d.rtpC, d.gwRTP, 2)
	d.peer.c.Close()
	d.hc.Close()
	d.g.settled(t, d.base)
}

// An answered call without fastStart whose peer never opens H.245 ends after
// h323.media_timeout (2 s here) with a cause.
func TestH323DialInNoH245Answer(t *testing.T) {
	d := startDialIn(t, meetOpen)
	d.peer.expectRelease(q931.CauseTemporaryFailure)
	d.g.settled(t, d.base)
}

// The meeting ends while the call waits in its waiting room: the gateway ends
// the H.245 session (endSessionCommand) and releases the call, normal clearing.
func TestH323DialInMeetingEnds(t *testing.T) {
	d := startDialIn(t, meetOpen)
	d.openMedia(t)
	exchangeRTP(t, d.rtpC, d.gwRTP, 2)
	d.g.meet.end(meetOpen)
	for {
		m := d.hs.p.next()
		if m == nil {
			t.Fatalf("H.245 ended without endSessionCommand; the gateway sent %v", d.hs.seen)
		}
		d.hs.seen = append(d.hs.seen, pduName(m))
		if m.Command != nil && m.Command.EndSessionCommand != nil {
			break
		}
	}
	d.peer.expectRelease(q931.CauseNormalClearing)
	d.hc.Close()
	d.g.settled(t, d.base)
}
