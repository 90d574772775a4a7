//go:build e2e

// Adversarial end-to-end tests of the media ports (issue 11, "media belongs to the
// call"): an attacker on other loopback addresses (127.0.0.2, 127.0.0.3) that can send
// UDP to the gateway's media range tries to end calls with RTCP BYE, to take a call's
// media before and during the call, to be heard in a meeting, to steer an IVR call with
// telephone-events, to keep a dead call alive, and — after a crash and restart — to
// have a stale peer's stream taken up by a new call.
//
// The room systems are scripted SIP/RTP endpoints (sipRoom in
// attack_media_peers_e2e_test.go): an attack test
// needs what a packet player cannot give — the room's exact SSRC and next sequence
// number for an attacker that knows them, the room falling silent on cue, and the
// audio it receives decoded per phase. They speak plain RFC 3261 over UDP and send
// PCMU (RFC 3551) and telephone-events (RFC 4733) as a room system does.
package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// ---- gateway ----

// startAttackGateway starts roomgate with SIP and a media range of pairs port pairs
// from a block of its own; dir holds config and data (a restart reuses it).
func startAttackGateway(t *testing.T, dir string, pairs int, extraMedia string) *sipGW {
	t.Helper()
	b := int(mediaBlock.Add(1) - 1)
	g := &sipGW{SIPPort: freeSIPPort(t), MediaMin: 20000 + (b%20)*500}
	g.MediaMax = g.MediaMin + 2*pairs - 1
	writeConfig(t, dir, fmt.Sprintf("sip:\n  enabled: true\n  listen: 127.0.0.1:%d\nmedia:\n  port_min: %d\n  port_max: %d\n%s",
		g.SIPPort, g.MediaMin, g.MediaMax, extraMedia))
	t.Cleanup(func() {
		// Runs after the gateway stopped: show its logs when the test failed.
		if t.Failed() {
			entries, _ := os.ReadDir(dir)
			for _, f := range entries {
				if strings.HasPrefix(f.Name(), "roomgate-") {
					b, _ := os.ReadFile(dir + "/" + f.Name())
					var keep []string
					for _, l := range strings.Split(string(b), "\n") {
						if !strings.Contains(l, "level=DEBUG") && !strings.Contains(l, "ListParticipants") {
							keep = append(keep, l)
						}
					}
					t.Logf("%s (tail, without debug lines):\n%s", f.Name(), lastN(strings.Join(keep, "\n"), 200000))
				}
			}
		}
	})
	g.proc = start(t, dir)
	return g
}

// kill ends the gateway process at once, as a crash does.
func (g *sipGW) kill(t *testing.T) {
	t.Helper()
	_ = g.cmd.Process.Kill()
	<-g.exited
	g.exited = nil
}

// logHas reports whether any of the gateway's logs in dir holds s.
func logHas(dir, s string) bool {
	entries, _ := os.ReadDir(dir)
	for _, f := range entries {
		if strings.HasPrefix(f.Name(), "roomgate-") {
			if b, err := os.ReadFile(dir + "/" + f.Name()); err == nil && strings.Contains(string(b), s) {
				return true
			}
		}
	}
	return false
}

const dropLine = "media from outside the call dropped"

// talkingRoom dials user@gateway from 127.0.0.1 with a 440 Hz tone and waits for the
// gateway's RTP; the call ends with the test.
func talkingRoom(t *testing.T, g *sipGW, user string) *sipRoom {
	t.Helper()
	room := dialRoom(t, g, "127.0.0.1", user, 440)
	t.Cleanup(room.hangUp)
	if !room.receiving(25) {
		t.Fatal("no RTP from the gateway before the attack")
	}
	return room
}

// expectMediaKept fails the test when the attacker got any packet from the gateway
// (RTP or RTCP meant for the room) or the room no longer receives the call's RTP.
func expectMediaKept(t *testing.T, a *attacker, room *sipRoom) {
	t.Helper()
	if n := a.got.Load(); n > 0 {
		t.Errorf("the attacker received %d packets from the gateway: the call's media went to it", n)
	}
	if !room.receiving(25) {
		t.Error("the room system does not receive the call's RTP")
	}
}

// ---- the attacks ----

