package sdp

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

// roomHead is a room system's session with audio and main video.
const roomHead = `v=0
o=rs 1 1 IN IP4 198.51.100.5
s=-
c=IN IP4 198.51.100.5
t=0 0
m=audio 5000 RTP/AVP 9
m=video 5002 RTP/AVP 97
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42e01f;packetization-mode=1
`

// bfcpOffer is audio, main video, a BFCP line with the given protocol and
// attributes (none when proto is empty), and a content line with the given
// attributes (none when content is empty).
func bfcpOffer(proto, bfcpAttrs, content string) []byte {
	var b strings.Builder
	b.WriteString(roomHead)
	if proto != "" {
		b.WriteString("m=application 5004 " + proto + " *\n" + bfcpAttrs + "\n")
	}
	if content != "" {
		b.WriteString(`m=video 5006 RTP/AVP 97
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;max-fs=3600
` + content + "\n")
	}
	return crlf(b.String())
}

const slides12 = "a=content:slides\na=label:12"

func TestNegotiateBFCP(t *testing.T) {
	withTLS := corpusLocal
	withTLS.BFCP = BFCPConfig{Transports: []BFCPProto{BFCPTCP, BFCPTLS}, Fingerprint: "sha-256 AA:BB"}
	noContent := corpusLocal
	noContent.ContentPort = 0
	noBFCP := corpusLocal
	noBFCP.BFCPPort = 0
	udpOnly := corpusLocal
	udpOnly.BFCP = BFCPConfig{Transports: []BFCPProto{BFCPUDP}}
	fixedIDs := corpusLocal
	fixedIDs.BFCP = BFCPConfig{ConfID: 77, UserID: 5, FloorID: 9}
	existing := corpusLocal
	existing.BFCP = BFCPConfig{Existing: true}
	const floor = "a=floorctrl:c-only\na=floorid:1 mstrm:12\n"
	tests := []struct {
		name        string
		offer       []byte
		local       Local
		wantContent bool
		wantBFCP    bool
		check       func(t *testing.T, b *BFCP, ans *Media)
	}{
		{"tcp_offer_active->we_passive", bfcpOffer("TCP/BFCP", floor+"a=setup:active\na=connection:new", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Setup != SetupPassive || ans.Setup != SetupPassive || ans.Connection != "new" {
					t.Errorf("setup %s/%s connection %s", b.Setup, ans.Setup, ans.Connection)
				}
			}},
		{"tcp_offer_passive->we_active", bfcpOffer("TCP/BFCP", floor+"a=setup:passive", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Setup != SetupActive || ans.Setup != SetupActive || b.Remote.String() != "198.51.100.5:5004" {
					t.Errorf("setup %s/%s remote %v", b.Setup, ans.Setup, b.Remote)
				}
			}},
		{"tcp_offer_actpass->we_passive", bfcpOffer("TCP/BFCP", floor+"a=setup:actpass", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, _ *Media) {
				if b.Setup != SetupPassive {
					t.Errorf("setup %s", b.Setup)
				}
			}},
		{"tcp_offer_no_setup(active)->we_passive", bfcpOffer("TCP/BFCP", floor, slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, _ *Media) {
				if b.Setup != SetupPassive {
					t.Errorf("setup %s", b.Setup)
				}
			}},
		{"tcp_offer_holdconn->holdconn", bfcpOffer("TCP/BFCP", floor+"a=setup:holdconn", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, _ *Media) {
				if b.Setup != SetupHoldConn {
					t.Errorf("setup %s", b.Setup)
				}
			}},
		{"tcp_connection_existing_kept", bfcpOffer("TCP/BFCP", floor+"a=setup:active\na=connection:existing", slides12), existing, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if !b.Existing || ans.Connection != "existing" {
					t.Errorf("existing %v connection %q", b.Existing, ans.Connection)
				}
			}},
		{"tcp_connection_existing_without_one->new", bfcpOffer("TCP/BFCP", floor+"a=setup:active\na=connection:existing", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Existing || ans.Connection != "new" {
					t.Errorf("existing %v connection %q", b.Existing, ans.Connection)
				}
			}},
		{"udp_no_setup", bfcpOffer("UDP/BFCP", floor+"a=bfcpver:2", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Setup != "" || ans.Setup != "" || ans.Connection != "" || b.Version != 2 || !slices.Equal(ans.BFCPVersions, []int{2}) {
					t.Errorf("udp bfcp %+v answer setup %q connection %q versions %v", *b, ans.Setup, ans.Connection, ans.BFCPVersions)
				}
			}},
		{"bfcpver_1_2->2", bfcpOffer("TCP/BFCP", floor+"a=bfcpver:1 2", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Version != 2 || !slices.Equal(ans.BFCPVersions, []int{2}) {
					t.Errorf("version %d answer %v", b.Version, ans.BFCPVersions)
				}
			}},
		{"bfcpver_1->1", bfcpOffer("TCP/BFCP", floor+"a=bfcpver:1", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Version != 1 || !slices.Equal(ans.BFCPVersions, []int{1}) {
					t.Errorf("version %d answer %v", b.Version, ans.BFCPVersions)
				}
			}},
		{"bfcpver_absent_not_written", bfcpOffer("TCP/BFCP", floor, slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Version != 0 || ans.BFCPVersions != nil {
					t.Errorf("version %d answer %v", b.Version, ans.BFCPVersions)
				}
			}},
		{"bfcpver_3_only_refused", bfcpOffer("TCP/BFCP", floor+"a=bfcpver:3", slides12), corpusLocal, true, false, nil},
		{"tls_refused_without_certificate", bfcpOffer("TCP/TLS/BFCP", floor+"a=setup:actpass\na=fingerprint:sha-256 11:22", slides12), corpusLocal, true, false, nil},
		{"tls_accepted_with_fingerprint", bfcpOffer("TCP/TLS/BFCP", floor+"a=setup:actpass\na=fingerprint:sha-256 11:22", slides12), withTLS, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.Proto != BFCPTLS || b.Setup != SetupPassive || b.RemoteFingerprint != "sha-256 11:22" || ans.Fingerprint != "sha-256 AA:BB" {
					t.Errorf("tls bfcp %+v answer fingerprint %q", *b, ans.Fingerprint)
				}
			}},
		{"transport_not_configured_refused", bfcpOffer("TCP/BFCP", floor, slides12), udpOnly, true, false, nil},
		{"server_only_offerer_refused", bfcpOffer("TCP/BFCP", "a=floorctrl:s-only\na=floorid:1 mstrm:12", slides12), corpusLocal, true, false, nil},
		{"offerer_either_role_is_client", bfcpOffer("TCP/BFCP", "a=floorctrl:c-only s-only\na=floorid:1 mstrm:12", slides12), corpusLocal, true, true, nil},
		{"no_bfcp_but_slides", bfcpOffer("", "", slides12), corpusLocal, true, false, nil},
		{"content_refused_without_port", bfcpOffer("TCP/BFCP", floor, slides12), noContent, false, false, nil},
		{"bfcp_refused_without_port_content_kept", bfcpOffer("TCP/BFCP", floor, slides12), noBFCP, true, false, nil},
		{"bfcp_port_star_rejected_content_kept", crlf(strings.Replace(string(bfcpOffer("TCP/BFCP", floor, slides12)), "5004 TCP/BFCP", "* TCP/BFCP", 1)), corpusLocal, true, false, nil},
		{"bfcp_without_content_refused", bfcpOffer("TCP/BFCP", floor, ""), corpusLocal, false, false, nil},
		{"legacy_m-stream", bfcpOffer("TCP/BFCP", "a=floorctrl:c-s\na=floorid:4 m-stream:12", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.FloorID != 4 || ans.floorKeyword != "m-stream" || !reflect.DeepEqual(ans.Floors, []Floor{{ID: 4, Labels: []string{"12"}}}) {
					t.Errorf("floor %d keyword %q floors %+v", b.FloorID, ans.floorKeyword, ans.Floors)
				}
			}},
		{"legacy_mstream", bfcpOffer("UDP/BFCP", "a=floorid:4 mstream:12", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.FloorID != 4 || ans.floorKeyword != "mstream" || b.RemoteFloorCtrl != "" {
					t.Errorf("floor %d keyword %q floorctrl %q", b.FloorID, ans.floorKeyword, b.RemoteFloorCtrl)
				}
			}},
		{"multiple_floors_content_floor_taken", bfcpOffer("TCP/BFCP", "a=floorctrl:c-s\na=floorid:1 mstrm:11\na=floorid:2 mstrm:12 13", slides12), corpusLocal, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.FloorID != 2 || len(b.RemoteFloors) != 2 || !slices.Equal(b.RemoteFloors[1].Labels, []string{"12", "13"}) {
					t.Errorf("floor %d remote floors %+v", b.FloorID, b.RemoteFloors)
				}
				if len(ans.Floors) != 1 || ans.Floors[0].ID != 2 {
					t.Errorf("answer floors %+v", ans.Floors)
				}
			}},
		{"configured_ids_win", bfcpOffer("TCP/BFCP", "a=floorctrl:c-s\na=confid:3\na=userid:4\na=floorid:2 mstrm:12", slides12), fixedIDs, true, true,
			func(t *testing.T, b *BFCP, ans *Media) {
				if b.ConfID != 77 || b.UserID != 5 || b.FloorID != 9 || ans.ConfID != 77 || ans.UserID != 5 || ans.Floors[0].ID != 9 {
					t.Errorf("ids %d/%d/%d answer %d/%d/%+v", b.ConfID, b.UserID, b.FloorID, ans.ConfID, ans.UserID, ans.Floors)
				}
			}},
		{"content_named_by_floor_without_a=content", bfcpOffer("TCP/BFCP", floor, "a=label:12"), corpusLocal, true, true,
			func(t *testing.T, _ *BFCP, _ *Media) {}},
		{"unlabelled_content_gets_our_label", bfcpOffer("", "", "a=content:slides"), corpusLocal, true, false, nil},
		{"content_label_not_a_token_replaced", bfcpOffer("", "", "a=content:slides\na=label:a b"), corpusLocal, true, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Negotiate(tc.offer, DefaultCapabilities(), tc.local)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			ans, err := Parse(r.SDP)
			if err != nil || len(ans.Media) != len(r.Remote.Media) {
				t.Fatalf("answer %v, %d m-lines for %d:\n%s", err, len(ans.Media), len(r.Remote.Media), r.SDP)
			}
			if r.Video == nil || r.Video.Index != 1 {
				t.Errorf("main video = %+v", r.Video)
			}
			if (r.Content != nil) != tc.wantContent {
				t.Fatalf("content = %+v, want %v\n%s", r.Content, tc.wantContent, r.SDP)
			}
			if r.Content != nil {
				cm := ans.Media[r.Content.Index]
				if cm.Port != tc.local.ContentPort || !cm.Slides() || !isToken(cm.Label) || cm.Label != r.Content.Label {
					t.Errorf("content answer %+v", cm)
				}
				if off := r.Remote.Media[r.Content.Index].Label; isToken(off) && cm.Label != off {
					t.Errorf("content label %q, offered %q", cm.Label, off)
				}
			}
			if (r.BFCP != nil) != tc.wantBFCP {
				t.Fatalf("bfcp = %+v, want %v\n%s", r.BFCP, tc.wantBFCP, r.SDP)
			}
			for i := range r.Remote.Media {
				if r.Remote.Media[i].IsBFCP() && (r.BFCP == nil || r.BFCP.Index != i) {
					if ans.Media[i].Port != 0 || !slices.Contains(r.Rejected, i) {
						t.Errorf("refused BFCP m-line %d answered port %d", i, ans.Media[i].Port)
					}
				}
			}
			if r.BFCP == nil {
				return
			}
			am := &ans.Media[r.BFCP.Index]
			if am.Port != tc.local.BFCPPort || am.FloorCtrl != FloorCtrlServer || am.Proto != string(r.BFCP.Proto) ||
				len(am.Floors) != 1 || !slices.Equal(am.Floors[0].Labels, []string{r.Content.Label}) {
				t.Errorf("BFCP answer %+v", am)
			}
			if tc.check != nil {
				tc.check(t, r.BFCP, am)
			}
		})
	}
}

