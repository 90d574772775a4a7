//go:build e2e

package main

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// profilesNAT is nat: with the gateway's public address and a profile for the LAN
// room systems (10.3.0.0/24) that advertises advertise to them.
func profilesNAT(advertise string) string {
	return publicIPNAT + "  profiles:\n    - name: lan\n      networks: [10.3.0.0/24]\n      advertise: " + advertise + "\n"
}

// roomNetwork returns the network diagnostics of the participant identity as a host
// sees them (GET participants with the host key).
func (g *sipGW) roomNetwork(t *testing.T, id, hostKey, identity string) map[string]any {
	t.Helper()
	st, body := g.do("GET", "/api/v1/meetings/"+id+"/participants", hostKey, nil)
	if st != 200 {
		t.Fatalf("GET participants: %d %v", st, body)
	}
	list, _ := body["participants"].([]any)
	for _, x := range list {
		if p, _ := x.(map[string]any); p != nil && p["identity"] == identity {
			nw, _ := p["network"].(map[string]any)
			if nw == nil {
				t.Fatalf("participant %s has no network diagnostics for the host: %v", identity, p)
			}
			return nw
		}
	}
	t.Fatalf("participant %s not listed: %v", identity, list)
	return nil
}

// audioNet is the audio stream's entry of a network object.
func audioNet(nw map[string]any) map[string]any {
	media, _ := nw["media"].(map[string]any)
	a, _ := media["audio"].(map[string]any)
	return a
}

// wantNetwork checks a participant's profile and the address advertised to it.
func wantNetwork(t *testing.T, who string, nw map[string]any, profile, advertised string) {
	t.Helper()
	t.Logf("%s network: %v", who, nw)
	if nw["profile"] != profile || nw["advertised"] != advertised {
		t.Errorf("%s: profile %v advertised %v, want profile %s advertised %s", who, nw["profile"], nw["advertised"], profile, advertised)
	}
}

// TestE2ENATProfilesSplitHorizon: the one-to-one NATed gateway with a "lan" profile
// (advertise: local) for its LAN and the default (public) for the rest; an internet
// room system (1000 Hz) and a LAN room system (room noise only) in one meeting with
// a browser. Each is told the address it can reach — the LAN room the private one,
// the internet room the public one — in SDP and in the host's diagnostics, and media
// flows both ways for both: the browser hears the internet room's tone and decodes
// both rooms' video; the internet room hears the browser's microphone, the LAN room
// the meeting (the microphone and the internet room's tone), and both decode H.264.
func TestE2ENATProfilesSplitHorizon(t *testing.T) {
	n := newOneToOne(t)
	g := startNATGateway(t, gwPrivate, profilesNAT("local"), "")
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "split horizon"})
	br := joinNATBrowser(t, g.sipGW, id)
	c := natCapture(t, g, n.gwIf, n.lanIf)

	inet := simSIPRoom(t, n.lab, n.inetRoom, "internet", inetRoomIP, fmt.Sprintf("%s:%d", gwPublic, g.SIPPort), id, 26*time.Second)
	inetID := br.getsRoom(t, "sip-")
	lan := simSIPRoom(t, n.lab, n.lanRoom, "lan", lanRoomIP, fmt.Sprintf("%s:%d", gwPrivate, g.SIPPort), id, 12*time.Second, "-talkers", "0")
	lanID := br.getsRoomAudible(t, "sip-", false)

	wantNetwork(t, "internet room", g.roomNetwork(t, id, hostKey, inetID), "default", gwPublic)
	wantNetwork(t, "LAN room", g.roomNetwork(t, id, hostKey, lanID), "lan", gwPrivate)
	for who, ident := range map[string]string{"internet room": inetID, "LAN room": lanID} {
		if a := audioNet(g.roomNetwork(t, id, hostKey, ident)); a["latched"] != true {
			t.Errorf("%s: audio not latched: %v", who, a)
		}
	}

	lc := lan.call(60 * time.Second)
	if !lc.Established {
		t.Fatalf("LAN room: call not established: %s\n%s", lc.Error, lan.logs())
	}
	tone := lc.Rx.Tone
	t.Logf("LAN room hears %+v in %d audio packets; %d H.264 frames", tone, lc.Rx.AudioPackets, lc.Rx.H264Frames)
	if lc.Rx.AudioPackets < 50 || tone.LoudWindows < 10 || (math.Abs(tone.Hz-br.micHz) > 0.05*br.micHz+10 && math.Abs(tone.Hz-1000) > 60) {
		t.Errorf("LAN room hears %+v: want the browser's %.0f Hz or the internet room's 1000 Hz", tone, br.micHz)
	}
	if lc.Rx.H264Frames < 10 || lc.Rx.H264Keyframes < 1 || !lc.Rx.H264SPS {
		t.Errorf("LAN room decoded %d H.264 access units (%d IDR, SPS %v)", lc.Rx.H264Frames, lc.Rx.H264Keyframes, lc.Rx.H264SPS)
	}
	roomDone(t, g.sipGW, inet, br)
	br.heard(t, inetID, 1000, 0)
	g.waitNoParticipant(t, id, "sip", 15*time.Second)

	// Our SDP as it left the gateway: the public address to the internet room (its
	// router's public address), the private one to the LAN room.
	wantOnly(t, "c= of the SDP to the internet room", capturedAddrs(t, c, "sdp && ip.src=="+gwPrivate+" && ip.dst=="+inetPublic, "sdp.connection_info.address"), gwPublic)
	wantOnly(t, "c= of the SDP to the LAN room", capturedAddrs(t, c, "sdp && ip.src=="+gwPrivate+" && ip.dst=="+lanRoomIP, "sdp.connection_info.address"), gwPrivate)
	wantOnly(t, "Contact host of the responses to the LAN room", capturedAddrs(t, c, "sip.Status-Code && ip.dst=="+lanRoomIP, "sip.contact.host"), gwPrivate)
	wantOnly(t, "Contact host of the responses to the internet room", capturedAddrs(t, c, "sip.Status-Code && ip.dst=="+inetPublic, "sip.contact.host"), gwPublic)
}

