//go:build e2e

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2EH323Tshark: tshark dissects a capture of H.323 test calls with the gateway's
// call signalling on TCP 1720 and its gatekeeper on UDP 1719 (the ports tshark's
// H.225.0 dissectors take by default): a fastStart dial-in with tunnelled H.245, a
// dial-in with separate H.245 (tshark follows the h245Address of Setup/Connect), a
// room system registering with the gatekeeper (RRQ/RCF … URQ/UCF) and the gateway
// dialling it by that alias (call signalling on the room's port, which tshark's
// Q.931-over-TPKT heuristic finds). Zero malformed packets and zero expert errors
// with the RTP heuristics and H.264 on the dynamic payload type; each call's message
// sequence as tshark reads it: Setup, CallProceeding, Alerting, Connect, Facility
// (tunnelled TCS, MSD and their Acks) … endSessionCommand, ReleaseComplete; OLC and
// OLCAck for G.722 and H.264 on the separate H.245 connection; G.722 and H.264 RTP.
func TestE2EH323Tshark(t *testing.T) {
	// Inside the test's private network namespace nothing else takes 1720 and 1719.
	g := startH323Gateway(t, "", 1720, 1719)
	capt := startH323Capture(t, g)
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "H.323 capture"})

	for _, c := range []struct {
		name string
		args []string
	}{
		{"faststart-tunnel", nil},
		{"separate-h245", []string{"-faststart=false", "-tunnel=false", "-h245-early"}},
	} {
		room := startSim(t, c.name, append([]string{"-h323", g.h323Addr(), "-alias", id, "-tone", "1000",
			"-video", "gen", "-fps", "10", "-d", "2s"}, c.args...)...)
		if rc := room.call(30 * time.Second); !rc.Established {
			t.Fatalf("%s: call not established: %+v\n%s", c.name, rc, room.logs())
		}
		g.waitNoParticipant(t, id, "h323", 10*time.Second)
	}
	// A room system registers with the gatekeeper and is dialled by its alias.
	answerPort := freePort(t, "tcp")
	reg := startSim(t, "register", "-answer", fmt.Sprintf("127.0.0.1:%d", answerPort), "-gk", fmt.Sprintf("127.0.0.1:%d", g.RASPort),
		"-register", "room-cap", "-tone", "1000", "-video", "gen", "-fps", "10", "-d", "30s", "-ring", "200ms")
	reg.waitLine("registered:", 20*time.Second)
	callID := g.dialOut(t, hostKey, id, "room-cap")
	g.waitCallState(t, hostKey, callID, 15*time.Second, "connected")
	time.Sleep(2 * time.Second) // media both ways
	if st, body := g.do("DELETE", "/api/v1/calls/"+callID, hostKey, nil); st != 204 {
		t.Errorf("DELETE call: %d %v", st, body)
	}
	if rc := reg.call(20 * time.Second); !rc.Established {
		t.Errorf("dialled room: %+v\n%s", rc, reg.logs())
	}
	capt.stop()

	// Every dynamic payload type in this capture is H.264 (no DTMF is sent).
	var args []string
	for _, pt := range tsharkFields(t, capt.file, nil, "rtp.p_type >= 96", "rtp.p_type") {
		if as := "rtp.pt==" + pt[0] + ",h264"; !slices.Contains(args, as) {
			args = append(args, "-d", as)
		}
	}
	if bad := tsharkFields(t, capt.file, args, "_ws.malformed || _ws.expert.severity == error",
		"frame.number", "frame.protocols", "_ws.col.Info"); len(bad) > 0 {
		t.Errorf("tshark reports %d malformed/erroneous packets, e.g. %v", len(bad), bad[:min(len(bad), 10)])
	}
	rtp := tsharkFields(t, capt.file, args, "rtp", "rtp.p_type", "frame.protocols")
	g722, h264 := 0, 0
	for _, r := range rtp {
		switch {
		case r[0] == "9":
			g722++
		case strings.HasSuffix(r[1], ":rtp:h264"):
			h264++
		}
	}
	t.Logf("RTP: %d packets, %d G.722, %d H.264 (decode-as %v)", len(rtp), g722, h264, args)
	if g722 < 100 || h264 < 30 {
		t.Errorf("RTP: %d G.722 and %d H.264 packets in the capture, want the three calls' media", g722, h264)
	}

	streams := h323Streams(t, capt.file)
	var toGW []*h323Stream
	var h245Only, dialOut *h323Stream
	for _, s := range streams {
		switch {
		case s.q931 && s.dstPort == g.H323Port:
			toGW = append(toGW, s)
		case s.q931 && s.dstPort == answerPort:
			dialOut = s
		case !s.q931 && slices.Contains(s.msgs, "terminalCapabilitySet"):
			h245Only = s
		}
		t.Logf("tcp stream %s (%d→%d): %v", s.id, s.srcPort, s.dstPort, s.msgs)
	}
	if len(toGW) != 2 || h245Only == nil || dialOut == nil {
		t.Fatalf("want two call-signalling streams to 1720, one separate H.245 stream and one to the dialled room on %d; got %d, %v, %v",
			answerPort, len(toGW), h245Only != nil, dialOut != nil)
	}
	tunnelled := []string{"setup", "callProceeding", "alerting", "connect", "facility", "terminalCapabilitySet", "masterSlaveDetermination",
		"terminalCapabilitySetAck", "masterSlaveDeterminationAck", "endSessionCommand", "releaseComplete"}
	for _, c := range []struct {
		name string
		s    *h323Stream
	}{{"fastStart dial-in", toGW[0]}, {"dial-out", dialOut}} {
		c.s.wantSequence(t, c.name, tunnelled...)
		// fastStart: proposed in Setup, answered in Alerting or Connect.
		if n := strings.Count(strings.Join(c.s.infos, "|"), "OpenLogicalChannel"); n < 2 {
			t.Errorf("%s: fastStart OpenLogicalChannel elements in %d messages, want Setup and the answer", c.name, n)
		}
	}
	sep := toGW[1]
	sep.wantSequence(t, "separate H.245 call signalling", "setup", "callProceeding", "alerting", "connect", "releaseComplete")
	if slices.Contains(sep.msgs, "terminalCapabilitySet") || slices.Contains(sep.msgs, "facility") {
		t.Errorf("separate H.245 call: H.245 tunnelled in its call signalling: %v", sep.msgs)
	}
	h245Only.wantSequence(t, "separate H.245", "terminalCapabilitySet", "masterSlaveDetermination", "terminalCapabilitySetAck",
		"masterSlaveDeterminationAck", "openLogicalChannel", "openLogicalChannelAck", "endSessionCommand")
	infos := strings.Join(h245Only.infos, "|")
	if strings.Count(infos, "openLogicalChannel (g722-64k)") != 2 || strings.Count(infos, "openLogicalChannel (genericVideoCapability)") != 2 ||
		strings.Count(infos, "openLogicalChannelAck") != 4 {
		t.Errorf("separate H.245: want G.722 and H.264 (genericVideoCapability) channels opened and acknowledged both ways: %v", h245Only.infos)
	}

	var ras []string
	for _, r := range tsharkFields(t, capt.file, nil, "h225 && udp", "udp.srcport", "_ws.col.Info") {
		msg, _ := strings.CutPrefix(strings.TrimSpace(r[1]), "RAS: ")
		ras = append(ras, r[0]+":"+msg)
	}
	t.Logf("RAS: %v", ras)
	gk := strconv.Itoa(g.RASPort) + ":"
	want := []string{"registrationRequest", gk + "registrationConfirm", "unregistrationRequest", gk + "unregistrationConfirm"}
	if !subsequence(ras, want, func(have, w string) bool { return have == w || strings.HasSuffix(have, ":"+w) }) {
		t.Errorf("RAS: %v, want RRQ, RCF from %d, URQ, UCF from %d", ras, g.RASPort, g.RASPort)
	}
}

