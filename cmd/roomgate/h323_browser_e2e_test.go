//go:build e2e

package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// roomStats returns, from a stats event of rooms/web/e2e/sip_peer.mjs, the stats of
// the first remote whose identity starts with prefix and is not in ignore.
func roomStats(e map[string]any, prefix string, ignore []string) (string, map[string]any) {
	st, _ := e["stats"].(map[string]any)
	for ident, v := range st {
		if strings.HasPrefix(ident, prefix) && !slices.Contains(ignore, ident) {
			m, _ := v.(map[string]any)
			return ident, m
		}
	}
	return "", nil
}

// TestE2EH323Browser: a Chromium participant is in the meeting (rooms/web/e2e/sip_peer.mjs,
// the SIP media test's peer) while roomsim dials in over H.323 (1000 Hz G.722 tone,
// generated H.264), once with fastStart and tunnelling and once with separate H.245
// and no fastStart. The browser decodes the room system's H.264 (passed through, still
// H.264) and hears its tone at 1000 Hz; roomsim hears the browser's fake microphone at
// the frequency the browser measured on it, and decodes complete H.264 access units
// (IDR with SPS) made from the browser's camera.
func TestE2EH323Browser(t *testing.T) {
	g := startH323Gateway(t, "", 0, 0)
	id, _, _ := g.meeting(t, map[string]any{"topic": "H.323 and a browser"})
	peer := startBrowserPeer(t, g.sipGW, id, "Browser Bea", "")
	mic := peer.waitFor("mic_tone", 60*time.Second, func(e map[string]any) bool { return e["event"] == "mic_tone" })
	micHz := num(mic, "hz")
	t.Logf("browser fake microphone: dominant %.0f Hz (%v loud readings)", micHz, mic["loud"])
	if micHz < 100 || micHz > 7000 {
		t.Fatalf("browser microphone tone %.0f Hz is not measurable through G.722", micHz)
	}
	peer.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })

	var seen []string // identities of the earlier variants' room systems
	for _, c := range []struct {
		name     string
		args     []string
		separate bool
	}{
		{"faststart-tunnel", nil, false},
		{"separate-h245", []string{"-faststart=false", "-tunnel=false", "-h245-early"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-h323", g.h323Addr(), "-alias", id, "-tone", "1000", "-video", "gen", "-fps", "10",
				"-d", "14s", "-display", "Board Room"}, c.args...)
			room := startSim(t, "h323-"+c.name, args...)
			p := g.waitParticipant(t, id, "h323", 25*time.Second, seen...)
			t.Logf("participant: %v", p)

			// The browser decodes the room system's video and audio.
			var ident string
			first := peer.waitFor("h323-* video frames decoded", 30*time.Second, func(e map[string]any) bool {
				i, s := roomStats(e, "h323-", seen)
				ident = i
				return s != nil && num(s, "framesDecoded") > 0
			})
			_, s1 := roomStats(first, ident, nil)
			later := peer.waitFor("h323-* frames and audio growing", 20*time.Second, func(e map[string]any) bool {
				_, s := roomStats(e, ident, nil)
				return s != nil && num(s, "framesDecoded") > num(s1, "framesDecoded")+10 &&
					num(s, "audioPackets") > num(s1, "audioPackets") && num(s, "audioEnergy") > 0
			})
			_, s2 := roomStats(later, ident, nil)
			t.Logf("browser decodes %s: video %v frames (%v), audio %v packets, energy %.3g",
				ident, num(s2, "framesDecoded"), s2["videoCodec"], num(s2, "audioPackets"), num(s2, "audioEnergy"))
			if vc, _ := s2["videoCodec"].(string); !strings.EqualFold(vc, "video/H264") {
				t.Errorf("room-system video reaches the browser as %q, want video/H264 (passthrough)", vc)
			}

			rc := room.call(40 * time.Second)
			seen = append(seen, ident)
			t.Logf("room system: %+v", rc)
			if !rc.Established {
				t.Fatalf("H.323 call not established: %s\n%s\n%s", rc.Error, room.logs(), lastN(g.logTail(), 4000))
			}
			if rc.H245Separate != c.separate || rc.Tunnelling == c.separate {
				t.Errorf("separate H.245 %v, tunnelling %v; want separate %v", rc.H245Separate, rc.Tunnelling, c.separate)
			}
			// The browser's analyser readings of the room's track while the call ran.
			tones := peer.remoteTones(ident)
			hz := median(tones)
			t.Logf("browser hears the room system at %.0f Hz (%d loud readings)", hz, len(tones))
			if len(tones) < 3 || math.Abs(hz-1000) > 60 {
				t.Errorf("browser hears %.0f Hz from the room system in %d loud readings, want its 1000 Hz tone", hz, len(tones))
			}
			checkHears(t, "the H.323 room", rc, micHz, true)
			if t.Failed() {
				t.Logf("%s\nserver log:\n%s", room.logs(), lastN(g.logTail(), 5000))
			}
			g.waitNoParticipant(t, id, "h323", 10*time.Second)
		})
	}
}
