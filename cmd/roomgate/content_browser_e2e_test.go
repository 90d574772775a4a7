//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// presentPlan is when a simulated room system presents: the first floor (or
// token) request at after the call is up, each presentation lasting dur (unless
// stopped), repeat presentations gap apart; the call is held hold and what
// content it receives is written to dump (Annex B).
type presentPlan struct {
	at, dur, gap, hold time.Duration
	repeat             int
	dump               string
}

// contentRoom is one protocol's room system in the content tests with a browser.
// The simulator it starts prints the live lines "content: granted|revoked|
// released|first frame|rx stopped" ("first frame": of each presentation received,
// decodable; "rx stopped": none received for 2 s) and ends with a report whose
// call has a content object (see simContent); kind is its participants' kind in
// the API. SIP (BFCP) and H.323 (H.239) rows.
type contentRoom struct {
	name  string
	kind  string
	start func(t *testing.T, g *h323GW, id string, p presentPlan) *sim
}

// sipContentRoom is roomsim over SIP with BFCP over transport bfcp.
func sipContentRoom(bfcp string) contentRoom {
	return contentRoom{name: "sip-bfcp-" + bfcp, kind: "sip", start: func(t *testing.T, g *h323GW, id string, p presentPlan) *sim {
		return startSim(t, "room-"+bfcp, "-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", id, "-n", "1",
			"-d", p.hold.String(), "-rtp-base", "32000", "-video", "gen", "-fps", "10", "-content", "-bfcp", bfcp,
			"-present-at", p.at.String(), "-present-for", p.dur.String(), "-present-repeat", fmt.Sprint(p.repeat),
			"-present-gap", p.gap.String(), "-content-dump", p.dump)
	}}
}

// h323ContentRoom is roomsim over H.323 with H.239: the presentation token
// for the floor, its content channel for the slides.
func h323ContentRoom() contentRoom {
	return contentRoom{name: "h323-h239", kind: "h323", start: func(t *testing.T, g *h323GW, id string, p presentPlan) *sim {
		return startSim(t, "room-h239", "-h323", g.h323Addr(), "-alias", id, "-d", p.hold.String(),
			"-video", "gen", "-fps", "10", "-content", "-present-at", p.at.String(), "-present-for", p.dur.String(),
			"-present-repeat", fmt.Sprint(p.repeat), "-present-gap", p.gap.String(), "-content-dump", p.dump)
	}}
}

func browserContentRooms() []contentRoom {
	return []contentRoom{sipContentRoom("udp"), sipContentRoom("tcp"), h323ContentRoom()}
}

// TestE2EContentBrowser: a Chromium participant (rooms/web/e2e/content_peer.mjs)
// and a simulated room system in one meeting, per room protocol:
//  1. the room presents: the browser decodes its screen_share track (H.264) while
//     the room's camera track still decodes, shows its share tile, and the API
//     lists it as screen sharing; after the room releases the floor, neither;
//  2. the room presents again and the host's stop_share ends it: the room's
//     request is revoked and the tile goes away;
//  3. the browser shares its screen (the UI's H.264 share): the room receives
//     decodable H.264 on its content stream (an IDR with SPS and PPS, complete
//     frames; ffmpeg decodes what it received) while its main video goes on;
//     the host's stop_share on the browser ends the share and the room stops
//     receiving content.
func TestE2EContentBrowser(t *testing.T) {
	for _, r := range browserContentRooms() {
		t.Run(r.name, func(t *testing.T) { contentBrowser(t, r) })
	}
}

// send writes one command line to the peer's stdin.
func (b *browserPeer) send(cmd string) {
	b.t.Helper()
	if _, err := fmt.Fprintln(b.stdin, cmd); err != nil {
		b.t.Fatalf("browser peer: %s: %v", cmd, err)
	}
}

// mark is the number of events so far, for waitFrom.
func (b *browserPeer) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// peerSources is a content_peer.mjs sources event: frames decoded per remote
// identity and source, and the identities with a share tile.
type peerSources struct {
	Sources map[string]struct {
		Camera       float64 `json:"camera"`
		ScreenShare  float64 `json:"screen_share"`
		ScreenCodec  string  `json:"screen_codec"`
		ScreenWidth  float64 `json:"screen_width"`
		ScreenHeight float64 `json:"screen_height"`
	} `json:"sources"`
	Tiles      []string `json:"tiles"`
	LocalShare *struct {
		Codec         string  `json:"codec"`
		FramesEncoded float64 `json:"framesEncoded"`
		Width         float64 `json:"width"`
	} `json:"local_share"`
}

func asSources(e map[string]any) (peerSources, bool) {
	var s peerSources
	if e["event"] != "sources" {
		return s, false
	}
	b, _ := json.Marshal(e)
	return s, json.Unmarshal(b, &s) == nil
}

