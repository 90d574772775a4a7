//go:build e2e

package main

import (
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// dialOut POSTs an H.323 dial-out and returns the call ID.
func (g *h323GW) dialOut(t *testing.T, auth, meeting, address string) string {
	t.Helper()
	st, c := g.do("POST", "/api/v1/meetings/"+meeting+"/dialout", auth, map[string]any{"protocol": "h323", "address": address})
	if st != 201 && st != 202 && st != 200 {
		t.Fatalf("dialout %s: %d %v", address, st, c)
	}
	id, _ := c["id"].(string)
	if id == "" {
		t.Fatalf("dialout %s: no call id in %v", address, c)
	}
	return id
}

// TestE2EH323DialOut: the meeting dials an H.323 room system (roomsim answering)
// at IP:port, at IP:port##alias, and by the alias it registered with the built-in
// gatekeeper; the call goes ringing → connected, media flows both ways with the SIP
// room in the meeting, and DELETE ends it. A dial-out cancelled while the room is
// alerting ends before Connect.
func TestE2EH323DialOut(t *testing.T) {
	g := startH323Gateway(t, "", 0, 0)
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "H.323 dial-out"})
	sipRoom := startSim(t, "sip", "-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", id, "-n", "1", "-d", "40s",
		"-tone", "440", "-rtp-base", "15000")
	sipRoom.waitLine("started:", 20*time.Second)

	cases := []struct{ name, address string }{
		{"ip-port", "127.0.0.1:%d"},
		{"ip-alias", "127.0.0.1:%d##room-b"},
		{"gatekeeper-alias", "room-gk"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := freePort(t, "tcp")
			args := []string{"-answer", "127.0.0.1:" + strconv.Itoa(port), "-tone", "1000", "-d", "30s", "-ring", "500ms",
				"-vendor", "Tandberg MXP", "-vendor-version", "F9.3"}
			if c.name == "gatekeeper-alias" {
				args = append(args, "-gk", fmt.Sprintf("127.0.0.1:%d", g.RASPort), "-register", "room-gk")
			}
			room := startSim(t, "answer", args...)
			if c.name == "gatekeeper-alias" {
				room.waitLine("registered:", 20*time.Second)
			} else {
				room.waitLine("listening:", 10*time.Second)
			}
			addr := c.address
			if c.name != "gatekeeper-alias" {
				addr = fmt.Sprintf(c.address, port)
			}
			callID := g.dialOut(t, hostKey, id, addr)
			g.waitCallState(t, hostKey, callID, 15*time.Second, "ringing")
			g.waitCallState(t, hostKey, callID, 15*time.Second, "connected")
			p := g.waitParticipant(t, id, "h323", 15*time.Second)
			if p["product"] != "Tandberg MXP" || p["version"] != "F9.3" {
				t.Errorf("dialled room listed as %v", p)
			}
			time.Sleep(6 * time.Second) // media both ways
			if st, body := g.do("DELETE", "/api/v1/calls/"+callID, hostKey, nil); st != 204 {
				t.Errorf("DELETE call: %d %v", st, body)
			}
			g.waitCallState(t, hostKey, callID, 10*time.Second, "ended")
			rc := room.call(20 * time.Second)
			t.Logf("answering room: %+v", rc)
			if !rc.Established || rc.EndBy != "remote" || rc.Cause != 16 {
				t.Errorf("answering room: established %v, ended by %q cause %d; want released by the gateway, cause 16\n%s", rc.Established, rc.EndBy, rc.Cause, room.logs())
			}
			checkHears(t, "the dialled room", rc, 440, false)
			g.waitNoParticipant(t, id, "h323", 10*time.Second)
		})
	}

	t.Run("cancel-while-alerting", func(t *testing.T) {
		port := freePort(t, "tcp")
		room := startSim(t, "answer", "-answer", "127.0.0.1:"+strconv.Itoa(port), "-ring", "60s", "-d", "1s")
		room.waitLine("listening:", 10*time.Second)
		callID := g.dialOut(t, hostKey, id, fmt.Sprintf("127.0.0.1:%d", port))
		g.waitCallState(t, hostKey, callID, 15*time.Second, "ringing")
		if st, body := g.do("DELETE", "/api/v1/calls/"+callID, hostKey, nil); st != 204 {
			t.Errorf("DELETE call: %d %v", st, body)
		}
		g.waitCallState(t, hostKey, callID, 10*time.Second, "ended", "cancelled", "canceled", "failed")
		rc := room.call(20 * time.Second)
		t.Logf("cancelled room: %+v", rc)
		if rc.Established || rc.EndBy != "remote" {
			t.Errorf("cancelled room: established %v, ended by %q; want released by the gateway before Connect", rc.Established, rc.EndBy)
		}
	})
	sipRoom.cmd.Process.Signal(syscall.SIGTERM)
}

