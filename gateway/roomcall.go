package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

// roomCall is the media side of one room-system call, whatever the signalling: RTP
// sessions on allocated ports, the audio and video paths, and (once admitted) the
// participant in the meeting.
type roomCall struct {
	log   *slog.Logger
	alloc *ports.Allocator
	pairs []ports.Pair
	clock *frameClock // the gateway's audio clock
	// startMu orders start and update: an H.323 call's H.245 may change the plan
	// (OnPlan → update) while the flow is still starting its streams.
	startMu sync.Mutex
	opt     mediaOptions // the options the call started with (startMu)

	// srtp is each stream's keying (nil: plain RTP), as started or re-keyed (srtpMu).
	srtpMu               sync.Mutex
	audioSRTP, videoSRTP *media.SRTP

	audio *rtpsession.Session
	video *rtpsession.Session
	apath *audioPath
	vpath *videoPath
	// content is the second video stream (slides) and its floor control.
	content *contentPath
	br      *bridge.Bridge
	self    string      // br's identity
	tap     *meetingTap // the meeting as the call hears and sees it
	taps    *tapRegistry
	vlimit  bridge.VideoLimit // what the room system's video decoder takes (the plan's)
	// flowLimit is the video bitrate the room system asked for (H.245
	// flowControlCommand), 0: none (flowMu).
	flowMu    sync.Mutex
	flowLimit int
	// stopAudio takes the audio path off the audio clock.
	stopAudio func()
	wg        sync.WaitGroup
	closed    sync.Once

	// ended is called once when the media ends the call (timeout, RTCP BYE, removed
	// from the meeting). It must not block: it ends the call's context, and the
	// signalling hangs up (mediaEnded) only after close has left the meeting and freed
	// the ports, so a dead peer's BYE transaction (up to 64·T1) holds neither.
	ended     func()
	endedOnce sync.Once
	endMu     sync.Mutex
	endWhy    string
}

// allocMedia allocates the RTP/RTCP pairs of a call: audio, main video and content
// (with its BFCP port).
func allocMedia(log *slog.Logger, alloc *ports.Allocator, clock *frameClock) (*roomCall, error) {
	pairs, err := alloc.Allocate(3)
	if err != nil {
		return nil, err
	}
	return &roomCall{log: log, alloc: alloc, pairs: pairs, clock: clock, content: newContentPath(log, pairs[2])}, nil
}

// roleBFCP is the BFCP port in a media.Local's Ports (TCP and UDP, same number): the
// SIP leg answers floor control on it.
const roleBFCP media.Role = "bfcp"

// mediaLocal is where the call receives its media, advertised at addr: one RTP port
// per role (RTCP on the next), and the BFCP port.
func (rc *roomCall) mediaLocal(addr netip.Addr) media.Local {
	l := media.Local{Addr: addr, Ports: map[media.Role]int{media.RoleAudio: rc.pairs[0].RTPPort, media.RoleMain: rc.pairs[1].RTPPort,
		media.RoleContent: rc.pairs[2].RTPPort}}
	if rc.content != nil && rc.content.bfcp != nil && rc.content.bfcp.port != 0 {
		l.Ports[roleBFCP] = rc.content.bfcp.port
	}
	return l
}

// mediaOptions are per-call media settings from the config and endpoint profile.
type mediaOptions struct {
	Timeout   time.Duration
	Latch     rtpsession.LatchMode
	Probation int // 0: rtpsession's default
	// SignallingIP is where the call's signalling comes from (per call).
	SignallingIP netip.Addr
	// Keepalive > 0: the video stream sends a packet the room system discards when
	// nothing was sent for this long (the NAT/ALG profile's keepalive).
	Keepalive time.Duration
}

// withPeer is o for a call whose signalling comes from peer.
func (o mediaOptions) withPeer(peer netip.AddrPort) mediaOptions {
	o.SignallingIP = peer.Addr()
	return o
}

// latchMode maps a configured latch mode (validated; netprofile.LatchMode).
func latchMode(symmetric bool, latch string) rtpsession.LatchMode {
	return netprofile.LatchMode(symmetric, latch)
}

