//go:build e2e

package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestE2ENATProfileDiagnostics: a room system whose SIP names the address it sends from
// (127.0.0.1) while its SDP names another (127.0.0.9, where nothing listens) — the shape
// of an ALG that rewrote the SIP headers and not the SDP. Its NAT/ALG profile (matched by
// the SIP source) ignores signalled addresses: the gateway sends its media to the
// signalling source's IP with the SDP port, so the call lasts past the media timeout; the
// log names the profile and suspects an ALG once; the participants API shows the
// operator the call's network: the profile, signalled against observed addresses, the
// audio latched with packets counted.
func TestE2ENATProfileDiagnostics(t *testing.T) {
	g := startSIPGateway(t, "  timeout: 4s\nnat:\n  profiles:\n    - name: loopback-wan\n      networks: [127.0.0.0/8]\n      latch: any\n      trust_signalled: false\n")
	id, _, _ := g.meeting(t, map[string]any{"topic": "NAT profile"})
	r := g.sippCall(t, "uac_private_sdp.xml", map[string]any{"SDPAddr": "127.0.0.9", "Audio": squarePCMU(t, 12), "HoldMs": 8000}, id)
	p := g.waitSIPParticipant(t, id, 20*time.Second)

	// The room streams from the start: poll until the audio counts packets.
	var net map[string]any
	var audio map[string]any
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, q := range g.participants(t, id) {
			if q["identity"] == p["identity"] {
				net, _ = q["network"].(map[string]any)
			}
		}
		media, _ := net["media"].(map[string]any)
		audio, _ = media["audio"].(map[string]any)
		rx, _ := audio["rx"].(map[string]any)
		if n, _ := rx["packets"].(float64); audio["latched"] == true && n > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if net == nil || audio == nil {
		t.Fatalf("no network diagnostics for the room system: %v", p)
	}
	sig, _ := net["signalling"].(map[string]any)
	observed := fmt.Sprint(sig["observed"])
	signalled := fmt.Sprint(audio["signalled"])
	_, sdpPort, _ := strings.Cut(signalled, ":")
	switch {
	case net["profile"] != "loopback-wan" || net["trust_signalled"] != false || net["latch"] != "any":
		t.Errorf("profile %v trust %v latch %v", net["profile"], net["trust_signalled"], net["latch"])
	case net["alg_suspected"] != true || !strings.Contains(fmt.Sprint(net["alg_reason"]), "sdp c= 127.0.0.9"):
		t.Errorf("ALG suspected %v, reason %q", net["alg_suspected"], net["alg_reason"])
	case !strings.HasPrefix(observed, "127.0.0.1:") || !strings.HasPrefix(fmt.Sprint(sig["signalled"]), "127.0.0.1:"):
		t.Errorf("signalling %v", sig)
	case !strings.HasPrefix(signalled, "127.0.0.9:") || audio["sending_to"] != "127.0.0.1:"+sdpPort:
		t.Errorf("audio signalled %v, sending to %v: want the SDP's 127.0.0.9 and 127.0.0.1:%s", signalled, audio["sending_to"], sdpPort)
	case audio["latched"] != true || audio["observed"] != "127.0.0.1:"+sdpPort:
		t.Errorf("audio not latched to the room's source: %v", audio)
	}
	r.mustPass(g, 40*time.Second)
	b, _ := os.ReadFile(g.logPath)
	log := string(b)
	if n := strings.Count(log, "ALG suspected"); n != 1 {
		t.Errorf("%d \"ALG suspected\" lines, want one per call; log tail:\n%s", n, lastN(g.logTail(), 3000))
	}
	if !strings.Contains(log, "profile=loopback-wan") {
		t.Errorf("the call's profile is not logged")
	}
	if strings.Contains(strings.ToLower(log), "no rtp for") {
		t.Errorf("the media timeout ended the call: media did not reach the gateway from the source")
	}
}