// TestE2EH323Failures: a locked meeting refuses the Setup with cause 21 and
// destinationRejection; a well-formed ID of no meeting is answered like a protected
// meeting (dialling IDs enumerates nothing, as over SIP) and released with a cause
// once the IVR's three password tries are used up; a room
// system whose TCP connection drops mid-call (process killed) leaves the meeting; a
// room that never answers H.245 is released after h323.media_timeout; a room that
// sends ReleaseComplete leaves, and the gateway's ReleaseComplete (participant
// removed) reaches the room.
func TestE2EH323Failures(t *testing.T) {
	g := startH323Gateway(t, "  media_timeout: 3s\n", 0, 0)
	id, _, _ := g.meeting(t, map[string]any{"topic": "H.323 failures"})

	t.Run("locked-meeting", func(t *testing.T) {
		locked, _, host := g.meeting(t, map[string]any{"topic": "H.323 locked"})
		if st, body := g.do("PATCH", "/api/v1/meetings/"+locked, host, map[string]any{"settings": map[string]any{"locked": true}}); st != 200 {
			t.Fatalf("lock: %d %v", st, body)
		}
		room := startSim(t, "locked", "-h323", g.h323Addr(), "-alias", locked, "-d", "1s")
		rc := room.call(20 * time.Second)
		t.Logf("locked meeting: %+v", rc)
		if rc.Established || rc.Cause != 21 || rc.Reason != "destinationRejection" || rc.EndBy != "remote" {
			t.Errorf("Setup to a locked meeting: established %v, cause %d %q by %q; want ReleaseComplete cause 21 destinationRejection before Connect",
				rc.Established, rc.Cause, rc.Reason, rc.EndBy)
		}
	})
	t.Run("unknown-meeting", func(t *testing.T) {
		room := startSim(t, "unknown", "-h323", g.h323Addr(), "-alias", "99999999999", "-dtmf", "111111#222222#333333#", "-d", "60s")
		rc := room.call(60 * time.Second)
		t.Logf("unknown meeting: %+v", rc)
		if !rc.Established || rc.Cause == 0 || rc.EndBy != "remote" {
			t.Errorf("Setup to an unknown meeting: established %v, cause %d by %q; want answered into the IVR, then released by the gateway with a cause after three wrong passwords",
				rc.Established, rc.Cause, rc.EndBy)
		}
	})
	t.Run("tcp-drop", func(t *testing.T) {
		room := startSim(t, "drop", "-h323", g.h323Addr(), "-alias", id, "-d", "60s")
		g.waitParticipant(t, id, "h323", 20*time.Second)
		_ = room.cmd.Process.Kill()
		g.waitNoParticipant(t, id, "h323", 10*time.Second)
	})
	t.Run("no-h245-answer", func(t *testing.T) {
		begin := time.Now()
		room := startSim(t, "noh245", "-h323", g.h323Addr(), "-alias", id, "-faststart=false", "-no-h245", "-d", "30s")
		rc := room.call(30 * time.Second)
		t.Logf("no H.245 answer: %+v after %v", rc, time.Since(begin))
		if rc.EndBy != "remote" || rc.EndWhy != "released" {
			t.Errorf("a room that never answers H.245: ended by %q (%s), want the gateway's ReleaseComplete after media_timeout", rc.EndBy, rc.EndWhy)
		}
		g.waitNoParticipant(t, id, "h323", 10*time.Second)
	})
	t.Run("release-by-room", func(t *testing.T) {
		room := startSim(t, "release", "-h323", g.h323Addr(), "-alias", id, "-d", "3s")
		g.waitParticipant(t, id, "h323", 20*time.Second)
		rc := room.call(20 * time.Second)
		if !rc.Established || rc.EndBy != "local" || rc.Cause != 16 {
			t.Errorf("room's ReleaseComplete: %+v", rc)
		}
		g.waitNoParticipant(t, id, "h323", 10*time.Second)
	})
	t.Run("release-by-gateway", func(t *testing.T) {
		room := startSim(t, "kicked", "-h323", g.h323Addr(), "-alias", id, "-d", "60s")
		p := g.waitParticipant(t, id, "h323", 20*time.Second)
		ident := fmt.Sprint(p["identity"])
		if st, body := g.do("POST", "/api/v1/meetings/"+id+"/participants/"+ident+"/remove", g.Token, nil); st != 204 && st != 200 {
			t.Fatalf("remove participant: %d %v", st, body)
		}
		rc := room.call(20 * time.Second)
		t.Logf("removed: %+v", rc)
		if !rc.Established || rc.EndBy != "remote" || rc.EndWhy != "released" {
			t.Errorf("removed room: %+v, want the gateway's ReleaseComplete", rc)
		}
	})
}
