package gateway

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// testRoomCall allocates a call's ports on 127.0.0.1; the test closes it.
func testRoomCall(t *testing.T) *roomCall {
	t.Helper()
	alloc, err := ports.New(ports.Config{Min: 43000, Max: 43999, Addr: netip.MustParseAddr("127.0.0.1"), Quarantine: -1})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFrameClock(audioFrame)
	t.Cleanup(clock.Close)
	rc, err := allocMedia(slog.New(slog.DiscardHandler), alloc, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.close)
	return rc
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, sdp.KeyLen) }

func testPlan(audioKey, videoKey *media.SRTP, hold bool) media.Plan {
	return media.Plan{Streams: []media.Stream{
		{Role: media.RoleAudio, Codec: media.PCMU, PT: 0, Remote: netip.MustParseAddrPort("127.0.0.1:9"), SRTP: audioKey, Hold: hold},
		{Role: media.RoleMain, Codec: media.H264, PT: 96, Remote: netip.MustParseAddrPort("127.0.0.1:11"), SRTP: videoKey,
			H264: &media.H264Limits{ProfileIDC: 66, LevelIDC: 31, PacketizationMode: 1}, Keyframe: media.KeyframeSignalling},
	}}
}

func srtp(local, remote byte) *media.SRTP {
	return &media.SRTP{LocalKey: key(local), RemoteKey: key(remote)}
}

// TestRoomCallUpdate: re-negotiations as transitions of a running call's keying.
func TestRoomCallUpdate(t *testing.T) {
	tests := []struct {
		name        string
		start, next media.Plan
		refused     bool
		wantAudio   []byte // the remote audio key after the update (nil: plain RTP)
		wantVideo   []byte
	}{
		{"rtp->srtp-offer->refused", testPlan(nil, nil, false), testPlan(srtp(1, 2), nil, false), true, nil, nil},
		{"srtp->rtp-offer->refused", testPlan(srtp(1, 2), srtp(3, 4), false), testPlan(srtp(1, 2), nil, false), true, key(2), key(4)},
		{"srtp->same-keys->unchanged", testPlan(srtp(1, 2), srtp(3, 4), false), testPlan(srtp(1, 2), srtp(3, 4), true), false, key(2), key(4)},
		{"srtp->new-remote-keys->rekeyed", testPlan(srtp(1, 2), srtp(3, 4), false), testPlan(srtp(1, 5), srtp(3, 6), false), false, key(5), key(6)},
		{"rtp->hold->rtp", testPlan(nil, nil, false), testPlan(nil, nil, true), false, nil, nil},
		{"audio-only-plan->video-keys-untouched", testPlan(srtp(1, 2), srtp(3, 4), false),
			media.Plan{Streams: testPlan(srtp(1, 7), nil, false).Streams[:1]}, false, key(7), key(4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := testRoomCall(t)
			if err := rc.start(tc.start, mediaOptions{Timeout: time.Hour}, nil, nil); err != nil {
				t.Fatal(err)
			}
			tc.next.Streams[0].Remote = netip.MustParseAddrPort("127.0.0.1:13")
			err := rc.update(tc.next)
			var na *notAcceptableError
			if tc.refused != errors.As(err, &na) {
				t.Fatalf("update: %v, want refused %v", err, tc.refused)
			}
			if !tc.refused && err != nil {
				t.Fatal(err)
			}
			remote := key(0)
			if rc.audioSRTP != nil {
				remote = rc.audioSRTP.RemoteKey
			}
			if (tc.wantAudio == nil) != (rc.audioSRTP == nil) || (tc.wantAudio != nil && !bytes.Equal(remote, tc.wantAudio)) {
				t.Errorf("audio keying %+v, want remote key %v", rc.audioSRTP, tc.wantAudio)
			}
			if (tc.wantVideo == nil) != (rc.videoSRTP == nil) || (tc.wantVideo != nil && !bytes.Equal(rc.videoSRTP.RemoteKey, tc.wantVideo)) {
				t.Errorf("video keying %+v, want remote key %v", rc.videoSRTP, tc.wantVideo)
			}
			wantRemote := "127.0.0.1:9"
			if !tc.refused {
				wantRemote = "127.0.0.1:13"
			}
			if got := rc.audio.Remote().String(); got != wantRemote {
				t.Errorf("audio remote %s, want %s", got, wantRemote)
			}
		})
	}
}

