package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/thesyncim/gopus"

	"github.com/roomgate/roomgate/rooms/core"
)

const meetingID = "123456789"

func freePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startCore runs an embedded LiveKit node on loopback. Its STUN server list names a
// loopback port nobody answers, so no client is sent public STUN servers. A port found
// free can be taken by a test of another package before the node binds it: the node is
// then started again on other ports.
func startCore(t testing.TB) *core.Core {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		c, err := core.StartEmbedded(ctx, core.EmbeddedConfig{
			Port:               freePort(t, "tcp"),
			BindAddresses:      []string{"127.0.0.1"},
			RTCUDPPort:         freePort(t, "udp"),
			RTCTCPPort:         freePort(t, "tcp"),
			NodeIP:             "127.0.0.1",
			LoopbackCandidates: true,
			STUNServers:        []string{"127.0.0.1:" + strconv.Itoa(freePort(t, "udp"))},
			DataDir:            t.TempDir(),
			LogLevel:           "error",
		}, testLog(t))
		cancel()
		if err == nil {
			t.Cleanup(c.Close)
			return c
		}
		if attempt == 3 || !(errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")) {
			t.Fatalf("embedded core: %v", err)
		}
		t.Logf("embedded core attempt %d: %v; starting again on other ports", attempt, err)
	}
}

func join(t testing.TB, c *core.Core, identity string, p Params) *Bridge {
	t.Helper()
	tok, err := c.Token(core.Grant{Room: meetingID, Identity: identity, Name: "Room " + identity})
	if err != nil {
		t.Fatal(err)
	}
	if p.URL == "" {
		p.URL = c.SignalURL
	}
	p.Token = tok
	if p.Log == nil {
		p.Log = testLog(t).With("leg", identity)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Join(ctx, p)
	if err != nil {
		t.Fatalf("join %s: %v", identity, err)
	}
	t.Cleanup(b.Close)
	return b
}

// opusTone encodes n 20 ms frames of a 1 kHz tone with the pure-Go Opus encoder.
func opusTone(t testing.TB, n int) [][]byte {
	t.Helper()
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]float32, 960)
	frames := make([][]byte, n)
	for f := range frames {
		for i := range pcm {
			pcm[i] = 0.5 * float32(math.Sin(2*math.Pi*1000*float64(f*960+i)/48000))
		}
		b, err := enc.EncodeFloat32(pcm)
		if err != nil {
			t.Fatal(err)
		}
		frames[f] = append([]byte(nil), b...)
	}
	return frames
}

// packetize turns Annex B access units into H.264 RTP packets (FU-A/STAP-A, MTU 1200),
// one timestamp per frame at 10 fps, marker on each frame's last packet.
func packetize(frames [][]byte, firstSeq uint16) [][]*rtp.Packet {
	pay := &codecs.H264Payloader{}
	seq := firstSeq
	out := make([][]*rtp.Packet, len(frames))
	for i, f := range frames {
		payloads := pay.Payload(1200, f)
		for j, p := range payloads {
			out[i] = append(out[i], &rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(i) * 9000, Marker: j == len(payloads)-1, SSRC: 0x5150},
				Payload: p,
			})
			seq++
		}
	}
	return out
}

// sender feeds a bridge with media in real time until stopped.
type sender struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

func startSender(t testing.TB, b *Bridge, audio [][]byte, video [][]*rtp.Packet) *sender {
	s := &sender{stop: make(chan struct{})}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			case <-tk.C:
			}
			if err := b.WriteAudioLevel(audio[i%len(audio)], 20*time.Millisecond, 10); err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("WriteAudio: %v", err)
				return
			}
		}
	}()
	go func() {
		defer s.wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		var seqOff uint16
		var tsOff uint32
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			case <-tk.C:
			}
			if i > 0 && i%len(video) == 0 {
				// Loop the clip with continuous numbering.
				last := video[len(video)-1]
				seqOff = last[len(last)-1].SequenceNumber - video[0][0].SequenceNumber + 1 + seqOff
				tsOff += uint32(len(video)) * 9000
			}
			for _, p := range video[i%len(video)] {
				cp := *p
				cp.SequenceNumber += seqOff
				cp.Timestamp += tsOff
				if err := b.WriteVideoRTP(&cp); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("WriteVideoRTP: %v", err)
					return
				}
			}
		}
	}()
	return s
}

func (s *sender) Stop() {
	close(s.stop)
	s.wg.Wait()
}

