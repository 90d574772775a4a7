package sdp

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"reflect"
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

func TestResultPlan(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeyLen)
	inline := base64.StdEncoding.EncodeToString(key)
	ap := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	audio := func(codec media.Codec, pt uint8, port string) media.Stream {
		rtcp := ap(port)
		return media.Stream{Role: media.RoleAudio, Codec: codec, PT: pt, Remote: rtcp,
			RemoteRTCP: netip.AddrPortFrom(rtcp.Addr(), rtcp.Port()+1), Direction: media.SendRecv}
	}
	video := func(pt uint8, lim media.H264Limits, kf media.Keyframe, maxBR int) media.Stream {
		return media.Stream{Role: media.RoleMain, Codec: media.H264, PT: pt, Remote: ap("127.0.0.1:6002"),
			RemoteRTCP: ap("127.0.0.1:6003"), Direction: media.SendRecv, H264: &lim, Keyframe: kf, MaxBitrate: maxBR}
	}
	tests := []struct {
		name  string
		offer string
		caps  Capabilities
		want  []media.Stream
	}{
		{"audio_only", `
v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 8
a=rtpmap:8 PCMA/8000
`, DefaultCapabilities(), []media.Stream{audio(media.PCMA, 8, "127.0.0.1:6000")}},
		{"audio_telephone_event_and_video_fir_pli", sippOffer, DefaultCapabilities(), []media.Stream{
			func() media.Stream { s := audio(media.PCMU, 0, "127.0.0.1:6000"); s.TelephoneEvent = 101; return s }(),
			video(96, media.H264Limits{ProfileIDC: 0x42, Constraints: 0xe0, LevelIDC: 31, PacketizationMode: 1},
				media.KeyframeFIR|media.KeyframePLI|media.KeyframeSignalling, 0),
		}},
		{"telephone_event_not_accepted", sippOffer, Capabilities{Audio: []string{CodecPCMU}}, []media.Stream{
			audio(media.PCMU, 0, "127.0.0.1:6000"),
		}},
		{"hold_sendonly", `
v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 9
a=rtpmap:9 G722/8000
a=sendonly
`, DefaultCapabilities(), []media.Stream{func() media.Stream {
			s := audio(media.G722, 9, "127.0.0.1:6000")
			s.Direction, s.Hold = media.RecvOnly, true
			return s
		}()}},
		{"srtp_sha1_32", `
v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/SAVP 0
a=rtpmap:0 PCMU/8000
a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:` + inline + `
`, Capabilities{Audio: []string{CodecPCMU}, SRTP: SRTPOptional}, []media.Stream{func() media.Stream {
			s := audio(media.PCMU, 0, "127.0.0.1:6000")
			s.SRTP = &media.SRTP{RemoteKey: key, Tag32: true}
			return s
		}()}},
		{"video_b_tias_over_as_keyframe_by_signalling_only", `
v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
m=video 6002 RTP/AVP 96
b=AS:2000
b=TIAS:1500000
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=42800d;max-fs=1344;max-mbps=40500;max-br=906
`, DefaultCapabilities(), []media.Stream{
			audio(media.PCMU, 0, "127.0.0.1:6000"),
			video(96, media.H264Limits{ProfileIDC: 0x42, Constraints: 0x80, LevelIDC: 13, MaxFS: 1344, MaxMBPS: 40500, MaxBRKbps: 906},
				media.KeyframeSignalling, 1500000),
		}},
		{"video_b_as_session_level", `
v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
b=AS:768
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
m=video 6002 RTP/AVP 96
a=rtpmap:96 H264/90000
a=rtcp-fb:96 nack pli
`, DefaultCapabilities(), []media.Stream{
			audio(media.PCMU, 0, "127.0.0.1:6000"),
			video(96, media.H264Limits{ProfileIDC: 0x42, LevelIDC: 10}, media.KeyframePLI|media.KeyframeSignalling, 768000),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Negotiate(crlf(tc.offer), tc.caps, testLocal)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Plan()
			for i, s := range got.Streams {
				if s.SRTP != nil {
					if len(s.SRTP.LocalKey) != KeyLen {
						t.Errorf("stream %d: local key of %d bytes", i, len(s.SRTP.LocalKey))
					}
					c := *s.SRTP
					c.LocalKey = nil
					got.Streams[i].SRTP = &c
				}
			}
			if !reflect.DeepEqual(got.Streams, tc.want) {
				t.Errorf("plan\n got %+v\nwant %+v", got.Streams, tc.want)
			}
		})
	}
}

// TestResultPlanAnswer: our own offer's answer gives the same plan shape, keyed with
// the key we offered.
func TestResultPlanAnswer(t *testing.T) {
	caps := DefaultCapabilities()
	caps.SRTP = SRTPRequired
	offer, err := BuildOffer(caps, testLocal)
	if err != nil {
		t.Fatal(err)
	}
	if p := (&Result{SDP: offer}).Plan(); len(p.Streams) != 0 {
		t.Errorf("unanswered offer has a plan: %+v", p)
	}
	o, err := Parse(offer)
	if err != nil {
		t.Fatal(err)
	}
	peer := Local{Addr: netip.MustParseAddr("127.0.0.5"), AudioPort: 7000, VideoPort: 7002, SessionID: 9, Version: 1}
	ans, err := NegotiateSession(o, caps, peer)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseAnswer(offer, ans.SDP)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Plan()
	a, ok := p.Stream(media.RoleAudio)
	if !ok || a.Codec != media.Opus || a.PT != ptOpus || a.Remote != netip.MustParseAddrPort("127.0.0.5:7000") || a.TelephoneEvent != ptTelephoneEvent {
		t.Errorf("audio %+v", a)
	}
	if a.SRTP == nil || !bytes.Equal(a.SRTP.LocalKey, o.Media[0].Cryptos[0].Key) || !bytes.Equal(a.SRTP.RemoteKey, ans.Audio.SRTP.LocalKey) {
		t.Errorf("audio keys %+v", a.SRTP)
	}
	v, ok := p.Stream(media.RoleMain)
	if !ok || v.Codec != media.H264 || v.H264 == nil || v.H264.PacketizationMode != 1 || v.Keyframe != media.KeyframeFIR|media.KeyframePLI|media.KeyframeSignalling {
		t.Errorf("video %+v", v)
	}
	if got := p.Codecs(); !reflect.DeepEqual(got, []string{"opus", "H264"}) {
		t.Errorf("codecs %v", got)
	}
}
