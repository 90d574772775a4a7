package bridge

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	uatomic "go.uber.org/atomic"
)

// H264Fmtp is what the published video track announces: constrained baseline level 3.1
// (RFC 6184 §8.1 profile-level-id 42e01f), packetization-mode=1 (FU-A/STAP-A), which
// every browser decodes. Room systems sending 42001f are compatible: the constraint
// flag only narrows the tool set.
const H264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

func (b *Bridge) publishAudio(name string) error {
	t, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeOpus,
		ClockRate:   48000,
		Channels:    2,
		SDPFmtpLine: "minptime=10;useinbandfec=1",
	})
	if err != nil {
		return fmt.Errorf("audio track: %w", err)
	}
	pub, err := b.room.LocalParticipant.PublishTrack(t, &lksdk.TrackPublicationOptions{Name: name, Source: livekit.TrackSource_MICROPHONE})
	if err != nil {
		return fmt.Errorf("publish audio: %w", err)
	}
	b.audio, b.audioPub = t, pub
	return nil
}

func (b *Bridge) publishVideo(name string) error {
	// One layer, published the way simulcast is: the meeting core then tells the
	// publisher which layers anybody receives (dynacast), and the SDK marks ours
	// disabled while nobody does — a room system's camera nobody watches costs the
	// gateway and the meeting core nothing (see VideoWatched). The layer is LOW so that
	// any subscription enables it, whatever quality the subscriber asks for; its size
	// is nominal (the room system's own size is in its SPS): with one layer the meeting
	// core has nothing to choose between.
	t, err := lksdk.NewLocalTrack(h264Capability(), lksdk.WithRTCPHandler(b.onPublisherRTCP),
		lksdk.WithSimulcast("TR_"+b.room.LocalParticipant.Identity()+"_"+name,
			&livekit.VideoLayer{Quality: livekit.VideoQuality_LOW, Width: 1280, Height: 720}))
	if err != nil {
		return fmt.Errorf("video track: %w", err)
	}
	pub, err := b.room.LocalParticipant.PublishSimulcastTrack([]*lksdk.LocalTrack{t},
		&lksdk.TrackPublicationOptions{Name: name, Source: livekit.TrackSource_CAMERA})
	if err != nil {
		return fmt.Errorf("publish video: %w", err)
	}
	b.video, b.videoPub = t, pub
	if b.videoOff = layerDisabledFlag(t); b.videoOff == nil {
		b.logger().Warn("cannot follow whether the meeting watches the video (LiveKit SDK changed): it is always sent")
	}
	return nil
}

// layerDisabledFlag is the SDK's own "layer disabled" flag of a simulcast track, which
// it sets from the meeting core's subscribed-quality updates but only consults when it
// paces samples itself (a sample provider); a track fed RTP, like ours, must read it.
// The SDK exports no reader, so it is found by reflection; nil if the field is not
// there as expected (then the video is always sent). TestVideoSentOnlyWhileWatched
// guards it against the pinned SDK version.
func layerDisabledFlag(t *lksdk.LocalTrack) *uatomic.Bool {
	f := reflect.ValueOf(t).Elem().FieldByName("disabled")
	if !f.IsValid() || f.Type() != reflect.TypeFor[uatomic.Bool]() {
		return nil
	}
	return (*uatomic.Bool)(unsafe.Pointer(f.UnsafeAddr()))
}

// VideoWatched reports whether anybody in the meeting receives the room system's
// video. While nobody does, the call layer need not write it (WriteVideoRTP drops it
// anyway); when it turns true again, the call should ask the room system for a
// keyframe, which the new receiver needs.
func (b *Bridge) VideoWatched() bool {
	return b.videoOff == nil || !b.videoOff.Load()
}

// onPublisherRTCP sees the SFU's RTCP for our video track. LiveKit forwards a
// subscriber's keyframe need as PLI (and FIR from older clients).
func (b *Bridge) onPublisherRTCP(p rtcp.Packet) {
	switch p.(type) {
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		if f := b.h.keyframeRequest.Load(); f != nil {
			(*f)()
		}
	}
}

// WriteAudio sends one Opus frame of duration dur. While muted, frames are dropped.
// Without a level the meeting cannot tell when the room system speaks; prefer
// WriteAudioLevel.
func (b *Bridge) WriteAudio(opusFrame []byte, dur time.Duration) error {
	return b.writeAudio(media.Sample{Data: opusFrame, Duration: dur}, nil)
}

