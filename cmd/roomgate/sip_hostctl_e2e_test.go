//go:build e2e

package main

import (
	"fmt"
	"testing"
	"time"
)

// TestE2ESIPHostControls: the host mutes a dialled-in room system (its audio stops at
// the meeting core), unmutes it (a room system cannot be asked, so it is unmuted), then
// removes it, which hangs up its call with BYE.
func TestE2ESIPHostControls(t *testing.T) {
	g := startSIPGateway(t, "")
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "SIP host controls"})
	room := startBaresip(t, baresipOpts{User: "room", AnswerMode: "auto", ToneHz: 1000, RTPMin: 12600})
	room.command("dial", fmt.Sprintf("sip:%s@127.0.0.1:%d", id, g.SIPPort))
	if _, err := room.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
		t.Fatalf("baresip: %v\n%s", err, g.logTail())
	}
	p := g.waitSIPParticipant(t, id, 15*time.Second)
	ident := p["identity"].(string)
	muted := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			for _, q := range g.participants(t, id) {
				if q["identity"] == ident && q["audio_muted"] == want {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("room system audio_muted never became %v: %v", want, g.participants(t, id))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	muted(false)
	if st, body := g.do("POST", "/api/v1/meetings/"+id+"/participants/"+ident+"/mute", hostKey, nil); st != 204 {
		t.Fatalf("mute: %d %v", st, body)
	}
	muted(true)
	if st, body := g.do("POST", "/api/v1/meetings/"+id+"/participants/"+ident+"/unmute", hostKey, nil); st != 204 {
		t.Fatalf("unmute: %d %v", st, body)
	}
	muted(false)
	if st, body := g.do("POST", "/api/v1/meetings/"+id+"/participants/"+ident+"/remove", hostKey, nil); st != 204 {
		t.Fatalf("remove: %d %v", st, body)
	}
	if _, err := room.waitEvent("CALL_CLOSED", 15*time.Second); err != nil {
		t.Fatalf("removed room system did not get BYE: %v\n%s", err, g.logTail())
	}
	g.waitNoSIPParticipant(t, id, 10*time.Second)
}
