package sdp

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sharedCapture reads a file of /work/shared/captures, which lives beside
// the repository (../shared from the repo root).
func sharedCapture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "captures", name))
	if err != nil {
		t.Fatalf("shared capture: %v", err)
	}
	return b
}

// sipBody returns the body of a SIP message (after the first empty line).
func sipBody(msg []byte) []byte {
	msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
	_, body, _ := bytes.Cut(msg, []byte("\n\n"))
	return bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
}

func crlf(s string) []byte {
	s = strings.TrimLeft(s, "\n")
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" {
			b.WriteString(line + "\r\n")
		}
	}
	return []byte(b.String())
}

var testLocal = Local{
	Addr: netip.MustParseAddr("192.0.2.10"), AudioPort: 4000, VideoPort: 4002,
	SessionID: 7, Version: 1,
}

const sippOffer = `
v=0
o=sipp 1 2 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
m=video 6002 RTP/AVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=42e01f;packetization-mode=1
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 ccm fir
a=sendrecv
`

func TestNegotiate(t *testing.T) {
	tandberg := sipBody(sharedCapture(t, "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip"))
	tests := []struct {
		name         string
		offer        []byte
		caps         Capabilities
		wantM        int
		wantRejected []int
		wantAudio    string // codec name, "" for none
		wantAudioPT  uint8
		wantTE       int // -1: none
		wantVideoPT  int // -1: none
		wantMode     int
		wantLevel    uint8
		wantDir      Direction
		wantHold     bool
		check        func(t *testing.T, r *Result, ans *Session)
	}{
		{
			name: "tandberg_TE4.1.1_five_m_lines", offer: tandberg, caps: DefaultCapabilities(),
			wantM: 5, wantRejected: []int{2, 3, 4}, wantAudio: "G722", wantAudioPT: 9, wantTE: 101,
			wantVideoPT: 98, wantMode: 1, wantLevel: 0x0d, wantDir: SendRecv,
			check: func(t *testing.T, r *Result, ans *Session) {
				if got := r.Video.MaxBitrate; got != 1152000 {
					t.Errorf("video max bitrate = %d, want 1152000 (b=TIAS)", got)
				}
				if !r.Video.PLI || r.Video.NACK || r.Video.FIR {
					t.Errorf("feedback nack=%v pli=%v fir=%v, want only nack pli (from rtcp-fb:*)", r.Video.NACK, r.Video.PLI, r.Video.FIR)
				}
				if r.Video.H264.MaxFS != 1344 || r.Video.H264.MaxMBPS != 40500 || r.Video.H264.MaxBR != 906 {
					t.Errorf("remote H264 params = %+v", r.Video.H264)
				}
				if r.Audio.Remote != netip.MustParseAddrPort("10.44.10.2:2326") {
					t.Errorf("audio remote = %v", r.Audio.Remote)
				}
				bfcp := ans.Media[2]
				if bfcp.Kind != "application" || bfcp.Proto != "UDP/BFCP" || strings.Join(bfcp.Formats, " ") != "*" {
					t.Errorf("BFCP answer = %s %s %v", bfcp.Kind, bfcp.Proto, bfcp.Formats)
				}
				slides := ans.Media[3]
				if strings.Join(slides.Formats, " ") != "97 98 99 34 31" {
					t.Errorf("slides formats = %v, want offered list", slides.Formats)
				}
				if c, _ := ans.Media[1].Codec(98); c.Fmtp != "profile-level-id=42800d;packetization-mode=1;max-mbps=245760;max-fs=8192;max-br=3000" {
					t.Errorf("answered fmtp %q", c.Fmtp)
				}
				if ans.Media[1].BandwidthAS != 3000 || ans.Media[1].BandwidthTIAS != 3000000 {
					t.Errorf("answer bandwidth AS=%d TIAS=%d", ans.Media[1].BandwidthAS, ans.Media[1].BandwidthTIAS)
				}
				if ans.Media[1].Content != "main" {
					t.Errorf("main video answer lacks a=content:main")
				}
			},
		},
		{
			name: "sipp_pcmu_h264_mode1", offer: crlf(sippOffer), caps: DefaultCapabilities(),
			wantM: 2, wantAudio: "PCMU", wantAudioPT: 0, wantTE: 101, wantVideoPT: 96, wantMode: 1, wantLevel: 0x1f, wantDir: SendRecv,
			check: func(t *testing.T, r *Result, ans *Session) {
				if !r.Video.FIR || !r.Video.PLI {
					t.Errorf("fir=%v pli=%v", r.Video.FIR, r.Video.PLI)
				}
				if ans.Media[0].Ptime != 20 {
					t.Errorf("ptime not echoed")
				}
				if c, _ := ans.Media[1].Codec(96); !c.HasFeedback("ccm fir") || !c.HasFeedback("nack pli") {
					t.Errorf("answer feedback = %v", c.Feedback)
				}
			},
		},
		{
			name: "audio_only_caps_reject_video", offer: crlf(sippOffer),
			caps:  Capabilities{Audio: []string{CodecPCMA, CodecPCMU}},
			wantM: 2, wantRejected: []int{1}, wantAudio: "PCMU", wantAudioPT: 0, wantTE: -1, wantVideoPT: -1, wantDir: SendRecv,
		},
		{
			name: "preference_order_beats_offer_order", offer: crlf(`
v=0
o=x 1 1 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 5000 RTP/AVP 0 8 9 96
a=rtpmap:96 opus/48000/2
`), caps: DefaultCapabilities(),
			wantM: 1, wantAudio: "opus", wantAudioPT: 96, wantTE: -1, wantVideoPT: -1, wantDir: SendRecv,
		},
		{
			name: "opus_mono_is_not_opus", offer: crlf(`
v=0
o=x 1 1 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 5000 RTP/AVP 96 8
a=rtpmap:96 opus/48000
`), caps: DefaultCapabilities(),
			wantM: 1, wantAudio: "PCMA", wantAudioPT: 8, wantTE: -1, wantVideoPT: -1, wantDir: SendRecv,
		},
		{
			name: "mode0_only_and_level_capped", offer: crlf(`
v=0
o=x 1 1 IN IP4 10.0.0.1
s=-
t=0 0
m=audio 5000 RTP/AVP 0
c=IN IP4 10.0.0.2
m=video 5002 RTP/AVP 100
c=IN IP4 10.0.0.3
b=AS:768
a=rtpmap:100 H264/90000
a=fmtp:100 profile-level-id=640033
`), caps: DefaultCapabilities(),
			wantM: 2, wantAudio: "PCMU", wantAudioPT: 0, wantTE: -1, wantVideoPT: 100, wantMode: 0, wantLevel: 40, wantDir: SendRecv,
			check: func(t *testing.T, r *Result, _ *Session) {
				if r.Video.MaxBitrate != 768000 {
					t.Errorf("b=AS bitrate = %d", r.Video.MaxBitrate)
				}
				if r.Audio.Remote.Addr().String() != "10.0.0.2" || r.Video.Remote.Addr().String() != "10.0.0.3" {
					t.Errorf("media-level c= not used: %v %v", r.Audio.Remote, r.Video.Remote)
				}
			},
		},
		{
			name: "sendonly_hold_answered_recvonly", offer: crlf(`
v=0
o=x 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
a=sendonly
m=audio 5000 RTP/AVP 8
a=rtcp:5011 IN IP4 10.0.0.9
`), caps: DefaultCapabilities(),
			wantM: 1, wantAudio: "PCMA", wantAudioPT: 8, wantTE: -1, wantVideoPT: -1, wantDir: RecvOnly, wantHold: true,
			check: func(t *testing.T, r *Result, _ *Session) {
				if r.Audio.RemoteRTCP != netip.MustParseAddrPort("10.0.0.9:5011") {
					t.Errorf("a=rtcp = %v", r.Audio.RemoteRTCP)
				}
			},
		},
		{
			name: "inactive_answered_inactive", offer: crlf(`
v=0
o=x 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 5000 RTP/AVP 0
a=inactive
`), caps: DefaultCapabilities(),
			wantM: 1, wantAudio: "PCMU", wantTE: -1, wantVideoPT: -1, wantDir: Inactive, wantHold: true,
		},
		{
			name: "rfc2543_hold_address", offer: crlf(`
v=0
o=x 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 0.0.0.0
t=0 0
m=audio 5000 RTP/AVP 0
`), caps: DefaultCapabilities(),
			wantM: 1, wantAudio: "PCMU", wantTE: -1, wantVideoPT: -1, wantDir: SendRecv, wantHold: true,
		},
		{
			name: "recvonly_answered_sendonly", offer: crlf(`
v=0
o=x 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 5000 RTP/AVP 0
a=recvonly
`), caps: DefaultCapabilities(),
			wantM: 1, wantAudio: "PCMU", wantTE: -1, wantVideoPT: -1, wantDir: SendOnly,
		},
		{
			name: "srtp_and_disabled_lines_rejected", offer: crlf(`
v=0
o=x 1 2 IN IP4 10.0.0.1
s=-
c=IN IP4 10.0.0.1
t=0 0
m=audio 5000 RTP/SAVP 0
m=audio 0 RTP/AVP 0
m=audio 5004 RTP/AVP 8
m=text 5006 RTP/AVP 98
`), caps: DefaultCapabilities(),
			wantM: 4, wantRejected: []int{0, 1, 3}, wantAudio: "PCMA", wantAudioPT: 8, wantTE: -1, wantVideoPT: -1, wantDir: SendRecv,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Negotiate(tc.offer, tc.caps, testLocal)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			ans, err := Parse(r.SDP)
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, r.SDP)
			}
			if len(ans.Media) != tc.wantM {
				t.Fatalf("answer has %d m-lines, want %d:\n%s", len(ans.Media), tc.wantM, r.SDP)
			}
			if !equalInts(r.Rejected, tc.wantRejected) {
				t.Errorf("rejected = %v, want %v", r.Rejected, tc.wantRejected)
			}
			for i, m := range ans.Media {
				off := r.Remote.Media[i]
				if m.Kind != off.Kind {
					t.Errorf("m-line %d kind %s, offered %s", i, m.Kind, off.Kind)
				}
				if contains(tc.wantRejected, i) {
					if m.Port != 0 || strings.Join(m.Formats, " ") != strings.Join(off.Formats, " ") || m.Proto != off.Proto {
						t.Errorf("rejected m-line %d = %d %s %v, want port 0 with offered proto and formats", i, m.Port, m.Proto, m.Formats)
					}
				} else if m.Port == 0 {
					t.Errorf("accepted m-line %d has port 0", i)
				}
			}
			if tc.wantAudio == "" {
				if r.Audio != nil {
					t.Errorf("unexpected audio %v", r.Audio.Codec)
				}
			} else {
				if r.Audio == nil || !r.Audio.Codec.Is(tc.wantAudio) || r.Audio.Codec.PT != tc.wantAudioPT {
					t.Fatalf("audio = %+v, want %s/%d", r.Audio, tc.wantAudio, tc.wantAudioPT)
				}
				if (tc.wantTE >= 0) != r.Audio.HasTelephoneEvent || (tc.wantTE >= 0 && int(r.Audio.TelephoneEvent) != tc.wantTE) {
					t.Errorf("telephone-event = %v/%d, want %d", r.Audio.HasTelephoneEvent, r.Audio.TelephoneEvent, tc.wantTE)
				}
				if r.Audio.Direction != tc.wantDir {
					t.Errorf("audio direction = %s, want %s", r.Audio.Direction, tc.wantDir)
				}
				if r.Audio.RemoteHold != tc.wantHold {
					t.Errorf("remote hold = %v, want %v", r.Audio.RemoteHold, tc.wantHold)
				}
				am := ans.Media[r.Audio.Index]
				if am.Direction != tc.wantDir || len(am.Codecs) == 0 || am.Codecs[0].PT != r.Audio.Codec.PT {
					t.Errorf("audio answer m-line = %+v", am)
				}
			}
			if tc.wantVideoPT < 0 {
				if r.Video != nil {
					t.Errorf("unexpected video %v", r.Video.Codec)
				}
			} else {
				if r.Video == nil || int(r.Video.Codec.PT) != tc.wantVideoPT {
					t.Fatalf("video = %+v, want PT %d", r.Video, tc.wantVideoPT)
				}
				vm := ans.Media[r.Video.Index]
				c, ok := vm.Codec(r.Video.Codec.PT)
				if !ok {
					t.Fatalf("answer video lacks PT %d", r.Video.Codec.PT)
				}
				p := ParseH264(c.Fmtp)
				if p.PacketizationMode != tc.wantMode || p.LevelIDC != tc.wantLevel {
					t.Errorf("answered H264 %q: mode %d level %d, want mode %d level %d", c.Fmtp, p.PacketizationMode, p.LevelIDC, tc.wantMode, tc.wantLevel)
				}
				if p.LevelIDC > r.Video.H264.LevelIDC {
					t.Errorf("answered level %d above offered %d", p.LevelIDC, r.Video.H264.LevelIDC)
				}
			}
			if tc.check != nil {
				tc.check(t, r, ans)
			}
		})
	}
}

