package gateway

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
)

// fakeListener records what a tap hands to one call.
type fakeListener struct {
	id            string
	mu            sync.Mutex
	video         []string // identities
	speakers      [][]string
	limit         bridge.VideoLimit
	cameraChanges int
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

func (f *fakeListener) camerasChanged() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cameraChanges++
}

func (f *fakeListener) activeSpeakers(ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.speakers = append(f.speakers, ids)
}

func newTestTap() *meetingTap { return newMeetingTap("123456789", slog.New(slog.DiscardHandler)) }

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
	stopped      []string // StopScreenShare
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
func (f *fakeSource) StopScreenShare(_ context.Context, identity string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, identity)
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
	r := newTapRegistry(slog.New(slog.DiscardHandler), func(ctx context.Context, meetingID string, _ tapHooks) (tapSource, error) {
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
		// Screen shares flow while some room system with video is in the meeting:
		// each call forwards the presenter's on its content stream.
		if got, want := w("web-1", "screen_share"), step != "no video calls"; got != want {
			t.Errorf("%s: screen share forwarded %v, want %v", step, got, want)
		}
	}
	// Nobody shows a camera yet: each call takes the first one but its own.
	check("start", wanted(2), map[string]bool{"web-1": true, "sip-a": true, "sip-b": true, "sip-audio": true})
	tap.show("sip-a", "web-1")
	tap.show("sip-b", "web-1")
	check("both show web-1", wanted(4), map[string]bool{"web-1": true, "sip-a": false, "sip-b": false, "web-2": false})
	tap.show("sip-b", "sip-a") // sip-a talks: sip-b shows it, sip-a keeps web-1
	check("b shows a", wanted(5), map[string]bool{"web-1": true, "sip-a": true, "sip-b": false})
	tap.show("sip-a", "web-1", "web-2") // a switches to web-2: both until web-2's keyframe
	check("a switches", wanted(6), map[string]bool{"web-1": true, "web-2": true, "sip-a": true, "sip-b": false})
	tap.show("sip-a", "web-2")
	tap.remove(b)
	check("b left", wanted(8), map[string]bool{"web-1": false, "web-2": true, "sip-a": false})
	tap.remove(a)
	check("no video calls", wanted(9), map[string]bool{"web-1": false, "web-2": false})
}

// A call that joins while someone talks learns the current speakers at once: the
// meeting core reports them only when they change.
func TestTapHandsCurrentSpeakersToALateCall(t *testing.T) {
	tap := newTestTap()
	a := newFakeListener("sip-a")
	tap.add(a)
	tap.onSpeakers([]string{"web-1", "sip-a"})
	late := newFakeListener("sip-late")
	tap.add(late)
	if len(late.speakers) != 1 || !slices.Equal(late.speakers[0], []string{"web-1", "sip-a"}) {
		t.Errorf("late call got speakers %v, want [[web-1 sip-a]]", late.speakers)
	}
	if len(a.speakers) != 1 {
		t.Errorf("the first call got %d speaker reports, want 1", len(a.speakers))
	}
}

// The tap follows the cameras that can be shown and tells its calls when one is
// turned on or off, not when an event repeats.
func TestTapFollowsCameras(t *testing.T) {
	tap := newTestTap()
	a := newFakeListener("sip-a")
	tap.add(a)
	tap.onCamera("web-1", true)
	tap.onCamera("web-1", true)
	tap.onCamera("web-2", false)
	if !tap.hasCamera("web-1") || tap.hasCamera("web-2") || a.cameraChanges != 1 {
		t.Errorf("web-1 %v, web-2 %v, %d changes told; want true, false, 1", tap.hasCamera("web-1"), tap.hasCamera("web-2"), a.cameraChanges)
	}
	tap.onCamera("web-1", false)
	if tap.hasCamera("web-1") || a.cameraChanges != 2 {
		t.Errorf("after off: web-1 %v, %d changes told", tap.hasCamera("web-1"), a.cameraChanges)
	}
}

// recordingKeyframer is the tap as a video path sees it: it records what is shown and
// has the cameras listed.
// A room system's flow control lowers the video layer the tap takes for the meeting's
// room systems, and lifting it restores it.
func TestTapFlowControlLimit(t *testing.T) {
	tap := newTestTap()
	rc := &roomCall{log: slog.New(slog.DiscardHandler), vlimit: bridge.VideoLimit{MaxFS: 8160, MaxBitrate: 3_000_000}, vpath: &videoPath{}, tap: tap}
	tap.add(rc)
	if tap.limit.MaxBitrate != 3_000_000 {
		t.Fatalf("limit %+v", tap.limit)
	}
	rc.limitVideo(384_000)
	if tap.limit.MaxBitrate != 384_000 || tap.limit.MaxFS != 8160 {
		t.Errorf("after flow control: %+v", tap.limit)
	}
	rc.limitVideo(0)
	if tap.limit.MaxBitrate != 3_000_000 {
		t.Errorf("after lifting it: %+v", tap.limit)
	}
}

func TestTapFloorFollowsTheMeeting(t *testing.T) {
	tap := newMeetingTap("m1", slog.New(slog.DiscardHandler))
	src := &fakeSource{id: "tap", closed: make(chan struct{})}
	tap.br = src
	tap.startFloor()
	defer tap.stopFloor()
	tap.floor.Join(call.Presenter{Identity: "sip-a", Kind: "sip"})

	// A browser shares: it takes the floor.
	tap.onScreenShare("web-1", true)
	if p := tap.floor.Presenter(); p.Identity != "web-1" {
		t.Fatalf("presenter %q after web-1 shares, want web-1", p.Identity)
	}
	// A room system takes the floor: web-1's share is stopped in the meeting.
	if r := tap.floor.Request("sip-a"); r != call.FloorAllowed {
		t.Fatalf("sip-a refused: %s", r)
	}
	waitStopped(t, src, "web-1")
	// The share muted at the server comes back as off: nothing changes for sip-a.
	tap.onScreenShare("web-1", false)
	if p := tap.floor.Presenter(); p.Identity != "sip-a" {
		t.Fatalf("presenter %q, want sip-a", p.Identity)
	}
	// The host's sharing lock from the room metadata takes the floor from sip-a and
	// refuses it the next time; the host may still present.
	tap.onRoomMeta(`{"host":"web-2","share_host_only":true}`)
	if p := tap.floor.Presenter(); !p.None() {
		t.Fatalf("presenter %q under the host's lock, want none", p.Identity)
	}
	if r := tap.floor.Request("sip-a"); r != call.FloorHostOnly {
		t.Fatalf("sip-a under the lock: %q, want %q", r, call.FloorHostOnly)
	}
	tap.onScreenShare("web-2", true)
	if p := tap.floor.Presenter(); p.Identity != "web-2" {
		t.Fatalf("presenter %q, want the host web-2", p.Identity)
	}
	// Metadata that is not JSON changes nothing.
	tap.onRoomMeta("{")
	if r := tap.floor.Request("sip-a"); r != call.FloorHostOnly {
		t.Fatalf("sip-a after bad metadata: %q, want the lock kept", r)
	}
	tap.onRoomMeta(`{"host":"web-2","share_host_only":false}`)
	if r := tap.floor.Request("sip-a"); r != call.FloorAllowed {
		t.Fatalf("sip-a after the lock: %q", r)
	}
	waitStopped(t, src, "web-2")
}

func waitStopped(t *testing.T, src *fakeSource, id string) {
	t.Helper()
	for range 2000 {
		src.mu.Lock()
		ok := slices.Contains(src.stopped, id)
		src.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%s's screen share was never stopped", id)
}
