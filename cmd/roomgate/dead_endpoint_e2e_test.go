//go:build e2e

package main

import (
	"fmt"
	"testing"
	"time"
)

// TestE2ESIPKilledRoomSystemLeaves: a room system that dies mid-call (SIGKILL: no BYE,
// no RTCP BYE) is gone from the meeting within the media timeout + 2 s. Before, the
// gateway waited for the BYE to the dead peer (its transaction lasts 64·T1 = 32 s)
// before it left the meeting and freed the ports.
func TestE2ESIPKilledRoomSystemLeaves(t *testing.T) {
	const timeout = 3 * time.Second
	g := startSIPGateway(t, fmt.Sprintf("  timeout: %s\n", timeout))
	id, _, _ := g.meeting(t, map[string]any{"topic": "dead endpoint"})
	room := startBaresip(t, baresipOpts{User: "room", AnswerMode: "manual", ToneHz: 800, RTPMin: 12400})
	room.command("dial", fmt.Sprintf("sip:%s@127.0.0.1:%d", id, g.SIPPort))
	if _, err := room.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
		t.Fatalf("dial: %v\nserver log:\n%s", err, g.logTail())
	}
	p := g.waitSIPParticipant(t, id, 15*time.Second)

	killed := time.Now()
	if err := room.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-room.exited
	room.cmd = nil

	// Poll until the participant is gone; the limit is the media timeout + 2 s (plus
	// the poll interval).
	limit := timeout + 2*time.Second
	var gone time.Duration
	for time.Since(killed) < limit+20*time.Second {
		found := false
		for _, q := range g.participants(t, id) {
			found = found || q["identity"] == p["identity"]
		}
		if !found {
			gone = time.Since(killed)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("killed room system left the meeting %v after SIGKILL (media timeout %v)", gone, timeout)
	if gone == 0 {
		t.Fatalf("killed room system still in the meeting %v later\nserver log tail:\n%s", limit+20*time.Second, lastN(g.logTail(), 3000))
	}
	if gone > limit+250*time.Millisecond {
		t.Errorf("killed room system left %v after it died, want within media timeout + 2 s = %v", gone, limit)
	}
}