func TestRoomCallStartRefusals(t *testing.T) {
	tests := []struct {
		name string
		plan media.Plan
	}{
		{"no_audio", media.Plan{Streams: testPlan(nil, nil, false).Streams[1:]}},
		{"audio_role_not_audio_codec", media.Plan{Streams: []media.Stream{{Role: media.RoleAudio, Codec: media.TelephoneEvent, PT: 101}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := testRoomCall(t).start(tc.plan, mediaOptions{}, nil, nil); err == nil {
				t.Error("started")
			}
		})
	}
}

// TestSIPMedia: the SDP state of a SIP call beside its media: one o= session ID with a
// new version per description, our SRTP keys kept for re-answers, and a re-offer that
// would drop SRTP refused with 488.
func TestSIPMedia(t *testing.T) {
	rc := testRoomCall(t)
	caps := sdp.DefaultCapabilities()
	caps.SRTP = sdp.SRTPOptional
	sm := newSIPMedia(rc.mediaLocal(netip.MustParseAddr("192.0.2.44")), caps, nil)
	l1 := sm.local()
	ml := rc.mediaLocal(netip.MustParseAddr("192.0.2.44"))
	if l1.AudioPort != ml.Ports[media.RoleAudio] || l1.VideoPort != ml.Ports[media.RoleMain] || l1.Addr != ml.Addr || l1.AudioKey != nil {
		t.Errorf("local %+v, media local %+v", l1, ml)
	}
	if ml.RTP(media.RoleAudio).Port() != uint16(rc.pairs[0].RTPPort) || ml.RTCP(media.RoleMain).Port() != uint16(rc.pairs[1].RTPPort+1) {
		t.Errorf("media local %+v, pairs %+v", ml, rc.pairs)
	}
	offer := func(proto, crypto string) *sdp.Session {
		body := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 7000 " + proto + " 0\r\na=rtpmap:0 PCMU/8000\r\n" + crypto
		s, err := sdp.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	keyed := offer("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+base64.StdEncoding.EncodeToString(key(7))+"\r\n")
	res, err := sdp.NegotiateSession(keyed, caps, l1)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.start(sm.plan(res), mediaOptions{Timeout: time.Hour}, nil, nil); err != nil {
		t.Fatal(err)
	}
	l2 := sm.local()
	if l2.SessionID != l1.SessionID || l2.Version != l1.Version+1 || !bytes.Equal(l2.AudioKey, res.Audio.SRTP.LocalKey) {
		t.Errorf("second local %+v after %+v", l2, l1)
	}
	answer, err := sm.reoffer(rc.update, slog.New(slog.DiscardHandler))(keyed, nil)
	if err != nil {
		t.Fatal(err)
	}
	re, err := sdp.Parse(answer)
	if err != nil || len(re.Media) != 1 || len(re.Media[0].Cryptos) != 1 || !bytes.Equal(re.Media[0].Cryptos[0].Key, res.Audio.SRTP.LocalKey) {
		t.Errorf("re-answer %s: our key changed (%v)", answer, err)
	}
	_, err = sm.reoffer(rc.update, slog.New(slog.DiscardHandler))(offer("RTP/AVP", ""), nil)
	var sc sdp.StatusCoder
	if !errors.As(err, &sc) || sc.SIPStatus() != 488 {
		t.Errorf("re-offer dropping SRTP: %v, want a 488", err)
	}
}

// TestRoomCallKeyframeMethod: the room system is asked for a keyframe as its plan
// says: RTCP FIR, else PLI, else through the signalling.
func TestRoomCallKeyframeMethod(t *testing.T) {
	tests := []struct {
		name       string
		kf         media.Keyframe
		want       string // "fir", "pli" or "signalling"
		rtcpExpect bool
	}{
		{"fir_and_pli->fir", media.KeyframeFIR | media.KeyframePLI | media.KeyframeSignalling, "fir", true},
		{"pli->pli", media.KeyframePLI | media.KeyframeSignalling, "pli", true},
		{"signalling_only->signalling", media.KeyframeSignalling, "signalling", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			plan := testPlan(nil, nil, false)
			plan.Streams[1].Keyframe = tc.kf
			plan.Streams[1].RemoteRTCP = peer.LocalAddr().(*net.UDPAddr).AddrPort()
			signalled := make(chan struct{}, 1)
			rc := testRoomCall(t)
			if err := rc.start(plan, mediaOptions{Timeout: time.Hour}, nil, func() { signalled <- struct{}{} }); err != nil {
				t.Fatal(err)
			}
			rc.vpath.requestFromRoom()
			if !tc.rtcpExpect {
				<-signalled
				return
			}
			_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound on a hang, not a timing check
			buf := make([]byte, 1500)
			for {
				n, err := peer.Read(buf)
				if err != nil {
					t.Fatalf("no %s: %v", tc.want, err)
				}
				pkts, err := rtcp.Unmarshal(buf[:n])
				if err != nil {
					continue
				}
				var got string
				for _, p := range pkts {
					switch p.(type) {
					case *rtcp.FullIntraRequest:
						got = "fir"
					case *rtcp.PictureLossIndication:
						got = "pli"
					}
				}
				if got == "" {
					continue
				}
				if got != tc.want {
					t.Fatalf("asked by %s, want %s", got, tc.want)
				}
				break
			}
			select {
			case <-signalled:
				t.Error("asked through the signalling too")
			default:
			}
		})
	}
}

// An H.323 room opens its content channel after the call started (H.245 → update):
// the plan has a receive-only content stream with no address to send to. The
// content is read at once, its source learnt from the call's signalling IP; our
// own content channel, opened later, gives the address to send to.
func TestRoomCallUpdateReceiveOnlyContent(t *testing.T) {
	rc := testRoomCall(t)
	opt := mediaOptions{Timeout: time.Hour, Latch: rtpsession.LatchSignalledIP, Probation: 2,
		SignallingIP: netip.MustParseAddr("127.0.0.1")}
	if err := rc.start(testPlan(nil, nil, false), opt, nil, nil); err != nil {
		t.Fatal(err)
	}
	content := media.Stream{Role: media.RoleContent, Codec: media.H264, PT: 109, Direction: media.RecvOnly,
		RemoteRTCP: netip.MustParseAddrPort("127.0.0.1:15"), H264: &media.H264Limits{ProfileIDC: 66, LevelIDC: 31, PacketizationMode: 1}}
	plan := testPlan(nil, nil, false)
	plan.Streams = append(plan.Streams, content)
	if err := rc.update(plan); err != nil {
		t.Fatal(err)
	}
	rc.content.mu.Lock()
	sess := rc.content.sess
	rc.content.mu.Unlock()
	if sess == nil {
		t.Fatal("a receive-only content channel started no content stream")
	}
	room, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer room.Close()
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: rc.pairs[2].RTPPort}
	for i := range 50 {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 109, SequenceNumber: uint16(100 + i), Timestamp: uint32(i) * 3000,
			SSRC: 0x1234, Marker: true}, Payload: []byte{0x41, 0x9a}}).Marshal()
		if _, err := room.WriteToUDP(b, dst); err != nil {
			t.Fatal(err)
		}
		if !sess.LastPacket().IsZero() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sess.LastPacket().IsZero() {
		t.Fatal("the room's content was not taken in")
	}
	// Our content channel is acknowledged: now we can send to it.
	plan.Streams[2].Direction = media.SendRecv
	plan.Streams[2].Remote = netip.MustParseAddrPort("127.0.0.1:17")
	if err := rc.update(plan); err != nil {
		t.Fatal(err)
	}
	if got := sess.Remote().String(); got != "127.0.0.1:17" {
		t.Errorf("content sent to %s, want 127.0.0.1:17", got)
	}
}