// WriteAudioLevel is WriteAudio with the frame's audio level in -dBov (0 loudest, 127
// silence) carried in the RFC 6464 header extension, from which the SFU computes the
// active speakers.
func (b *Bridge) WriteAudioLevel(opusFrame []byte, dur time.Duration, levelDBov uint8) error {
	levelDBov = min(levelDBov, 127)
	return b.writeAudio(media.Sample{Data: opusFrame, Duration: dur}, &lksdk.SampleWriteOptions{AudioLevel: &levelDBov})
}

// WriteAudioAt is WriteAudioLevel for a frame that starts at the given time: the RTP
// timestamp follows those times, so a sender may leave frames out (discontinuous
// transmission during silence, RFC 7587 §3.1.3) and the next frame still carries its
// true timestamp, with no gap in sequence numbers. at must not go backwards.
func (b *Bridge) WriteAudioAt(opusFrame []byte, at time.Time, dur time.Duration, levelDBov uint8) error {
	levelDBov = min(levelDBov, 127)
	return b.writeAudio(media.Sample{Data: opusFrame, Duration: dur, Timestamp: at}, &lksdk.SampleWriteOptions{AudioLevel: &levelDBov})
}

func (b *Bridge) writeAudio(sample media.Sample, opts *lksdk.SampleWriteOptions) error {
	if b.closed.Load() {
		return ErrClosed
	}
	if b.audio == nil || b.audioMuted.Load() {
		return nil
	}
	if err := b.audio.WriteSample(sample, opts); err != nil {
		return fmt.Errorf("write audio: %w", err)
	}
	return nil
}

// WriteVideoRTP forwards one H.264 RTP packet of the room system. Sequence number,
// timestamp and marker are kept; SSRC and payload type become the negotiated ones, and
// the endpoint's header extensions (whose IDs mean nothing here) are dropped. pkt is
// not modified.
func (b *Bridge) WriteVideoRTP(pkt *rtp.Packet) error {
	if b.closed.Load() {
		return ErrClosed
	}
	if b.video == nil || !b.VideoWatched() {
		return nil
	}
	if pkt.Extension {
		cp := *pkt
		cp.Extension, cp.Extensions, cp.ExtensionProfile = false, nil, 0
		pkt = &cp
	}
	if err := b.video.WriteRTP(pkt, nil); err != nil {
		return fmt.Errorf("write video: %w", err)
	}
	return nil
}

// SetAudioMuted mutes or unmutes the published audio: the meeting shows the track
// muted and no audio is sent meanwhile.
func (b *Bridge) SetAudioMuted(muted bool) {
	if b.audioPub == nil {
		return
	}
	b.audioMuted.Store(muted)
	b.audioPub.SetMuted(muted)
}

// AudioMuted reports whether the published audio is muted (by SetAudioMuted or by
// the meeting).
func (b *Bridge) AudioMuted() bool { return b.audioMuted.Load() }

// onTrackMuted follows mute changes. For our own audio track this is how a host's mute
// from the meeting arrives (MuteTrackRequest); the SDK has then marked the track muted
// and we stop sending.
func (b *Bridge) onTrackMuted(pub lksdk.TrackPublication, p lksdk.Participant, muted bool) {
	if rp, ok := pub.(*lksdk.RemoteTrackPublication); ok && rp.Kind() == lksdk.TrackKindVideo &&
		rp.IsSubscribed() && isH264(rp.TrackRemote()) {
		switch rp.Source() {
		case livekit.TrackSource_CAMERA:
			b.cameraEvent(p.Identity(), !muted)
		case livekit.TrackSource_SCREEN_SHARE:
			// A share paused, or stopped by the host (muted at the server).
			b.screenShareEvent(p.Identity(), !muted)
		}
		return
	}
	if _, local := p.(*lksdk.LocalParticipant); local && muted && b.screenMutedByMeeting(pub.SID()) {
		return
	}
	if _, local := p.(*lksdk.LocalParticipant); !local || b.audioPub == nil || pub.SID() != b.audioPub.SID() {
		return
	}
	if b.audioMuted.Swap(muted) == muted {
		return // our own SetAudioMuted
	}
	b.logger().Info("audio mute changed by meeting", "muted", muted)
	if f := b.h.muted.Load(); f != nil {
		(*f)(muted)
	}
}

// h264Capability is the codec of the room system's published video tracks (camera
// and content): H.264 passed through, with NACK, PLI and FIR from the meeting.
func h264Capability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{
		MimeType:    webrtc.MimeTypeH264,
		ClockRate:   90000,
		SDPFmtpLine: H264Fmtp,
		RTCPFeedback: []webrtc.RTCPFeedback{
			{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
		},
	}
}
