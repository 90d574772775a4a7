//go:build e2e

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestE2EH323DialIn: an H.323 room system (roomsim, 1000 Hz G.722 tone, generated
// H.264) dials a meeting in each signalling variant while a SIP room system (roomsim,
// 440 Hz) is in the same meeting: each hears the other's tone and decodes the other's
// H.264. The variants: fastStart with tunnelling (dialling ID), no fastStart with
// tunnelling (ID#HWPASS of a meeting with a password), separate H.245 from Setup,
// fastStart refused (G.728 only proposed, H.245 follows), and the IVR (no alias, the
// meeting ID sent as H.245 userInputIndication). The participants API lists the
// H.323 room system as kind h323 with the vendor, product and version of its H.225.0
// vendor identifier.
func TestE2EH323DialIn(t *testing.T) {
	g := startH323Gateway(t, "", 0, 0)
	open, _, _ := g.meeting(t, map[string]any{"topic": "H.323 open"})
	locked, hw, _ := g.meeting(t, map[string]any{"topic": "H.323 password", "password": "secret-pass"})
	if hw == "" {
		t.Fatalf("meeting with a password has no hardware password")
	}
	cases := []struct {
		name, meeting string
		args          []string
		fastStart     string
		separate      bool
	}{
		{"faststart-tunnel", open, []string{"-alias", open}, "accepted", false},
		{"no-faststart-tunnel-password", locked, []string{"-alias", locked + "#" + hw, "-faststart=false"}, "off", false},
		{"separate-h245", open, []string{"-alias", open, "-faststart=false", "-tunnel=false", "-h245-early"}, "off", true},
		{"faststart-refused", open, []string{"-alias", open, "-faststart-codecs", "none"}, "refused", false},
		{"ivr", open, []string{"-dtmf", open + "#"}, "accepted", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sipArgs := []string{"-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", c.meeting, "-n", "1", "-d", "9s",
				"-tone", "440", "-video", "gen", "-fps", "10", "-rtp-base", fmt.Sprint(14000 + 10*len(c.name))}
			if c.meeting == locked {
				sipArgs[3] = locked + "." + hw
			}
			sipRoom := startSim(t, "sip", sipArgs...)
			sipRoom.waitLine("started:", 20*time.Second)
			sp := g.waitParticipant(t, c.meeting, "sip", 15*time.Second)
			args := append([]string{"-h323", g.h323Addr(), "-tone", "1000", "-video", "gen", "-fps", "10", "-d", "7s",
				"-vendor", "Polycom HDX 8000 HD", "-vendor-version", "Release 3.1.0", "-display", "Board Room"}, c.args...)
			room := startSim(t, "h323", args...)
			p := g.waitParticipant(t, c.meeting, "h323", 25*time.Second)
			t.Logf("participant: %v", p)
			if v, _ := p["vendor"].(string); v != "Polycom" {
				t.Errorf("vendor %q, want Polycom", v)
			}
			if pr, _ := p["product"].(string); pr != "Polycom HDX 8000 HD" {
				t.Errorf("product %q, want the H.225.0 productId", pr)
			}
			if v, _ := p["version"].(string); v != "Release 3.1.0" {
				t.Errorf("version %q, want the H.225.0 versionId", v)
			}
			// Without fastStart the room is admitted before H.245 chose the codecs: the
			// list then shows the meeting tracks' codecs (known gap, see the report).
			if cs := strings.ToLower(fmt.Sprint(p["codecs"])); c.fastStart == "accepted" && (!strings.Contains(cs, "g722") || !strings.Contains(cs, "h264")) {
				t.Errorf("codecs %v, want G722 and H264", p["codecs"])
			}
			hc := room.call(40 * time.Second)
			sc := sipRoom.call(30 * time.Second)
			t.Logf("h323: %+v", hc)
			t.Logf("sip:  %+v", sc)
			if !hc.Established {
				t.Fatalf("H.323 call not established: %s\n%s\n%s", hc.Error, room.logs(), lastN(g.logTail(), 4000))
			}
			if hc.FastStart != c.fastStart {
				t.Errorf("fastStart %q, want %q", hc.FastStart, c.fastStart)
			}
			if hc.H245Separate != c.separate || hc.Tunnelling == c.separate {
				t.Errorf("separate H.245 %v, tunnelling %v; want separate %v", hc.H245Separate, hc.Tunnelling, c.separate)
			}
			if hc.PeerProduct != "roomgate" {
				t.Errorf("gateway's productId %q, want roomgate", hc.PeerProduct)
			}
			checkHears(t, "the H.323 room", hc, 440, true)
			checkHears(t, "the SIP room", sc, 1000, true)
			if t.Failed() {
				t.Logf("%s\n%s\nserver log:\n%s", room.logs(), sipRoom.logs(), lastN(g.logTail(), 5000))
			}
			g.waitNoParticipant(t, c.meeting, "h323", 10*time.Second)
			g.waitNoParticipant(t, c.meeting, "sip", 10*time.Second)
			_ = sp
		})
	}
}
