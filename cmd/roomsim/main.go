// Command roomsim simulates video room systems against a roomgate deployment:
// SIP calls (-gw) for load and SRTP benchmarks, and H.323 calls (-h323 to call,
// -answer to be called) in every signalling variant, with a G.722 or G.711 tone
// and H.264 video, reporting what it received.
//
// SIP mode places N calls to one meeting with the gateway's own SIP stack and
// sends G.722 audio (a pre-encoded sine tone) and, optionally, H.264 video:
//
//	roomsim -gw 127.0.0.1:25160 -meeting 123456789 -n 10 -d 20s -video clip.h264
//
// The file must carry an access unit delimiter (NAL type 9) before every access
// unit (x264 aud=1); "-video gen" sends a generated 176×144 stream instead (an
// I_PCM IDR picture a second, skipped P pictures between). Calls start -stagger
// apart; all of them are held for -d after the last one started, then hung up
// together. roomsim prints "started: N established: K" once every call has its
// outcome, one line per call at the end and a summary "calls: N established: K";
// it exits non-zero if a call failed to establish. With -srtp the calls offer
// RTP/SAVP with SDES keys (a=crypto, AES_CM_128_HMAC_SHA1_80 and _32), protect
// what they send and authenticate what they receive; the summary then adds
// "srtp: keyed K of N calls, P packets authenticated, F failed".
//
// With -content a SIP call also offers a slides stream (H.264, a=content:slides)
// on its ports +4/+5 and, unless -bfcp none, a BFCP client stream (c-only; udp
// from port +6, or tcp: roomsim connects). It receives and counts the content
// the gateway sends; with -present-at it asks for the floor that long after the
// answer (FloorRequest; with -bfcp none it just starts), sends a generated
// 320×240 stream at 5 fps while granted (an IDR picture at the start and on
// PLI/FIR), and releases the floor after -present-for; a revoke stops it.
// -present-repeat N presents N times, -present-gap after each end;
// -content-video FILE presents a clip (as -video) at -content-fps instead. Received
// content is checked for decodability: an IDR access unit with its SPS and PPS,
// then complete access units without loss; -content-dump FILE writes those
// frames as Annex B for a real decoder. Live lines "content:
// hello|requested|granted|revoked|released|first frame|rx stopped" go to stdout
// ("first frame": a presentation's first decodable frame; "rx stopped": none
// for 2 s), and the call's JSON gets a "content" object (frames sent and
// received, decodable frames, keyframes, SPS/PPS seen, the received SPS size,
// the presentations received, the events in ms after the answer and in Unix
// ms).
//
// With -content an H.323 call does H.239 (ITU-T H.239): it receives the
// gateway's content channel (H.264, presentation role) and counts what comes
// on it; with -present-at it asks for the presentation token that long after
// Connect (its content channel opens first), sends the 320×240 slides while
// the token is its own and releases it after -present-for (-present-repeat
// and -present-gap as for SIP). The gateway asking for the token while the
// room presents is a revoke: roomsim grants it and stops. -content-at-connect
// opens the content channel at Connect without the token (endpoints that never
// present do this). Live lines "content: channel open|requested|granted|
// denied|revoked|released|gateway presents|gateway released|first frame|rx
// stopped" (the latter from Connect on, channel open or not) and the JSON
// "content" object as for SIP.
//
// H.323 mode (h323.Service and the H.245 state machines of h323/control):
//
//	roomsim -h323 127.0.0.1:1720 -alias 123456789#654321 -video gen -tone 700 -d 10s
//	roomsim -h323 127.0.0.1:1720 -dtmf "123456789#"           # through the IVR
//	roomsim -h323 gw:1720 -alias 123456789 -faststart=false -tunnel=false -h245-early
//	roomsim -answer 127.0.0.1:1730 -gk 127.0.0.1:1719 -register room-a   # be dialled
//
// -faststart, -tunnel and -h245-early choose the signalling variant;
// -faststart-codecs none proposes only G.728 (which the gateway lacks) so that
// fastStart is refused; -no-h245 never answers H.245; -vendor and
// -vendor-version are the H.225.0 productId and versionId; -gk with -register
// registers the alias with a gatekeeper so the gateway can dial it by alias.
// -n calls are made one after the other, each held -d.
//
// Every mode ends with one JSON line on stdout (the last line): per call whether
// it was established, how it ended (Q.931 cause, H.225.0 reason), the timings
// Setup→Connect and Setup→first media, the RTP packets sent and received per
// stream, the dominant frequency of the decoded audio and the complete H.264
// access units received (with IDR pictures, SPS and picture size); with several
// calls the p50/p99 of the timings.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"
)

