//go:build e2e

// NAT and ALG end-to-end tests (issue 14): room systems behind real NATs built with
// network namespaces and nftables (nat_lab_e2e_test.go), the kernel's SIP and H.323
// ALGs, a symmetric NAT, an attacker on the internet side, and a gateway behind a
// one-to-one NAT. Each case checks the call connects and media flows both ways at
// both ends (the browser decodes the room's video and hears its tone; the room
// hears the browser's microphone and decodes complete H.264), and tshark reads the
// case's capture of the gateway's links: zero malformed packets, our SDP/H.245
// addresses the ones the configuration says.
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// natGateway is a gateway listening for SIP (port 5060) and H.323 (1720, gatekeeper
// 1719) on ip, in the e2e process's namespace; nat is YAML for the top-level nat:
// key ("" none). The capture of each case runs on the case's links (natCapture).
func startNATGateway(t *testing.T, ip, nat, extraMedia string) *h323GW {
	t.Helper()
	b := int(mediaBlock.Add(1) - 1)
	g := &sipGW{SIPPort: 5060, MediaMin: 20000 + (b%20)*500}
	// 20 port pairs: the attacker's sweep of the whole range stays light.
	g.MediaMax = g.MediaMin + 39
	dir := t.TempDir()
	writeConfig(t, dir, fmt.Sprintf("sip:\n  enabled: true\n  listen: %[1]s:5060\nh323:\n  enabled: true\n  listen: %[1]s:1720\n"+
		"  ras_listen: %[1]s:1719\nmedia:\n  port_min: %[2]d\n  port_max: %[3]d\n%[4]s%[5]s", ip, g.MediaMin, g.MediaMax, extraMedia, nat))
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(dir, "roomgate-*.log"))
			for _, l := range logs {
				keepArtifacts(t, l, strings.ReplaceAll(t.Name(), "/", "_")+"-roomgate.log")
			}
		}
	})
	g.proc = start(t, dir)
	return &h323GW{sipGW: g, H323Port: 1720, RASPort: 1719}
}

// natCapture captures the host's ends of a case's links for the rest of the
// (sub)test; tshark checks it at the end.
func natCapture(t *testing.T, g *h323GW, ifaces ...string) *capture {
	t.Helper()
	// Only the lab's hosts are on these links: everything on them is the case's.
	c := startCaptureOn(t, ifaces, "ip", g.SIPPort)
	c.sipOptional = true
	t.Cleanup(func() {
		if t.Failed() {
			keepArtifacts(t, c.file, strings.ReplaceAll(t.Name(), "/", "_")+".pcapng")
		}
	})
	return c
}

// natBrowser is the meeting's browser participant and its microphone's tone.
type natBrowser struct {
	peer  *browserPeer
	micHz float64
	seen  []string // identities of room systems already checked
}

func joinNATBrowser(t *testing.T, g *sipGW, id string) *natBrowser {
	t.Helper()
	peer := startBrowserPeer(t, g, id, "Browser Bea", "")
	mic := peer.waitFor("mic_tone", 60*time.Second, func(e map[string]any) bool { return e["event"] == "mic_tone" })
	b := &natBrowser{peer: peer, micHz: num(mic, "hz")}
	if b.micHz < 100 || b.micHz > 3800 {
		t.Fatalf("browser microphone tone %.0f Hz is not measurable through PCMU", b.micHz)
	}
	peer.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })
	return b
}

// getsRoom waits until the browser decodes growing video and audio of a new room
// system whose identity starts with prefix, and returns its identity.
func (b *natBrowser) getsRoom(t *testing.T, prefix string) string {
	t.Helper()
	return b.getsRoomAudible(t, prefix, true)
}

// getsRoomAudible is getsRoom; audible false takes audio packets without energy (a
// room that sends only room noise).
func (b *natBrowser) getsRoomAudible(t *testing.T, prefix string, audible bool) string {
	t.Helper()
	// The peer's waits fail the (sub)test that waits.
	defer func(parent *testing.T) { b.peer.t = parent }(b.peer.t)
	b.peer.t = t
	var ident string
	first := b.peer.waitFor(prefix+"* video frames decoded", 40*time.Second, func(e map[string]any) bool {
		i, s := roomStats(e, prefix, b.seen)
		ident = i
		return s != nil && num(s, "framesDecoded") > 0
	})
	_, s1 := roomStats(first, ident, nil)
	later := b.peer.waitFor(prefix+"* frames and audio growing", 20*time.Second, func(e map[string]any) bool {
		_, s := roomStats(e, ident, nil)
		return s != nil && num(s, "framesDecoded") > num(s1, "framesDecoded")+10 &&
			num(s, "audioPackets") > num(s1, "audioPackets") && (num(s, "audioEnergy") > 0 || !audible)
	})
	_, s2 := roomStats(later, ident, nil)
	t.Logf("browser decodes %s: video %v frames (%v), audio %v packets", ident, num(s2, "framesDecoded"), s2["videoCodec"], num(s2, "audioPackets"))
	b.seen = append(b.seen, ident)
	return ident
}

