// Package bridge makes one room-system call an ordinary participant of a LiveKit
// meeting (room name = meeting ID) through server-sdk-go: it publishes the room
// system's audio as an Opus track (RFC 7587) and its main video as an H.264 track fed
// with RTP for passthrough (RFC 6184, packetization-mode=1, constrained baseline
// 42e01f/42001f as browsers decode it), subscribes to the other participants' audio
// and H.264 video, relays keyframe requests both ways (RTCP PLI, RFC 4585 §6.3.1), and
// reports active speakers, mutes and participant events.
//
// ICE: server-sdk-go builds its pion SettingEngine itself and offers no hook for
// SettingEngine.SetIncludeLoopbackCandidate, so the bridge host needs one non-loopback
// interface for a host candidate (every real host has one; the tests make a veth pair
// in their own network namespace). The ICE servers are the ones LiveKit hands out: the
// embedded core hands out the configured STUN servers, or a loopback address that
// answers none (rooms/core); an external LiveKit its own list, public ones by default.
//
// The bridge does no transcoding and has no notion of the room system's signalling:
// the gateway's call layer feeds it Opus frames and H.264 RTP and routes what it
// delivers.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	uatomic "go.uber.org/atomic"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("bridge closed")

// Params configures Join.
type Params struct {
	// URL is the LiveKit signalling URL (ws:// or wss://), Token a join token for the
	// meeting's room with the room system's identity.
	URL, Token string
	Log        *slog.Logger
	// ConnectTimeout bounds each signalling connection attempt; zero means 10 s.
	ConnectTimeout time.Duration
	// NoAudio and NoVideo skip publishing that track (e.g. an audio-only call).
	NoAudio, NoVideo bool
	// NoSubscribe joins without subscribing to anything: a publisher only. The gateway
	// joins each call this way and receives the meeting through one shared hidden
	// subscriber per meeting, so the meeting core forwards each track to the gateway
	// once, not once per call.
	NoSubscribe bool
	// Subscribe, when set, chooses the tracks to subscribe to (otherwise every track):
	// the meeting's tap skips the audio of the gateway's own calls, which it takes
	// from them directly.
	Subscribe func(identity string, video bool) bool
	// AudioName and VideoName name the published tracks; defaults "audio", "video".
	AudioName, VideoName string
	// OnCamera, when set, follows which remote participants have a camera that can be
	// shown: on is true when their H.264 camera track is subscribed and not muted, false
	// when it is muted, unsubscribed or unpublished, or they left. Events may repeat.
	// It is set before the join, so no camera subscribed while joining is missed.
	OnCamera func(identity string, on bool)
	// OnScreenShare, when set, follows which remote participants share their screen
	// in H.264: on when the track is subscribed, off when its reader ends
	// (unpublished, unsubscribed, participant left). Events may repeat.
	OnScreenShare func(identity string, on bool)
	// OnRoomMetadata, when set, receives the room's metadata (the meeting's host and
	// sharing lock, rooms/api.RoomMeta) once joined and on every change.
	OnRoomMetadata func(metadata string)
	// Rooms, when set, is the meeting core's room service: Close also removes the
	// participant there. LiveKit drops now and then the leave request a client sends
	// as it disconnects — the request is relayed inside the server on a stream that
	// the closing signal connection cancels — and then keeps the participant, shown to
	// everyone, until its ICE times out about 20 s later.
	Rooms RoomService
}

// RoomService is what a bridge asks of the meeting core's room service (LiveKit's
// RoomServiceClient): remove a participant, mute a track.
type RoomService interface {
	RemoveParticipant(ctx context.Context, req *livekit.RoomParticipantIdentity) (*livekit.RemoveParticipantResponse, error)
	// MutePublishedTrack mutes another participant's track at the server: the floor
	// taken from a browser that shares (StopScreenShare).
	MutePublishedTrack(ctx context.Context, req *livekit.MuteRoomTrackRequest) (*livekit.MuteRoomTrackResponse, error)
}

