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
	video    []string // identities
	speakers [][]string
	limit    bridge.VideoLimit
}

func newFakeListener(id string) *fakeListener {
	return &fakeListener{id: id}
}

func (f *fakeListener) tapIdentity() string { return f.id }
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

// opusFrames encodes n 20 ms frames of a 440 Hz tone.
func opusFrames(t testing.TB, n int) [][]byte { return opusTone(t, n, 440) }

// opusTone encodes n 20 ms frames of a tone at hz.
func opusTone(t testing.TB, n int, hz float64) [][]byte {
	t.Helper()
	enc, err := audio.NewEncoder(media.Opus, audio.Config{Bitrate: 32000})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, frame48)
	var out [][]byte
	for i := range n {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i*frame48+j)/meetingRate))
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

// queued lists the tracks with decoded audio waiting for the mix.
func queued(tap *meetingTap) []string {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	var tr []string
	for sid, s := range tap.streams {
		if len(s.fifo) > 0 {
			tr = append(tr, sid)
		}
	}
	slices.Sort(tr)
	return tr
}

// tonePower is the power of x at hz (one DFT bin).
func tonePower(x []int16, rate int, hz float64) float64 {
	var re, im float64
	for i, v := range x {
		ph := 2 * math.Pi * hz * float64(i) / float64(rate)
		re += float64(v) * math.Cos(ph)
		im += float64(v) * math.Sin(ph)
	}
	return (re*re + im*im) / float64(len(x)*len(x))
}

func TestTapMixesOnceAndExcludesSelf(t *testing.T) {
	tap := newTestTap()
	web, own := opusTone(t, 10, 440), opusTone(t, 10, 1000)
	for i := range web {
		tap.onAudio("web-1", "TR_web1", uint16(i), uint32(i*960), web[i]) // a browser
		tap.onAudio("sip-a", "TR_a", uint16(i), uint32(i*960), own[i])    // call a's own track
	}
	if n := len(tap.streams); n != 2 {
		t.Errorf("tap keeps %d decoders, want 2 (one per meeting track, not per call)", n)
	}
	var a, b, c, d heard
	var pcmA, pcmB, pcmD []int16
	for n := uint64(1); n <= 8; n++ {
		for _, x := range []struct {
			self  string
			codec media.Codec
			h     *heard
		}{{"sip-a", media.PCMU, &a}, {"sip-b", media.PCMU, &b}, {"sip-c", media.PCMU, &c}, {"sip-d", media.G722, &d}} {
			if err := tap.hear(n, x.self, x.codec, x.h); err != nil {
				t.Fatal(err)
			}
		}
		if !a.own || len(a.pcm48) != frame48 {
			t.Fatalf("tick %d: sip-a talks but got the shared mix (own=%v, %d samples)", n, a.own, len(a.pcm48))
		}
		if b.own || c.own || d.own {
			t.Fatalf("tick %d: a listener got a private mix", n)
		}
		if len(b.pcm) != 160 || len(b.enc) != 160 || !slices.Equal(b.enc, c.enc) {
			t.Fatalf("tick %d: PCMU listeners got %d samples, %d bytes; same bytes: %v", n, len(b.pcm), len(b.enc), slices.Equal(b.enc, c.enc))
		}
		if len(d.pcm) != 320 || len(d.enc) != 160 || !d.shared {
			t.Fatalf("tick %d: G.722 listener got %d samples at 16 kHz and %d encoded bytes, shared %v (want 320, 160, true)", n, len(d.pcm), len(d.enc), d.shared)
		}
		pcmA, pcmB, pcmD = append(pcmA, a.pcm48...), append(pcmB, b.pcm...), append(pcmD, d.pcm...)
	}
	// Every stream was taken once per tick, however many calls asked.
	if got := queued(tap); len(got) != 2 {
		t.Errorf("streams with audio left after 8 of 10 frames: %v, want both", got)
	}
	for _, s := range tap.streams {
		if len(s.fifo) != 2*frame48 {
			t.Errorf("%s: %d samples left, want %d", s.identity, len(s.fifo), 2*frame48)
		}
	}
	if len(tap.mix.out) != 2 {
		t.Errorf("%d shared mixes, want one per codec (2)", len(tap.mix.out))
	}
	// The room system that talks does not hear itself; the others hear both.
	skip := 2 * frame48 // the decoders' start-up
	if p440, p1k := tonePower(pcmA[skip:], meetingRate, 440), tonePower(pcmA[skip:], meetingRate, 1000); p440 < 1000*p1k {
		t.Errorf("sip-a's mix-minus: 440 Hz %.0f, its own 1000 Hz %.0f", p440, p1k)
	}
	for name, x := range map[string]struct {
		pcm  []int16
		rate int
	}{"sip-b": {pcmB, 8000}, "sip-d": {pcmD, 16000}} {
		tail := x.pcm[skip*x.rate/meetingRate:]
		p440, p1k := tonePower(tail, x.rate, 440), tonePower(tail, x.rate, 1000)
		if p440 < 1e5 || p1k < 1e5 || p440 > 4*p1k || p1k > 4*p440 {
			t.Errorf("%s's mix: 440 Hz %.0f, 1000 Hz %.0f: want both", name, p440, p1k)
		}
	}
}

