package gateway

import (
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtp"
	"github.com/roomgate/roomgate/gateway/rtpsession"
)

// recordingKeyframer stands for the meeting tap in the video path: it records what
// the path shows and which keyframes it asks for.
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
	room := listenLoopbackUDP(t)
	sess, err := rtpsession.New(rtpsession.Config{RTP: listenLoopbackUDP(t), RTCP: listenLoopbackUDP(t), ClockRate: 90000,
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