// TestE2ENATProfileWrongAdvertise: a wrong profile — the LAN's profile advertises the
// public address to the LAN room, whose packets to it cannot hairpin back through
// the NAT. The INVITE reaches the private address; what the room sends to the
// advertised address (its ACK to our Contact, its RTP to our c=) is lost. The call
// must end with a reason the operator can read, not stay up silent: either it is
// never confirmed and the gateway logs the missing ACK for a call whose log names
// the profile and the address advertised, or it joins and then the host's
// diagnostics show the profile, the public address and audio neither latched nor
// received, and the media timeout ends it with a BYE and a log line that says why.
func TestE2ENATProfileWrongAdvertise(t *testing.T) {
	n := newOneToOne(t)
	g := startNATGateway(t, gwPrivate, profilesNAT("public"), natTimeout)
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "wrong profile"})
	c := natCapture(t, g, n.lanIf)
	simSIPRoom(t, n.lab, n.lanRoom, "lan-wrong", lanRoomIP, fmt.Sprintf("%s:%d", gwPrivate, g.SIPPort), id, 50*time.Second)
	// The SIP timer B/H span (64×T1 = 32 s) and the media timeout (5 s) both fit.
	deadline := time.Now().Add(45 * time.Second)
	var ident string
	for ident == "" && !logHas(g.dir, "no ACK") && time.Now().Before(deadline) {
		for _, p := range g.participants(t, id) {
			if p["kind"] == "sip" {
				ident = fmt.Sprint(p["identity"])
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	switch {
	case ident != "":
		t.Logf("the call joined the meeting as %s", ident)
		time.Sleep(2 * time.Second) // the room has sent ~100 packets toward the advertised address
		nw := g.roomNetwork(t, id, hostKey, ident)
		wantNetwork(t, "LAN room", nw, "lan", gwPublic)
		a := audioNet(nw)
		rx, _ := a["rx"].(map[string]any)
		if a["latched"] == true || num(rx, "packets") != 0 {
			t.Errorf("audio %v: want not latched, nothing received", a)
		}
		g.waitNoParticipant(t, id, "sip", 20*time.Second)
		if !logHas(g.dir, "no RTP for 5s") {
			t.Errorf("no log line says the call ended for lack of media:\n%s", lastN(g.logTail(), 3000))
		}
		c.stop()
		if n := c.count(`sip.Method == "BYE" && ip.src == ` + gwPrivate); n == 0 {
			t.Errorf("the gateway sent no BYE to the room")
		}
	case logHas(g.dir, "no ACK"):
		t.Logf("the call was never confirmed: the room's ACK went to the advertised address")
		if !logHas(g.dir, "profile=lan advertise="+gwPublic) {
			t.Errorf("no log line of the call names its profile and the address advertised:\n%s", lastN(g.logTail(), 3000))
		}
		if ps := g.participants(t, id); len(ps) != 0 {
			t.Errorf("participants of a call never confirmed: %v", ps)
		}
	default:
		t.Fatalf("45 s after the call: neither in the meeting nor ended for a missing ACK\n%s", lastN(g.logTail(), 3000))
	}
	wantOnly(t, "c= of the SDP to the LAN room", capturedAddrs(t, c, "sdp && ip.src=="+gwPrivate, "sdp.connection_info.address"), gwPublic)
}