// TestAttackMedia runs the attacks on live calls of one gateway, one subtest per attack
// class; each subtest's attacker sends to the whole media range (it cannot know the
// ports, and a sweep of 60 ports takes microseconds).
func TestAttackMedia(t *testing.T) {
	dir := t.TempDir()
	g := startAttackGateway(t, dir, 30, "  timeout: 6s\n")
	id, _, _ := g.meeting(t, map[string]any{"topic": "attacked"})
	other, _, _ := g.meeting(t, map[string]any{"topic": "the attacker's"})
	ivrTarget, _, _ := g.meeting(t, map[string]any{"topic": "the IVR caller's"})

	t.Run("RTCPByeFromElsewhere", func(t *testing.T) {
		room := talkingRoom(t, g, id)
		a := newAttacker(t, "127.0.0.2", g)
		// BYEs for random SSRCs, and for the room's own SSRC (an attacker that saw it).
		for _, ssrc := range []uint32{rand.Uint32(), rand.Uint32(), room.ssrc} {
			b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: ssrc}, &rtcp.Goodbye{Sources: []uint32{ssrc}}})
			a.sweep(b, false)
			a.sweep(b[8:], false) // the bare 8-byte BYE
		}
		if room.hungUp(2 * time.Second) {
			t.Fatal("an RTCP BYE from another address ended the call")
		}
		if !room.receiving(25) {
			t.Fatal("the call's RTP stopped after the BYE sweep")
		}
		// The room's own BYE, from its RTCP socket, still ends the call.
		b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: room.ssrc}, &rtcp.Goodbye{Sources: []uint32{room.ssrc}}})
		_, _ = room.rtcp.WriteToUDPAddrPort(b, netip.AddrPortFrom(room.gwRTP.Addr(), room.gwRTP.Port()+1))
		if !room.hungUp(5 * time.Second) {
			t.Fatal("the room system's own RTCP BYE did not end the call")
		}
	})

	t.Run("PreLatchSpray", func(t *testing.T) {
		// The attacker streams at every port before the call exists; the room system
		// sends its first packet a second after the answer.
		a := newAttacker(t, "127.0.0.2", g)
		stop := a.stream(rand.Uint32(), 1, 1000)
		time.Sleep(300 * time.Millisecond)
		room := dialRoom(t, g, "127.0.0.1", id, -1)
		defer room.hangUp()
		time.Sleep(time.Second)
		room.setTone(440)
		time.Sleep(2 * time.Second)
		stop()
		expectMediaKept(t, a, room)
	})

	t.Run("MidCallRTCPThenSpoofedRTP", func(t *testing.T) {
		room := talkingRoom(t, g, id)
		a := newAttacker(t, "127.0.0.2", g)
		rr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: rand.Uint32()}})
		a.sweep(rr, false)
		// RTP with the room's SSRC and the sequence numbers it sends next.
		stop := a.stream(room.ssrc, room.nextSeq()+5, 1000)
		time.Sleep(2 * time.Second)
		stop()
		expectMediaKept(t, a, room)
	})

	t.Run("InjectionWhileTalkingAndSilent", func(t *testing.T) {
		talker := dialRoom(t, g, "127.0.0.1", id, 440)
		defer talker.hangUp()
		listener := dialRoom(t, g, "127.0.0.1", id, 0)
		defer listener.hangUp()
		time.Sleep(2 * time.Second) // both in the meeting
		listener.take()
		// One attacker with a stream of its own, one with the talking room's SSRC
		// and sequence numbers.
		a := newAttacker(t, "127.0.0.3", g)
		spoof := newAttacker(t, "127.0.0.2", g)
		defer a.stream(rand.Uint32(), 1, 1000)()
		defer spoof.stream(talker.ssrc, talker.nextSeq()+3, 1000)()

		time.Sleep(3 * time.Second)
		pcm := listener.take()
		s440, loud := toneShare(pcm, 440)
		s1k, _ := toneShare(pcm, 1000)
		t.Logf("room talks: the other room hears 440 Hz share %.2f, 1000 Hz share %.2f (%d loud windows of %d)", s440, s1k, loud, len(pcm)/400)
		if loud < 20 || s440 < 0.5 {
			t.Errorf("the other room does not hear the talking room's 440 Hz (share %.2f, %d loud windows)", s440, loud)
		}
		if s1k > 0.1 {
			t.Errorf("the meeting hears the attacker's 1000 Hz while the room talks (share %.2f)", s1k)
		}

		talker.setTone(-1) // the room falls silent (no packets)
		time.Sleep(4 * time.Second)
		pcm = listener.take()
		s1k, loud1k := toneShare(pcm, 1000)
		t.Logf("room silent: the other room hears 1000 Hz share %.2f in %d loud windows of %d", s1k, loud1k, len(pcm)/400)
		if loud1k > 5 && s1k > 0.3 {
			t.Errorf("the meeting hears the attacker as the silent room: 1000 Hz share %.2f in %d loud windows", s1k, loud1k)
		}
		if !listener.receiving(25) {
			t.Error("the listening room no longer receives RTP")
		}
	})

	t.Run("GhostCallKeptAlive", func(t *testing.T) {
		// The room system dies; the attacker streams at every port. The call ends
		// after media.timeout (6 s) all the same.
		room := talkingRoom(t, g, id)
		a := newAttacker(t, "127.0.0.2", g)
		defer a.stream(rand.Uint32(), 1, 1000)()
		room.setTone(-1)
		if !room.hungUp(10 * time.Second) {
			t.Error("someone else's RTP kept a dead room system's call alive past media.timeout")
		}
	})

	t.Run("IVRSteeringByTelephoneEvents", func(t *testing.T) {
		victim := dialRoom(t, g, "127.0.0.1", "ivr", 0)
		defer victim.hangUp()
		time.Sleep(time.Second)
		a := newAttacker(t, "127.0.0.2", g)
		for range 2 {
			a.dtmf(rand.Uint32(), other+"#")
		}
		time.Sleep(2 * time.Second)
		for _, p := range g.participants(t, other) {
			if p["kind"] == "sip" {
				t.Fatalf("the attacker's telephone-events steered the IVR call into its meeting: %v", p)
			}
		}
		// The room system's own digits still work.
		aFromRoom := &attacker{t: t, conn: victim.rtp, dst: victim.gwRTP.Addr(), ports: []int{int(victim.gwRTP.Port())}}
		aFromRoom.dtmf(victim.ssrc, ivrTarget+"#") // same SSRC and socket as its audio: its own stream
		g.waitSIPParticipant(t, ivrTarget, 10*time.Second)
	})

	if !logHas(dir, dropLine) {
		t.Errorf("the gateway logged no line about dropped media (%q)", dropLine)
	}
}