// A re-INVITE that adds a content line (RFC 3264 §8.2) gets it accepted
// while audio and main video stay as they were.
func TestNegotiateReofferAddsContent(t *testing.T) {
	first, err := Negotiate(bfcpOffer("", "", ""), DefaultCapabilities(), corpusLocal)
	if err != nil || first.Content != nil || first.BFCP != nil {
		t.Fatalf("first offer: %v content %+v bfcp %+v", err, first.Content, first.BFCP)
	}
	local := corpusLocal
	local.Version++
	re, err := Negotiate(bfcpOffer("UDP/BFCP", "a=floorctrl:c-s\na=floorid:1 mstrm:12", slides12), DefaultCapabilities(), local)
	if err != nil {
		t.Fatal(err)
	}
	if re.Content == nil || re.BFCP == nil || re.Content.Index != 3 || re.BFCP.Index != 2 {
		t.Fatalf("re-offer content %+v bfcp %+v\n%s", re.Content, re.BFCP, re.SDP)
	}
	if re.Audio.Codec.String() != first.Audio.Codec.String() || re.Video.Codec.PT != first.Video.Codec.PT || re.Video.Index != first.Video.Index {
		t.Errorf("audio/video changed by the re-offer: %+v %+v", re.Audio, re.Video)
	}
	ans, _ := Parse(re.SDP)
	if ans.Origin.Version != local.Version {
		t.Errorf("o= version %d, want %d", ans.Origin.Version, local.Version)
	}
}