// heard checks the browser's loud readings of ident's audio: its tone is want Hz, and
// none is near notHz (an attacker's tone; 0: no such check).
func (b *natBrowser) heard(t *testing.T, ident string, want, notHz float64) {
	t.Helper()
	tones := b.peer.remoteTones(ident)
	hz := median(tones)
	t.Logf("browser hears %s at %.0f Hz (%d loud readings)", ident, hz, len(tones))
	if len(tones) < 3 || math.Abs(hz-want) > 60 {
		t.Errorf("browser hears %.0f Hz from %s in %d loud readings, want its %.0f Hz tone", hz, ident, len(tones), want)
	}
	if notHz > 0 {
		if n := len(slices.DeleteFunc(tones, func(h float64) bool { return math.Abs(h-notHz) > 60 })); n > 0 {
			t.Errorf("browser heard the attacker's %.0f Hz in %d readings of %s", notHz, n, ident)
		}
	}
}

// sdpAddrs returns the c= addresses of the SDP src sent in a capture (stopping it).
func sdpAddrs(t *testing.T, c *capture, src string) []string {
	t.Helper()
	return capturedAddrs(t, c, "sdp && ip.src=="+src, "sdp.connection_info.address")
}

// h245Addrs returns the H.245 media addresses src sent (fastStart OLCs in H.225,
// tunnelled or separate H.245) in a capture (stopping it).
func h245Addrs(t *testing.T, c *capture, src string) []string {
	t.Helper()
	return capturedAddrs(t, c, "h245.ip4_network && ip.src=="+src, "h245.ip4_network")
}

