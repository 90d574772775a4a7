package bridge

import (
	"context"
	"fmt"
	"sync"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// screenShare is the room system's content as a second video track (source
// screen_share), published only while the room system presents.
type screenShare struct {
	mu    sync.Mutex
	track *lksdk.LocalTrack
	pub   *lksdk.LocalTrackPublication
	// keyframe is the meeting asking the content for a keyframe.
	keyframe func()
}

// OnScreenKeyframeRequest fires when the meeting asks the screen-share track for a
// keyframe (PLI or FIR from the SFU).
func (b *Bridge) OnScreenKeyframeRequest(f func()) {
	b.screen.mu.Lock()
	b.screen.keyframe = f
	b.screen.mu.Unlock()
}

// OnScreenShareStopped fires when the meeting stops the room system's screen share
// (the host's stop_share mutes it at the server): the room system no longer
// presents.
func (b *Bridge) OnScreenShareStopped(f func()) { b.h.screenStopped.Store(&f) }

// screenMutedByMeeting handles a mute of our own track sid: when it is the screen
// share, the share is taken down and OnScreenShareStopped told.
func (b *Bridge) screenMutedByMeeting(sid string) bool {
	b.screen.mu.Lock()
	mine := b.screen.pub != nil && b.screen.pub.SID() == sid
	b.screen.mu.Unlock()
	if !mine {
		return false
	}
	b.logger().Info("screen share stopped by the meeting")
	if f := b.h.screenStopped.Load(); f != nil {
		go (*f)() // it unpublishes: not on the SDK's callback goroutine
	}
	return true
}

// StopScreenShare mutes another participant's screen share at the server: the
// meeting's floor went to someone else (a room system took it from a browser).
func (b *Bridge) StopScreenShare(ctx context.Context, identity string) error {
	if b.rooms == nil || b.closed.Load() {
		return nil
	}
	rp := b.room.GetParticipantByIdentity(identity)
	if rp == nil {
		return nil
	}
	for _, tp := range rp.TrackPublications() {
		if tp.Source() != livekit.TrackSource_SCREEN_SHARE || tp.IsMuted() {
			continue
		}
		if _, err := b.rooms.MutePublishedTrack(ctx, &livekit.MuteRoomTrackRequest{Room: b.room.Name(), Identity: identity,
			TrackSid: tp.SID(), Muted: true}); err != nil {
			return fmt.Errorf("stop %s's screen share: %w", identity, err)
		}
	}
	return nil
}

// PublishScreenShare publishes the room system's content as an H.264 track with
// source screen_share (the meeting shows it as the participant's screen share);
// WriteScreenRTP feeds it. A no-op while one is published.
func (b *Bridge) PublishScreenShare() error {
	if b.closed.Load() {
		return ErrClosed
	}
	b.screen.mu.Lock()
	defer b.screen.mu.Unlock()
	if b.screen.track != nil {
		return nil
	}
	t, err := lksdk.NewLocalTrack(h264Capability(), lksdk.WithRTCPHandler(b.onScreenRTCP))
	if err != nil {
		return fmt.Errorf("screen-share track: %w", err)
	}
	pub, err := b.room.LocalParticipant.PublishTrack(t, &lksdk.TrackPublicationOptions{Name: "content",
		Source: livekit.TrackSource_SCREEN_SHARE, VideoWidth: 1920, VideoHeight: 1080})
	if err != nil {
		return fmt.Errorf("publish screen share: %w", err)
	}
	b.screen.track, b.screen.pub = t, pub
	b.logger().Info("content published as screen share")
	return nil
}

// UnpublishScreenShare stops the screen share; a no-op when none is published.
func (b *Bridge) UnpublishScreenShare() error {
	b.screen.mu.Lock()
	pub := b.screen.pub
	b.screen.track, b.screen.pub = nil, nil
	b.screen.mu.Unlock()
	if pub == nil || b.closed.Load() {
		return nil
	}
	if err := b.room.LocalParticipant.UnpublishTrack(pub.SID()); err != nil {
		return fmt.Errorf("unpublish screen share: %w", err)
	}
	b.logger().Info("content screen share unpublished")
	return nil
}

// ScreenSharing reports whether the screen-share track is published.
func (b *Bridge) ScreenSharing() bool {
	b.screen.mu.Lock()
	defer b.screen.mu.Unlock()
	return b.screen.track != nil
}

// WriteScreenRTP forwards one H.264 RTP packet of the room system's content to the
// screen-share track, as WriteVideoRTP does for the camera; dropped while none is
// published.
func (b *Bridge) WriteScreenRTP(pkt *rtp.Packet) error {
	if b.closed.Load() {
		return ErrClosed
	}
	b.screen.mu.Lock()
	t := b.screen.track
	b.screen.mu.Unlock()
	if t == nil {
		return nil
	}
	if pkt.Extension {
		cp := *pkt
		cp.Extension, cp.Extensions, cp.ExtensionProfile = false, nil, 0
		pkt = &cp
	}
	if err := t.WriteRTP(pkt, nil); err != nil {
		return fmt.Errorf("write screen share: %w", err)
	}
	return nil
}

func (b *Bridge) onScreenRTCP(p rtcp.Packet) {
	switch p.(type) {
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		b.screen.mu.Lock()
		f := b.screen.keyframe
		b.screen.mu.Unlock()
		if f != nil {
			f()
		}
	}
}
