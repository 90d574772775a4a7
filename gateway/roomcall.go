package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/sip/sdp"
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

	sdpMu      sync.Mutex
	sessionID  uint64
	sdpVersion uint64
	// srtp is each stream's keying (nil: plain RTP); re-answers keep our keys (sdpMu).
	audioSRTP, videoSRTP *sdp.SRTP

	audio  *rtpsession.Session
	video  *rtpsession.Session
	apath  *audioPath
	vpath  *videoPath
	br     *bridge.Bridge
	self   string      // br's identity
	tap    *meetingTap // the meeting as the call hears and sees it
	taps   *tapRegistry
	vlimit bridge.VideoLimit // what the room system's video decoder takes (SDP)
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

// mediaPorts allocates the RTP/RTCP pairs of a call: audio and main video.
func allocMedia(log *slog.Logger, alloc *ports.Allocator, clock *frameClock) (*roomCall, error) {
	pairs, err := alloc.Allocate(2)
	if err != nil {
		return nil, err
	}
	return &roomCall{log: log, alloc: alloc, pairs: pairs, clock: clock}, nil
}

func (rc *roomCall) audioPort() int { return rc.pairs[0].RTPPort }
func (rc *roomCall) videoPort() int { return rc.pairs[1].RTPPort }

// mediaOptions are per-call media settings from the config and endpoint profile.
type mediaOptions struct {
	Timeout   time.Duration
	Latch     rtpsession.LatchMode
	Probation int // 0: rtpsession's default
	// SignallingIP is where the call's signalling comes from (per call).
	SignallingIP netip.Addr
}

// withPeer is o for a call whose signalling comes from peer.
func (o mediaOptions) withPeer(peer netip.AddrPort) mediaOptions {
	o.SignallingIP = peer.Addr()
	return o
}

// latchMode maps the config's media.symmetric_rtp and media.latch (validated).
func latchMode(symmetric bool, latch string) rtpsession.LatchMode {
	switch {
	case !symmetric || latch == "off":
		return rtpsession.LatchOff
	case latch == "any":
		return rtpsession.LatchAny
	}
	return rtpsession.LatchSignalledIP
}

