//go:build e2e

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestE2EH323RegistersWithGatekeeper: a gateway registers itself with an external
// gatekeeper (h323.gatekeeper, h323.aliases) — here another roomgate's built-in one,
// which lists it in GET /api/v1/h323/registrations — and the first gateway dials the
// second by that alias (resolved from the registration): the call connects (the
// second gateway answers it with its IVR) and the host ends it.
func TestE2EH323RegistersWithGatekeeper(t *testing.T) {
	gk := startH323Gateway(t, "", 0, 0)
	b := startH323Gateway(t, fmt.Sprintf("  gatekeeper: 127.0.0.1:%d\n  aliases: [gateway-b, \"8800\"]\n", gk.RASPort), 0, 0)

	want := fmt.Sprintf("127.0.0.1:%d", b.H323Port)
	var regs []any
	deadline := time.Now().Add(20 * time.Second)
	found := false
	for !found && time.Now().Before(deadline) {
		st, body := gk.do("GET", "/api/v1/h323/registrations", gk.Token, nil)
		if st != 200 {
			t.Fatalf("registrations: %d %v", st, body)
		}
		regs, _ = body["registrations"].([]any)
		for _, r := range regs {
			m, _ := r.(map[string]any)
			aliases := fmt.Sprint(m["aliases"])
			if m["address"] == want && strings.Contains(aliases, "gateway-b") && strings.Contains(aliases, "8800") {
				found = true
				t.Logf("registration: %v", m)
			}
		}
		if !found {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !found {
		t.Fatalf("gateway B (%s) not registered with A's gatekeeper after 20 s: %v\nB's log:\n%s", want, regs, lastN(b.logTail(), 3000))
	}
	if st, _ := gk.do("GET", "/api/v1/h323/registrations", "", nil); st != 401 {
		t.Errorf("registrations without a credential: %d, want 401", st)
	}

	id, _, hostKey := gk.meeting(t, map[string]any{"topic": "dial a gateway by its alias"})
	callID := gk.dialOut(t, hostKey, id, "gateway-b")
	gk.waitCallState(t, hostKey, callID, 30*time.Second, "connected")
	if st, body := gk.do("DELETE", "/api/v1/calls/"+callID, hostKey, nil); st != 204 {
		t.Fatalf("hang up: %d %v", st, body)
	}
	c := gk.waitCallState(t, hostKey, callID, 20*time.Second, "ended")
	t.Logf("call to gateway-b: %v", c)
}