// quarantine maps media.quarantine: the config's 0s means none, the allocator's 0 its
// default.
func quarantine(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// start opens the plan's streams (audio is required, main video optional) and
// starts the media goroutines. requestKeyframe asks the room system for a keyframe
// through its signalling, when the plan says it takes that and not RTCP FIR or PLI.
func (rc *roomCall) start(plan media.Plan, opt mediaOptions, onDigit func(byte), requestKeyframe func()) error {
	rc.startMu.Lock()
	defer rc.startMu.Unlock()
	rc.opt = opt
	a, ok := plan.Stream(media.RoleAudio)
	if !ok {
		return fmt.Errorf("no audio stream negotiated")
	}
	if !a.Codec.IsAudio() {
		return fmt.Errorf("audio codec %s not supported", a.Codec)
	}
	v, hasVideo := plan.Stream(media.RoleMain)
	rc.srtpMu.Lock()
	rc.audioSRTP = a.SRTP
	if hasVideo {
		rc.videoSRTP = v.SRTP
	}
	rc.srtpMu.Unlock()
	var err error
	rc.audio, err = rtpsession.New(rtpsession.Config{RTP: rc.pairs[0].RTP, RTCP: rc.pairs[0].RTCP,
		Remote: a.Remote, RemoteRTCP: a.RemoteRTCP, Latch: opt.Latch, Probation: opt.Probation, SignallingIP: opt.SignallingIP,
		ClockRate: uint32(a.Codec.ClockRate()), MediaTimeout: opt.Timeout, Log: rc.log, SRTP: srtpConfig(a.SRTP),
		OnBYE:     func([]uint32, string) { rc.end("RTCP BYE from the room system") },
		OnTimeout: func(last time.Time) { rc.end(fmt.Sprintf("no RTP for %s", opt.Timeout)) },
	})
	if err != nil {
		return err
	}
	if a.Hold {
		rc.audio.SetMediaTimeout(-1)
	}
	rc.audio.SetSending(sends(a))
	if rc.apath, err = newAudioPath(rc.log, rc.audio, a.Codec, a.PT, a.TelephoneEvent, onDigit); err != nil {
		return err
	}
	rc.stopAudio = rc.apath.start(rc.clock) // reads the room system's audio on the clock's tick

	if hasVideo {
		// The video path exists only once its session does; the keep-alive finds it here.
		var keep atomic.Pointer[videoPath]
		rc.video, err = rtpsession.New(rtpsession.Config{RTP: rc.pairs[1].RTP, RTCP: rc.pairs[1].RTCP,
			Keepalive: opt.Keepalive, OnIdle: func() {
				if vp := keep.Load(); vp != nil {
					vp.keepalive()
				}
			},
			Remote: v.Remote, RemoteRTCP: v.RemoteRTCP, Latch: opt.Latch, Probation: opt.Probation, SignallingIP: opt.SignallingIP, ClockRate: 90000, MediaTimeout: -1, Log: rc.log,
			SRTP: srtpConfig(v.SRTP),
			OnKeyframeRequest: func(rtpsession.KeyframeRequest) {
				if rc.vpath != nil {
					rc.vpath.keyframeFromRoom()
				}
			},
		})
		if err != nil {
			return err
		}
		rc.video.SetSending(sends(v))
		var lim media.H264Limits
		if v.H264 != nil {
			lim = *v.H264
		}
		// What the room system decodes: its max-fs (or its level's), and the lower of
		// the stream's bitrate limit and max-br (or the level's bitrate).
		eff := h264.EffectiveLimits(lim)
		rc.vlimit = bridge.VideoLimit{MaxFS: eff.MaxFS, MaxBitrate: v.MaxBitrate}.
			Tighter(bridge.VideoLimit{MaxBitrate: eff.Bitrate()})
		// We send in the mode the endpoint receives, 1 when both allow it.
		mode := min(lim.PacketizationMode, 1)
		var last time.Time
		var lastMu sync.Mutex
		rc.vpath = newVideoPath(rc.log, rc.video, v.PT, mode, rc.vlimit.MaxFS, func() {
			// At most two requests a second: every subscriber's PLI reaches us.
			lastMu.Lock()
			if time.Since(last) < 500*time.Millisecond {
				lastMu.Unlock()
				return
			}
			last = time.Now()
			lastMu.Unlock()
			// As the endpoint negotiated: RTCP FIR or PLI, else its signalling (SIP
			// INFO picture_fast_update, RFC 5168, which older room systems rely on).
			switch {
			case v.Keyframe&media.KeyframeFIR != 0:
				_ = rc.video.SendFIR(0)
			case v.Keyframe&media.KeyframePLI != 0:
				_ = rc.video.SendPLI()
			case v.Keyframe&media.KeyframeSignalling != 0 && requestKeyframe != nil:
				// The signalling waits for its response: never block the media on it.
				go requestKeyframe()
			}
		})
		keep.Store(rc.vpath)
		rc.wg.Add(1)
		go func() { defer rc.wg.Done(); rc.vpath.readLoop() }()
	}
	if c, ok := plan.Stream(media.RoleContent); ok && hasVideo && rc.content != nil {
		if err := rc.content.start(c, opt); err != nil {
			return err
		}
	}
	return nil
}

// join connects the call to the meeting with an admission from the join policy: its
// own participant publishes the room system's audio and video, and the meeting's tap
// delivers what the room system hears and sees.
func (rc *roomCall) join(ctx context.Context, adm api.RoomSystemAdmission, rooms bridge.RoomService, taps *tapRegistry, meetingID string) error {
	tap, err := taps.acquire(ctx, meetingID)
	if err != nil {
		return fmt.Errorf("meeting tap: %w", err)
	}
	// The tap takes the call's audio from it directly, not through the meeting core.
	tap.expect(adm.Identity)
	br, err := bridge.Join(ctx, bridge.Params{URL: adm.URL, Token: adm.Token, Log: rc.log, NoVideo: rc.vpath == nil, NoSubscribe: true,
		Rooms: rooms})
	if err != nil {
		tap.unexpect(adm.Identity)
		taps.release(tap)
		return err
	}
	if id := br.Identity(); id != adm.Identity {
		// The token names the identity; should the meeting core differ, follow it.
		tap.unexpect(adm.Identity)
		tap.expect(id)
	}
	rc.flowMu.Lock() // limitVideo reads the tap from the signalling's goroutine
	rc.br, rc.self, rc.tap, rc.taps = br, br.Identity(), tap, taps
	rc.flowMu.Unlock()
	rc.apath.attach(br, tap, rc.self)
	if adm.MuteOnEntry {
		rc.apath.setMuted(true)
	}
	br.OnAudioMuted(func(m bool) { rc.apath.setMuted(m) })
	br.OnDisconnected(func(reason string) { rc.end("left the meeting: " + reason) })
	if rc.vpath != nil {
		rc.vpath.attach(br, tap)
		if rc.content != nil {
			rc.content.attach(br, tap, rc.self)
			// The host stopped the room system's share: it no longer presents.
			self := rc.self
			br.OnScreenShareStopped(func() { tap.floor.Release(self) })
		}
	}
	tap.add(rc)
	return nil
}

// The call as a listener of its meeting's tap.
var _ tapListener = (*roomCall)(nil)

func (rc *roomCall) tapIdentity() string { return rc.self }

func (rc *roomCall) remoteVideo(identity, source string, pkt *rtp.Packet) {
	if source == "screen_share" {
		if rc.content != nil {
			rc.content.fromMeeting(identity, pkt)
		}
		return
	}
	if rc.vpath != nil {
		rc.vpath.fromMeeting(identity, source, pkt)
	}
}

func (rc *roomCall) videoLimit() (bridge.VideoLimit, bool) {
	rc.flowMu.Lock()
	flow := rc.flowLimit
	rc.flowMu.Unlock()
	return rc.vlimit.Tighter(bridge.VideoLimit{MaxBitrate: flow}), rc.vpath != nil
}

// limitVideo applies the room system's request for at most bitrate bit/s of video
// (0 lifts it): the meeting's tap then takes a simulcast layer within it.
func (rc *roomCall) limitVideo(bitrate int) {
	rc.flowMu.Lock()
	changed := rc.flowLimit != bitrate
	rc.flowLimit = bitrate
	tap := rc.tap
	rc.flowMu.Unlock()
	if changed {
		rc.log.Info("room system limits its video", "bitrate", bitrate)
		if tap != nil {
			tap.limitsChanged()
		}
	}
}

func (rc *roomCall) activeSpeakers(ids []string) {
	if rc.vpath != nil {
		rc.vpath.speakersChanged(ids)
	}
}

func (rc *roomCall) camerasChanged() {
	if rc.vpath != nil {
		rc.vpath.camerasChanged()
	}
}

// end reports that the media ended the call.
func (rc *roomCall) end(reason string) {
	rc.endedOnce.Do(func() {
		rc.endMu.Lock()
		rc.endWhy = reason
		rc.endMu.Unlock()
		rc.log.Info("media ended the call", "reason", reason)
		if rc.ended != nil {
			rc.ended()
		}
	})
}

// mediaEnded is why the media ended the call ("" when it did not).
func (rc *roomCall) mediaEnded() string {
	rc.endMu.Lock()
	defer rc.endMu.Unlock()
	return rc.endWhy
}

// update applies a re-negotiation (hold, resume, new address, new remote SRTP key)
// to the running streams. A stream cannot move between RTP and SRTP mid-call (its
// session was made for one): such a plan is refused and nothing changes. A room system
// that sends with a new key of its own gets its stream re-keyed.
func (rc *roomCall) update(plan media.Plan) error {
	rc.startMu.Lock()
	defer rc.startMu.Unlock()
	a, hasAudio := plan.Stream(media.RoleAudio)
	v, hasVideo := plan.Stream(media.RoleMain)
	if err := rc.rekey(a, hasAudio, v, hasVideo); err != nil {
		return err
	}
	if hasAudio && rc.audio != nil {
		if a.Remote.IsValid() && a.Remote.Port() != 0 {
			rc.audio.SetRemote(a.Remote, a.RemoteRTCP)
		}
		if a.Hold {
			rc.audio.SetMediaTimeout(-1)
		} else {
			rc.audio.SetMediaTimeout(0)
		}
		rc.audio.SetSending(sends(a))
	}
	if hasVideo && rc.video != nil {
		if v.Remote.IsValid() && v.Remote.Port() != 0 {
			rc.video.SetRemote(v.Remote, v.RemoteRTCP)
		}
		rc.video.SetSending(sends(v))
	}
	if c, ok := plan.Stream(media.RoleContent); ok && rc.video != nil && rc.content != nil {
		// A re-offer may add content (or move it), an H.323 room its content channel
		// (we may not send yet: no remote address, but its content is read now); its
		// SRTP keying stays as started, its source rules are the call's.
		return rc.content.start(c, rc.opt)
	}
	return nil
}

// sends reports whether the gateway sends on a stream: not while the room system
// holds it (it must not receive media: RFC 3264 §8.4, H.323 §8.4.6).
func sends(s media.Stream) bool { return !s.Hold && s.Direction.Sends() }

// rekey checks a re-negotiation's keying against the call's and re-keys the streams
// whose remote key changed.
func (rc *roomCall) rekey(a media.Stream, hasAudio bool, v media.Stream, hasVideo bool) error {
	rc.srtpMu.Lock()
	defer rc.srtpMu.Unlock()
	check := func(kind string, cur, next *media.SRTP) error {
		if (cur == nil) != (next == nil) {
			return &notAcceptableError{reason: kind + ": a call cannot switch between RTP and SRTP"}
		}
		return nil
	}
	if hasAudio {
		if err := check("audio", rc.audioSRTP, a.SRTP); err != nil {
			return err
		}
	}
	if hasVideo && rc.video != nil {
		if err := check("video", rc.videoSRTP, v.SRTP); err != nil {
			return err
		}
	}
	if hasAudio && a.SRTP != nil && rc.audio != nil && !bytes.Equal(a.SRTP.RemoteKey, rc.audioSRTP.RemoteKey) {
		if err := rc.audio.RekeyRemote(*srtpConfig(a.SRTP)); err != nil {
			return err
		}
		rc.audioSRTP = a.SRTP
	}
	if hasVideo && v.SRTP != nil && rc.video != nil && !bytes.Equal(v.SRTP.RemoteKey, rc.videoSRTP.RemoteKey) {
		if err := rc.video.RekeyRemote(*srtpConfig(v.SRTP)); err != nil {
			return err
		}
		rc.videoSRTP = v.SRTP
	}
	return nil
}

// close stops everything and frees the ports. It is idempotent. The media goes first:
// the sockets are closed and the ports handed back (into their quarantine) at once,
// before the meeting side, whose leave may wait for the meeting core.
func (rc *roomCall) close() {
	rc.closed.Do(func() {
		if rc.apath != nil {
			if p50, p99, n := rc.apath.latencyStats(); n > 0 {
				rc.log.Info("audio latency room system → meeting (RTP in → Opus out)", "p50_ms", ms(p50), "p99_ms", ms(p99), "frames", n)
			}
		}
		if rc.stopAudio != nil {
			rc.stopAudio()
		}
		if rc.audio != nil {
			_ = rc.audio.Close()
		}
		if rc.video != nil {
			_ = rc.video.Close()
		}
		if rc.content != nil {
			rc.content.close()
		}
		rc.wg.Wait()
		rc.alloc.Release(rc.pairs...)
		if rc.tap != nil {
			rc.tap.remove(rc)
			rc.taps.release(rc.tap)
		}
		if rc.br != nil {
			rc.br.Close()
		}
	})
}

// notAcceptableError is a re-negotiated plan the running media cannot take; the
// signalling refuses the offer (SIP: 488).
type notAcceptableError struct{ reason string }

func (e *notAcceptableError) Error() string { return "media: not acceptable: " + e.reason }

// srtpConfig is a stream's SDES keying for its RTP session (nil: plain RTP).
func srtpConfig(s *media.SRTP) *rtpsession.SRTPConfig {
	if s == nil {
		return nil
	}
	return &rtpsession.SRTPConfig{LocalKey: s.LocalKey, RemoteKey: s.RemoteKey, Tag32: s.Tag32}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