func TestNegotiateErrors(t *testing.T) {
	tests := []struct {
		name    string
		offer   []byte
		wantSyn bool
	}{
		{"garbage", []byte("hello world"), true},
		{"missing_version", crlf("o=x 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n"), true},
		// An unreadable port rejects the m-line, not the body (RFC 3264 §6);
		// with no other stream nothing is left in common.
		{"bad_port_only_line", crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 99999999 RTP/AVP 0\n"), false},
		{"too_large", bytes.Repeat([]byte("a"), MaxSize+1), true},
		{"no_common_codec", crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 18\n"), false},
		{"only_bfcp", crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=application 5000 UDP/BFCP *\n"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Negotiate(tc.offer, DefaultCapabilities(), testLocal)
			if err == nil {
				t.Fatal("want error")
			}
			var syn *SyntaxError
			var neg *NegotiationError
			if tc.wantSyn != errors.As(err, &syn) || tc.wantSyn == errors.As(err, &neg) {
				t.Errorf("error %T %v, want syntax=%v", err, err, tc.wantSyn)
			}
			var sc StatusCoder
			if !errors.As(err, &sc) || sc.SIPStatus() != 488 {
				t.Errorf("error does not carry 488: %v", err)
			}
		})
	}
}

func TestBuildOfferParseAnswer(t *testing.T) {
	offer, err := BuildOffer(DefaultCapabilities(), testLocal)
	if err != nil {
		t.Fatal(err)
	}
	// The remote side answers our offer with our own negotiator, as
	// another roomgate (or any RFC 3264 UA) would.
	remoteLocal := Local{Addr: netip.MustParseAddr("198.51.100.7"), AudioPort: 7000, VideoPort: 7002, SessionID: 9}
	caps := Capabilities{Audio: []string{CodecPCMA}, TelephoneEvent: true, Video: &H264Caps{MaxLevel: 31}}
	remote, err := Negotiate(offer, caps, remoteLocal)
	if err != nil {
		t.Fatalf("remote negotiate: %v\n%s", err, offer)
	}
	res, err := ParseAnswer(offer, remote.SDP)
	if err != nil {
		t.Fatalf("ParseAnswer: %v", err)
	}
	if res.Audio == nil || !res.Audio.Codec.Is("PCMA") || !res.Audio.HasTelephoneEvent || res.Audio.TelephoneEvent != ptTelephoneEvent {
		t.Errorf("audio = %+v", res.Audio)
	}
	if res.Audio.Remote != netip.MustParseAddrPort("198.51.100.7:7000") {
		t.Errorf("audio remote = %v", res.Audio.Remote)
	}
	if res.Video == nil || res.Video.Codec.PT != ptH264Mode1 || res.Video.H264.PacketizationMode != 1 || res.Video.H264.LevelIDC != 31 {
		t.Errorf("video = %+v", res.Video)
	}
	if res.Video.Answered.LevelIDC != 40 {
		t.Errorf("our offered level = %d", res.Video.Answered.LevelIDC)
	}

	t.Run("m_line_count_short_refuses_the_rest", func(t *testing.T) {
		short := crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 0\n")
		res, err := ParseAnswer(offer, short)
		if err != nil || res.Audio == nil || res.Video != nil || !slices.Contains(res.Rejected, 1) {
			t.Fatalf("audio-only answer to audio+video: %v %+v, want audio with video refused", err, res)
		}
	})
	t.Run("audio_only_offer", func(t *testing.T) {
		o, err := BuildOffer(Capabilities{Audio: []string{CodecPCMU, "nonsense"}}, testLocal)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(o)
		if err != nil || len(s.Media) != 1 || strings.Join(s.Media[0].Formats, " ") != "0" {
			t.Fatalf("offer %v %q", err, o)
		}
	})
	t.Run("no_codecs", func(t *testing.T) {
		if _, err := BuildOffer(Capabilities{}, testLocal); err == nil {
			t.Fatal("want error")
		}
	})
}

func TestParseH264(t *testing.T) {
	tests := []struct {
		name string
		fmtp string
		want H264Params
		out  string
	}{
		{"empty_defaults_baseline_1", "", H264Params{ProfileIDC: 0x42, LevelIDC: 0x0a}, "profile-level-id=42000a;packetization-mode=0"},
		{"tandberg", "profile-level-id=42800d;max-br=906;max-mbps=40500;max-fs=1344;max-smbps=40500;packetization-mode=1;max-fps=3000",
			H264Params{ProfileIDC: 0x42, ProfileIOP: 0x80, LevelIDC: 0x0d, PacketizationMode: 1, MaxMBPS: 40500, MaxFS: 1344, MaxBR: 906, MaxSMBPS: 40500, MaxFPS: 3000, HasProfile: true},
			"profile-level-id=42800d;packetization-mode=1;max-mbps=40500;max-fs=1344;max-br=906;max-smbps=40500;max-fps=3000"},
		{"bad_values_ignored", "profile-level-id=zz;packetization-mode=7;max-fs=-3", H264Params{ProfileIDC: 0x42, LevelIDC: 0x0a}, "profile-level-id=42000a;packetization-mode=0"},
		{"spaces_and_case", " Profile-Level-Id = 640028 ; packetization-mode=1", H264Params{ProfileIDC: 0x64, LevelIDC: 0x28, PacketizationMode: 1, HasProfile: true}, "profile-level-id=640028;packetization-mode=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseH264(tc.fmtp)
			if got != tc.want {
				t.Errorf("ParseH264 = %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.out {
				t.Errorf("String = %q, want %q", s, tc.out)
			}
			if again := ParseH264(got.String()); again.String() != got.String() {
				t.Errorf("round trip %q -> %q", got.String(), again.String())
			}
		})
	}
}

func TestDirection(t *testing.T) {
	tests := []struct {
		name        string
		offer, mine Direction
		want        Direction
	}{
		{"sendrecv->sendrecv", SendRecv, SendRecv, SendRecv},
		{"sendonly->recvonly", SendOnly, SendRecv, RecvOnly},
		{"recvonly->sendonly", RecvOnly, SendRecv, SendOnly},
		{"inactive->inactive", Inactive, SendRecv, Inactive},
		{"sendrecv+local_hold->sendonly", SendRecv, SendOnly, SendOnly},
		{"sendonly+local_hold->inactive", SendOnly, SendOnly, Inactive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.offer.Reverse().intersect(tc.mine); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
