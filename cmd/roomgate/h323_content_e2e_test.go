//go:build e2e

package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestE2EH323ContentRooms: an H.323 room system (roomsim -content: H.239) and a
// SIP room system (roomsim -content, BFCP over UDP) in one meeting. The H.323
// room asks for the presentation token 4 s after Connect and presents: the
// meeting lists it as screen sharing and the SIP room receives its 320×240
// slides on its content stream. The SIP room then asks for the floor and takes
// it over: the gateway takes the token back from the H.323 room (a
// presentationTokenRequest to the owner, which it grants: "revoked"), presents
// toward it, and the H.323 room receives the SIP room's slides on the gateway's
// H.239 content channel. After the SIP room releases nobody shares. People
// video goes on both ways throughout. tshark reads every H.245 message of the
// call, the H.239 generic messages included, with no malformed packet and no
// expert error (the capture's check at the end), and the H.239 sequence in
// order.
func TestE2EH323ContentRooms(t *testing.T) {
	g := startH323Gateway(t, "", 0, 0)
	id, _, _ := g.meeting(t, map[string]any{"topic": "H.323 content"})

	a := startSim(t, "h323-a", "-h323", g.h323Addr(), "-alias", id, "-video", "gen", "-fps", "10", "-tone", "700",
		"-content", "-present-at", "4s", "-present-for", "20s", "-d", "33s")
	aID := fmt.Sprint(g.waitParticipant(t, id, "h323", 20*time.Second)["identity"])
	b := startSim(t, "sip-b", "-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", id, "-n", "1", "-d", "25s",
		"-rtp-base", "31000", "-video", "gen", "-fps", "10", "-content", "-bfcp", "udp", "-present-at", "12s", "-present-for", "8s")
	b.waitLine("started: 1 established: 1", 20*time.Second)
	bID := fmt.Sprint(g.waitSIPParticipant(t, id, 15*time.Second)["identity"])

	a.waitLine("content: granted", 15*time.Second)
	g.waitScreenSharing(t, id, aID, true, 8*time.Second)
	t.Logf("H.323 room A holds the token and is listed as screen sharing")
	b.waitLine("content: first frame", 10*time.Second)
	t.Logf("SIP room B received A's first content frame")

	b.waitLine("content: granted", 15*time.Second)
	a.waitLine("content: revoked", 5*time.Second)
	t.Logf("SIP room B took the floor, the token was taken back from A")
	g.waitScreenSharing(t, id, bID, true, 8*time.Second)
	g.waitScreenSharing(t, id, aID, false, 8*time.Second)
	a.waitLine("content: gateway presents", 5*time.Second)
	a.waitLine("content: first frame", 10*time.Second)
	t.Logf("H.323 room A receives B's slides on the gateway's H.239 channel")
	b.waitLine("content: released", 15*time.Second)
	g.waitScreenSharing(t, id, bID, false, 10*time.Second)
	a.waitLine("content: gateway released", 10*time.Second)

	ca, ac := a.contentReport(40 * time.Second)
	cb, bc := b.contentReport(30 * time.Second)
	t.Logf("H.323 room A: established %v, main video frames %d, content %+v", ca.Established, ca.Rx.H264Frames, ac)
	t.Logf("SIP room B: established %v, main video frames %d, content %+v", cb.Established, cb.Rx.H264Frames, bc)
	if !ca.Established || !cb.Established {
		t.Fatalf("calls not established: A %v, B %v", ca.Established, cb.Established)
	}
	if ac.Error != "" || bc.Error != "" {
		t.Errorf("content errors: A %q, B %q", ac.Error, bc.Error)
	}
	if ev := ac.events(); !inOrder(ev, "requested", "channel open", "granted", "revoked", "gateway presents", "first frame", "gateway released") ||
		slices.Contains(ev, "released") {
		t.Errorf("room A events %q: want requested, channel open, granted, revoked, gateway presents, first frame, gateway released and no release of a revoked token", ev)
	}
	if ev := bc.events(); !inOrder(ev, "hello", "first frame", "requested", "granted", "released") {
		t.Errorf("room B events %q: want hello, first frame (A's slides), requested, granted, released", ev)
	}
	// A presented from 4 s until B's request at about 10 s: at 5 fps ≥ 20 frames.
	if ac.TxFrames < 20 {
		t.Errorf("room A sent %d content frames", ac.TxFrames)
	}
	if bc.RxFrames < 10 || bc.RxKeyframes < 1 || bc.RxWidth != 320 || bc.RxHeight != 240 {
		t.Errorf("room B received %d content frames, %d keyframes, %d×%d: want ≥ 10, an IDR and A's 320×240",
			bc.RxFrames, bc.RxKeyframes, bc.RxWidth, bc.RxHeight)
	}
	if ac.RxFrames < 10 || ac.RxKeyframes < 1 || ac.RxWidth != 320 || ac.RxHeight != 240 {
		t.Errorf("room A received %d content frames, %d keyframes, %d×%d: want ≥ 10, an IDR and B's 320×240",
			ac.RxFrames, ac.RxKeyframes, ac.RxWidth, ac.RxHeight)
	}
	// People video went on: both rooms decode the other's camera (176×144) for
	// far longer than either presentation lasted.
	if ca.Rx.H264Frames < 50 || cb.Rx.H264Frames < 50 {
		t.Errorf("main video frames: A %d, B %d", ca.Rx.H264Frames, cb.Rx.H264Frames)
	}

	g.capture.stop()
	// A asks, is granted, owns; the gateway takes the token for B's share (A
	// grants), owns it toward A and releases it when B stops.
	checkH239Sequence(t, g, []string{"room:presentationTokenRequest", "gw:presentationTokenResponse", "room:presentationTokenIndicateOwner",
		"gw:presentationTokenRequest", "room:presentationTokenResponse", "gw:presentationTokenIndicateOwner", "gw:presentationTokenRelease"})
}

