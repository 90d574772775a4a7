//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ESIPNATPrivateSDP: a room system behind a NAT writes its private address into
// SDP (here 127.0.0.9, where nothing listens) and sends RTP from the address its SIP
// comes from. The default media.latch learns that address after probation, so the call
// stays up past the media timeout (3 s) for the whole 6 s the room talks, and the
// gateway sends its media there.
func TestE2ESIPNATPrivateSDP(t *testing.T) {
	g := startSIPGateway(t, "  timeout: 3s\n")
	id, _, _ := g.meeting(t, map[string]any{"topic": "NATed room"})
	audio := squarePCMU(t, 10)
	r := g.sippCall(t, "uac_private_sdp.xml", map[string]any{"SDPAddr": "127.0.0.9", "Audio": audio, "HoldMs": 6000}, id)
	r.mustPass(g, 30*time.Second)
	b, _ := os.ReadFile(g.logPath)
	log := string(b)
	if !strings.Contains(log, "rtp source accepted") || !strings.Contains(log, "by=probation") {
		t.Errorf("the room's media source was not learnt; log tail:\n%s", lastN(g.logTail(), 3000))
	}
	if strings.Contains(strings.ToLower(log), "no rtp for") {
		t.Errorf("the media timeout ended the NATed room's call")
	}
}

// squarePCMU writes seconds of PCMU (a square wave: anything a room "says") for SIPp's
// rtp_stream and returns its path.
func squarePCMU(t *testing.T, seconds int) string {
	t.Helper()
	audio := filepath.Join(t.TempDir(), "tone.ulaw")
	pcmu := make([]byte, 8000*seconds)
	for i := range pcmu {
		pcmu[i] = 0x20
		if i/10%2 == 1 {
			pcmu[i] = 0xa0
		}
	}
	if err := os.WriteFile(audio, pcmu, 0o644); err != nil {
		t.Fatal(err)
	}
	return audio
}