// removeTimeout bounds Close's call to Params.Rooms.
const removeTimeout = 5 * time.Second

// ParticipantEventKind says what happened to a participant.
type ParticipantEventKind int

// Participant event kinds.
const (
	ParticipantJoined ParticipantEventKind = iota
	ParticipantLeft
	ParticipantMetadata
)

func (k ParticipantEventKind) String() string {
	switch k {
	case ParticipantJoined:
		return "joined"
	case ParticipantLeft:
		return "left"
	case ParticipantMetadata:
		return "metadata"
	}
	return fmt.Sprintf("ParticipantEventKind(%d)", int(k))
}

// ParticipantEvent is a change of another participant (or, for metadata, of ours:
// Local is then true — the meeting may update the room system's metadata).
type ParticipantEvent struct {
	Kind                     ParticipantEventKind
	Identity, Name, Metadata string
	Local                    bool
}

// handlers are the callbacks the call layer registers; each may be replaced at any
// time and is read for every event.
type handlers struct {
	audio           atomic.Pointer[func(identity, track string, seq uint16, ts uint32, payload []byte)]
	video           atomic.Pointer[func(identity, source string, pkt *rtp.Packet)]
	speakers        atomic.Pointer[func([]string)]
	keyframeRequest atomic.Pointer[func()]
	participant     atomic.Pointer[func(ParticipantEvent)]
	muted           atomic.Pointer[func(bool)]
	disconnected    atomic.Pointer[func(reason string)]
	camera          atomic.Pointer[func(identity string, on bool)]
	screenShare     atomic.Pointer[func(identity string, on bool)]
	roomMeta        atomic.Pointer[func(metadata string)]
	screenStopped   atomic.Pointer[func()]
}

// clear drops every callback: the meeting client lets go of its room only when its
// own goroutines end, up to half a minute after Close, and the callbacks hold the
// call's media (codecs, buffers) that must be freed at once.
func (h *handlers) clear() {
	h.audio.Store(nil)
	h.video.Store(nil)
	h.speakers.Store(nil)
	h.keyframeRequest.Store(nil)
	h.participant.Store(nil)
	h.muted.Store(nil)
	h.disconnected.Store(nil)
	h.camera.Store(nil)
	h.screenShare.Store(nil)
	h.roomMeta.Store(nil)
	h.screenStopped.Store(nil)
}

// Bridge is one call's participant in the meeting.
type Bridge struct {
	logp      atomic.Pointer[slog.Logger] // see logger
	room      *lksdk.Room
	h         handlers
	subscribe func(identity string, video bool) bool
	rooms     RoomService

	audio    *lksdk.LocalTrack
	audioPub *lksdk.LocalTrackPublication
	video    *lksdk.LocalTrack
	videoPub *lksdk.LocalTrackPublication
	videoOff *uatomic.Bool // the SDK's flag: nobody receives our video (nil: unknown)
	screen   screenShare   // the room system's content, while it presents

	limitMu sync.Mutex
	limit   VideoLimit                         // for subscribed video (SetVideoLimit)
	want    func(identity, source string) bool // which subscribed video flows (SetVideoWanted)

	audioMuted atomic.Bool
	closed     atomic.Bool
	closeOnce  sync.Once
	readersMu  sync.Mutex // orders readers.Add against Close's Wait
	readers    sync.WaitGroup
}