func TestTapStreamPrimesAndRebuffers(t *testing.T) {
	tap := newTestTap()
	frames := opusFrames(t, 4)
	var h heard
	tap.onAudio("web-1", "TR_w", 0, 0, frames[0])
	if err := tap.hear(1, "sip-a", media.PCMU, &h); err != nil {
		t.Fatal(err)
	}
	if s := tap.streams["TR_w"]; s.inMix || len(s.fifo) != frame48 {
		t.Errorf("one frame buffered: mixed %v, %d left (want it held until %d frames)", s.inMix, len(s.fifo), mixPrime)
	}
	tap.onAudio("web-1", "TR_w", 1, 960, frames[1])
	for n := uint64(2); n <= 3; n++ {
		_ = tap.hear(n, "sip-a", media.PCMU, &h)
		if s := tap.streams["TR_w"]; !s.inMix {
			t.Errorf("tick %d: primed stream not mixed", n)
		}
	}
	_ = tap.hear(4, "sip-a", media.PCMU, &h) // ran dry: re-buffers
	tap.onAudio("web-1", "TR_w", 2, 2*960, frames[2])
	_ = tap.hear(5, "sip-a", media.PCMU, &h)
	if s := tap.streams["TR_w"]; s.inMix || s.primed {
		t.Errorf("after running dry one frame restarted the stream (mixed %v)", s.inMix)
	}
	_ = tap.hear(5, "sip-b", media.PCMU, &h) // the same tick again: nothing moves
	if s := tap.streams["TR_w"]; len(s.fifo) != frame48 {
		t.Errorf("a second call in the same tick moved the stream: %d samples left", len(s.fifo))
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
	heard := queued(tap)
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
	mu           sync.Mutex
	want         func(identity, source string) bool
	wantCalls    int
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
func (f *fakeSource) SetVideoWanted(want func(identity, source string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.want = want
	f.wantCalls++
}
func (f *fakeSource) Close() { close(f.closed) }

func TestTapRegistrySharesAndCloses(t *testing.T) {
	var mu sync.Mutex
	var joins []*fakeSource
	fail := false
	r := newTapRegistry(slog.New(slog.DiscardHandler), func(ctx context.Context, meetingID string, _ func(string, bool) bool) (tapSource, error) {
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
	if q := queued(tap); len(q) != 0 {
		t.Errorf("silence frames were decoded and queued: %v", q)
	}
	tap.onAudio("sip-b", "TR_b", 6, 6*960, opusFrames(t, 1)[0])
	if q := queued(tap); !slices.Equal(q, []string{"TR_b"}) || len(tap.streams["TR_b"].fifo) != frame48 {
		t.Errorf("a real frame after silence: queued %v", q)
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

func TestTapTakesOwnCallsAudioDirectly(t *testing.T) {
	tap := newTestTap()
	tap.expect("sip-a")
	tap.expect("sip-b")
	// The tap subscribes to everything but its own calls' audio.
	for _, c := range []struct {
		id    string
		video bool
		want  bool
	}{{"sip-a", false, false}, {"sip-a", true, true}, {"web-1", false, true}, {"sip-other-node", false, true}} {
		if got := tap.subscribes(c.id, c.video); got != c.want {
			t.Errorf("subscribes(%s, video=%v) = %v, want %v", c.id, c.video, got, c.want)
		}
	}
	// Should the meeting core deliver a local call's audio anyway, it is not mixed twice.
	tap.onAudio("sip-a", "TR_a", 0, 0, opusFrames(t, 1)[0])
	if q := queued(tap); len(q) != 0 {
		t.Errorf("a local call's meeting track was decoded: %v", q)
	}
	// sip-a talks (a 1 kHz tone at 8 kHz); its frame of tick n is heard from tick n+1
	// by everybody, whichever call's tick runs first.
	tone := make([]int16, 160)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	var a, b, c heard
	var heardB []int16
	for n := uint64(1); n <= 10; n++ {
		if n%2 == 0 { // b's tick before a's
			_ = tap.hear(n, "sip-b", media.PCMU, &b)
		}
		if err := tap.speak(n, "sip-a", tone, 8000); err != nil {
			t.Fatal(err)
		}
		_ = tap.hear(n, "sip-a", media.PCMU, &a)
		if n%2 == 1 {
			_ = tap.hear(n, "sip-b", media.PCMU, &b)
		}
		_ = tap.hear(n, "sip-c", media.PCMU, &c)
		if n == 1 {
			if a.own || rms(b.pcm) != 0 {
				t.Fatalf("tick 1: a's frame of this tick already mixed (own=%v, b hears rms %.0f)", a.own, rms(b.pcm))
			}
			continue
		}
		if !a.own || rms(a.pcm48) != 0 {
			t.Fatalf("tick %d: sip-a hears itself (own=%v, rms %.0f)", n, a.own, rms(a.pcm48))
		}
		if b.own || !slices.Equal(b.enc, c.enc) {
			t.Fatalf("tick %d: listeners b and c differ", n)
		}
		heardB = append(heardB, b.pcm...)
	}
	if p := tonePower(heardB[160:], 8000, 1000); p < 1e6 {
		t.Errorf("sip-b hears sip-a's tone at power %.0f", p)
	}
	// The call leaves: its stream goes.
	tap.unexpect("sip-a")
	if _, ok := tap.streams[localKey("sip-a")]; ok || tap.subscribes("sip-a", false) != true {
		t.Error("local stream kept after the call left")
	}
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestTapForwardsOnlyShownCameras(t *testing.T) {
	tap := newTestTap()
	src := &fakeSource{closed: make(chan struct{})}
	tap.br = src
	a, b := newFakeListener("sip-a"), newFakeListener("sip-b")
	a.limit = bridge.VideoLimit{MaxFS: 3600}
	b.limit = a.limit
	tap.add(a)
	tap.add(b)
	tap.add(newFakeListener("sip-audio")) // no video: shows nothing, wants nothing
	wanted := func(calls int) func(identity, source string) bool {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			src.mu.Lock()
			w, n := src.want, src.wantCalls
			src.mu.Unlock()
			if w != nil && n >= calls {
				return w
			}
			if time.Now().After(deadline) {
				t.Fatalf("SetVideoWanted called %d times, want %d", n, calls)
			}
			time.Sleep(time.Millisecond)
		}
	}
	check := func(step string, w func(string, string) bool, want map[string]bool) {
		t.Helper()
		for id, on := range want {
			if got := w(id, "camera"); got != on {
				t.Errorf("%s: camera of %s forwarded %v, want %v", step, id, got, on)
			}
		}
		if w("web-1", "screen_share") {
			t.Errorf("%s: screen share forwarded (no room system shows content yet)", step)
		}
	}
	// Nobody shows a camera yet: each call takes the first one but its own.
	check("start", wanted(2), map[string]bool{"web-1": true, "sip-a": true, "sip-b": true, "sip-audio": true})
	tap.show("sip-a", "web-1")
	tap.show("sip-b", "web-1")
	check("both show web-1", wanted(4), map[string]bool{"web-1": true, "sip-a": false, "sip-b": false, "web-2": false})
	tap.show("sip-b", "sip-a") // sip-a talks: sip-b shows it, sip-a keeps web-1
	check("b shows a", wanted(5), map[string]bool{"web-1": true, "sip-a": true, "sip-b": false})
	tap.remove(b)
	check("b left", wanted(6), map[string]bool{"web-1": true, "sip-a": false})
	tap.remove(a)
	check("no video calls", wanted(7), map[string]bool{"web-1": false})
}

func TestTapG722ForksAndRejoinsInQuiet(t *testing.T) {
	tap := newTestTap()
	tap.expect("sip-a")
	web := opusTone(t, 60, 440)
	a := heard{g722: audio.NewG722Encoder()}
	var b heard
	tone := make([]int16, 320)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/16000))
	}
	n := uint64(0)
	tick := func(webTalks, aTalks, bFirst bool) {
		t.Helper()
		n++
		if webTalks {
			tap.onAudio("web-1", "TR_w", uint16(n), uint32(n*960), web[n%60])
		}
		if bFirst {
			_ = tap.hear(n, "sip-b", media.G722, &b)
		}
		if aTalks {
			_ = tap.speak(n, "sip-a", tone, 16000)
		}
		if err := tap.hear(n, "sip-a", media.G722, &a); err != nil {
			t.Fatal(err)
		}
		if !bFirst {
			_ = tap.hear(n, "sip-b", media.G722, &b)
		}
	}
	for range 5 {
		tick(true, false, false)
	}
	if a.own || !a.shared || !a.onShared || !slices.Equal(a.enc, b.enc) {
		t.Fatalf("a listener is not on the shared G.722 stream (own %v, shared %v)", a.own, a.shared)
	}
	// sip-a talks: from the next tick it hears its mix-minus with its own encoder,
	// which starts in the state the room's decoder follows (the shared encoder's state
	// after the last shared frame a was sent), whichever call asked for the mix first.
	for _, bFirst := range []bool{true, false} {
		tick(true, true, bFirst)         // a's frame is mixed from the next tick on
		before := audio.NewG722Encoder() // the shared stream after the frame a was sent
		before.CopyStateFrom(tap.mix.out[media.G722].g722)
		tick(true, true, bFirst) // bFirst: the shared stream has moved on when a asks

		if !a.own || a.onShared {
			t.Fatalf("talking: own %v, on shared %v", a.own, a.onShared)
		}
		if !a.g722.SameState(before) {
			t.Errorf("b first %v: the call's encoder did not take the shared stream's state", bFirst)
		}
		// It stops; the browser keeps talking: it stays on its own encoder (no hop
		// while there is sound to spoil).
		for range 4 {
			tick(true, false, bFirst)
		}
		if a.own || a.shared || len(a.pcm) != 320 {
			t.Fatalf("after talking, with the meeting loud: own %v, shared %v, %d samples", a.own, a.shared, len(a.pcm))
		}
		// The meeting goes quiet: back onto the shared stream.
		for range 8 {
			tick(false, false, bFirst)
		}
		if !a.shared || !a.onShared || !slices.Equal(a.enc, b.enc) {
			t.Fatalf("in a quiet moment the call did not go back onto the shared stream (shared %v)", a.shared)
		}
	}
}
