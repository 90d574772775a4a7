package bridge

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The room system's video is sent only while somebody in the meeting receives it: the
// meeting core's dynacast updates reach the bridge (VideoWatched) through the SDK's
// layer flag, read by reflection (layerDisabledFlag) — this test is what notices if an
// SDK upgrade moves that flag.
func TestVideoSentOnlyWhileWatched(t *testing.T) {
	c := startCore(t)
	video := packetize(testFrames(10, 176, 144), 1000)
	room := join(t, c, "room", Params{NoSubscribe: true, NoAudio: true})
	if room.videoOff == nil {
		t.Fatal("the SDK's layer-disabled flag was not found: VideoWatched cannot follow the meeting")
	}
	defer startSender(t, room, opusTone(t, 5), video).Stop()

	// Nobody else is in the meeting: the core reports no subscriber.
	waitUntil(t, "unwatched while alone", 20*time.Second, func() bool { return !room.VideoWatched() })

	var got atomic.Int64
	viewer := join(t, c, "viewer", Params{NoAudio: true, NoVideo: true})
	viewer.OnVideo(func(identity, _ string, _ *rtp.Packet) {
		if identity == "room" {
			got.Add(1)
		}
	})
	waitUntil(t, "watched once a participant subscribes", 20*time.Second, room.VideoWatched)
	waitUntil(t, "the viewer receives the video", 20*time.Second, func() bool { return got.Load() > 20 })

	// The viewer turns the camera off: after the core's pause delay (5 s by default)
	// the room system's video is no longer sent, and no packets reach the viewer.
	viewer.SetVideoWanted(func(string, string) bool { return false })
	waitUntil(t, "unwatched after the viewer paused it", 30*time.Second, func() bool { return !room.VideoWatched() })
	time.Sleep(500 * time.Millisecond) // packets already on their way
	n0 := got.Load()
	time.Sleep(time.Second)
	if n1 := got.Load(); n1 != n0 {
		t.Errorf("the viewer received %d packets of an unwatched video", n1-n0)
	}

	// Wanted again: sent again, and it arrives.
	viewer.SetVideoWanted(nil)
	waitUntil(t, "watched again", 20*time.Second, room.VideoWatched)
	waitUntil(t, "the viewer receives the video again", 20*time.Second, func() bool { return got.Load() > n0+20 })
}