// TestE2EH323ContentTakeover: a SIP room system presents (BFCP over UDP); an
// H.323 room joins that opens its H.239 content channel at Connect without
// asking for the token: it does not take the floor (the SIP room still
// presents) and receives the SIP room's slides. Then it asks for the token
// and takes the floor over: the SIP room's floor request is revoked, the
// meeting lists the H.323 room as screen sharing and the SIP room receives its
// slides; it releases the token and nobody shares.
func TestE2EH323ContentTakeover(t *testing.T) {
	g := startH323Gateway(t, "", 0, 0)
	id, _, _ := g.meeting(t, map[string]any{"topic": "H.323 content takeover"})

	b := startSim(t, "sip-b", "-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", id, "-n", "1", "-d", "28s",
		"-rtp-base", "31000", "-video", "gen", "-fps", "10", "-content", "-bfcp", "udp", "-present-at", "2s", "-present-for", "20s")
	b.waitLine("started: 1 established: 1", 20*time.Second)
	bID := fmt.Sprint(g.waitSIPParticipant(t, id, 15*time.Second)["identity"])
	b.waitLine("content: granted", 10*time.Second)
	g.waitScreenSharing(t, id, bID, true, 8*time.Second)

	a := startSim(t, "h323-a", "-h323", g.h323Addr(), "-alias", id, "-video", "gen", "-fps", "10", "-tone", "700",
		"-content", "-content-at-connect", "-present-at", "8s", "-present-for", "6s", "-d", "20s")
	aID := fmt.Sprint(g.waitParticipant(t, id, "h323", 20*time.Second)["identity"])
	a.waitLine("content: channel open", 10*time.Second)
	a.waitLine("content: first frame", 10*time.Second)
	// The channel is open and content flows toward A, but A has not asked for
	// the token: B still presents, A does not.
	for _, p := range g.participants(t, id) {
		if p["identity"] == aID && p["screen_sharing"] == true {
			t.Errorf("H.323 room A with its content channel open but no token is listed as screen sharing: %v", p)
		}
		if p["identity"] == bID && p["screen_sharing"] != true {
			t.Errorf("SIP room B no longer screen sharing after A opened its content channel: %v", p)
		}
	}
	t.Logf("A's content channel is open without the token; B still presents and A receives its slides")

	a.waitLine("content: granted", 15*time.Second)
	b.waitLine("content: revoked", 5*time.Second)
	g.waitScreenSharing(t, id, aID, true, 8*time.Second)
	g.waitScreenSharing(t, id, bID, false, 8*time.Second)
	t.Logf("A took the floor over, B's request revoked")
	a.waitLine("content: released", 15*time.Second)
	g.waitScreenSharing(t, id, aID, false, 10*time.Second)

	ca, ac := a.contentReport(40 * time.Second)
	_, bc := b.contentReport(40 * time.Second)
	t.Logf("H.323 room A: content %+v", ac)
	t.Logf("SIP room B: content %+v", bc)
	if !ca.Established {
		t.Fatalf("H.323 call not established: %+v", ca)
	}
	if ac.Error != "" || bc.Error != "" {
		t.Errorf("content errors: A %q, B %q", ac.Error, bc.Error)
	}
	if ev := ac.events(); !inOrder(ev, "channel open", "gateway presents", "first frame", "requested", "granted", "released") ||
		slices.Index(ev, "requested") < slices.Index(ev, "channel open") {
		t.Errorf("room A events %q: want channel open, gateway presents, first frame, then requested, granted, released", ev)
	}
	if ev := bc.events(); !inOrder(ev, "hello", "requested", "granted", "revoked") || inOrder(ev, "revoked", "released") {
		t.Errorf("room B events %q: want granted then revoked, and no release of a revoked request", ev)
	}
	if ac.RxFrames < 10 || ac.RxKeyframes < 1 || ac.RxWidth != 320 {
		t.Errorf("room A received %d content frames, %d keyframes (%d×%d) of B's slides", ac.RxFrames, ac.RxKeyframes, ac.RxWidth, ac.RxHeight)
	}
	if ac.TxFrames < 20 || bc.RxFrames < 10 || bc.RxWidth != 320 {
		t.Errorf("A sent %d content frames, B received %d (%d×%d)", ac.TxFrames, bc.RxFrames, bc.RxWidth, bc.RxHeight)
	}

	g.capture.stop()
	// The gateway presents B's slides toward A; A asks for the token (the
	// gateway grants), owns it and releases it.
	checkH239Sequence(t, g, []string{"gw:presentationTokenRequest", "room:presentationTokenResponse", "gw:presentationTokenIndicateOwner",
		"room:presentationTokenRequest", "gw:presentationTokenResponse", "room:presentationTokenIndicateOwner", "room:presentationTokenRelease"})
}