// callReport is one call in the final JSON line.
type callReport struct {
	Established bool     `json:"established"`
	Error       string   `json:"error,omitempty"`
	States      []string `json:"states,omitempty"`
	// EndBy, EndWhy, Cause and Reason say how the call ended (H.323).
	EndBy  string `json:"end_by,omitempty"`
	EndWhy string `json:"end_why,omitempty"`
	Cause  int    `json:"cause,omitempty"`
	Reason string `json:"reason,omitempty"`
	// FastStart is "accepted", "refused" or "off"; Tunnelling and H245Separate
	// say how H.245 went.
	FastStart    string `json:"faststart,omitempty"`
	Tunnelling   bool   `json:"tunnelling,omitempty"`
	H245Separate bool   `json:"h245_separate,omitempty"`
	// Peer* is the other side's H.225.0 vendor identifier.
	PeerProduct string `json:"peer_product,omitempty"`
	PeerVersion string `json:"peer_version,omitempty"`
	// ConnectMS is Setup→Connect, FirstMediaMS Setup→first RTP packet received.
	ConnectMS    float64 `json:"connect_ms,omitempty"`
	FirstMediaMS float64 `json:"first_media_ms,omitempty"`
	DigitsSent   string  `json:"digits_sent,omitempty"`
	AudioTx      uint64  `json:"audio_tx"`
	VideoTx      uint64  `json:"video_tx"`
	Rx           rxStats `json:"rx"`
	// Content is the slides stream with -content (SIP).
	Content *contentReport `json:"content,omitempty"`
}

// summary is the final JSON line.
type summary struct {
	Mode       string       `json:"mode"`
	Registered bool         `json:"registered,omitempty"`
	Calls      []callReport `json:"calls"`
	ConnectP50 float64      `json:"connect_p50_ms,omitempty"`
	ConnectP99 float64      `json:"connect_p99_ms,omitempty"`
	MediaP50   float64      `json:"first_media_p50_ms,omitempty"`
	MediaP99   float64      `json:"first_media_p99_ms,omitempty"`
}

func (s *summary) print() {
	var con, med []float64
	for _, c := range s.Calls {
		if c.ConnectMS > 0 {
			con = append(con, c.ConnectMS)
		}
		if c.FirstMediaMS > 0 {
			med = append(med, c.FirstMediaMS)
		}
	}
	s.ConnectP50, s.ConnectP99 = percentile(con, 50), percentile(con, 99)
	s.MediaP50, s.MediaP99 = percentile(med, 50), percentile(med, 99)
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
}