func waitUntil(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	if !waitFor(d, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitFor polls cond until it holds (true) or d has passed (false).
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func TestBridge(t *testing.T) {
	t.Logf("own network namespace: %v", os.Getenv(netnsEnv) != "")
	c := startCore(t)
	a := join(t, c, "room-a", Params{})

	var mu sync.Mutex
	var aEvents []ParticipantEvent
	a.OnParticipant(func(e ParticipantEvent) {
		mu.Lock()
		aEvents = append(aEvents, e)
		mu.Unlock()
	})
	keyframes := make(chan struct{}, 64)
	a.OnKeyframeRequest(func() { keyframes <- struct{}{} })

	b := join(t, c, "room-b", Params{NoVideo: true})
	audio := opusTone(t, 50)
	sentAudio := map[string]bool{}
	for _, f := range audio {
		sentAudio[string(f)] = true
	}
	frames := testFrames(10, 176, 144)
	video := packetize(frames, 40000)

	sentVideo := map[string]bool{}
	for _, f := range frames {
		sentVideo[string(bytes.Join(splitNALs(f), []byte{'|'}))] = true
	}

	var audioFrom, videoFrom, videoSource string
	var toneFrames, silenceFrames, otherAudio int // Opus payloads received
	var spoke bool
	assembled := map[uint32][]byte{} // depacketized Annex B per RTP timestamp
	var videoMatched int
	var depack codecs.H264Packet // keeps FU-A fragments between packets
	var badFrames []string
	b.OnAudio(func(identity, _ string, seq uint16, ts uint32, payload []byte) {
		mu.Lock()
		defer mu.Unlock()
		audioFrom = identity
		switch {
		case sentAudio[string(payload)]:
			toneFrames++
		case isOpusSilence(payload):
			// The SFU fills muted or starting tracks with Opus silence frames.
			silenceFrames++
		default:
			otherAudio++
		}
	})
	b.OnVideo(func(identity, source string, pkt *rtp.Packet) {
		mu.Lock()
		defer mu.Unlock()
		videoFrom, videoSource = identity, source
		out, err := depack.Unmarshal(pkt.Payload)
		if err != nil {
			badFrames = append(badFrames, "depacketize: "+err.Error())
			return
		}
		assembled[pkt.Timestamp] = append(assembled[pkt.Timestamp], out...)
		if !pkt.Marker {
			return
		}
		nals := splitNALs(assembled[pkt.Timestamp])
		delete(assembled, pkt.Timestamp)
		switch {
		case sentVideo[string(bytes.Join(nals, []byte{'|'}))]:
			videoMatched++
		default:
			badFrames = append(badFrames, fmt.Sprintf("frame of %d NAL units, %d bytes, matching nothing sent", len(nals), len(bytes.Join(nals, nil))))
		}
	})
	b.OnActiveSpeakers(func(ids []string) {
		mu.Lock()
		defer mu.Unlock()
		if slices.Contains(ids, "room-a") {
			spoke = true
		}
	})
	s := startSender(t, a, audio, video)
	defer s.Stop()

	t.Run("audio arrives with identity", func(t *testing.T) {
		waitUntil(t, "50 tone frames", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return toneFrames >= 50 })
		mu.Lock()
		defer mu.Unlock()
		if audioFrom != "room-a" {
			t.Fatalf("audio from %q", audioFrom)
		}
		if otherAudio != 0 {
			t.Fatalf("%d audio payloads are neither sent frames nor silence", otherAudio)
		}
		t.Logf("%d tone frames, %d SFU silence frames", toneFrames, silenceFrames)
	})

	t.Run("h264 frames arrive intact", func(t *testing.T) {
		waitUntil(t, "3 complete video frames", 20*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return videoMatched >= 3
		})
		mu.Lock()
		defer mu.Unlock()
		if videoFrom != "room-a" || videoSource != "camera" {
			t.Fatalf("video from %q source %q", videoFrom, videoSource)
		}
		if len(badFrames) > 0 {
			t.Fatalf("bad frames: %v", badFrames)
		}
		t.Logf("%d frames identical to the sent ones", videoMatched)
	})

	t.Run("active speaker", func(t *testing.T) {
		waitUntil(t, "room-a among active speakers", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return spoke })
	})

	t.Run("participant joined event", func(t *testing.T) {
		waitUntil(t, "room-b joined event at room-a", 10*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return slices.ContainsFunc(aEvents, func(e ParticipantEvent) bool {
				return e.Kind == ParticipantJoined && e.Identity == "room-b" && e.Name == "Room room-b"
			})
		})
	})

	t.Run("keyframe request reaches the publisher", func(t *testing.T) {
		for round := 0; round < 2; round++ {
			// Let requests the SFU sends by itself (new subscriber) pass first.
			quietSince := time.Now()
			deadline := time.Now().Add(15 * time.Second)
			for time.Since(quietSince) < 1500*time.Millisecond {
				select {
				case <-keyframes:
					quietSince = time.Now()
				case <-time.After(100 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatal("the SFU never stops asking for keyframes")
				}
			}
			if err := b.RequestKeyframe("room-a"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-keyframes:
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: RequestKeyframe did not reach room-a's OnKeyframeRequest", round)
			}
		}
		if err := b.RequestKeyframe("nobody"); err == nil {
			t.Fatal("RequestKeyframe of an unknown participant succeeded")
		}
		if err := a.RequestKeyframe("room-b"); !errors.Is(err, ErrNoVideo) {
			t.Fatalf("RequestKeyframe of an audio-only participant: %v", err)
		}
	})

	audioTrack := func() *livekit.TrackInfo {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.Rooms().ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: meetingID})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Participants {
			if p.Identity != "room-a" {
				continue
			}
			for _, tr := range p.Tracks {
				if tr.Type == livekit.TrackType_AUDIO {
					return tr
				}
			}
		}
		t.Fatal("room-a has no audio track in ListParticipants")
		return nil
	}

	t.Run("SetAudioMuted shows in ListParticipants", func(t *testing.T) {
		a.SetAudioMuted(true)
		waitUntil(t, "muted audio track", 10*time.Second, func() bool { return audioTrack().Muted })
		// No tone frames flow while muted.
		time.Sleep(300 * time.Millisecond) // let frames in flight drain
		mu.Lock()
		before := toneFrames
		mu.Unlock()
		time.Sleep(500 * time.Millisecond)
		mu.Lock()
		after := toneFrames
		mu.Unlock()
		a.SetAudioMuted(false)
		if after != before {
			t.Fatalf("%d tone frames arrived while muted", after-before)
		}
		waitUntil(t, "unmuted audio track", 10*time.Second, func() bool { return !audioTrack().Muted })
		waitUntil(t, "tone after unmute", 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return toneFrames > after })
	})

	t.Run("host mute from the meeting", func(t *testing.T) {
		got := make(chan bool, 4)
		a.OnAudioMuted(func(m bool) { got <- m })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Rooms().MutePublishedTrack(ctx, &livekit.MuteRoomTrackRequest{Room: meetingID, Identity: "room-a", TrackSid: audioTrack().Sid, Muted: true}); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			if !m {
				t.Fatal("OnAudioMuted(false) after a host mute")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("host mute not reported")
		}
		if !a.AudioMuted() {
			t.Fatal("AudioMuted() false after host mute")
		}
		a.SetAudioMuted(false)
	})

	t.Run("removed by the meeting", func(t *testing.T) {
		// A third participant, so the room outlives room-a for the left event below.
		x := join(t, c, "room-x", Params{NoAudio: true, NoVideo: true})
		reason := make(chan string, 1)
		x.OnDisconnected(func(r string) { reason <- r })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := c.Rooms().RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: meetingID, Identity: "room-x"}); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-reason:
			t.Logf("disconnect reason %q", r)
		case <-time.After(10 * time.Second):
			t.Fatal("OnDisconnected did not fire after RemoveParticipant")
		}
		x.Close()
	})

	t.Run("left event and close", func(t *testing.T) {
		b.Close()
		b.Close() // idempotent
		if err := b.WriteAudio(audio[0], 20*time.Millisecond); !errors.Is(err, ErrClosed) {
			t.Fatalf("WriteAudio after Close: %v", err)
		}
		waitUntil(t, "room-b left event at room-a", 30*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return slices.ContainsFunc(aEvents, func(e ParticipantEvent) bool { return e.Kind == ParticipantLeft && e.Identity == "room-b" })
		})
	})
}

// isOpusSilence reports whether payload is the Opus silence frame the SFU sends
// (TOC 0xf8: CELT fullband 20 ms, followed by 0xff 0xfe and zero padding).
func isOpusSilence(payload []byte) bool {
	return len(payload) >= 3 && payload[0] == 0xf8 && payload[1] == 0xff && payload[2] == 0xfe
}