// Dial-out: our offer carries content and BFCP as floor control server; the
// room system's answer gives the content stream and our TCP role.
func TestBuildOfferContentParseAnswer(t *testing.T) {
	offer, err := BuildOffer(DefaultCapabilities(), corpusLocal)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse(offer)
	if err != nil || len(o.Media) != 4 {
		t.Fatalf("offer %v:\n%s", err, offer)
	}
	bm, cm := o.Media[2], o.Media[3]
	if !bm.IsBFCP() || bm.Proto != string(BFCPTCP) || bm.Port != corpusLocal.BFCPPort || bm.FloorCtrl != FloorCtrlServer ||
		bm.Setup != SetupActPass || bm.Connection != "new" || !slices.Equal(bm.BFCPVersions, []int{1, 2}) ||
		!reflect.DeepEqual(bm.Floors, []Floor{{ID: 1, Labels: []string{defaultContentLabel}}}) || bm.ConfID != 1 || bm.UserID != 1 {
		t.Errorf("offered BFCP %+v", bm)
	}
	if !cm.Slides() || cm.Label != defaultContentLabel || cm.Port != corpusLocal.ContentPort || len(cm.Codecs) != 2 {
		t.Errorf("offered content %+v", cm)
	}
	answer := func(bfcp, contentPort string) []byte {
		return crlf(roomHead + `m=application 5004 TCP/BFCP *
` + bfcp + `
m=video ` + contentPort + ` RTP/AVP 97
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;max-fs=3600
a=content:slides
a=label:` + defaultContentLabel + "\n")
	}
	tests := []struct {
		name      string
		answer    []byte
		wantSetup Setup
		wantBFCP  bool
		wantCont  bool
	}{
		{"actpass->answer_active->we_passive", answer("a=floorctrl:c-only\na=setup:active\na=connection:new\na=bfcpver:2", "5006"), SetupPassive, true, true},
		{"actpass->answer_passive->we_active", answer("a=floorctrl:c-only\na=setup:passive\na=connection:new", "5006"), SetupActive, true, true},
		{"actpass->answer_no_setup(passive)->we_active", answer("a=floorctrl:c-only", "5006"), SetupActive, true, true},
		{"answer_actpass_invalid", answer("a=floorctrl:c-only\na=setup:actpass", "5006"), "", false, true},
		{"answer_server_role_conflict", answer("a=floorctrl:s-only\na=setup:active", "5006"), "", false, true},
		{"content_refused_drops_bfcp", answer("a=floorctrl:c-only\na=setup:active", "0"), "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseAnswer(offer, tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if (res.Content != nil) != tc.wantCont || (res.BFCP != nil) != tc.wantBFCP {
				t.Fatalf("content %+v bfcp %+v", res.Content, res.BFCP)
			}
			if !tc.wantBFCP && !slices.Contains(res.Rejected, 2) {
				t.Errorf("refused BFCP not in Rejected %v", res.Rejected)
			}
			if res.Content != nil && (res.Content.Index != 3 || res.Content.H264.MaxFS != 3600 || res.Content.Label != defaultContentLabel ||
				res.Content.Remote.String() != "198.51.100.5:5006") {
				t.Errorf("content %+v", res.Content)
			}
			if b := res.BFCP; b != nil {
				if b.Setup != tc.wantSetup || b.Remote.String() != "198.51.100.5:5004" || b.FloorID != 1 || b.ContentLabel != defaultContentLabel ||
					b.ConfID != 1 || b.UserID != 1 || b.RemoteFloorCtrl != FloorCtrlClient {
					t.Errorf("bfcp %+v", *b)
				}
			}
		})
	}
	t.Run("udp_offer", func(t *testing.T) {
		l := corpusLocal
		l.BFCP.Transports = []BFCPProto{BFCPTLS, BFCPUDP} // TLS without certificate is skipped
		offer, err := BuildOffer(DefaultCapabilities(), l)
		if err != nil {
			t.Fatal(err)
		}
		o, _ := Parse(offer)
		if b := o.Media[2]; b.Proto != string(BFCPUDP) || b.Setup != "" || !slices.Equal(b.BFCPVersions, []int{2}) {
			t.Errorf("UDP BFCP offer %+v", b)
		}
	})
	t.Run("no_bfcp_port_content_only", func(t *testing.T) {
		l := corpusLocal
		l.BFCPPort = 0
		offer, err := BuildOffer(DefaultCapabilities(), l)
		if err != nil {
			t.Fatal(err)
		}
		o, _ := Parse(offer)
		if len(o.Media) != 3 || !o.Media[2].Slides() {
			t.Errorf("offer %s", offer)
		}
	})
}

