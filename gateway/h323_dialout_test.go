package gateway

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/transcode/media"
)

// calleeAnswer is the 310i's real answer i (0 CallProceeding, 1 Alerting, 2
// Connect) from the capture, rewritten to the gateway's call: its call reference,
// call identifier and conference ID, and the h245Address where the test listens.
func calleeAnswer(t testing.TB, frames map[string][][]byte, i int, setup *q931.Message, sui *h225.H323UserInformation, h245At netip.AddrPort) *q931.Message {
	t.Helper()
	m, ui := q931Frame(t, frames[capCalleeSig][i])
	m.CallRef = q931.NewCallReference(setup.CallRef.Value, true)
	s := sui.H323UuPdu.H323MessageBody.Setup
	body := &ui.H323UuPdu.H323MessageBody
	switch {
	case body.CallProceeding != nil:
		body.CallProceeding.CallIdentifier = s.CallIdentifier
	case body.Alerting != nil:
		body.Alerting.CallIdentifier = s.CallIdentifier
	case body.Connect != nil:
		body.Connect.CallIdentifier, body.Connect.ConferenceID = s.CallIdentifier, s.ConferenceID
		if body.Connect.H245Address == nil {
			t.Fatal("capture: the 310i's Connect has no h245Address")
		}
		body.Connect.H245Address = nil
		if h245At.IsValid() {
			a := h225.MustTransportAddress(h245At)
			body.Connect.H245Address = &a
		}
	default:
		t.Fatalf("capture: callee message %d is %v", i, m.Type)
	}
	setUUIE(t, m, ui)
	return m
}

func listenTCP(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func accept(t testing.TB, ln net.Listener) net.Conn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c
	case <-time.After(10 * time.Second):
		ln.Close()
		t.Fatal("nobody connected")
	}
	return nil
}

