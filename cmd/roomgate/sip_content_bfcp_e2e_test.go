//go:build e2e

package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/bfcp"
)

// bfcpWire captures the media range over UDP and TCP (the gateway's BFCP port is one
// of it) and, with extra, a test-side filter for the rest of the test.
func bfcpWire(t *testing.T, g *sipGW, extra string) *capture {
	t.Helper()
	f := fmt.Sprintf("portrange %d-%d", g.MediaMin, g.MediaMax)
	if extra != "" {
		f += " or " + extra
	}
	return startCapture(t, f, 0)
}

// checkBFCPWire stops the capture and has tshark dissect, as BFCP on port, every
// message the gateway sent (the packets with a payload matching filter): at least
// one, each BFCP, none malformed, no expert error. tshark 4.0 (Debian 12) dissects
// BFCP version 1 only (wireshark issue 18717): version 2 datagrams are dissected
// with the version bits set to 1, their layout being the same.
func checkBFCPWire(t *testing.T, c *capture, network, filter string, port int) {
	t.Helper()
	c.stop()
	file, decode, sel := c.file, "tcp.port=="+strconv.Itoa(port)+",bfcp", "("+filter+") && tcp.len > 0"
	if network == "udp" {
		file, decode, sel = bfcpUDPv1(t, c.file, filter), "udp.port==5070,bfcp", "udp"
	}
	out, err := exec.Command("tshark", "-r", file, "-n", "-d", decode, "-Y", sel,
		"-T", "fields", "-e", "frame.number", "-e", "bfcp.primitive", "-e", "_ws.malformed", "-e", "_ws.expert.severity").Output()
	if err != nil {
		t.Errorf("tshark on BFCP: %v", err)
		return
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Errorf("no BFCP message from the gateway in the capture (%s)", filter)
		return
	}
	prims := map[string]int{}
	for _, l := range lines {
		f := append(strings.Split(l, "\t"), "", "", "")
		if f[1] == "" {
			t.Errorf("frame %s: not dissected as BFCP: %q", f[0], l)
		}
		// _ws.expert.severity 8388608 is an error.
		if f[2] != "" || strings.Contains(f[3], "8388608") {
			t.Errorf("frame %s: malformed or expert error: %q", f[0], l)
		}
		prims[f[1]]++
	}
	t.Logf("BFCP messages from the gateway dissected by tshark: %d, by primitive %v", len(lines), prims)
	if t.Failed() {
		keepArtifacts(t, file, strings.NewReplacer("/", "_").Replace(t.Name())+"-bfcp.pcap")
	}
}

