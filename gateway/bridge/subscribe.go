package bridge

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

// ErrNoVideo is returned by RequestKeyframe when the participant has no subscribed
// H.264 video.
var ErrNoVideo = errors.New("participant has no subscribed video")

// onTrackSubscribed starts a reader for each remote Opus audio and H.264 video track.
// Other video codecs cannot be forwarded without re-encoding and are unsubscribed.
func (b *Bridge) onTrackSubscribed(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	identity := rp.Identity()
	mime := track.Codec().MimeType
	log := b.logger().With("participant", identity, "track", pub.SID(), "codec", mime)
	switch {
	case track.Kind() == webrtc.RTPCodecTypeAudio && strings.EqualFold(mime, webrtc.MimeTypeOpus):
		sid := pub.SID()
		b.startReader(func() { b.readAudio(track, identity, sid) })
	case isH264(track):
		b.applyLimit(pub, identity)
		b.applyWanted(pub, identity)
		b.startReader(func() { b.readVideo(track, identity, sourceName(pub.Source())) })
		switch pub.Source() {
		case livekit.TrackSource_CAMERA:
			b.cameraEvent(identity, !pub.IsMuted())
		case livekit.TrackSource_SCREEN_SHARE:
			b.screenShareEvent(identity, true)
		}
	default:
		log.Info("not forwarding track: codec not supported without transcoding")
		if err := pub.SetSubscribed(false); err != nil {
			log.Debug("unsubscribe", "err", err)
		}
		return
	}
	log.Debug("subscribed")
}

// maybeSubscribe subscribes to a track the Subscribe filter takes (with a filter the
// bridge joins without auto-subscription).
func (b *Bridge) maybeSubscribe(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if b.subscribe == nil || !b.subscribe(rp.Identity(), pub.Kind() == lksdk.TrackKindVideo) {
		return
	}
	if err := pub.SetSubscribed(true); err != nil {
		b.logger().Warn("subscribe", "participant", rp.Identity(), "track", pub.SID(), "err", err)
	}
}

func (b *Bridge) startReader(f func()) {
	b.readersMu.Lock()
	defer b.readersMu.Unlock()
	if b.closed.Load() {
		return
	}
	b.readers.Add(1)
	go func() {
		defer b.readers.Done()
		f()
	}()
}

// isH264 says whether a subscribed track carries H.264 (the only video forwarded).
func isH264(track *webrtc.TrackRemote) bool {
	return track != nil && track.Kind() == webrtc.RTPCodecTypeVideo && strings.EqualFold(track.Codec().MimeType, webrtc.MimeTypeH264)
}

func sourceName(s livekit.TrackSource) string {
	return strings.ToLower(s.String())
}

func (b *Bridge) readAudio(track *webrtc.TrackRemote, identity, sid string) {
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			b.readEnded(identity, err)
			return
		}
		if len(pkt.Payload) == 0 {
			continue // padding-only probe
		}
		if f := b.h.audio.Load(); f != nil {
			(*f)(identity, sid, pkt.SequenceNumber, pkt.Timestamp, pkt.Payload)
		}
	}
}

func (b *Bridge) readVideo(track *webrtc.TrackRemote, identity, source string) {
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			b.readEnded(identity, err)
			if source == "screen_share" {
				b.screenShareEvent(identity, false)
			}
			return
		}
		if len(pkt.Payload) == 0 {
			continue // padding-only bandwidth probe
		}
		if f := b.h.video.Load(); f != nil {
			(*f)(identity, source, pkt)
		}
	}
}

func (b *Bridge) readEnded(identity string, err error) {
	if !errors.Is(err, io.EOF) && !b.closed.Load() {
		b.logger().Debug("track reader ended", "participant", identity, "err", err)
	}
}

// RequestKeyframe sends a PLI for every subscribed video track of the participant, so
// the SFU asks its publisher for a keyframe (on an active-speaker switch, or when the
// room system asked us with FIR/PLI/INFO picture_fast_update).
func (b *Bridge) RequestKeyframe(identity string) error {
	if b.closed.Load() {
		return ErrClosed
	}
	rp := b.room.GetParticipantByIdentity(identity)
	if rp == nil {
		return fmt.Errorf("request keyframe from %q: no such participant", identity)
	}
	n := 0
	for _, tp := range rp.TrackPublications() {
		pub, ok := tp.(*lksdk.RemoteTrackPublication)
		if !ok || pub.Kind() != lksdk.TrackKindVideo {
			continue
		}
		if tr := pub.TrackRemote(); tr != nil {
			rp.WritePLI(tr.SSRC())
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("request keyframe from %q: %w", identity, ErrNoVideo)
	}
	return nil
}
