//go:build e2e

package main

import (
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ESIPSecureCall: with sip.srtp: required, two baresip room systems that key SRTP
// by SDES (RTP/SAVP, a=crypto) join one meeting, one of them over SIP/TLS checking the
// gateway's self-signed certificate, a third is dialled out: each hears the other's tone and
// decodes the gateway's H.264, and no RTP payload on the wire is readable — every
// payload byte of the capture is as evenly spread as ciphertext is, where G.711 tones
// and H.264 NAL units are far from it. A room system without SRTP is refused.
func TestE2ESIPSecureCall(t *testing.T) {
	tlsPort := freePort(t, "tcp")
	g := startSIPGatewayWith(t, fmt.Sprintf("  srtp: required\n  tls_listen: 127.0.0.1:%d\n", tlsPort), "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "secure rooms"})
	// The gateway made a self-signed certificate on first start: room A trusts it.
	ca := filepath.Join(g.dir, "data", "sip_tls_cert.pem")
	if _, err := os.Stat(ca); err != nil {
		t.Fatalf("no self-signed SIP/TLS certificate in data_dir: %v", err)
	}
	rooms := []*baresip{
		startBaresip(t, baresipOpts{User: "secure-a", AnswerMode: "manual", ToneHz: 1000, RTPMin: 13000, MediaEnc: "srtp-mand", CAFile: ca}),
		startBaresip(t, baresipOpts{User: "secure-b", AnswerMode: "manual", ToneHz: 440, RTPMin: 13200, Codec: "g722", MediaEnc: "srtp-mand"}),
	}
	dials := []string{
		fmt.Sprintf("sip:%s@127.0.0.1:%d;transport=tls", id, tlsPort), // SIP over TLS
		fmt.Sprintf("sip:%s@127.0.0.1:%d", id, g.SIPPort),
	}
	var seen []string
	for i, r := range rooms {
		r.command("dial", dials[i])
		if _, err := r.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
			t.Fatalf("baresip: %v\nbaresip log:\n%s\nserver log:\n%s", err, lastN(r.log(), 3000), g.logTail())
		}
		p := g.waitSIPParticipant(t, id, 15*time.Second, seen...)
		seen = append(seen, fmt.Sprint(p["identity"]))
	}

	if b, _ := os.ReadFile(g.logPath); !strings.Contains(string(b), "transport=TLS") {
		t.Errorf("no INVITE over TLS in the gateway's log; tail:\n%s", g.logTail())
	}

	plain := startBaresip(t, baresipOpts{User: "plain", AnswerMode: "manual", ToneHz: 300, RTPMin: 13400})
	plain.command("dial", fmt.Sprintf("sip:%s@127.0.0.1:%d", id, g.SIPPort))
	if ev, err := plain.waitEvent("CALL_CLOSED", 20*time.Second); err != nil {
		t.Errorf("a room system without SRTP was not refused: %v", err)
	} else if s := fmt.Sprint(ev["param"]); !strings.Contains(s, "488") {
		t.Errorf("plain room system refused with %q, want 488", s)
	}
	plain.stop()

	// Dial-out under srtp: required offers RTP/SAVP with a key; an SRTP room system
	// answers and joins.
	_, _, hostKey := "", "", ""
	if st, m := g.do("GET", "/api/v1/meetings/"+id, g.Token, nil); st == 200 {
		hostKey, _ = m["host_key"].(string)
	}
	callee := startBaresip(t, baresipOpts{User: "secure-c", AnswerMode: "auto", ToneHz: 0, RTPMin: 13600, MediaEnc: "srtp-mand"})
	st, c := g.do("POST", "/api/v1/meetings/"+id+"/dialout", hostKey, map[string]any{"protocol": "sip", "address": fmt.Sprintf("sip:secure-c@127.0.0.1:%d", callee.SIPPort)})
	if st != 202 {
		t.Fatalf("dialout: %d %v", st, c)
	}
	callID, _ := c["id"].(string)
	if final := g.waitCallState(t, hostKey, callID, 20*time.Second, "connected", "busy", "declined", "no_answer", "failed", "ended"); final["state"] != "connected" {
		t.Fatalf("SRTP dial-out: %v\nserver log:\n%s", final, g.logTail())
	}
	seen = append(seen, fmt.Sprint(g.waitSIPParticipant(t, id, 15*time.Second, seen...)["identity"]))
	rooms = append(rooms, callee)

	time.Sleep(8 * time.Second) // all record each other
	hangUpAll(t, g, id, rooms)
	for i, r := range rooms {
		r.stop()
		if i == 2 { // the dialled room is silent and only listens
			if !videoDecoded(r.log()) {
				t.Errorf("dialled SRTP room decoded no H.264 from the gateway; log tail:\n%s", lastN(r.log(), 3000))
			}
			continue
		}
		if !strings.Contains(r.log(), "srtp") {
			t.Errorf("room %d: baresip did not start SRTP; log tail:\n%s", i, lastN(r.log(), 2000))
		}
		samples, rate, file, err := r.recording()
		if err != nil {
			t.Fatal(err)
		}
		keepArtifacts(t, file, fmt.Sprintf("sip-secure-room-%d-received.wav", i))
		want := []float64{440, 1000}[i]
		tone := dominantTone(samples, rate)
		t.Logf("room %d recorded %.1f s at %d Hz: %+v (want %.0f Hz)", i, float64(len(samples))/float64(rate), rate, tone, want)
		if tone.LoudWindows < 10 || math.Abs(tone.Hz-want) > 0.05*want+15 || tone.PeakShare < 0.5 {
			t.Errorf("room %d hears %+v, want the other room's %.0f Hz tone", i, tone, want)
		}
		if !videoDecoded(r.log()) {
			t.Errorf("room %d decoded no H.264 from the gateway; log tail:\n%s", i, lastN(r.log(), 3000))
		}
	}

	g.capture.stop()
	out, err := exec.Command("tshark", tsharkArgs(g.capture.file, g.SIPPort, "-Y", "rtp && !rtpevent && rtp.ext == 0 && rtp.cc == 0", "-T", "fields", "-e", "udp.payload")...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var hist [256]float64
	var n float64
	packets := 0
	for _, l := range strings.Fields(string(out)) {
		b, err := hex.DecodeString(strings.ReplaceAll(l, ":", ""))
		if err != nil || len(b) <= 12 {
			continue
		}
		packets++
		for _, x := range b[12:] { // after the fixed header (no CSRC, no extension: filtered)
			hist[x]++
			n++
		}
	}
	if packets < 500 {
		t.Fatalf("only %d RTP packets in the capture", packets)
	}
	// χ² of the byte histogram against uniform, per degree of freedom: about 1 for
	// ciphertext; in the tens to thousands for G.711 or H.264 in the clear.
	chi := 0.0
	for _, c := range hist {
		d := c - n/256
		chi += d * d / (n / 256)
	}
	chi /= 255
	t.Logf("%d RTP packets, %.0f payload bytes: χ²/dof against uniform bytes %.2f", packets, n, chi)
	if chi > 3 {
		t.Errorf("RTP payloads are not encrypted: their bytes are far from uniform (χ²/dof %.1f)", chi)
	}
}