// bfcpUDPv1 writes the UDP payloads matching filter to a new pcap (127.0.0.1 →
// 127.0.0.2, port 5070), version 2 headers patched to version 1 for tshark 4.0.
func bfcpUDPv1(t *testing.T, file, filter string) string {
	t.Helper()
	out, err := exec.Command("tshark", "-r", file, "-n", "-Y", "("+filter+") && udp.length > 8", "-T", "fields", "-e", "udp.payload").Output()
	if err != nil {
		t.Fatalf("tshark payloads: %v", err)
	}
	var dump strings.Builder
	for _, h := range strings.Fields(string(out)) {
		b, err := hex.DecodeString(strings.ReplaceAll(h, ":", ""))
		if err != nil || len(b) == 0 {
			continue
		}
		if b[0]>>5 == 2 {
			b[0] = 1<<5 | b[0]&0x1f
		}
		dump.WriteString("000000")
		for _, x := range b {
			fmt.Fprintf(&dump, " %02x", x)
		}
		dump.WriteString("\n")
	}
	dir := t.TempDir()
	txt, pcap := filepath.Join(dir, "bfcp.txt"), filepath.Join(dir, "bfcp.pcap")
	if err := os.WriteFile(txt, []byte(dump.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("text2pcap", "-q", "-4", "127.0.0.1,127.0.0.2", "-u", "5070,5070", txt, pcap).CombinedOutput(); err != nil {
		t.Fatalf("text2pcap: %v %s", err, b)
	}
	return pcap
}

// withVersion is an offer with its o= line at session version v (RFC 3264 §8).
func withVersion(offer []string, v int) []string {
	out := append([]string(nil), offer...)
	for i, l := range out {
		if strings.HasPrefix(l, "o=room 3000 ") {
			out[i] = "o=room 3000 " + strconv.Itoa(v) + " IN IP[local_ip_type] [local_ip]"
		}
	}
	return out
}

// pollAnswer waits for the final answer to CSeq n INVITE in the SIPp trace.
func pollAnswer(t *testing.T, r *sippRun, n int, within time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m, ok := finalStatus(r, n); ok {
			if !strings.HasPrefix(m.First, "SIP/2.0 200") {
				t.Fatalf("answer to INVITE %d: %q", n, m.First)
			}
			return sdpBody(m.Text)
		}
	}
	t.Fatalf("no answer to INVITE %d within %v", n, within)
	return ""
}

// TestE2ESIPContentBFCPCorners: the BFCP negotiation corners of RFC 8856 / RFC 4145
// that need the gateway to act: an offer with a=setup:passive (the gateway connects
// to the room system), actpass (answered passive), and re-INVITEs adding content to
// a call that had none and removing it again. tshark dissects every BFCP message the
// gateway sends.
func TestE2ESIPContentBFCPCorners(t *testing.T) {
	g := startSIPGateway(t, "")

	t.Run("bfcp_tcp_passive_gateway_connects", func(t *testing.T) {
		meeting, _, _ := g.meeting(t, map[string]any{"topic": "BFCP passive"})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		wire := bfcpWire(t, g, "tcp port "+strconv.Itoa(port))
		offer := contentOffer(append([]string{
			"m=application " + strconv.Itoa(port) + " TCP/BFCP *",
			"a=setup:passive",
			"a=connection:new",
			"a=floorctrl:c-only",
			"a=confid:31",
			"a=userid:6",
			"a=floorid:1 mstrm:12",
		}, slidesLines...)...)
		var errs []string
		secs := contentAnswer(t, g, meeting, 8000, offer, func(sdp string) {
			g.waitSIPParticipant(t, meeting, 15*time.Second)
			_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			c, err := ln.Accept()
			if err != nil {
				errs = append(errs, "the gateway did not connect to the room system's BFCP port: "+err.Error())
				return
			}
			errs = exerciseConn(t, c, 1, sdp)
		})
		for _, e := range errs {
			t.Error(e)
		}
		if len(secs) != 4 || !strings.Contains(secs[2].M, "TCP/BFCP") {
			t.Fatalf("want TCP/BFCP answered: %v", secs)
		}
		if v, _ := secs[2].attr("setup"); v != "active" {
			t.Errorf("a=setup %q, want active to a passive offer (RFC 4145 4.1)", v)
		}
		checkBFCPWire(t, wire, "tcp", "tcp.dstport=="+strconv.Itoa(port), port)
	})

	t.Run("bfcp_tcp_actpass_answered_passive", func(t *testing.T) {
		meeting, _, _ := g.meeting(t, map[string]any{"topic": "BFCP actpass"})
		secs := bfcpCall(t, g, meeting, "tcp", contentOffer(append([]string{
			"m=application 9 TCP/BFCP *",
			"a=setup:actpass",
			"a=connection:new",
			"a=floorctrl:c-only c-s",
			"a=confid:32",
			"a=userid:8",
			"a=floorid:1 mstrm:12",
		}, slidesLines...)...))
		if len(secs) != 4 || !strings.Contains(secs[2].M, "TCP/BFCP") {
			t.Fatalf("want TCP/BFCP answered: %v", secs)
		}
		if v, _ := secs[2].attr("setup"); v != "passive" {
			t.Errorf("a=setup %q, want passive to actpass (RFC 4145 4.1)", v)
		}
	})

	t.Run("reinvite_adds_then_removes_content", func(t *testing.T) {
		meeting, _, _ := g.meeting(t, map[string]any{"topic": "content re-INVITE"})
		wire := bfcpWire(t, g, "")
		bport := strconv.Itoa(freeSIPPort(t))
		add := withVersion(contentOffer(append([]string{
			"m=application " + bport + " UDP/BFCP *",
			"a=floorctrl:c-only",
			"a=confid:77",
			"a=userid:4",
			"a=floorid:1 mstrm:12",
		}, slidesLines...)...), 2)
		remove := withVersion(contentOffer(
			"m=application 0 UDP/BFCP *",
			"a=floorctrl:c-only",
			"m=video 0 RTP/AVP 97",
			"a=content:slides",
			"a=label:12",
		), 3)
		r := g.sippCall(t, "uac_content_reinvite.xml", map[string]any{"HoldMs": 6000, "SDP": contentOffer(), "AddSDP": add, "RemoveSDP": remove}, meeting)
		first := mediaSections(pollAnswer(t, r, 1, 15*time.Second))
		if len(first) != 2 {
			t.Errorf("answer to the offer without content: %v, want audio and video", first)
		}
		g.waitSIPParticipant(t, meeting, 15*time.Second)

		added := pollAnswer(t, r, 2, 15*time.Second)
		secs := mediaSections(added)
		if len(secs) != 4 || mPort(secs[2].M) == 0 || mPort(secs[3].M) == 0 {
			t.Fatalf("re-INVITE adding content answered %v: want BFCP and slides accepted", secs)
		}
		bfcpPort := mPort(secs[2].M)
		if bfcpPort < g.MediaMin || bfcpPort > g.MediaMax {
			t.Errorf("BFCP port %d outside the media range %d-%d", bfcpPort, g.MediaMin, g.MediaMax)
		}
		c, err := net.Dial("udp", net.JoinHostPort(sdpConnAddr(added), strconv.Itoa(bfcpPort)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cl, req, errs := holdFloor(ctx, t, c, 2, added)
		if cl == nil {
			t.Fatalf("BFCP after the re-INVITE added content: %v", errs)
		}
		defer cl.Close()

		removed := mediaSections(pollAnswer(t, r, 3, 15*time.Second))
		if len(removed) != 4 || mPort(removed[0].M) == 0 || mPort(removed[1].M) == 0 || mPort(removed[2].M) != 0 || mPort(removed[3].M) != 0 ||
			!strings.HasPrefix(removed[2].M, "m=application ") || !strings.HasPrefix(removed[3].M, "m=video ") {
			t.Errorf("re-INVITE removing content answered %v: want audio, video, then BFCP and slides at port 0 in order", removed)
		}
		if st := nextRequestStatus(cl, req.ID, 10*time.Second); st != bfcp.StatusRevoked {
			t.Errorf("the room system's floor after content was removed: %v, want Revoked", st)
		}
		r.mustPass(g, 40*time.Second)
		checkBFCPWire(t, wire, "udp", "udp.srcport=="+strconv.Itoa(bfcpPort), bfcpPort)
	})
}
