package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/rtpsession"
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
type recordingKeyframer struct {
	mu      sync.Mutex
	shown   []string
	asked   []string
	cameras map[string]bool
}

func (k *recordingKeyframer) hasCamera(identity string) bool { return k.cameras[identity] }
func (k *recordingKeyframer) RequestKeyframe(identity string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asked = append(k.asked, identity)
	return nil
}

func (k *recordingKeyframer) requests() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.asked)
}
func (k *recordingKeyframer) show(_ string, identities ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.shown = append(k.shown, strings.Join(identities, "+"))
}

// A room system sees the loudest participant other than itself who has a camera on;
// while it is the loudest itself, or nobody with a camera talks, it keeps showing the
// previous speaker if that camera is still on, else the first camera that comes ("").
func TestVideoShowsTheLoudestOther(t *testing.T) {
	on := map[string]bool{"web-1": true, "web-2": true, "sip-self": true}
	for _, tc := range []struct {
		name    string
		showing string
		ids     []string
		want    string
	}{
		{"someone else talks", "web-1", []string{"web-2", "sip-self"}, "web-2"},
		{"already shown", "web-2", []string{"web-2"}, "web-2"},
		{"self loudest keeps the previous speaker", "web-1", []string{"sip-self", "web-2"}, "web-1"},
		{"self loudest, nobody shown yet: the next", "", []string{"sip-self", "web-2"}, "web-2"},
		{"only self", "", []string{"sip-self"}, ""},
		{"loudest without a camera: the next with one", "web-1", []string{"phone-1", "web-2"}, "web-2"},
		{"nobody with a camera talks: keeps the previous", "web-1", []string{"phone-1"}, "web-1"},
		// A late call handed a list whose speaker has left: not a camera to wait for.
		{"speaker who left: the first camera that comes", "", []string{"sip-gone"}, ""},
		{"shown camera gone, nobody talks: the first that comes", "web-gone", nil, ""},
		{"shown camera gone while self talks: the next", "web-gone", []string{"sip-self", "web-2"}, "web-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kf := &recordingKeyframer{cameras: on}
			v := newVideoPath(slog.New(slog.DiscardHandler), nil, 96, 1, 0, nil)
			v.self, v.kf, v.speaker = "sip-self", kf, tc.showing
			v.speakersChanged(tc.ids)
			if v.target() != tc.want {
				t.Errorf("shows %q, want %q", v.target(), tc.want)
			}
			if switched := tc.want != tc.showing; switched != (len(kf.shown) == 1) {
				t.Errorf("tap told %v (switch expected: %v)", kf.shown, switched)
			}
		})
	}
}

// A speaker who turns a camera on is shown; when that camera goes off again before
// its first keyframe the room system stays with the camera it still shows.
func TestVideoFollowsCamerasTurnedOnAndOff(t *testing.T) {
	kf := &recordingKeyframer{cameras: map[string]bool{"web-1": true}}
	v := newVideoPath(slog.New(slog.DiscardHandler), nil, 96, 1, 0, nil)
	v.self, v.kf, v.speaker = "sip-self", kf, "web-1"
	v.speakersChanged([]string{"web-2"})
	if v.target() != "web-1" {
		t.Fatalf("loudest without a camera: shows %q, want web-1", v.target())
	}
	kf.cameras["web-2"] = true
	v.camerasChanged()
	if v.target() != "web-2" || v.speaker != "web-1" {
		t.Fatalf("loudest turned the camera on: switching to %q from %q, want web-2 from web-1", v.target(), v.speaker)
	}
	delete(kf.cameras, "web-2")
	v.camerasChanged()
	if v.target() != "web-1" || !slices.Equal(kf.shown, []string{"web-1+web-2", "web-1"}) {
		t.Errorf("camera off: shows %q, tap told %q; want web-1, [web-1+web-2 web-1]", v.target(), kf.shown)
	}
	// The camera shown goes off: the first camera that comes.
	delete(kf.cameras, "web-1")
	v.camerasChanged()
	if v.target() != "" {
		t.Errorf("shown camera off: shows %q, want the first that comes", v.target())
	}
}