// h323Stream is one TCP connection's H.225.0/H.245 messages as tshark names them.
type h323Stream struct {
	id               string
	srcPort, dstPort int  // of its first packet
	q931             bool // call signalling (else H.245 only)
	msgs             []string
	fromCaller       []bool   // per message: sent from the first packet's source
	infos            []string // tshark's Info column, one per packet
}

// h323Streams reads the capture's call-signalling and H.245 TCP connections.
func h323Streams(t *testing.T, file string) []*h323Stream {
	t.Helper()
	paren := regexp.MustCompile(`\([^)]*\)`)
	var out []*h323Stream
	byID := map[string]*h323Stream{}
	for _, r := range tsharkFields(t, file, nil, "tcp && (q931 || h245)", "tcp.stream", "tcp.srcport", "tcp.dstport", "frame.protocols", "_ws.col.Info") {
		s := byID[r[0]]
		if s == nil {
			src, _ := strconv.Atoi(r[1])
			dst, _ := strconv.Atoi(r[2])
			s = &h323Stream{id: r[0], srcPort: src, dstPort: dst}
			byID[r[0]] = s
			out = append(out, s)
		}
		s.q931 = s.q931 || strings.Contains(r[3], ":q931")
		caller := r[1] == strconv.Itoa(s.srcPort)
		info := strings.TrimSpace(r[4])
		s.infos = append(s.infos, info)
		info, _ = strings.CutPrefix(info, "CS: ")
		for _, m := range strings.Fields(paren.ReplaceAllString(info, "")) {
			if m != "OpenLogicalChannel" { // a fastStart element, not a message
				s.msgs = append(s.msgs, strings.TrimSuffix(m, ","))
				s.fromCaller = append(s.fromCaller, caller)
			}
		}
	}
	return out
}

