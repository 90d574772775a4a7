//go:build e2e

package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2ESIPVideoLayerFitsRoomSystem: a browser publishes its camera in simulcast; a room
// system whose H.264 decoder takes at most CIF (level 1.2, max-fs 396 macroblocks) must be
// sent the layer that fits, and one at level 3.1 the full camera. tshark reads the frame
// size from the SPS of what the gateway sends each room system.
func TestE2ESIPVideoLayerFitsRoomSystem(t *testing.T) {
	g := startSIPGateway(t, "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "layers"})
	peer := startBrowserPeer(t, g, id, "Browser Cam", "")
	peer.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })

	// sent returns the frame sizes (in macroblocks) of the SPSs the gateway sent to a
	// SIPp room system offering fmtp during a call of holdMs.
	sent := func(name, fmtp string, holdMs int) []int {
		t.Helper()
		media := freeSIPPort(t)
		videoPort := media + 2
		c := startCapture(t, fmt.Sprintf("udp dst port %d", videoPort), 0)
		r := startSIPp(t, "uac_call.xml", map[string]any{"HoldMs": holdMs, "VideoFmtp": fmtp},
			fmt.Sprintf("127.0.0.1:%d", g.SIPPort), freeSIPPort(t), media, "-s", id, "-aa")
		r.mustPass(g, time.Duration(holdMs)*time.Millisecond+35*time.Second)
		c.stop()
		out, err := exec.Command("tshark", "-r", c.file, "-n", "-d", fmt.Sprintf("udp.port==%d,rtp", videoPort),
			"-d", "rtp.pt==96,h264", "-Y", "h264.pic_width_in_mbs_minus1",
			"-T", "fields", "-e", "h264.pic_width_in_mbs_minus1", "-e", "h264.pic_height_in_map_units_minus1").Output()
		if err != nil {
			t.Fatalf("%s: tshark: %v", name, err)
		}
		var sizes []int
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "\t")
			if len(f) < 2 {
				continue
			}
			w, err1 := strconv.Atoi(strings.Split(f[0], ",")[0])
			h, err2 := strconv.Atoi(strings.Split(f[1], ",")[0])
			if err1 == nil && err2 == nil {
				sizes = append(sizes, (w+1)*(h+1)) // frame_mbs_only: map units are macroblocks
			}
		}
		t.Logf("%s (%s): SPS frame sizes sent, in macroblocks: %v", name, fmtp, sizes)
		if len(sizes) == 0 {
			t.Fatalf("%s: the gateway sent no SPS to the room system\n%s", name, g.logTail())
		}
		return sizes
	}

	// The meeting core starts a new subscriber low and raises the layer as its bandwidth
	// estimate grows: give it time on a loaded machine before judging the best layer.
	hd := sent("level 3.1 room system", "profile-level-id=42e01f;packetization-mode=1", 12000)
	largest := 0
	for _, s := range hd {
		largest = max(largest, s)
	}
	if largest <= 396 {
		t.Fatalf("the browser's best layer is %d macroblocks: too small to tell a CIF room system apart", largest)
	}
	// The CIF call starts a new meeting tap (the first call's left with it): joining,
	// subscribing and the first keyframe take seconds on a loaded machine, so it holds as
	// long as the first.
	cif := sent("CIF room system", "profile-level-id=42e00c;packetization-mode=1;max-fs=396", 12000)
	for _, s := range cif {
		if s > 396 {
			t.Errorf("CIF room system (max-fs 396) was sent a %d-macroblock frame", s)
		}
	}
}