// Join connects to the meeting and publishes the room system's tracks. The bridge is
// ready to write when Join returns.
func Join(ctx context.Context, p Params) (_ *Bridge, err error) {
	b := &Bridge{subscribe: p.Subscribe, rooms: p.Rooms}
	if p.OnCamera != nil {
		b.h.camera.Store(&p.OnCamera)
	}
	if p.OnScreenShare != nil {
		b.h.screenShare.Store(&p.OnScreenShare)
	}
	if p.OnRoomMetadata != nil {
		b.h.roomMeta.Store(&p.OnRoomMetadata)
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	b.logp.Store(p.Log)
	timeout := p.ConnectTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	b.room = lksdk.NewRoom(b.roomCallback())
	opts := []lksdk.ConnectOption{
		lksdk.WithAutoSubscribe(!p.NoSubscribe && p.Subscribe == nil),
		lksdk.WithConnectTimeout(timeout),
		lksdk.WithDisableRegionDiscovery(),
	}
	if p.NoSubscribe {
		// A participant that only publishes needs one peer connection, not LiveKit's
		// usual two (publisher and subscriber): half the ICE checks, DTLS and RTCP of
		// each room system, on the gateway and in the meeting core.
		opts = append(opts, lksdk.WithSinglePeerConnection())
	}
	if err := b.room.JoinWithContextAndToken(ctx, p.URL, p.Token, opts...); err != nil {
		return nil, fmt.Errorf("join meeting: %w", err)
	}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	// Callbacks may already run (a track subscribed while joining): they read the
	// logger through logp.
	b.logp.Store(b.logger().With("meeting", b.room.Name(), "identity", b.room.LocalParticipant.Identity()))
	if b.subscribe != nil {
		// Tracks published before we joined (those published later come through
		// OnTrackPublished).
		for _, rp := range b.room.GetRemoteParticipants() {
			for _, tp := range rp.TrackPublications() {
				if pub, ok := tp.(*lksdk.RemoteTrackPublication); ok {
					b.maybeSubscribe(pub, rp)
				}
			}
		}
	}
	if !p.NoAudio {
		if err := b.publishAudio(orDefault(p.AudioName, "audio")); err != nil {
			return nil, err
		}
	}
	if !p.NoVideo {
		if err := b.publishVideo(orDefault(p.VideoName, "video")); err != nil {
			return nil, err
		}
	}
	if f := b.h.roomMeta.Load(); f != nil {
		(*f)(b.room.Metadata())
	}
	b.logger().Info("joined meeting")
	return b, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// logger is the bridge's logger; Join adds the meeting and identity once joined, while
// the SDK's callbacks may already be running.
func (b *Bridge) logger() *slog.Logger { return b.logp.Load() }

// Identity is the bridge's participant identity.
func (b *Bridge) Identity() string { return b.room.LocalParticipant.Identity() }

// Room is the meeting's room name.
func (b *Bridge) Room() string { return b.room.Name() }

// OnAudio delivers each Opus RTP payload received from another participant; track is
// the track's SID (a participant may publish microphone and screen-share audio).
func (b *Bridge) OnAudio(f func(identity, track string, seq uint16, ts uint32, payload []byte)) {
	b.h.audio.Store(&f)
}

// OnVideo delivers each H.264 RTP packet of other participants' camera and screen-share
// tracks; source is "camera" or "screen_share".
func (b *Bridge) OnVideo(f func(identity, source string, pkt *rtp.Packet)) { b.h.video.Store(&f) }

// OnActiveSpeakers reports the identities of the current speakers, loudest first.
func (b *Bridge) OnActiveSpeakers(f func(identities []string)) { b.h.speakers.Store(&f) }

// OnKeyframeRequest fires when the meeting asks the room system's video for a keyframe
// (PLI or FIR from the SFU); the call layer forwards it to the endpoint.
func (b *Bridge) OnKeyframeRequest(f func()) { b.h.keyframeRequest.Store(&f) }

// OnParticipant reports participants joining, leaving and changing metadata.
func (b *Bridge) OnParticipant(f func(ParticipantEvent)) { b.h.participant.Store(&f) }

// OnAudioMuted fires when the meeting (a host) mutes or unmutes the room system's
// audio; the bridge has already stopped or resumed sending.
func (b *Bridge) OnAudioMuted(f func(muted bool)) { b.h.muted.Store(&f) }

// OnDisconnected fires once when the meeting ends the participant (removed by a host,
// room closed, connection lost for good), not after Close.
func (b *Bridge) OnDisconnected(f func(reason string)) { b.h.disconnected.Store(&f) }

func (b *Bridge) cameraEvent(identity string, on bool) {
	if f := b.h.camera.Load(); f != nil {
		(*f)(identity, on)
	}
}

func (b *Bridge) screenShareEvent(identity string, on bool) {
	if f := b.h.screenShare.Load(); f != nil {
		(*f)(identity, on)
	}
}

func (b *Bridge) roomCallback() *lksdk.RoomCallback {
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = b.onTrackSubscribed
	cb.OnTrackPublished = b.maybeSubscribe
	cb.OnTrackMuted = func(pub lksdk.TrackPublication, p lksdk.Participant) { b.onTrackMuted(pub, p, true) }
	cb.OnTrackUnmuted = func(pub lksdk.TrackPublication, p lksdk.Participant) { b.onTrackMuted(pub, p, false) }
	cb.OnActiveSpeakersChanged = func(ps []lksdk.Participant) {
		ids := make([]string, 0, len(ps))
		for _, p := range ps {
			ids = append(ids, p.Identity())
		}
		if f := b.h.speakers.Load(); f != nil {
			(*f)(ids)
		}
	}
	cb.OnParticipantConnected = func(rp *lksdk.RemoteParticipant) {
		b.participantEvent(ParticipantEvent{Kind: ParticipantJoined, Identity: rp.Identity(), Name: rp.Name(), Metadata: rp.Metadata()})
	}
	cb.OnTrackUnsubscribed = func(_ *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		if pub.Kind() == lksdk.TrackKindVideo && pub.Source() == livekit.TrackSource_CAMERA {
			b.cameraEvent(rp.Identity(), false)
		}
	}
	cb.OnParticipantDisconnected = func(rp *lksdk.RemoteParticipant) {
		b.cameraEvent(rp.Identity(), false)
		b.participantEvent(ParticipantEvent{Kind: ParticipantLeft, Identity: rp.Identity(), Name: rp.Name(), Metadata: rp.Metadata()})
	}
	cb.OnMetadataChanged = func(_ string, p lksdk.Participant) {
		_, local := p.(*lksdk.LocalParticipant)
		b.participantEvent(ParticipantEvent{Kind: ParticipantMetadata, Identity: p.Identity(), Name: p.Name(), Metadata: p.Metadata(), Local: local})
	}
	cb.OnRoomMetadataChanged = func(metadata string) {
		if f := b.h.roomMeta.Load(); f != nil {
			(*f)(metadata)
		}
	}
	cb.OnDisconnectedWithReason = func(reason lksdk.DisconnectionReason) {
		if b.closed.Load() {
			return
		}
		b.logger().Info("removed from meeting", "reason", reason)
		if f := b.h.disconnected.Load(); f != nil {
			(*f)(string(reason))
		}
	}
	return cb
}

func (b *Bridge) participantEvent(e ParticipantEvent) {
	b.logger().Debug("participant event", "event", e.Kind, "participant", e.Identity)
	if f := b.h.participant.Load(); f != nil {
		(*f)(e)
	}
}

// Close leaves the meeting and waits for the subscription readers; with Params.Rooms
// it makes sure the meeting core lets the participant go. It is idempotent.
func (b *Bridge) Close() {
	b.closeOnce.Do(func() {
		b.readersMu.Lock()
		b.closed.Store(true)
		b.readersMu.Unlock()
		meeting, identity := b.room.Name(), b.Identity()
		b.room.Disconnect()
		b.readers.Wait()
		b.h.clear()
		if b.rooms != nil {
			// Usually the leave request has done it already and the core answers
			// not found.
			ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
			_, err := b.rooms.RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: meeting, Identity: identity})
			cancel()
			if err == nil {
				b.logger().Debug("the meeting core still had the participant after it left: removed")
			} else {
				b.logger().Debug("participant gone from the meeting core", "detail", err)
			}
		}
		b.logger().Info("left meeting")
	})
}