// quarantine maps media.quarantine: the config's 0s means none, the allocator's 0 its
// default.
func quarantine(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// start opens the negotiated streams and starts the media goroutines.
func (rc *roomCall) start(res *sdp.Result, opt mediaOptions, onDigit func(byte), requestKeyframe func()) error {
	if res.Audio == nil {
		return fmt.Errorf("no audio stream negotiated")
	}
	codec, ok := media.ParseCodec(res.Audio.Codec.Name)
	if !ok {
		return fmt.Errorf("audio codec %s not supported", res.Audio.Codec.Name)
	}
	rc.sdpMu.Lock()
	rc.audioSRTP = res.Audio.SRTP
	if res.Video != nil {
		rc.videoSRTP = res.Video.SRTP
	}
	rc.sdpMu.Unlock()
	var err error
	rc.audio, err = rtpsession.New(rtpsession.Config{RTP: rc.pairs[0].RTP, RTCP: rc.pairs[0].RTCP,
		Remote: res.Audio.Remote, RemoteRTCP: res.Audio.RemoteRTCP, Latch: opt.Latch, Probation: opt.Probation, SignallingIP: opt.SignallingIP,
		ClockRate: uint32(codec.ClockRate()), MediaTimeout: opt.Timeout, Log: rc.log, SRTP: srtpConfig(res.Audio.SRTP),
		OnBYE:     func([]uint32, string) { rc.end("RTCP BYE from the room system") },
		OnTimeout: func(last time.Time) { rc.end(fmt.Sprintf("no RTP for %s", opt.Timeout)) },
	})
	if err != nil {
		return err
	}
	if res.Audio.RemoteHold {
		rc.audio.SetMediaTimeout(-1)
	}
	te := uint8(0)
	if res.Audio.HasTelephoneEvent {
		te = res.Audio.TelephoneEvent
	}
	if rc.apath, err = newAudioPath(rc.log, rc.audio, codec, res.Audio.Codec.PT, te, onDigit); err != nil {
		return err
	}
	rc.stopAudio = rc.apath.start(rc.clock) // reads the room system's audio on the clock's tick

	if v := res.Video; v != nil {
		rc.video, err = rtpsession.New(rtpsession.Config{RTP: rc.pairs[1].RTP, RTCP: rc.pairs[1].RTCP,
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
		// What the room system decodes: its max-fs (or its level's), and the lower of
		// b=TIAS/b=AS and max-br (or the level's bitrate).
		rc.vlimit = bridge.VideoLimit{MaxFS: v.H264.EffectiveMaxFS(), MaxBitrate: v.MaxBitrate}.
			Tighter(bridge.VideoLimit{MaxBitrate: v.H264.EffectiveMaxBRKbps() * 1000})
		// We send in the mode the endpoint receives (its fmtp), 1 when both allow it.
		mode := min(v.H264.PacketizationMode, 1)
		var last time.Time
		var lastMu sync.Mutex
		rc.vpath = newVideoPath(rc.log, rc.video, v.Codec.PT, mode, rc.vlimit.MaxFS, func() {
			// At most two requests a second: every subscriber's PLI reaches us.
			lastMu.Lock()
			if time.Since(last) < 500*time.Millisecond {
				lastMu.Unlock()
				return
			}
			last = time.Now()
			lastMu.Unlock()
			// As the endpoint negotiated (a=rtcp-fb): RTCP FIR or PLI, else SIP INFO
			// picture_fast_update (RFC 5168), which older room systems rely on.
			switch {
			case v.FIR:
				_ = rc.video.SendFIR(0)
			case v.PLI:
				_ = rc.video.SendPLI()
			case requestKeyframe != nil:
				// SIP INFO waits for its response: never block the media on it.
				go requestKeyframe()
			}
		})
		rc.wg.Add(1)
		go func() { defer rc.wg.Done(); rc.vpath.readLoop() }()
	}
	return nil
}

// join connects the call to the meeting with an admission from the join policy: its
// own participant publishes the room system's audio and video, and the meeting's tap
// delivers what the room system hears and sees.
func (rc *roomCall) join(ctx context.Context, adm api.RoomSystemAdmission, rooms *api.Server, taps *tapRegistry, meetingID string) error {
	tap, err := taps.acquire(ctx, meetingID)
	if err != nil {
		return fmt.Errorf("meeting tap: %w", err)
	}
	// The tap takes the call's audio from it directly, not through the meeting core.
	tap.expect(adm.Identity)
	br, err := bridge.Join(ctx, bridge.Params{URL: adm.URL, Token: adm.Token, Log: rc.log, NoVideo: rc.vpath == nil, NoSubscribe: true,
		Rooms: rooms.Core.Rooms()})
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
	rc.br, rc.self, rc.tap, rc.taps = br, br.Identity(), tap, taps
	rc.apath.attach(br, tap, rc.self)
	if adm.MuteOnEntry {
		rc.apath.setMuted(true)
	}
	br.OnAudioMuted(func(m bool) { rc.apath.setMuted(m) })
	br.OnDisconnected(func(reason string) { rc.end("left the meeting: " + reason) })
	if rc.vpath != nil {
		rc.vpath.attach(br, tap)
	}
	tap.add(rc)
	return nil
}

// The call as a listener of its meeting's tap.
var _ tapListener = (*roomCall)(nil)

func (rc *roomCall) tapIdentity() string { return rc.self }

func (rc *roomCall) remoteVideo(identity, source string, pkt *rtp.Packet) {
	if rc.vpath != nil {
		rc.vpath.fromMeeting(identity, source, pkt)
	}
}

func (rc *roomCall) videoLimit() (bridge.VideoLimit, bool) {
	return rc.vlimit, rc.vpath != nil
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

// updateRemote applies a re-negotiation (hold, resume, new address).
func (rc *roomCall) updateRemote(res *sdp.Result) {
	if res.Audio != nil && rc.audio != nil {
		if res.Audio.Remote.IsValid() && res.Audio.Remote.Port() != 0 {
			rc.audio.SetRemote(res.Audio.Remote, res.Audio.RemoteRTCP)
		}
		if res.Audio.RemoteHold {
			rc.audio.SetMediaTimeout(-1)
		} else {
			rc.audio.SetMediaTimeout(0)
		}
	}
	if res.Video != nil && rc.video != nil && res.Video.Remote.IsValid() && res.Video.Remote.Port() != 0 {
		rc.video.SetRemote(res.Video.Remote, res.Video.RemoteRTCP)
	}
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

// local describes our side for SDP: the same o= session ID for the whole call, a new
// version for every description we send (RFC 3264 §8).
func (rc *roomCall) local(addr netip.Addr) sdp.Local {
	rc.sdpMu.Lock()
	defer rc.sdpMu.Unlock()
	if rc.sessionID == 0 {
		rc.sessionID = uint64(time.Now().UnixNano()) & (1<<62 - 1)
	}
	rc.sdpVersion++
	l := sdp.Local{Addr: addr, AudioPort: rc.audioPort(), VideoPort: rc.videoPort(), SessionID: rc.sessionID,
		Version: rc.sdpVersion, Username: "roomgate"}
	if rc.audioSRTP != nil {
		l.AudioKey = rc.audioSRTP.LocalKey
	}
	if rc.videoSRTP != nil {
		l.VideoKey = rc.videoSRTP.LocalKey
	}
	return l
}

// srtpConfig is a stream's SDES keying for its RTP session (nil: plain RTP).
func srtpConfig(s *sdp.SRTP) *rtpsession.SRTPConfig {
	if s == nil {
		return nil
	}
	return &rtpsession.SRTPConfig{LocalKey: s.LocalKey, RemoteKey: s.RemoteKey, Tag32: s.Suite == sdp.SuiteAES128SHA1_32}
}

// rekey checks a re-negotiation's keying against the call's: a stream cannot move
// between RTP and SRTP mid-call (its session was made for one), and a peer that sends
// a new key of its own gets its stream re-keyed (our key stays: local()).
func (rc *roomCall) rekey(re *sdp.Result) error {
	rc.sdpMu.Lock()
	defer rc.sdpMu.Unlock()
	check := func(kind string, cur, next *sdp.SRTP) error {
		if (cur == nil) != (next == nil) {
			return &sdp.NegotiationError{Reason: kind + ": a call cannot switch between RTP and SRTP"}
		}
		return nil
	}
	if re.Audio != nil {
		if err := check("audio", rc.audioSRTP, re.Audio.SRTP); err != nil {
			return err
		}
	}
	if re.Video != nil && rc.video != nil {
		if err := check("video", rc.videoSRTP, re.Video.SRTP); err != nil {
			return err
		}
	}
	if re.Audio != nil && re.Audio.SRTP != nil && rc.audio != nil && !bytes.Equal(re.Audio.SRTP.RemoteKey, rc.audioSRTP.RemoteKey) {
		if err := rc.audio.RekeyRemote(*srtpConfig(re.Audio.SRTP)); err != nil {
			return err
		}
		rc.audioSRTP = re.Audio.SRTP
	}
	if re.Video != nil && re.Video.SRTP != nil && rc.video != nil && !bytes.Equal(re.Video.SRTP.RemoteKey, rc.videoSRTP.RemoteKey) {
		if err := rc.video.RekeyRemote(*srtpConfig(re.Video.SRTP)); err != nil {
			return err
		}
		rc.videoSRTP = re.Video.SRTP
	}
	return nil
}

// reoffer answers a re-INVITE/UPDATE offer (hold, resume, new address) on the same ports.
func (rc *roomCall) reoffer(addr netip.Addr, caps sdp.Capabilities, log *slog.Logger) func(*sdp.Session, []byte) ([]byte, error) {
	return func(offer *sdp.Session, _ []byte) ([]byte, error) {
		re, err := sdp.NegotiateSession(offer, caps, rc.local(addr))
		if err != nil {
			return nil, err
		}
		if err := rc.rekey(re); err != nil {
			return nil, err
		}
		rc.updateRemote(re)
		log.Info("re-negotiated", "audio_hold", re.Audio != nil && re.Audio.RemoteHold)
		return re.SDP, nil
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
