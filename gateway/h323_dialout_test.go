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
	"github.com/roomgate/roomgate/h323/q931"
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

// dialOut is a dial-out the test answers: the gateway's Setup read.
type dialOut struct {
	g      *testGateway
	base   int // goroutines before the call
	id     string
	peer   *sigPeer
	setup  *q931.Message
	sui    *h225.H323UserInformation
	frames map[string][][]byte
}

// startDialOut places a dial-out to meetOpen's room system, a listener of the
// test, and reads its Setup.
func startDialOut(t testing.TB) *dialOut {
	t.Helper()
	d := &dialOut{frames: captureFrames(t, captureName), g: startH323Gateway(t, nil)}
	d.base = runtime.NumGoroutine()
	sigLn := listenTCP(t)
	ci, err := d.g.Calls().DialOut(context.Background(), meetOpen, api.DialRequest{Protocol: "h323", Address: sigLn.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	d.id = ci.ID
	d.peer = &sigPeer{t: t, c: accept(t, sigLn)}
	d.setup, d.sui = d.peer.expect(q931.Setup)
	return d
}

// answer sends the 310i's answer i rewritten (calleeAnswer).
func (d *dialOut) answer(t testing.TB, i int, h245At netip.AddrPort) *q931.Message {
	t.Helper()
	return calleeAnswer(t, d.frames, i, d.setup, d.sui, h245At)
}

// releaseFromPeer sends ReleaseComplete as the room system: the call ends with a
// reason and everything is freed.
func (d *dialOut) releaseFromPeer(t testing.TB) {
	t.Helper()
	rc, err := q931.NewReleaseComplete(q931.NewCallReference(d.setup.CallRef.Value, true), q931.CauseNormalClearing, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.peer.send(rc)
	if !d.peer.closed() {
		t.Error("the gateway kept the connection after ReleaseComplete")
	}
	if got := waitState(t, d.g, d.id, api.CallEnded); got.Reason == "" {
		t.Errorf("ended without a reason: %+v", got)
	}
	d.g.settled(t, d.base)
}

// TestH323DialOutAnsweredBy310i answers a dial-out as the capture's 310i did:
// its real CallProceeding, Alerting and Connect (no fastStart, no tunnelling,
// h245Address), then its real H.245 (TCS, MSD, OLC, Acks) on the separate
// connection the gateway opens, with numbers and addresses rewritten.
func TestH323DialOutAnsweredBy310i(t *testing.T) {
	d := startDialOut(t)
	s := d.sui.H323UuPdu.H323MessageBody.Setup
	if tun := d.sui.H323UuPdu.H245Tunnelling; len(s.FastStart) == 0 || tun == nil || !*tun || s.CallIdentifier == nil {
		t.Fatalf("Setup: fastStart %d, tunnelling %v, callIdentifier %v", len(s.FastStart), tun, s.CallIdentifier)
	}
	h245Ln := listenTCP(t)
	h245At := h245Ln.Addr().(*net.TCPAddr).AddrPort()
	for i := range 3 {
		d.peer.send(d.answer(t, i, h245At))
		if i == 1 {
			waitState(t, d.g, d.id, api.CallRinging)
		}
	}
	hc := accept(t, h245Ln)
	rtpC, rtcpC := udpPeer(t), udpPeer(t)
	hs := &h245Session{t: t, p: &h245Peer{t: t, c: hc}, caps: h245Frames(t, d.frames[capCalleeH245]), rtp: udpAddr(rtpC), rtcp: udpAddr(rtcpC)}
	hs.play(d.frames[capCalleeH245])
	gwRTP, err := mediaAddr(hs.gwAck)
	if err != nil || int(gwRTP.Port()) < h323PortBase || int(gwRTP.Port()) > h323PortBase+399 {
		t.Fatalf("the gateway's RTP address %v %v", gwRTP, err)
	}
	// Admission waits (fakeMeetings.AdmitInvited) with the media running.
	waitJoin(t, d.g, 1)
	if j, _ := d.g.meet.lastJoin(); j.MeetingID != meetOpen || j.Kind != "h323" || j.Product != "310i" || !slices.Contains(j.Codecs, "PCMA") {
		t.Errorf("admission %+v", j)
	}
	d.releaseFromPeer(t)
}

// TestH323DialOutCancelWhileAlerting: the host hangs up while the room system
// rings: the gateway releases the call, the dial-out ends cancelled.
func TestH323DialOutCancelWhileAlerting(t *testing.T) {
	d := startDialOut(t)
	d.peer.send(d.answer(t, 0, netip.AddrPort{}))
	d.peer.send(d.answer(t, 1, netip.AddrPort{}))
	waitState(t, d.g, d.id, api.CallRinging)
	if err := d.g.Calls().Hangup(context.Background(), d.id); err != nil {
		t.Fatal(err)
	}
	d.peer.expectRelease(q931.CauseNormalClearing)
	if got := waitState(t, d.g, d.id, api.CallEnded); got.Reason != "cancelled" {
		t.Errorf("after the host's cancel: %+v, want reason cancelled (not declined by the room system)", got)
	}
	d.g.settled(t, d.base)
}

// TestH323DialOutFastStartAnswer: the room system answers the dial-out's
// fastStart proposals in the 310i's Connect (rewritten: our fastStart answer, no
// h245Address, no tunnelling): media runs both ways with no H.245 at all.
func TestH323DialOutFastStartAnswer(t *testing.T) {
	d := startDialOut(t)
	rtpC, vC := udpPeer(t), udpPeer(t)
	local := media.Local{Addr: netip.MustParseAddr("127.0.0.1"),
		Ports: map[media.Role]int{media.RoleAudio: int(udpAddr(rtpC).Port()), media.RoleMain: int(udpAddr(vC).Port())}}
	fs, err := control.AnswerFastStart(d.sui.H323UuPdu.H323MessageBody.Setup.FastStart, control.DefaultCaps(), local)
	if err != nil {
		t.Fatalf("the gateway's fastStart proposals: %v", err)
	}
	conn := d.answer(t, 2, netip.AddrPort{})
	_, ui := q931Frame(t, mustUU(t, conn))
	ui.H323UuPdu.H323MessageBody.Connect.FastStart = fs.OLCs
	setUUIE(t, conn, ui)
	d.peer.send(conn)

	a, ok := fs.Plan.Stream(media.RoleAudio)
	if !ok || !a.Remote.IsValid() {
		t.Fatalf("fastStart plan %+v", fs.Plan)
	}
	waitJoin(t, d.g, 1)
	if j, _ := d.g.meet.lastJoin(); j.MeetingID != meetOpen || len(j.Codecs) == 0 {
		t.Errorf("admission %+v", j)
	}
	pkts, from := exchangeRTP(t, rtpC, a.Remote, 3)
	if from != a.Remote || pkts[0].PayloadType != a.PT {
		t.Errorf("gateway RTP from %v PT %d, want from %v PT %d", from, pkts[0].PayloadType, a.Remote, a.PT)
	}
	d.releaseFromPeer(t)
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