// TestAttackMediaRestartStalePeer: a room system's call survives its gateway's crash
// on the room's side and keeps streaming; after the restart a new call from another
// room system must not take up the stale stream, whatever port it gets.
func TestAttackMediaRestartStalePeer(t *testing.T) {
	dir := t.TempDir()
	g := startAttackGateway(t, dir, 10, "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "restart"})
	stale := dialRoom(t, g, "127.0.0.3", id, 1000)
	if !stale.receiving(25) {
		t.Fatal("no RTP from the gateway")
	}
	g.kill(t)
	// The stale room system streams on (to its old port, and — a stale peer of any
	// earlier call — to every port of the range).
	stale.setTone(-1)
	a := &attacker{t: t, conn: stale.rtp, dst: stale.gwRTP.Addr(), done: make(chan struct{})}
	for p := g.MediaMin; p <= g.MediaMax; p++ {
		a.ports = append(a.ports, p)
	}
	defer a.stream(stale.ssrc, stale.nextSeq(), 1000)()
	before := stale.received.Load()

	g.proc = start(t, dir)
	room := dialRoom(t, g, "127.0.0.1", id, 440)
	g.waitSIPParticipant(t, id, 20*time.Second)
	defer func() {
		room.hangUp()
		g.waitNoSIPParticipant(t, id, 10*time.Second)
	}()
	if !room.receiving(50) {
		t.Error("the new call's RTP does not reach its room system")
	}
	if n := stale.received.Load() - before; n > 0 {
		t.Errorf("the stale peer received %d RTP packets of the new call", n)
	}
	if room.hungUp(0) {
		t.Error("the new call ended")
	}
	if b, _ := os.ReadFile(g.logPath); !strings.Contains(string(b), dropLine) {
		t.Errorf("the restarted gateway logged no line about dropped media (%q)", dropLine)
	}
}