// capturedAddrs returns the distinct values of field in the packets matching filter.
func capturedAddrs(t *testing.T, c *capture, filter, field string) []string {
	t.Helper()
	c.stop()
	var out []string
	for _, r := range tsharkFields(t, c.file, []string{"-d", fmt.Sprintf("udp.port==%d,sip", c.sipPort)}, filter, field) {
		for _, a := range strings.Split(r[0], ",") {
			if a != "" && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// wantOnly fails unless got is exactly [want] (what, for the message).
func wantOnly(t *testing.T, what string, got []string, want string) {
	t.Helper()
	if len(got) != 1 || got[0] != want {
		t.Errorf("%s: %v, want only %s", what, got, want)
	}
}

// simSIPRoom runs roomsim as a SIP room system in namespace ns from ip, calling the
// meeting at gw for d with a 1000 Hz tone and generated H.264.
func simSIPRoom(t *testing.T, lab *natLab, ns, name, ip, gw, id string, d time.Duration, more ...string) *sim {
	t.Helper()
	var s *sim
	lab.in(ns, func() {
		s = startSim(t, name, append([]string{"-gw", gw, "-meeting", id, "-n", "1", "-d", d.String(), "-bind", ip,
			"-tone", "1000", "-video", "gen", "-fps", "10", "-rtp-base", "30000"}, more...)...)
	})
	return s
}

// roomDone waits for the room's report and checks it connected and heard the
// browser's microphone and decoded H.264.
func roomDone(t *testing.T, g *sipGW, s *sim, b *natBrowser) simCall {
	t.Helper()
	c := s.call(60 * time.Second)
	if !c.Established {
		t.Fatalf("call not established: %s\n%s\nserver log:\n%s", c.Error, s.logs(), lastN(g.logTail(), 4000))
	}
	checkHears(t, s.name, c, b.micHz, true)
	if t.Failed() {
		t.Logf("%s", s.logs())
	}
	return c
}

// roomCall checks a room system's call (kind sip or h323) from both ends: the
// browser decodes its video and hears its 1000 Hz tone (never notHz, when not 0),
// the room hears the browser and decodes H.264; then it has left the meeting.
func (b *natBrowser) roomCall(t *testing.T, g *h323GW, id string, s *sim, kind string, notHz float64) {
	t.Helper()
	ident := b.getsRoom(t, kind+"-")
	roomDone(t, g.sipGW, s, b)
	b.heard(t, ident, 1000, notHz)
	g.waitNoParticipant(t, id, kind, 15*time.Second)
}

// behindNAT is a room system's place behind a masquerading router: its namespace and
// address, the router's public address and the host's end of the router's link.
type behindNAT struct{ room, roomIP, public, hostIf string }

// TestE2ENATRoomSystems: one gateway on a public address (203.0.113.10) and a browser
// in its meeting; SIP room systems call in from behind a masquerading router, a
// symmetric NAT and a router with the kernel's SIP ALG, one case after another,
// each on its own router, links and capture. The whole network is built before the
// browser joins: its WebRTC stack sees no interface come or go.
func TestE2ENATRoomSystems(t *testing.T) { natRoomSystems(t, "masquerade", "symmetric", "sip-alg") }

// TestE2ENATRoomSystemsALGAttack: the same with an H.323 room behind the kernel's
// H.323 ALG, baresip behind the SIP ALG, and an attacker. A browser of its own: the
// browser peer has been seen to stop reporting after a fourth room left its meeting.
func TestE2ENATRoomSystemsALGAttack(t *testing.T) {
	natRoomSystems(t, "h323-alg", "baresip-sip-alg", "attacker")
}

// natRoomSystems runs the named cases of the room-system NAT suite.
func natRoomSystems(t *testing.T, cases ...string) {
	const gwIP = "203.0.113.10"
	lab := newNATLab(t)
	lab.hostAddr(gwIP)
	nets := map[string]behindNAT{}
	for k, c := range []struct{ name, flags, helpers string }{
		{"masquerade", "", ""}, {"symmetric", "fully-random", ""}, {"sip-alg", "", sipALG(5060)},
		{"baresip-sip-alg", "", sipALG(5060)}, {"h323-alg", "", h323ALG()}, {"attacker", "", ""},
	} {
		if !slices.Contains(cases, c.name) {
			continue
		}
		lan, wan := fmt.Sprintf("10.%d.0.0/24", 11+k), fmt.Sprintf("198.18.%d.", 1+k)
		l := &natLab{t: t, prefix: fmt.Sprintf("%s%c", lab.prefix, 'a'+k)}
		room, _, hostIf := l.masqRouter(hostNS, wan+"2", lan, wan+"1", c.flags, c.helpers)
		nets[c.name] = behindNAT{room, fmt.Sprintf("10.%d.0.2", 11+k), wan + "1", hostIf}
	}
	atk := lab.host("atk")
	_, atkIf := lab.link(atk, "198.18.99.1/24", hostNS, "198.18.99.2/24")
	lab.route(atk, "default", "via", "198.18.99.2")

	g := startNATGateway(t, gwIP, "", "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "NATed rooms"})
	br := joinNATBrowser(t, g.sipGW, id)
	sipGWAddr := fmt.Sprintf("%s:%d", gwIP, g.SIPPort)
	behind := func(name string) (room, roomIP, public, hostIf string) {
		n := nets[name]
		return n.room, n.roomIP, n.public, n.hostIf
	}

	// masquerade: the room's SDP carries its private address; the router rewrites
	// only the IP header. The gateway sends its media to the source it latched (the
	// router's public address), and puts only its own address in its SDP.
	// symmetric: every flow leaves from a new random port (masquerade fully-random),
	// so the room's RTP does not come from the ports its SDP (private address, too)
	// names, nor its SIP from the port of its Via.
	run := func(name string, f func(t *testing.T)) {
		if slices.Contains(cases, name) {
			t.Run(name, f)
		}
	}
	for _, nc := range []struct{ name, flags string }{{"masquerade", ""}, {"symmetric", "fully-random"}} {
		run(nc.name, func(t *testing.T) {
			room, roomIP, _, hostIf := behind(nc.name)
			c := natCapture(t, g, hostIf)
			s := simSIPRoom(t, lab, room, nc.name, roomIP, sipGWAddr, id, 18*time.Second)
			br.roomCall(t, g, id, s, "sip", 0)
			wantOnly(t, "c= of the gateway's SDP", sdpAddrs(t, c, gwIP), gwIP)
		})
	}

	// The router's SIP ALG rewrites the room's Via, Contact and SDP to its public
	// address and opens the media ports it signals.
	run("sip-alg", func(t *testing.T) {
		room, roomIP, public, hostIf := behind("sip-alg")
		c := natCapture(t, g, hostIf)
		s := simSIPRoom(t, lab, room, "sip-alg", roomIP, sipGWAddr, id, 18*time.Second)
		br.roomCall(t, g, id, s, "sip", 0)
		wantOnly(t, "c= of the gateway's SDP", sdpAddrs(t, c, gwIP), gwIP)
		if got := sdpAddrs(t, c, public); !slices.Contains(got, public) {
			t.Errorf("the room's SDP reached the gateway with c= %v: the ALG did not rewrite it to %s", got, public)
		}
	})

	// The H.323 ALG (Q.931 and RAS helpers) rewrites the fastStart and H.245
	// addresses of an H.323 room behind the router.
	run("h323-alg", func(t *testing.T) {
		room, roomIP, public, hostIf := behind("h323-alg")
		c := natCapture(t, g, hostIf)
		var s *sim
		lab.in(room, func() {
			s = startSim(t, "h323-alg", "-h323", gwIP+":1720", "-alias", id, "-bind", roomIP, "-tone", "1000",
				"-video", "gen", "-fps", "10", "-d", "18s", "-display", "NATed Room")
		})
		br.roomCall(t, g, id, s, "h323", 0)
		// The gateway's fastStart answer also echoes the room's addresses (as the ALG
		// rewrote them); a private address in it would be the ALG's or our mistake.
		if got := h245Addrs(t, c, gwIP); !slices.Contains(got, gwIP) || slices.ContainsFunc(got, func(a string) bool { return a != gwIP && a != public }) {
			t.Errorf("H.245 addresses the gateway sent: %v, want %s (and the room's %s)", got, gwIP, public)
		}
		wantOnly(t, "H.245 addresses in the room's messages after its router's ALG", h245Addrs(t, c, public), public)
	})

	// baresip, a SIP user agent of its own make, behind the SIP ALG.
	run("baresip-sip-alg", func(t *testing.T) {
		room, roomIP, _, hostIf := behind("baresip-sip-alg")
		natCapture(t, g, hostIf)
		var b *baresip
		lab.in(room, func() {
			b = startBaresip(t, baresipOpts{User: "room", AnswerMode: "manual", ToneHz: 1000, RTPMin: 12000, IP: roomIP})
		})
		b.command("dial", "sip:"+id+"@"+sipGWAddr)
		if _, err := b.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
			t.Fatalf("baresip: %v\nbaresip log:\n%s\nserver log:\n%s", err, lastN(b.log(), 3000), g.logTail())
		}
		ident := br.getsRoom(t, "sip-")
		time.Sleep(6 * time.Second) // baresip records the browser
		b.command("hangup", "")
		if _, err := b.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
			t.Errorf("baresip hang-up: %v", err)
		}
		g.waitNoParticipant(t, id, "sip", 15*time.Second)
		b.stop()
		br.heard(t, ident, 1000, 0)
		samples, rate, _, err := b.recording()
		if err != nil {
			t.Fatal(err)
		}
		tone := dominantTone(samples, rate)
		t.Logf("baresip recorded %.1f s: %+v; browser microphone %.0f Hz", float64(len(samples))/float64(rate), tone, br.micHz)
		if tone.LoudWindows < 10 || math.Abs(tone.Hz-br.micHz) > 0.05*br.micHz+15 || tone.PeakShare < 0.5 {
			t.Errorf("baresip hears %+v, want the browser's %.0f Hz tone", tone, br.micHz)
		}
		if !videoDecoded(b.log()) {
			t.Errorf("baresip decoded no H.264 from the gateway; log tail:\n%s", lastN(b.log(), 3000))
		}
	})

	// Last, for the load its sweep puts on a small machine: an attacker on the
	// internet side sends RTP with a tone of its own to every port of the gateway's
	// media range, before the room calls and all through its
	// call: none of it reaches the meeting, the gateway sends it nothing, and the
	// room keeps its media both ways.
	run("attacker", func(t *testing.T) {
		room, roomIP, _, hostIf := behind("attacker")
		c := natCapture(t, g, hostIf, atkIf)
		var a *attacker
		lab.in(atk, func() { a = newAttacker(t, "198.18.99.1", g.sipGW) })
		a.dst = netip.MustParseAddr(gwIP)
		stop := a.stream(rand.Uint32(), uint16(rand.N(30000)), 2500)
		defer stop()
		time.Sleep(2 * time.Second) // before the call
		s := simSIPRoom(t, lab, room, "attacked", roomIP, sipGWAddr, id, 18*time.Second)
		br.roomCall(t, g, id, s, "sip", 2500)
		stop()
		if n := a.got.Load(); n > 0 {
			t.Errorf("the attacker received %d packets from the gateway", n)
		}
		if !logHas(g.dir, dropLine) {
			t.Errorf("no %q in the gateway's log: the attacker's packets were not seen", dropLine)
		}
		wantOnly(t, "c= of the gateway's SDP", sdpAddrs(t, c, gwIP), gwIP)
	})
}
