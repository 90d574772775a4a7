package gateway

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/media"
	"github.com/roomgate/roomgate/transcode/resample"
)

// A meeting tap is the gateway's one ear in a meeting: a hidden participant that
// subscribes to everybody's audio and video once, decodes each speaker's Opus once, and
// hands the result to every call in that meeting. Each call's own participant only
// publishes. Without it every call subscribed to every track: the meeting core
// forwarded, and the gateway decrypted and decoded, each stream once per call — a cost
// that grew with the square of the number of room systems in a meeting.
//
//	meeting ──► tap (hidden) ──► decode once per speaker ──► each call's mix-minus
//	                         └─► H.264 packets ──────────► each call's video switch
//	call ──► its own participant (publish only) ──► meeting
type meetingTap struct {
	meeting string
	log     *slog.Logger
	br      tapSource // set once ready, if the join worked

	ready chan struct{} // closed when the join finished (err tells how)
	err   error
	refs  int // guarded by the registry's mu

	listeners atomic.Pointer[[]tapListener] // copy-on-write: read on every packet
	addMu     sync.Mutex                    // serialises listener changes
	limit     bridge.VideoLimit             // applied to the subscribed video (addMu)

	viewMu  sync.Mutex
	viewing map[string][]string // cameras each call with video needs, by the call's identity (none: any)
	cameras map[string]bool     // identities whose camera can be shown (subscribed H.264, not muted)
	applyMu sync.Mutex          // orders SetVideoWanted calls

	speakMu     sync.Mutex // orders speaker reports to the calls (onSpeakers, add)
	speakerList []string   // the meeting core's last report, loudest first (speakMu)

	mu        sync.Mutex
	streams   map[string]*tapStream // by track SID
	speakers  map[string]bool       // the meeting core's loudest speakers; nil before the first report
	mix       tapMix                // the current 20 ms of the meeting's audio
	local     map[string]bool       // identities of this gateway's calls in the meeting
	ownFrames [][]int16             // scratch for hear

	// floor is who presents in the meeting: browsers' screen shares (onScreenShare)
	// and the room systems' BFCP floor (contentPath), one state machine for all.
	floor *call.Floor
	// floorStop ends the worker that stops the screen shares of browsers that lost
	// the floor (startFloor).
	floorStop func()
}

// tapListener is one call's side of a tap.
type tapListener interface {
	// tapIdentity is the call's own participant identity: its own audio and video are
	// never handed back to it (mix-minus).
	tapIdentity() string
	// remoteVideo is an H.264 RTP packet of another participant; read only.
	remoteVideo(identity, source string, pkt *rtp.Packet)
	// activeSpeakers is the meeting core's speaker list, loudest first.
	activeSpeakers(ids []string)
	// videoLimit is what the room system can receive (frame size, bitrate); ok is
	// false for a call without video.
	videoLimit() (limit bridge.VideoLimit, ok bool)
	// camerasChanged says that a camera was turned on or off (hasCamera).
	camerasChanged()
}

// tapStream is one meeting audio track on its way to the calls.
type tapStream struct {
	identity string
	mu       sync.Mutex // orders the decoder's use (one reader per track, but be safe)
	dec      *audio.Inbound
	pcm      []int16
	last     atomic.Int64 // unix nanoseconds of the last decode

	// Guarded by the tap's mu:
	local  bool                // one of our calls (speak), not a meeting track
	up     *resample.Resampler // local: from the call's codec rate to 48 kHz
	pend   []int16             // local: the frame of tick pendN, mixed from the next tick on
	pendN  uint64
	fifo   []int16   // decoded 48 kHz PCM waiting for the mix
	queued time.Time // when a frame was last queued
	primed bool      // enough buffered to play
	frame  []int16   // this tick's 20 ms, when inMix
	inMix  bool
}

// maxMixed bounds how many of the meeting's streams a room system hears at once, and
// so how many Opus streams the tap decodes: the meeting core's active speakers are
// always decoded, other streams only while fewer are busy. One more than maxMixed is
// decoded, so a call that is itself among the loudest still hears maxMixed others.
const maxMixed = 3

// maxSilentOpus is the largest Opus packet taken for silence: DTX and silence frames
// are 1–3 bytes (TOC plus at most two bytes of range coder); the smallest 20 ms frames
// with any content are larger.
const maxSilentOpus = 3

