package bridge

import (
	"testing"

	"github.com/livekit/protocol/livekit"
)

func TestChooseLayer(t *testing.T) {
	// A browser's three simulcast layers of a 720p camera.
	sim := []*livekit.VideoLayer{
		{Quality: livekit.VideoQuality_LOW, Width: 320, Height: 180, Bitrate: 150_000},
		{Quality: livekit.VideoQuality_MEDIUM, Width: 640, Height: 360, Bitrate: 500_000},
		{Quality: livekit.VideoQuality_HIGH, Width: 1280, Height: 720, Bitrate: 1_700_000},
	}
	tests := []struct {
		name   string
		layers []*livekit.VideoLayer
		limit  VideoLimit
		want   livekit.VideoQuality
		ok     bool
	}{
		{"no limit: best", sim, VideoLimit{}, livekit.VideoQuality_HIGH, true},
		{"level 3.1 (3600 MB) takes 720p", sim, VideoLimit{MaxFS: 3600}, livekit.VideoQuality_HIGH, true},
		{"level 3.0 (1620 MB) gets 360p", sim, VideoLimit{MaxFS: 1620}, livekit.VideoQuality_MEDIUM, true},
		{"CIF max-fs 396 gets 180p", sim, VideoLimit{MaxFS: 396}, livekit.VideoQuality_LOW, true},
		{"b=AS 768 kbit/s gets 360p", sim, VideoLimit{MaxBitrate: 768_000}, livekit.VideoQuality_MEDIUM, true},
		{"both limits: the tighter wins", sim, VideoLimit{MaxFS: 3600, MaxBitrate: 200_000}, livekit.VideoQuality_LOW, true},
		{"nothing fits: smallest", sim, VideoLimit{MaxFS: 99}, livekit.VideoQuality_LOW, true},
		{"unknown bitrate counts as fitting", []*livekit.VideoLayer{{Quality: livekit.VideoQuality_HIGH, Width: 640, Height: 360}}, VideoLimit{MaxBitrate: 1}, livekit.VideoQuality_HIGH, true},
		{"no layers: nothing to choose", nil, VideoLimit{MaxFS: 396}, livekit.VideoQuality_HIGH, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ChooseLayer(tc.layers, tc.limit)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ChooseLayer = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestVideoLimitTighter(t *testing.T) {
	a := VideoLimit{MaxFS: 3600}
	b := VideoLimit{MaxFS: 1620, MaxBitrate: 1_000_000}
	if got := a.Tighter(b); got != (VideoLimit{MaxFS: 1620, MaxBitrate: 1_000_000}) {
		t.Errorf("Tighter = %+v", got)
	}
	if got := (VideoLimit{}).Tighter(VideoLimit{}); got != (VideoLimit{}) {
		t.Errorf("no limits combine to %+v", got)
	}
}

func TestMacroblocks(t *testing.T) {
	for _, tc := range []struct {
		w, h uint32
		want int
	}{{1280, 720, 3600}, {1920, 1080, 8160}, {352, 288, 396}, {1, 1, 1}} {
		if got := macroblocks(tc.w, tc.h); got != tc.want {
			t.Errorf("macroblocks(%d, %d) = %d, want %d", tc.w, tc.h, got, tc.want)
		}
	}
}