// waitSources waits for a sources event from index from on for which pred holds.
func (b *browserPeer) waitSources(from int, what string, within time.Duration, pred func(peerSources) bool) peerSources {
	b.t.Helper()
	e := b.waitFrom(from, what, within, func(e map[string]any) bool {
		s, ok := asSources(e)
		return ok && pred(s)
	})
	s, _ := asSources(e)
	return s
}

// waitLineN waits until the simulator printed n lines starting with prefix.
func (s *sim) waitLineN(prefix string, n int, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if s.countLines(prefix) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("roomsim %s: %d× %q not seen within %v\n%s", s.name, n, prefix, within, s.logs())
}

func (s *sim) countLines(prefix string) int {
	k := 0
	for _, l := range strings.Split(s.out.String(), "\n") {
		if strings.HasPrefix(l, prefix) {
			k++
		}
	}
	return k
}

// stopShare is the host's stop_share on identity (operator token).
func (g *sipGW) stopShare(t *testing.T, id, identity string) {
	t.Helper()
	if st, body := g.do("POST", "/api/v1/meetings/"+id+"/participants/"+identity+"/stop_share", g.Token, nil); st != 204 {
		t.Fatalf("stop_share %s: %d %v", identity, st, body)
	}
}

func contentBrowser(t *testing.T, r contentRoom) {
	g := startH323Gateway(t, "", 0, 0)
	id, _, _ := g.meeting(t, map[string]any{"topic": "content with a browser"})
	peer := startPeerScript(t, g.sipGW, "e2e/content_peer.mjs", "MEETING_ID="+id, "PEER_NAME=Browser Bea")
	joined := peer.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })
	bID := fmt.Sprint(joined["identity"])

	dump := filepath.Join(t.TempDir(), "content.h264")
	room := r.start(t, g, id, presentPlan{at: 4 * time.Second, dur: 15 * time.Second, gap: 6 * time.Second,
		repeat: 2, hold: 55 * time.Second, dump: dump})
	roomID := fmt.Sprint(g.waitParticipant(t, id, r.kind, 25*time.Second)["identity"])
	t.Logf("browser %s, room system %s", bID, roomID)

	// 1. The room presents; the browser decodes the share and the camera.
	room.waitLineN("content: granted", 1, 25*time.Second)
	m := peer.mark()
	peer.waitFrom(m, "first decoded frame of the room's share", 15*time.Second, func(e map[string]any) bool {
		return e["event"] == "first_frame" && e["identity"] == roomID && e["source"] == "screen_share"
	})
	s1 := peer.waitSources(m, "the room's share tile", 10*time.Second, func(s peerSources) bool {
		return slices.Contains(s.Tiles, roomID) && s.Sources[roomID].ScreenShare > 0
	})
	s2 := peer.waitSources(peer.mark(), "the room's share and camera both decoding on", 10*time.Second, func(s peerSources) bool {
		a, b := s1.Sources[roomID], s.Sources[roomID]
		return b.ScreenShare >= a.ScreenShare+10 && b.Camera >= a.Camera+10
	})
	got := s2.Sources[roomID]
	t.Logf("browser decodes the room: share %v frames (%s %v×%v), camera %v frames", got.ScreenShare, got.ScreenCodec,
		got.ScreenWidth, got.ScreenHeight, got.Camera)
	if !strings.EqualFold(got.ScreenCodec, "video/H264") || got.ScreenWidth != 320 || got.ScreenHeight != 240 {
		t.Errorf("the room's share reaches the browser as %s %v×%v, want video/H264 320×240 (passthrough)", got.ScreenCodec, got.ScreenWidth, got.ScreenHeight)
	}
	g.waitScreenSharing(t, id, roomID, true, 5*time.Second)
	room.waitLineN("content: released", 1, 25*time.Second)
	peer.waitSources(peer.mark(), "no share tile after the release", 10*time.Second, func(s peerSources) bool {
		return !slices.Contains(s.Tiles, roomID)
	})
	g.waitScreenSharing(t, id, roomID, false, 5*time.Second)
	t.Logf("room released the floor: tile gone, not screen sharing")

	// 2. The room presents again; the host stops it.
	room.waitLineN("content: granted", 2, 20*time.Second)
	peer.waitSources(peer.mark(), "the room's share tile again", 15*time.Second, func(s peerSources) bool {
		return slices.Contains(s.Tiles, roomID) && s.Sources[roomID].ScreenShare > 0
	})
	g.stopShare(t, id, roomID)
	room.waitLineN("content: revoked", 1, 10*time.Second)
	peer.waitSources(peer.mark(), "no share tile after stop_share", 10*time.Second, func(s peerSources) bool {
		return !slices.Contains(s.Tiles, roomID)
	})
	g.waitScreenSharing(t, id, roomID, false, 5*time.Second)
	t.Logf("host's stop_share revoked the room's floor: tile gone")

	// 3. The browser shares; the room receives it while its main video goes on.
	m = peer.mark()
	peer.send("share")
	peer.waitFrom(m, "the browser sharing", 20*time.Second, func(e map[string]any) bool { return e["event"] == "sharing" && e["on"] == true })
	g.waitScreenSharing(t, id, bID, true, 10*time.Second)
	room.waitLineN("content: first frame", 1, 20*time.Second)
	ls := peer.waitSources(peer.mark(), "the browser's share encoding", 10*time.Second, func(s peerSources) bool {
		return s.LocalShare != nil && s.LocalShare.FramesEncoded > 0
	})
	t.Logf("the room decodes the browser's share; the browser encodes it as %s, %v wide", ls.LocalShare.Codec, ls.LocalShare.Width)
	if !strings.EqualFold(ls.LocalShare.Codec, "video/H264") {
		t.Errorf("the browser shares in %q, want video/H264", ls.LocalShare.Codec)
	}
	// Let the share run a few seconds before the host stops it.
	peer.waitSources(peer.mark(), "the share encoding on", 20*time.Second, func(s peerSources) bool {
		return s.LocalShare != nil && s.LocalShare.FramesEncoded >= ls.LocalShare.FramesEncoded+30
	})
	m = peer.mark()
	g.stopShare(t, id, bID)
	peer.waitFrom(m, "the browser's share stopped", 15*time.Second, func(e map[string]any) bool { return e["event"] == "sharing" && e["on"] == false })
	room.waitLineN("content: rx stopped", 1, 10*time.Second)
	g.waitScreenSharing(t, id, bID, false, 5*time.Second)
	t.Logf("host's stop_share ended the browser's share; the room stopped receiving content")

	call, c := room.contentReport(90 * time.Second)
	t.Logf("room: main video %d frames, content %+v", call.Rx.H264Frames, c)
	checkRoomReceivedShare(t, c, dump)
}