func TestResultPlanContent(t *testing.T) {
	r, err := Negotiate(bfcpOffer("TCP/BFCP", "a=floorctrl:c-only\na=floorid:1 mstrm:12", slides12+"\na=rtcp-fb:* ccm fir"), DefaultCapabilities(), corpusLocal)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Plan()
	if len(p.Streams) != 3 {
		t.Fatalf("plan %+v", p)
	}
	c := p.Streams[2]
	if c.Role != media.RoleContent || c.Codec != media.H264 || c.PT != 97 || c.Remote.String() != "198.51.100.5:5006" ||
		c.H264 == nil || c.H264.MaxFS != 3600 || c.Keyframe != media.KeyframeSignalling|media.KeyframeFIR {
		t.Errorf("content stream %+v", c)
	}
	if m := p.Streams[1]; m.Role != media.RoleMain || m.H264.MaxFS != 0 || m.Keyframe != media.KeyframeSignalling {
		t.Errorf("main stream %+v", m)
	}
}

// A room system that knows neither content nor BFCP answers only audio and video:
// the missing lines are refused, the call goes on; an answer with more lines than
// the offer is not an answer.
func TestParseAnswerMissingTrailingLines(t *testing.T) {
	offer, err := BuildOffer(DefaultCapabilities(), corpusLocal)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseAnswer(offer, crlf(roomHead))
	if err != nil {
		t.Fatalf("two-line answer to a four-line offer: %v", err)
	}
	if res.Audio == nil || res.Video == nil || res.Content != nil || res.BFCP != nil || !slices.Equal(res.Rejected, []int{2, 3}) {
		t.Errorf("audio %v video %v content %v bfcp %v rejected %v", res.Audio != nil, res.Video != nil, res.Content, res.BFCP, res.Rejected)
	}
	extra := crlf(roomHead + "m=video 5004 RTP/AVP 97\nm=video 5006 RTP/AVP 97\nm=video 5008 RTP/AVP 97\n")
	if _, err := ParseAnswer(offer, extra); err == nil {
		t.Error("an answer with more m-lines than the offer was taken")
	}
}
