package gateway

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/media"
)

// fakeListener records what a tap hands to one call.
type fakeListener struct {
	id       string
	mu       sync.Mutex
	audio    map[string]int // frames per track
	samples  int
	gone     []string
	video    []string // identities
	speakers [][]string
	limit    bridge.VideoLimit
}

func newFakeListener(id string) *fakeListener {
	return &fakeListener{id: id, audio: map[string]int{}}
}

func (f *fakeListener) tapIdentity() string { return f.id }
func (f *fakeListener) remoteAudio(track string, pcm []int16) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audio[track]++
	f.samples += len(pcm)
}
func (f *fakeListener) remoteGone(tracks []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gone = append(f.gone, tracks...)
}
func (f *fakeListener) remoteVideo(identity, _ string, _ *rtp.Packet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.video = append(f.video, identity)
}
func (f *fakeListener) videoLimit() (bridge.VideoLimit, bool) {
	return f.limit, f.limit != (bridge.VideoLimit{})
}

func (f *fakeListener) activeSpeakers(ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.speakers = append(f.speakers, ids)
}

// opusFrames encodes n 20 ms frames of a tone.
func opusFrames(t testing.TB, n int) [][]byte {
	t.Helper()
	enc, err := audio.NewEncoder(media.Opus, audio.Config{Bitrate: 32000})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, frame48)
	var out [][]byte
	for i := range n {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*440*float64(i*frame48+j)/meetingRate))
		}
		p, err := enc.Encode(pcm, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func newTestTap() *meetingTap { return newMeetingTap("123456789", slog.New(slog.DiscardHandler)) }

func TestTapDecodesOnceAndExcludesSelf(t *testing.T) {
	tap := newTestTap()
	calls := []*fakeListener{newFakeListener("sip-a"), newFakeListener("sip-b"), newFakeListener("sip-c")}
	for _, c := range calls {
		tap.add(c)
	}
	frames := opusFrames(t, 10)
	for i, p := range frames {
		tap.onAudio("web-1", "TR_web1", uint16(i), uint32(i*960), p) // a browser
		tap.onAudio("sip-a", "TR_a", uint16(i), uint32(i*960), p)    // call a's own track
	}
	for _, c := range calls {
		if got := c.audio["TR_web1"]; got != 10 {
			t.Errorf("%s: %d frames of the browser, want 10", c.id, got)
		}
	}
	if got := calls[0].audio["TR_a"]; got != 0 {
		t.Errorf("sip-a got %d frames of its own audio (mix-minus broken)", got)
	}
	for _, c := range calls[1:] {
		if got := c.audio["TR_a"]; got != 10 {
			t.Errorf("%s: %d frames of sip-a, want 10", c.id, got)
		}
		if c.samples != 20*frame48 {
			t.Errorf("%s: %d samples, want %d (20 ms frames at 48 kHz)", c.id, c.samples, 20*frame48)
		}
	}
	if n := len(tap.streams); n != 2 {
		t.Errorf("tap keeps %d decoders, want 2 (one per meeting track, not per call)", n)
	}
}

func TestTapLimitsDecodedStreams(t *testing.T) {
	tap := newTestTap()
	l := newFakeListener("sip-x")
	tap.add(l)
	tap.onSpeakers([]string{"p1", "p2"})
	frames := opusFrames(t, 5)
	// Seven participants talk at once; two are the meeting core's active speakers.
	ids := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
	for i, p := range frames {
		for _, id := range ids {
			tap.onAudio(id, "TR_"+id, uint16(i), uint32(i*960), p)
		}
	}
	var heard []string
	for tr := range l.audio {
		heard = append(heard, tr)
	}
	slices.Sort(heard)
	if len(heard) != maxMixed+1 {
		t.Fatalf("decoded %v: want %d streams", heard, maxMixed+1)
	}
	for _, must := range []string{"TR_p1", "TR_p2"} {
		if !slices.Contains(heard, must) {
			t.Errorf("active speaker %s not decoded (decoded %v)", must, heard)
		}
	}
	if got := l.speakers; len(got) != 1 || !slices.Equal(got[0], []string{"p1", "p2"}) {
		t.Errorf("speakers handed to the call: %v", got)
	}
}

func TestTapParticipantLeftAndVideo(t *testing.T) {
	tap := newTestTap()
	a, b := newFakeListener("sip-a"), newFakeListener("sip-b")
	tap.add(a)
	tap.add(b)
	p := opusFrames(t, 1)[0]
	tap.onAudio("web-1", "TR_mic", 1, 960, p)
	tap.onAudio("web-1", "TR_screen_audio", 1, 960, p)
	tap.onAudio("web-2", "TR_w2", 1, 960, p)
	tap.onParticipant(bridge.ParticipantEvent{Kind: bridge.ParticipantLeft, Identity: "web-1"})
	slices.Sort(a.gone)
	if !slices.Equal(a.gone, []string{"TR_mic", "TR_screen_audio"}) {
		t.Errorf("gone tracks: %v", a.gone)
	}
	if _, ok := tap.streams["TR_w2"]; !ok || len(tap.streams) != 1 {
		t.Errorf("streams after web-1 left: %v", tap.streams)
	}

	tap.onVideo("sip-a", "camera", &rtp.Packet{})
	tap.onVideo("web-2", "camera", &rtp.Packet{})
	if !slices.Equal(a.video, []string{"web-2"}) || !slices.Equal(b.video, []string{"sip-a", "web-2"}) {
		t.Errorf("video: a got %v, b got %v", a.video, b.video)
	}
	tap.remove(a)
	tap.onVideo("web-2", "camera", &rtp.Packet{})
	if len(a.video) != 1 || len(b.video) != 3 {
		t.Errorf("after remove: a got %v, b got %v", a.video, b.video)
	}
}

// fakeSource is a tap participant that joins without a meeting core.
type fakeSource struct {
	id           string
	closed       chan struct{}
	disconnected func(string)
	keyframes    []string
	limits       []bridge.VideoLimit
}

func (f *fakeSource) Identity() string { return f.id }
func (f *fakeSource) OnAudio(func(identity, track string, seq uint16, ts uint32, payload []byte)) {
}
func (f *fakeSource) OnVideo(func(identity, source string, pkt *rtp.Packet)) {}
func (f *fakeSource) OnActiveSpeakers(func(ids []string))                    {}
func (f *fakeSource) OnParticipant(func(bridge.ParticipantEvent))            {}
func (f *fakeSource) OnDisconnected(g func(reason string))                   { f.disconnected = g }
func (f *fakeSource) RequestKeyframe(identity string) error {
	f.keyframes = append(f.keyframes, identity)
	return nil
}
func (f *fakeSource) SetVideoLimit(l bridge.VideoLimit) { f.limits = append(f.limits, l) }
func (f *fakeSource) Close()                            { close(f.closed) }

func TestTapRegistrySharesAndCloses(t *testing.T) {
	var mu sync.Mutex
	var joins []*fakeSource
	fail := false
	r := newTapRegistry(slog.New(slog.DiscardHandler), func(ctx context.Context, meetingID string) (tapSource, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return nil, errors.New("core unreachable")
		}
		s := &fakeSource{id: "tap-" + meetingID, closed: make(chan struct{})}
		joins = append(joins, s)
		return s, nil
	})
	ctx := context.Background()
	t1, err := r.acquire(ctx, "111111111")
	if err != nil {
		t.Fatal(err)
	}
	t2, err := r.acquire(ctx, "111111111")
	if err != nil {
		t.Fatal(err)
	}
	t3, err := r.acquire(ctx, "222222222")
	if err != nil {
		t.Fatal(err)
	}
	if t1 != t2 || t1 == t3 || len(joins) != 2 {
		t.Fatalf("taps: same meeting shared=%v, meetings distinct=%v, joins=%d", t1 == t2, t1 != t3, len(joins))
	}
	if err := t1.RequestKeyframe("web-1"); err != nil || !slices.Equal(joins[0].keyframes, []string{"web-1"}) {
		t.Errorf("keyframe request through the tap: %v %v", err, joins[0].keyframes)
	}
	r.release(t1)
	select {
	case <-joins[0].closed:
		t.Fatal("tap closed while a call still uses it")
	case <-time.After(50 * time.Millisecond):
	}
	r.release(t2)
	select {
	case <-joins[0].closed:
	case <-time.After(2 * time.Second):
		t.Fatal("last release did not close the tap")
	}
	// A new call after the last one left gets a new tap.
	t4, err := r.acquire(ctx, "111111111")
	if err != nil || t4 == t1 || len(joins) != 3 {
		t.Fatalf("re-acquire: err=%v new=%v joins=%d", err, t4 != t1, len(joins))
	}
	// The meeting ended under the tap: the next call joins afresh.
	joins[2].disconnected("room deleted")
	t5, err := r.acquire(ctx, "111111111")
	if err != nil || t5 == t4 || len(joins) != 4 {
		t.Fatalf("after disconnect: err=%v new=%v joins=%d", err, t5 != t4, len(joins))
	}
	// A failed join fails the call and is not cached.
	mu.Lock()
	fail = true
	mu.Unlock()
	if _, err := r.acquire(ctx, "333333333"); err == nil {
		t.Fatal("acquire succeeded with a failing join")
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if _, err := r.acquire(ctx, "333333333"); err != nil {
		t.Fatalf("acquire after a failed join: %v", err)
	}
	r.closeAll()
	if len(r.taps) != 0 {
		t.Errorf("taps left after closeAll: %d", len(r.taps))
	}
}

func TestOpusSilenceFrameDecodesToSilence(t *testing.T) {
	dec, err := audio.NewDecoder(media.Opus, audio.Config{Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := dec.Decode(opusSilence, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(pcm) != frame48 {
		t.Fatalf("%d samples, want %d (20 ms at 48 kHz)", len(pcm), frame48)
	}
	for i, v := range pcm {
		if v != 0 {
			t.Fatalf("sample %d = %d, want silence", i, v)
		}
	}
	if lvl := levelDBov(pcm); lvl < quietLevel {
		t.Errorf("silence frame level %d: the gate would count it as sound", lvl)
	}
}

func TestTapSkipsSilenceFrames(t *testing.T) {
	tap := newTestTap()
	l := newFakeListener("sip-a")
	tap.add(l)
	for i := range 5 {
		tap.onAudio("sip-b", "TR_b", uint16(i), uint32(i*960), opusSilence)
		tap.onAudio("web-1", "TR_w", uint16(i), uint32(i*960), []byte{0xf8}) // DTX
	}
	if len(l.audio) != 0 {
		t.Errorf("silence frames were decoded and handed on: %v", l.audio)
	}
	tap.onAudio("sip-b", "TR_b", 6, 6*960, opusFrames(t, 1)[0])
	if l.audio["TR_b"] != 1 {
		t.Errorf("a real frame after silence: %v", l.audio)
	}
}

func TestTapVideoLimitFollowsTheTightestCall(t *testing.T) {
	tap := newTestTap()
	src := &fakeSource{closed: make(chan struct{})}
	tap.br = src
	hd := newFakeListener("sip-hd")
	hd.limit = bridge.VideoLimit{MaxFS: 3600, MaxBitrate: 2_000_000} // level 3.1, 2 Mbit/s
	cif := newFakeListener("sip-cif")
	cif.limit = bridge.VideoLimit{MaxFS: 396, MaxBitrate: 768_000} // an old CIF system
	audioOnly := newFakeListener("sip-audio")
	tap.add(hd)
	tap.add(audioOnly) // no video: changes nothing
	tap.add(cif)
	tap.remove(cif)
	want := []bridge.VideoLimit{hd.limit, {MaxFS: 396, MaxBitrate: 768_000}, hd.limit}
	if !slices.Equal(src.limits, want) {
		t.Errorf("limits applied %+v, want %+v", src.limits, want)
	}
}