// percentile is the nearest-rank p-th percentile of v (0 when empty).
func percentile(v []float64, p int) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func main() {
	var o options
	var h h323Options
	flag.StringVar(&o.gw, "gw", "", "SIP mode: gateway SIP host:port")
	flag.StringVar(&o.meeting, "meeting", "", "SIP mode: meeting ID (SIP user part)")
	flag.IntVar(&o.n, "n", 1, "number of calls (SIP: at once; H.323: one after the other)")
	flag.DurationVar(&o.hold, "d", 10*time.Second, "hold duration (SIP: after the last call started; H.323: after Connect)")
	flag.StringVar(&o.video, "video", "", `Annex B H.264 file to send (x264 aud=1), "gen" for a generated stream; empty: audio only`)
	flag.IntVar(&o.fps, "fps", 30, "video frame rate")
	flag.StringVar(&o.bind, "bind", "127.0.0.1", "local IP for signalling and RTP")
	flag.IntVar(&o.rtpBase, "rtp-base", 0, "first local RTP port (SIP: 4 per call, 8 with -content; 0: 30000 for SIP, any for H.323)")
	flag.Float64Var(&o.tone, "tone", 500, "audio tone frequency in Hz")
	flag.IntVar(&o.talkers, "talkers", -1, "SIP: calls that send the tone (the first ones); the others send room noise at about −65 dBov. -1: all")
	flag.DurationVar(&o.stagger, "stagger", 200*time.Millisecond, "SIP: delay between call starts")
	flag.BoolVar(&o.srtp, "srtp", false, "SIP: offer SRTP (RTP/SAVP, SDES a=crypto) and protect the media")

	flag.StringVar(&h.call, "h323", "", "H.323 mode: call the gateway at host:port (port 1720 when omitted)")
	flag.StringVar(&h.answer, "answer", "", "H.323 mode: listen at host:port and answer calls")
	flag.IntVar(&h.answerCalls, "answer-calls", 1, "H.323 answer mode: calls to answer before exiting")
	flag.DurationVar(&h.ring, "ring", 0, "H.323 answer mode: alert this long before Connect")
	flag.DurationVar(&h.wait, "wait", 60*time.Second, "H.323 answer mode: how long to wait for calls")
	flag.StringVar(&h.alias, "alias", "", "H.323: destination alias (meeting ID, ID#HWPASS); empty: the IVR")
	flag.StringVar(&h.dtmf, "dtmf", "", "H.323: digits sent as H.245 userInputIndication once the call has audio")
	flag.BoolVar(&h.fastStart, "faststart", true, "H.323: propose fastStart in Setup (answer mode: accept it)")
	flag.StringVar(&h.fastStartCodecs, "faststart-codecs", "", `H.323: "none" proposes only G.728 (refused by the gateway)`)
	flag.BoolVar(&h.tunnel, "tunnel", true, "H.323: H.245 tunnelling")
	flag.BoolVar(&h.h245Early, "h245-early", false, "H.323: a separate H.245 address in Setup (with -tunnel=false)")
	flag.BoolVar(&h.noH245, "no-h245", false, "H.323: never answer H.245 (the gateway must give up)")
	flag.StringVar(&h.codec, "codec", "G722", "H.323 audio codec: G722, PCMU or PCMA")
	flag.StringVar(&h.vendor, "vendor", "roomsim", "H.323 productId")
	flag.StringVar(&h.vendorVersion, "vendor-version", "1.0", "H.323 versionId")
	flag.StringVar(&h.display, "display", "", "H.323 display name (Q.931 Display)")
	flag.StringVar(&h.gk, "gk", "", "H.323: gatekeeper RAS address host:port to register with")
	flag.StringVar(&h.register, "register", "", "H.323: alias to register with -gk")
	flag.BoolVar(&o.content.enabled, "content", false, "SIP: also offer a content (slides) video m-line, H.264 with a=content:slides, and a BFCP m-line unless -bfcp none; H.323: H.239 content channels and the presentation token. Content is received and counted, and sent while presenting (-present-at)")
	flag.BoolVar(&h.contentAtConnect, "content-at-connect", false, "H.323 with -content: open the H.239 content channel at connect, without the token (present only with -present-at)")
	flag.StringVar(&o.content.bfcp, "bfcp", "udp", "SIP with -content: BFCP transport, udp, tcp (roomsim connects: a=setup:active) or none")
	flag.DurationVar(&o.content.presentAt, "present-at", 0, "with -content: request the floor (SIP; with -bfcp none start sending slides) or the H.239 token (H.323) this long after the answer (H.323: Connect)")
	flag.DurationVar(&o.content.presentFor, "present-for", 0, "with -content: release the floor (SIP) or token (H.323) and stop sending slides after presenting this long")
	o.content.moreFlags()
	flag.Parse()
	err := o.content.check()
	if err == nil && h.contentAtConnect && !o.content.enabled {
		err = fmt.Errorf("-content-at-connect needs -content")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "roomsim:", err)
		os.Exit(2)
	}
	switch {
	case h.call != "" || h.answer != "":
		h.options = o
		err = runH323(h)
	case o.gw != "":
		if o.rtpBase == 0 {
			o.rtpBase = 30000
		}
		err = runSIP(o)
	default:
		err = fmt.Errorf("one of -gw (SIP), -h323 or -answer (H.323) is required")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "roomsim:", err)
		os.Exit(1)
	}
}