func newMeetingTap(meeting string, log *slog.Logger) *meetingTap {
	t := &meetingTap{
		meeting: meeting, log: log, ready: make(chan struct{}), streams: map[string]*tapStream{},
		local: map[string]bool{}, viewing: map[string][]string{}, cameras: map[string]bool{},
		floor: call.NewFloor(),
	}
	t.listeners.Store(&[]tapListener{})
	return t
}

// add attaches a call to the tap.
func (t *meetingTap) add(l tapListener) {
	t.addMu.Lock()
	defer t.addMu.Unlock()
	old := *t.listeners.Load()
	next := append(append(make([]tapListener, 0, len(old)+1), old...), l)
	t.listeners.Store(&next)
	t.applyVideoLimit(next)
	if _, ok := l.videoLimit(); ok {
		t.show(l.tapIdentity())
	}
	// The meeting core reports speakers only when they change: a call that joins
	// while someone talks starts with the current list (under speakMu, so that a
	// report arriving meanwhile is not overtaken by the older list).
	t.speakMu.Lock()
	defer t.speakMu.Unlock()
	if len(t.speakerList) > 0 {
		l.activeSpeakers(t.speakerList)
	}
}

// applyVideoLimit makes the tap receive video that every room system in the meeting
// can decode: the simulcast layer within the tightest frame size and bitrate of the
// calls (addMu held). The calls share one subscription, so the most constrained room
// system sets the layer for all; a single-layer track is forwarded as it is.
func (t *meetingTap) applyVideoLimit(ls []tapListener) {
	var limit bridge.VideoLimit
	for _, l := range ls {
		if v, ok := l.videoLimit(); ok {
			limit = limit.Tighter(v)
		}
	}
	if limit == t.limit {
		return
	}
	t.limit = limit
	if t.br != nil {
		t.log.Info("video toward room systems limited", "max_fs", limit.MaxFS, "max_bitrate", limit.MaxBitrate)
		t.br.SetVideoLimit(limit)
	}
}

// limitsChanged applies a call's new video limit.
func (t *meetingTap) limitsChanged() {
	t.addMu.Lock()
	defer t.addMu.Unlock()
	t.applyVideoLimit(*t.listeners.Load())
}

// remove detaches a call.
func (t *meetingTap) remove(l tapListener) {
	t.unexpect(l.tapIdentity())
	t.addMu.Lock()
	defer t.addMu.Unlock()
	old := *t.listeners.Load()
	next := make([]tapListener, 0, len(old))
	for _, x := range old {
		if x != l {
			next = append(next, x)
		}
	}
	t.listeners.Store(&next)
	t.applyVideoLimit(next)
	t.viewMu.Lock()
	delete(t.viewing, l.tapIdentity())
	t.viewMu.Unlock()
	t.applyVideoWanted()
}

// show records the cameras a call needs (viewer's identity): the one it forwards to
// its room system and, while it switches, the next one; none while it takes the first
// camera that comes. The tap lets the meeting core forward only the cameras needed.
func (t *meetingTap) show(viewer string, identities ...string) {
	t.viewMu.Lock()
	t.viewing[viewer] = identities
	t.viewMu.Unlock()
	t.applyVideoWanted()
}

// wantsVideo says whether some call needs the video of identity: a camera it shows
// or switches to, or any camera but its own while it shows none yet (it takes the
// first that comes); any screen share while a call with video is in the meeting.
// viewMu held.
func (t *meetingTap) wantsVideo(identity, source string) bool {
	if source == "screen_share" {
		// Content goes to every room system with video (each forwards only the
		// presenter's).
		return len(t.viewing) > 0
	}
	if source != "camera" {
		return false
	}
	for viewer, shown := range t.viewing {
		if len(shown) == 0 && viewer != identity || slices.Contains(shown, identity) {
			return true
		}
	}
	return false
}

// applyVideoWanted hands the current choice to the tap's participant, off the
// caller's goroutine (it signals the meeting core); the latest state always wins.
func (t *meetingTap) applyVideoWanted() {
	if t.br == nil {
		return
	}
	go func() {
		t.applyMu.Lock()
		defer t.applyMu.Unlock()
		t.br.SetVideoWanted(func(identity, source string) bool {
			t.viewMu.Lock()
			defer t.viewMu.Unlock()
			return t.wantsVideo(identity, source)
		})
	}()
}

// busy counts the streams other than s decoded in the last 100 ms (t.mu held).
func (t *meetingTap) busy(s *tapStream, now int64) int {
	n := 0
	for _, o := range t.streams {
		if o != s && now-o.last.Load() < int64(100*time.Millisecond) {
			n++
		}
	}
	return n
}