// checkRoomReceivedShare checks the room's content report after phases 1–3 of
// TestE2EContentBrowser: its floor events in order, decodable content received
// (SPS, PPS, an IDR, complete frames; ffmpeg decodes the dump) while its main
// video went on.
func checkRoomReceivedShare(t *testing.T, c simContent, dump string) {
	t.Helper()
	if c.Error != "" {
		t.Errorf("content error: %s", c.Error)
	}
	ev := c.events()
	if !inOrder(ev, "granted", "released", "granted", "revoked", "first frame", "rx stopped") {
		t.Errorf("events %q: want granted, released, granted, revoked, then first frame and rx stopped", ev)
	}
	if c.RxDecodable < 10 || !c.RxSPS || !c.RxPPS || c.RxKeyframes < 1 || c.RxWidth == 0 {
		t.Errorf("room received %d decodable of %d frames (SPS %v, PPS %v, %d IDR, %d×%d): want ≥ 10 decodable after an IDR with SPS and PPS",
			c.RxDecodable, c.RxFrames, c.RxSPS, c.RxPPS, c.RxKeyframes, c.RxWidth, c.RxHeight)
	}
	// The main video's frames between the first content frame and the stop.
	var first, stop float64 = -1, -1
	for _, e := range c.Events {
		switch {
		case e.Event == "first frame" && first < 0:
			first = float64(e.MainFrames)
		case e.Event == "rx stopped" && first >= 0 && stop < 0:
			stop = float64(e.MainFrames)
		}
	}
	if first < 0 || stop-first < 20 {
		t.Errorf("room main video: %v frames at the share's first frame, %v when it stopped: want it going on (≥ 20 more)", first, stop)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "json", dump).CombinedOutput()
	var pr struct {
		Streams []struct {
			Codec  string `json:"codec_name"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err != nil || json.Unmarshal(probe, &pr) != nil || len(pr.Streams) != 1 {
		fi, _ := os.Stat(dump)
		t.Fatalf("ffprobe of the room's content dump (%v): %v\n%s", fi, err, probe)
	}
	st := pr.Streams[0]
	var n int
	fmt.Sscan(st.Frames, &n)
	t.Logf("ffprobe decodes the room's content: %s %d×%d, %d frames (room counted %d decodable)", st.Codec, st.Width, st.Height, n, c.RxDecodable)
	if st.Codec != "h264" || st.Width != c.RxWidth || n < c.RxDecodable*9/10 {
		t.Errorf("ffprobe: %s %d×%d, %d frames; the room counted %d decodable frames at %d×%d", st.Codec, st.Width, st.Height, n, c.RxDecodable, c.RxWidth, c.RxHeight)
	}
	dec, err := exec.Command("ffmpeg", "-v", "error", "-i", dump, "-f", "null", "-").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(dec))) > 0 {
		t.Errorf("ffmpeg decoding the room's content: %v\n%s", err, lastN(string(dec), 2000))
	}
}