// wantSequence: want occurs in s's messages in this order; Setup comes from the
// caller, CallProceeding, Alerting and Connect from the callee; after the first
// ReleaseComplete only the teardown that crossed it on the wire (endSessionCommand,
// ReleaseComplete) follows.
func (s *h323Stream) wantSequence(t *testing.T, what string, want ...string) {
	t.Helper()
	if !subsequence(s.msgs, want, func(a, b string) bool { return a == b }) {
		t.Errorf("%s (tcp stream %s): tshark reads %v, want in order %v", what, s.id, s.msgs, want)
	}
	if i := slices.Index(s.msgs, "releaseComplete"); i >= 0 {
		for _, m := range s.msgs[i+1:] {
			if m != "facility" && m != "endSessionCommand" && m != "releaseComplete" {
				t.Errorf("%s (tcp stream %s): %s after releaseComplete: %v", what, s.id, m, s.msgs)
			}
		}
	}
	for i, m := range s.msgs {
		switch m {
		case "setup":
			if !s.fromCaller[i] {
				t.Errorf("%s (tcp stream %s): setup from the callee", what, s.id)
			}
		case "callProceeding", "alerting", "connect":
			if s.fromCaller[i] {
				t.Errorf("%s (tcp stream %s): %s from the caller", what, s.id, m)
			}
		}
	}
}

// subsequence: want's elements match have's in order (not necessarily adjacent).
func subsequence(have, want []string, match func(have, want string) bool) bool {
	i := 0
	for _, h := range have {
		if i < len(want) && match(h, want[i]) {
			i++
		}
	}
	return i == len(want)
}

// tsharkFields returns the fields of the packets of file matching filter, one row per
// packet (RTP/RTCP heuristics on; extra decode-as args before the filter).
func tsharkFields(t *testing.T, file string, extra []string, filter string, fields ...string) [][]string {
	t.Helper()
	args := append(slices.Clone(extra), "-Y", filter, "-T", "fields")
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", tsharkArgs(file, 0, args...)...).Output()
	if err != nil {
		t.Fatalf("tshark -Y %q: %v", filter, err)
	}
	var rows [][]string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

// startH323Capture captures, on lo, the gateway's H.323 call signalling and RAS ports,
// every other TCP connection but the web's and the meeting core's (separate H.245,
// dial-out signalling) and its RTP media range.
func startH323Capture(t *testing.T, g *h323GW) *capture { return h323Capture(t, g, g.dir, 0) }

// h323Capture starts the capture of an H.323 gateway whose config is in dir (sipPort,
// when not 0, adds its SIP port, decoded as SIP by the check at the end).
func h323Capture(t *testing.T, g *h323GW, dir string, sipPort int) *capture {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(dir, "roomgate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	filter := fmt.Sprintf("tcp port %d or udp port %d or udp portrange %d-%d or (tcp", g.H323Port, g.RASPort, g.MediaMin, g.MediaMax)
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:listen: 127\.0\.0\.1:|port: |rtc_tcp_port: )(\d+)\s*$`).FindAllStringSubmatch(string(cfg), -1) {
		if m[1] != fmt.Sprint(sipPort) {
			filter += " and not port " + m[1]
		}
	}
	filter += ")"
	if sipPort > 0 {
		filter += fmt.Sprintf(" or port %d", sipPort)
	}
	c := startCapture(t, filter, sipPort)
	c.sipOptional = true
	t.Cleanup(func() {
		if t.Failed() {
			keepArtifacts(t, c.file, strings.ReplaceAll(t.Name(), "/", "_")+".pcapng")
		}
	})
	return c
}