// A switch keeps the previous camera on the room system's screen until the next
// camera's keyframe: no frame of the next one before it, none of the previous one
// after it, and one continuous sequence of packets.
func TestVideoSwitchesOnTheNextKeyframe(t *testing.T) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	room := listen()
	sess, err := rtpsession.New(rtpsession.Config{RTP: listen(), RTCP: listen(), ClockRate: 90000,
		Remote: room.LocalAddr().(*net.UDPAddr).AddrPort()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	kf := &recordingKeyframer{cameras: map[string]bool{"web-1": true, "web-2": true}}
	v := newVideoPath(slog.New(slog.DiscardHandler), sess, 96, 1, 0, nil)
	v.self, v.kf = "sip-self", kf

	seq := map[string]uint16{}
	frame := func(identity string, key bool) {
		seq[identity]++
		nal := byte(0x41) // non-IDR slice
		if key {
			nal = 0x65 // IDR slice
		}
		v.fromMeeting(identity, "camera", &rtp.Packet{Header: rtp.Header{SequenceNumber: seq[identity],
			Timestamp: uint32(seq[identity]) * 3000, Marker: true}, Payload: []byte{nal, identity[4], byte(seq[identity])}})
	}
	frame("web-1", true) // nobody spoke yet: the first camera that comes
	frame("web-1", false)
	v.speakersChanged([]string{"web-2"})
	frame("web-2", false) // not a keyframe: web-1 stays
	frame("web-1", false)
	frame("web-2", true) // the switch
	frame("web-1", false)
	frame("web-2", false)

	var got []string
	var lastSeq uint16
	buf := make([]byte, 1500)
	for i := 0; ; i++ {
		_ = room.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := room.Read(buf)
		if err != nil {
			break
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil || len(p.Payload) != 3 {
			t.Fatalf("room got %x (%v)", buf[:n], err)
		}
		if i > 0 && p.SequenceNumber != lastSeq+1 {
			t.Errorf("sequence %d after %d", p.SequenceNumber, lastSeq)
		}
		lastSeq = p.SequenceNumber
		kind := "P"
		if p.Payload[0]&0x1f == 5 {
			kind = "K"
		}
		got = append(got, string(p.Payload[1])+kind)
	}
	if want := []string{"1K", "1P", "1P", "2K", "2P"}; !slices.Equal(got, want) {
		t.Errorf("room system got frames %v, want %v", got, want)
	}
	if want := []string{"web-1", "web-1+web-2", "web-2"}; !slices.Equal(kf.shown, want) {
		t.Errorf("tap told %q, want %q", kf.shown, want)
	}
}

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

// The first camera a room system is given starts with a keyframe request; when that
// keyframe never comes (lost, or dropped by the meeting core while it resumed the
// track), the request is repeated once a second while P-frames keep coming, and stops
// once the keyframe is forwarded.
func TestVideoFirstCameraAsksAgainForAMissingKeyframe(t *testing.T) {
	sess, err := rtpsession.New(rtpsession.Config{RTP: listenLoopbackUDP(t), RTCP: listenLoopbackUDP(t), ClockRate: 90000,
		Remote: listenLoopbackUDP(t).LocalAddr().(*net.UDPAddr).AddrPort()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	synctest.Test(t, func(t *testing.T) {
		kf := &recordingKeyframer{cameras: map[string]bool{"web-1": true}}
		v := newVideoPath(slog.New(slog.DiscardHandler), sess, 96, 1, 0, nil)
		v.self, v.kf = "sip-self", kf
		var seq uint16
		frame := func(key bool) {
			seq++
			nal := byte(0x41)
			if key {
				nal = 0x65
			}
			v.fromMeeting("web-1", "camera", &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: true},
				Payload: []byte{nal, 1, byte(seq)}})
			synctest.Wait()
		}
		frame(false) // the first camera comes without its keyframe: asked at once
		n0 := kf.requests()
		if n0 == 0 {
			t.Fatal("no keyframe request on the switch to the first camera")
		}
		frame(false)
		if n := kf.requests(); n != n0 {
			t.Fatalf("asked again within a second: %d requests after %d", n, n0)
		}
		time.Sleep(pendingKeyframeRetry + time.Millisecond)
		frame(false)
		if n := kf.requests(); n != n0+1 {
			t.Fatalf("keyframe overdue by a second: %d requests, want %d", n, n0+1)
		}
		frame(true) // forwarded: no more requests
		time.Sleep(2 * pendingKeyframeRetry)
		frame(false)
		if n := kf.requests(); n != n0+1 {
			t.Errorf("asked after the keyframe came: %d requests, want %d", n, n0+1)
		}
	})
}

func listenLoopbackUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