// onAudio takes one Opus packet of a meeting track (bridge callback).
func (t *meetingTap) onAudio(identity, track string, _ uint16, _ uint32, payload []byte) {
	if len(payload) <= maxSilentOpus {
		return // a silence/DTX frame (muted microphones, quiet rooms): nothing to mix
	}
	now := time.Now().UnixNano()
	t.mu.Lock()
	if t.local[identity] {
		t.mu.Unlock()
		return // one of our calls: its audio comes directly (speak)
	}
	s := t.streams[track]
	if s == nil {
		// Mono: half the cost of stereo decoding, and room systems are mono.
		dec, err := audio.NewInbound(media.Opus, audio.Config{Channels: 1}, meetingRate)
		if err != nil {
			t.mu.Unlock()
			return
		}
		s = &tapStream{identity: identity, dec: dec}
		t.streams[track] = s
	}
	skip := t.speakers != nil && !t.speakers[identity] && t.busy(s, now) >= maxMixed+1
	t.mu.Unlock()
	if skip {
		return // not among the loudest, and enough others are talking
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.pcm, err = s.dec.Decode(payload, s.pcm); err != nil {
		return
	}
	s.last.Store(now)
	t.mu.Lock()
	s.queue(s.pcm, time.Unix(0, now))
	t.mu.Unlock()
}

// onVideo hands an H.264 packet to every call but its publisher's own.
func (t *meetingTap) onVideo(identity, source string, pkt *rtp.Packet) {
	for _, l := range *t.listeners.Load() {
		if l.tapIdentity() != identity {
			l.remoteVideo(identity, source, pkt)
		}
	}
}

// onSpeakers follows the meeting core's active speakers (loudest first).
func (t *meetingTap) onSpeakers(ids []string) {
	next := make(map[string]bool, maxMixed+1)
	for _, id := range ids {
		if len(next) == maxMixed+1 {
			break
		}
		next[id] = true
	}
	t.speakMu.Lock()
	defer t.speakMu.Unlock()
	t.speakerList = ids
	t.mu.Lock()
	t.speakers = next
	t.mu.Unlock()
	for _, l := range *t.listeners.Load() {
		l.activeSpeakers(ids)
	}
}

// onCamera follows the cameras that can be shown (bridge callback) and tells the calls
// when one is turned on or off: a call showing a camera that went away shows another.
func (t *meetingTap) onCamera(identity string, on bool) {
	t.viewMu.Lock()
	changed := t.cameras[identity] != on
	if on {
		t.cameras[identity] = true
	} else {
		delete(t.cameras, identity)
	}
	t.viewMu.Unlock()
	if !changed {
		return
	}
	t.log.Debug("camera", "participant", identity, "on", on)
	for _, l := range *t.listeners.Load() {
		l.camerasChanged()
	}
}

// hasCamera says whether identity has a camera that can be shown.
func (t *meetingTap) hasCamera(identity string) bool {
	t.viewMu.Lock()
	defer t.viewMu.Unlock()
	return t.cameras[identity]
}

// onParticipant drops the streams of a participant who left.
func (t *meetingTap) onParticipant(e bridge.ParticipantEvent) {
	if e.Kind != bridge.ParticipantLeft {
		return
	}
	t.floor.Leave(e.Identity)
	t.mu.Lock()
	defer t.mu.Unlock()
	for sid, s := range t.streams {
		if s.identity == e.Identity {
			delete(t.streams, sid)
		}
	}
}

// RequestKeyframe asks a participant's video for a keyframe (PLI through the tap's
// subscription).
func (t *meetingTap) RequestKeyframe(identity string) error {
	if t.br == nil {
		return errNoTap
	}
	return t.br.RequestKeyframe(identity)
}

var errNoTap = errors.New("meeting tap not connected")

// tapSource is the tap's participant in the meeting (*bridge.Bridge; a fake in tests).
type tapSource interface {
	Identity() string
	OnAudio(func(identity, track string, seq uint16, ts uint32, payload []byte))
	OnVideo(func(identity, source string, pkt *rtp.Packet))
	OnActiveSpeakers(func(ids []string))
	OnParticipant(func(bridge.ParticipantEvent))
	OnDisconnected(func(reason string))
	RequestKeyframe(identity string) error
	StopScreenShare(ctx context.Context, identity string) error
	SetVideoLimit(bridge.VideoLimit)
	SetVideoWanted(func(identity, source string) bool)
	Close()
}

// tapRegistry keeps one tap per meeting while calls are in it.
type tapRegistry struct {
	log *slog.Logger
	// join connects a hidden subscriber to the meeting; it subscribes to the tracks
	// that hooks.subscribe takes and reports cameras to hooks.camera.
	join func(ctx context.Context, meetingID string, hooks tapHooks) (tapSource, error)

	mu   sync.Mutex
	taps map[string]*meetingTap
}

// tapHooks are what a tap's participant reports to it from the moment it joins.
type tapHooks struct {
	subscribe   func(identity string, video bool) bool // the tracks to subscribe to
	camera      func(identity string, on bool)         // cameras turned on and off (bridge.Params.OnCamera)
	screenShare func(identity string, on bool)         // screen shares started and stopped (bridge.Params.OnScreenShare)
	roomMeta    func(metadata string)                  // the meeting's host and sharing lock (bridge.Params.OnRoomMetadata)
}

func newTapRegistry(log *slog.Logger, join func(ctx context.Context, meetingID string, hooks tapHooks) (tapSource, error)) *tapRegistry {
	return &tapRegistry{log: log, join: join, taps: map[string]*meetingTap{}}
}

// tapJoinTimeout bounds the tap's join; it runs detached from any one call's context
// because every call of the meeting waits on it.
const tapJoinTimeout = 15 * time.Second

// acquire returns the meeting's tap, joining it for the first call. Each successful
// acquire needs one release.
func (r *tapRegistry) acquire(ctx context.Context, meetingID string) (*meetingTap, error) {
	r.mu.Lock()
	t := r.taps[meetingID]
	if t == nil {
		t = newMeetingTap(meetingID, r.log.With("meeting", meetingID, "component", "tap"))
		r.taps[meetingID] = t
		go r.connect(t)
	}
	t.refs++
	r.mu.Unlock()
	select {
	case <-t.ready:
	case <-ctx.Done():
		r.release(t)
		return nil, ctx.Err()
	}
	if t.err != nil {
		r.release(t)
		return nil, t.err
	}
	return t, nil
}

func (r *tapRegistry) connect(t *meetingTap) {
	ctx, cancel := context.WithTimeout(context.Background(), tapJoinTimeout)
	defer cancel()
	br, err := r.join(ctx, t.meeting, tapHooks{subscribe: t.subscribes, camera: t.onCamera, screenShare: t.onScreenShare,
		roomMeta: t.onRoomMeta})
	if err != nil {
		t.err = err
		t.log.Warn("meeting tap: join failed", "err", err)
		r.forget(t)
		close(t.ready)
		return
	}
	t.br = br
	t.startFloor()
	br.OnAudio(t.onAudio)
	br.OnVideo(t.onVideo)
	br.OnActiveSpeakers(t.onSpeakers)
	br.OnParticipant(t.onParticipant)
	br.OnDisconnected(func(reason string) {
		// The meeting ended (or the core dropped us): the calls end through their own
		// participants; the next call builds a new tap.
		t.log.Info("meeting tap disconnected", "reason", reason)
		r.forget(t)
	})
	t.log.Info("meeting tap joined", "identity", br.Identity())
	close(t.ready)
}

// forget removes t from the registry if it is still the meeting's tap.
func (r *tapRegistry) forget(t *meetingTap) {
	r.mu.Lock()
	if r.taps[t.meeting] == t {
		delete(r.taps, t.meeting)
	}
	r.mu.Unlock()
}

// release drops one reference; the last one closes the tap.
func (r *tapRegistry) release(t *meetingTap) {
	r.mu.Lock()
	t.refs--
	last := t.refs == 0
	if last && r.taps[t.meeting] == t {
		delete(r.taps, t.meeting)
	}
	r.mu.Unlock()
	if !last {
		return
	}
	go func() {
		<-t.ready
		if t.br != nil {
			t.stopFloor()
			t.br.Close()
		}
	}()
}

// closeAll closes every tap (shutdown).
func (r *tapRegistry) closeAll() {
	r.mu.Lock()
	taps := make([]*meetingTap, 0, len(r.taps))
	for _, t := range r.taps {
		taps = append(taps, t)
	}
	clear(r.taps)
	r.mu.Unlock()
	// Concurrently: each Close may wait for the meeting core (its removal there).
	var wg sync.WaitGroup
	for _, t := range taps {
		select {
		case <-t.ready:
			if t.br != nil {
				wg.Go(func() { t.stopFloor(); t.br.Close() })
			}
		default:
		}
	}
	wg.Wait()
}