// waitState waits until the registry shows the dial-out in state want.
func waitState(t testing.TB, g *testGateway, id string, want api.CallState) api.CallInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ci, ok := g.Calls().Call(id)
		if ok && ci.State == want {
			return ci
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s: %+v, want state %s", id, ci, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestH323DialOutAnsweredBy310i answers a dial-out as the capture's 310i did:
// its real CallProceeding, Alerting and Connect (no fastStart, no tunnelling,
// h245Address), then its real H.245 (TCS, MSD, OLC, Acks) on the separate
// connection the gateway opens, with numbers and addresses rewritten.
func TestH323DialOutAnsweredBy310i(t *testing.T) {
	frames := captureFrames(t, captureName)
	g := startH323Gateway(t, nil)
	base := runtime.NumGoroutine()
	sigLn, h245Ln := listenTCP(t), listenTCP(t)

	ci, err := g.Calls().DialOut(context.Background(), meetOpen, api.DialRequest{Protocol: "h323", Address: sigLn.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	peer := &sigPeer{t: t, c: accept(t, sigLn)}
	setup, sui := peer.expect(q931.Setup)
	s := sui.H323UuPdu.H323MessageBody.Setup
	if len(s.FastStart) == 0 || sui.H323UuPdu.H245Tunnelling == nil || !*sui.H323UuPdu.H245Tunnelling || s.CallIdentifier == nil {
		t.Fatalf("Setup: fastStart %d, tunnelling %v, callIdentifier %v", len(s.FastStart), sui.H323UuPdu.H245Tunnelling, s.CallIdentifier)
	}
	h245At := h245Ln.Addr().(*net.TCPAddr).AddrPort()
	for i := range 3 {
		peer.send(calleeAnswer(t, frames, i, setup, sui, h245At))
		if i == 1 {
			waitState(t, g, ci.ID, api.CallRinging)
		}
	}
	hc := accept(t, h245Ln)
	rtpC, rtcpC := udpPeer(t), udpPeer(t)
	hs := &h245Session{t: t, p: &h245Peer{t: t, c: hc}, caps: h245Frames(t, frames[capCalleeH245]), rtp: udpAddr(rtpC), rtcp: udpAddr(rtcpC)}
	raw := frames[capCalleeH245]
	for _, i := range []int{0, 1} { // the 310i's TCS and MSD as captured
		if err := tpkt.WriteFrame(hc, raw[i]); err != nil {
			t.Fatal(err)
		}
	}
	var peerChannel h245.LogicalChannelNumber
	for hs.gwAck == nil || !hs.gwOLCAcked {
		if !hs.step() {
			t.Fatalf("H.245 ended; the gateway sent %v", hs.seen)
		}
		if hs.acked && peerChannel == 0 {
			peerChannel = hs.sendOLC()
		}
	}
	for _, want := range []string{"terminalCapabilitySet", "masterSlaveDetermination", "terminalCapabilitySetAck", "masterSlaveDeterminationAck", "openLogicalChannel", "openLogicalChannelAck"} {
		if !slices.Contains(hs.seen, want) {
			t.Errorf("the gateway sent %v, lacks %s", hs.seen, want)
		}
	}
	if dt := hs.gwOLC.ForwardLogicalChannelParameters.DataType; dt.AudioData == nil || dt.AudioData.G711Alaw64k == nil {
		t.Errorf("the gateway's channel: %+v, want G.711 A-law (all the 310i offers)", dt)
	}
	gwRTP, err := mediaAddr(hs.gwAck)
	if err != nil || hs.gwAck.ForwardLogicalChannelNumber != peerChannel || int(gwRTP.Port()) < h323PortBase || int(gwRTP.Port()) > h323PortBase+399 {
		t.Fatalf("the gateway's Ack: channel %d (want %d), RTP %v %v", hs.gwAck.ForwardLogicalChannelNumber, peerChannel, gwRTP, err)
	}
	// Admission waits (fakeMeetings.AdmitInvited) with the media running.
	deadline := time.Now().Add(10 * time.Second)
	for _, n := g.meet.lastJoin(); n == 0; _, n = g.meet.lastJoin() {
		if time.Now().After(deadline) {
			t.Fatal("the dial-out never asked for admission")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if j, _ := g.meet.lastJoin(); j.MeetingID != meetOpen || j.Kind != "h323" || j.Product != "310i" || !slices.Contains(j.Codecs, "PCMA") {
		t.Errorf("admission %+v", j)
	}

	rc, err := q931.NewReleaseComplete(q931.NewCallReference(setup.CallRef.Value, true), q931.CauseNormalClearing, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer.send(rc)
	if !peer.closed() {
		t.Error("the gateway kept the connection after ReleaseComplete")
	}
	got := waitState(t, g, ci.ID, api.CallEnded)
	if got.Reason == "" {
		t.Errorf("ended without a reason: %+v", got)
	}
	g.settled(t, base)
}

// TestH323DialOutCancelWhileAlerting: the host hangs up while the room system
// rings: the gateway releases the call, the dial-out ends cancelled.
func TestH323DialOutCancelWhileAlerting(t *testing.T) {
	frames := captureFrames(t, captureName)
	g := startH323Gateway(t, nil)
	base := runtime.NumGoroutine()
	sigLn := listenTCP(t)
	ci, err := g.Calls().DialOut(context.Background(), meetOpen, api.DialRequest{Protocol: "h323", Address: sigLn.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	peer := &sigPeer{t: t, c: accept(t, sigLn)}
	setup, sui := peer.expect(q931.Setup)
	peer.send(calleeAnswer(t, frames, 0, setup, sui, netip.AddrPort{}))
	peer.send(calleeAnswer(t, frames, 1, setup, sui, netip.AddrPort{}))
	waitState(t, g, ci.ID, api.CallRinging)
	if err := g.Calls().Hangup(context.Background(), ci.ID); err != nil {
		t.Fatal(err)
	}
	m, _ := peer.expect(q931.ReleaseComplete)
	if c, err := m.Cause(); err != nil || c.Value != q931.CauseNormalClearing {
		t.Errorf("ReleaseComplete cause %+v %v, want normal clearing", c, err)
	}
	if got := waitState(t, g, ci.ID, api.CallEnded); got.Reason != "cancelled" {
		t.Errorf("after the host's cancel: %+v, want reason cancelled (not declined by the room system)", got)
	}
	g.settled(t, base)
}

// TestH323DialOutFastStartAnswer: the room system answers the dial-out's
// fastStart proposals in the 310i's Connect (rewritten: our fastStart answer, no
// h245Address, no tunnelling): media runs both ways with no H.245 at all.
func TestH323DialOutFastStartAnswer(t *testing.T) {
	frames := captureFrames(t, captureName)
	g := startH323Gateway(t, nil)
	base := runtime.NumGoroutine()
	sigLn := listenTCP(t)
	ci, err := g.Calls().DialOut(context.Background(), meetOpen, api.DialRequest{Protocol: "h323", Address: sigLn.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	peer := &sigPeer{t: t, c: accept(t, sigLn)}
	setup, sui := peer.expect(q931.Setup)
	rtpC, vC := udpPeer(t), udpPeer(t)
	local := media.Local{Addr: netip.MustParseAddr("127.0.0.1"),
		Ports: map[media.Role]int{media.RoleAudio: int(udpAddr(rtpC).Port()), media.RoleMain: int(udpAddr(vC).Port())}}
	fs, err := control.AnswerFastStart(sui.H323UuPdu.H323MessageBody.Setup.FastStart, control.DefaultCaps(), local)
	if err != nil {
		t.Fatalf("the gateway's fastStart proposals: %v", err)
	}
	conn := calleeAnswer(t, frames, 2, setup, sui, netip.AddrPort{})
	_, ui := q931Frame(t, mustUU(t, conn))
	ui.H323UuPdu.H323MessageBody.Connect.FastStart = fs.OLCs
	ui.H323UuPdu.H323MessageBody.Connect.H245Address = nil
	setUUIE(t, conn, ui)
	peer.send(conn)

	a, ok := fs.Plan.Stream(media.RoleAudio)
	if !ok || !a.Remote.IsValid() {
		t.Fatalf("fastStart plan %+v", fs.Plan)
	}
	waitJoin(t, g, 1)
	if j, _ := g.meet.lastJoin(); j.MeetingID != meetOpen || len(j.Codecs) == 0 {
		t.Errorf("admission %+v", j)
	}
	pkts, from := exchangeRTP(t, rtpC, a.Remote, 3)
	if from != a.Remote || pkts[0].PayloadType != a.PT {
		t.Errorf("gateway RTP from %v PT %d, want from %v PT %d", from, pkts[0].PayloadType, a.Remote, a.PT)
	}
	rc, err := q931.NewReleaseComplete(q931.NewCallReference(setup.CallRef.Value, true), q931.CauseNormalClearing, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer.send(rc)
	if !peer.closed() {
		t.Error("the gateway kept the connection after ReleaseComplete")
	}
	if got := waitState(t, g, ci.ID, api.CallEnded); got.Reason == "" {
		t.Errorf("ended without a reason: %+v", got)
	}
	g.settled(t, base)
}

// mustUU re-encodes a message (to decode it again with its user information).
func mustUU(t testing.TB, m *q931.Message) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