// TestE2EH323ContentPresenterLeaves: an H.323 room presents and hangs up while it
// holds the token; the meeting lists nobody sharing and the SIP room that
// received its slides asks for the floor afterwards and is granted it.
func TestE2EH323ContentPresenterLeaves(t *testing.T) {
	g := startH323Gateway(t, "", 0, 0)
	id, _, _ := g.meeting(t, map[string]any{"topic": "H.323 presenter leaves"})

	a := startSim(t, "h323-a", "-h323", g.h323Addr(), "-alias", id, "-video", "gen", "-fps", "10",
		"-content", "-present-at", "3s", "-present-for", "60s", "-d", "9s")
	aID := fmt.Sprint(g.waitParticipant(t, id, "h323", 20*time.Second)["identity"])
	b := startSim(t, "sip-b", "-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", id, "-n", "1", "-d", "20s",
		"-rtp-base", "31000", "-video", "gen", "-fps", "10", "-content", "-bfcp", "udp", "-present-at", "13s", "-present-for", "4s")
	b.waitLine("started: 1 established: 1", 20*time.Second)
	a.waitLine("content: granted", 10*time.Second)
	g.waitScreenSharing(t, id, aID, true, 8*time.Second)
	b.waitLine("content: first frame", 10*time.Second)

	// A hangs up while presenting (its -d ends before its -present-for).
	ca, ac := a.contentReport(30 * time.Second)
	if !ca.Established || slices.Contains(ac.events(), "released") {
		t.Fatalf("room A: established %v, events %v: want a call that ends while presenting", ca.Established, ac.events())
	}
	g.waitNoParticipant(t, id, "h323", 10*time.Second)
	for _, p := range g.participants(t, id) {
		if p["screen_sharing"] == true {
			t.Errorf("after the presenter left, %v is listed as screen sharing", p["identity"])
		}
	}
	b.waitLine("content: granted", 15*time.Second)
	_, bc := b.contentReport(30 * time.Second)
	t.Logf("SIP room B: content %+v", bc)
	if ev := bc.events(); !inOrder(ev, "first frame", "requested", "granted", "released") || slices.Contains(ev, "revoked") {
		t.Errorf("room B events %q: want A's slides, then its own request granted and released", ev)
	}
	if bc.RxWidth != 320 || bc.RxFrames < 5 {
		t.Errorf("room B received %d content frames (%d×%d) of A's slides", bc.RxFrames, bc.RxWidth, bc.RxHeight)
	}
}

// checkH239Sequence reads the (stopped) capture's H.323 call with tshark: the
// H.239 sub-messages tshark names in the H.245 it dissects (tunnelled in
// H.225.0 Facility), "gw:" or "room:" by sender, come in the order want
// (others may come between), every
// H.245 message of the call dissects without a malformed packet or an expert
// error, and content channels were opened both ways (two extendedVideoCapability
// OpenLogicalChannels, each acknowledged).
func checkH239Sequence(t *testing.T, g *h323GW, want []string) {
	t.Helper()
	if bad := tsharkFields(t, g.capture.file, nil, "h245 && (_ws.malformed || _ws.expert.severity >= warning)",
		"frame.number", "_ws.col.Info"); len(bad) > 0 {
		t.Errorf("tshark reports %d H.245 frames malformed or with an expert warning or error, e.g. %v", len(bad), bad[:min(len(bad), 10)])
	}
	rows := tsharkFields(t, g.capture.file, nil, "h245", "tcp.srcport", "_ws.col.Info")
	var h239, infos []string
	gw := fmt.Sprint(g.H323Port)
	for _, r := range rows {
		info := r[len(r)-1]
		infos = append(infos, info)
		from := "room"
		if r[0] == gw {
			from = "gw"
		}
		// tshark names an H.239 generic message by its sub-message and the H.245
		// alternative together: "presentationTokenRequestgenericRequest".
		for _, f := range strings.Fields(info) {
			for _, k := range []string{"genericRequest", "genericResponse", "genericCommand", "genericIndication"} {
				if name, ok := strings.CutSuffix(f, k); ok && name != "" {
					h239 = append(h239, from+":"+name)
				}
			}
		}
	}
	t.Logf("H.245 in the capture: %d frames; H.239 sub-messages in order: %v", len(rows), h239)
	if !subsequence(h239, want, func(a, b string) bool { return a == b }) {
		t.Errorf("H.239 messages %v, want in order %v", h239, want)
	}
	all := strings.Join(infos, "|")
	if n := strings.Count(all, "openLogicalChannel (extendedVideoCapability)"); n < 2 {
		t.Errorf("content OpenLogicalChannel (extendedVideoCapability) in %d frames, want both ways: %v", n, infos)
	}
}
