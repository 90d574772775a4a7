package bridge

import (
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// VideoLimit is what the receiving side of the subscribed video accepts: the largest
// frame in macroblocks (H.264 max-fs or the level's; RFC 6184 §8.1) and the bitrate in
// bit/s (b=TIAS/b=AS or max-br). Zero means no limit.
type VideoLimit struct {
	MaxFS      int
	MaxBitrate int
}

// Tighter is the limit that satisfies both l and o.
func (l VideoLimit) Tighter(o VideoLimit) VideoLimit {
	return VideoLimit{MaxFS: minPositive(l.MaxFS, o.MaxFS), MaxBitrate: minPositive(l.MaxBitrate, o.MaxBitrate)}
}

func minPositive(a, b int) int {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}

// macroblocks is the frame size of w×h in 16×16 macroblocks.
func macroblocks(w, h uint32) int { return int((w+15)/16) * int((h+15)/16) }

// ChooseLayer picks the simulcast layer to receive under limit: the best layer whose
// frame size and bitrate fit, else the smallest one (a room system that cannot take
// even that would need re-encoding, which the gateway does not do). ok is false when
// the publication lists no layers (a single-layer track: nothing to choose).
func ChooseLayer(layers []*livekit.VideoLayer, limit VideoLimit) (q livekit.VideoQuality, ok bool) {
	var best, smallest *livekit.VideoLayer
	for _, l := range layers {
		if l == nil || l.Quality == livekit.VideoQuality_OFF {
			continue
		}
		if smallest == nil || macroblocks(l.Width, l.Height) < macroblocks(smallest.Width, smallest.Height) {
			smallest = l
		}
		fits := (limit.MaxFS <= 0 || macroblocks(l.Width, l.Height) <= limit.MaxFS) &&
			(limit.MaxBitrate <= 0 || l.Bitrate == 0 || int(l.Bitrate) <= limit.MaxBitrate)
		if fits && (best == nil || macroblocks(l.Width, l.Height) > macroblocks(best.Width, best.Height)) {
			best = l
		}
	}
	switch {
	case best != nil:
		return best.Quality, true
	case smallest != nil:
		return smallest.Quality, true
	}
	return livekit.VideoQuality_HIGH, false
}

// SetVideoLimit makes every subscribed video track, now and later, arrive in the best
// simulcast layer within limit (the meeting core forwards that layer only).
func (b *Bridge) SetVideoLimit(limit VideoLimit) {
	b.limitMu.Lock()
	b.limit = limit
	b.limitMu.Unlock()
	for _, rp := range b.room.GetRemoteParticipants() {
		for _, tp := range rp.TrackPublications() {
			if pub, ok := tp.(*lksdk.RemoteTrackPublication); ok && pub.Kind() == lksdk.TrackKindVideo {
				b.applyLimit(pub, rp.Identity())
			}
		}
	}
}

// SetVideoWanted decides which subscribed video tracks the meeting core forwards:
// where want(identity, source) is false the track is paused — it stays subscribed, and
// resumes on the next keyframe, which the gateway asks for on every switch. nil
// forwards every track. The meeting tap forwards only the cameras some room system
// shows: the others would cost the meeting core's forwarding and the gateway's
// decryption for nothing.
func (b *Bridge) SetVideoWanted(want func(identity, source string) bool) {
	b.limitMu.Lock()
	b.want = want
	b.limitMu.Unlock()
	for _, rp := range b.room.GetRemoteParticipants() {
		for _, tp := range rp.TrackPublications() {
			if pub, ok := tp.(*lksdk.RemoteTrackPublication); ok && pub.Kind() == lksdk.TrackKindVideo && pub.IsSubscribed() {
				b.applyWanted(pub, rp.Identity())
			}
		}
	}
}

// applyWanted pauses or resumes pub as SetVideoWanted says.
func (b *Bridge) applyWanted(pub *lksdk.RemoteTrackPublication, identity string) {
	b.limitMu.Lock()
	want := b.want
	b.limitMu.Unlock()
	on := want == nil || want(identity, sourceName(pub.Source()))
	if pub.IsEnabled() == on {
		return
	}
	pub.SetEnabled(on)
	b.logger().Debug("video forwarding", "participant", identity, "track", pub.SID(), "enabled", on)
}

// applyLimit selects pub's layer under the current limit.
func (b *Bridge) applyLimit(pub *lksdk.RemoteTrackPublication, identity string) {
	b.limitMu.Lock()
	limit := b.limit
	b.limitMu.Unlock()
	if limit == (VideoLimit{}) {
		return
	}
	info := pub.TrackInfo()
	if info == nil {
		return
	}
	q, ok := ChooseLayer(info.Layers, limit)
	if !ok {
		return
	}
	if err := pub.SetVideoQuality(q); err != nil {
		b.logger().Debug("set video quality", "participant", identity, "err", err)
		return
	}
	b.logger().Debug("video layer chosen", "participant", identity, "track", pub.SID(), "quality", q, "max_fs", limit.MaxFS, "max_bitrate", limit.MaxBitrate)
}
