package sdp

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusLocal is a gateway that takes content and BFCP.
var corpusLocal = Local{
	Addr: netip.MustParseAddr("192.0.2.10"), AudioPort: 4000, VideoPort: 4002, ContentPort: 4004, BFCPPort: 4006,
	SessionID: 7, Version: 1,
}

// TestCorpus answers every room-system offer of testdata/offers (see its
// README for where each comes from) and the real Tandberg INVITE: none fails
// as a whole, every m-line is answered in order with its media type and
// protocol, what we cannot use gets port 0, and content with its floor is
// accepted where offered.
func TestCorpus(t *testing.T) {
	type want struct {
		audio       string
		videoPT     int // -1: none
		contentIdx  int // -1: none
		contentPT   int
		bfcpIdx     int // -1: none
		bfcpProto   BFCPProto
		setup       Setup
		floorID     uint16
		confID      uint32
		userID      uint16
		keyword     string // floorid keyword in the answer
		rejected    []int
		label       string // our content label
		contentMaxF int    // remote max-fs of the content line
	}
	tests := []struct {
		file string
		want want
	}{
		{"capture:logstash-filter-sip__tandberg257_TE4.1.1_invite.sip", want{audio: "G722", videoPT: 98, contentIdx: 3, contentPT: 98,
			bfcpIdx: 2, bfcpProto: BFCPUDP, floorID: 2, confID: 1, userID: 2, keyword: "mstrm", rejected: []int{4}, label: "12", contentMaxF: 1344}},
		{"polycom_group_udp_bfcp.sdp", want{audio: "G722", videoPT: 111, contentIdx: 3, contentPT: 111,
			bfcpIdx: 2, bfcpProto: BFCPUDP, floorID: 1, confID: 1, userID: 3, keyword: "mstrm", rejected: []int{4}, label: "3", contentMaxF: 8160}},
		{"polycom_hdx_tcp_bfcp_mstream.sdp", want{audio: "G722", videoPT: 109, contentIdx: 3, contentPT: 109,
			bfcpIdx: 2, bfcpProto: BFCPTCP, setup: SetupPassive, floorID: 2, confID: 1, userID: 2, keyword: "m-stream", rejected: []int{4}, label: "3", contentMaxF: 3600}},
		{"cisco_ce_tcp_bfcp_avpf.sdp", want{audio: "G722", videoPT: 97, contentIdx: 3, contentPT: 97,
			bfcpIdx: 2, bfcpProto: BFCPTCP, setup: SetupPassive, floorID: 2, confID: 1, userID: 2, keyword: "mstrm", rejected: []int{4}, label: "12", contentMaxF: 8192}},
		{"tandberg_mxp_no_bfcp_h224.sdp", want{audio: "G722", videoPT: 96, contentIdx: 2, contentPT: 96,
			bfcpIdx: -1, rejected: []int{3}, label: defaultContentLabel, contentMaxF: 3072}},
		{"huawei_te_tcp_bfcp.sdp", want{audio: "G722", videoPT: 106, contentIdx: 2, contentPT: 106,
			bfcpIdx: 3, bfcpProto: BFCPTCP, setup: SetupPassive, floorID: 1, confID: 1, userID: 1, keyword: "mstrm", rejected: []int{4}, label: "2", contentMaxF: 8192}},
		{"lifesize_udp_bfcp_c_only.sdp", want{audio: "G722", videoPT: 97, contentIdx: 2, contentPT: 97,
			bfcpIdx: 3, bfcpProto: BFCPUDP, floorID: 1, confID: 1, userID: 1, keyword: "mstrm", label: "12", contentMaxF: 3600}},
		{"aver_evc_udp_bfcp.sdp", want{audio: "G722", videoPT: 96, contentIdx: 3, contentPT: 96,
			bfcpIdx: 2, bfcpProto: BFCPUDP, floorID: 1, confID: 1, userID: 1, keyword: "mstream", label: "2", contentMaxF: 8160}},
		{"legacy_rfc2327_lines.sdp", want{audio: "PCMU", videoPT: -1, contentIdx: 6, contentPT: 96,
			bfcpIdx: -1, rejected: []int{1, 2, 3, 4, 5}, label: defaultContentLabel}},
		{"webrtc_savpf_mixed.sdp", want{audio: "PCMU", videoPT: -1, contentIdx: -1, bfcpIdx: -1, rejected: []int{0, 2, 3}}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(tc.file, "capture:"), ".sdp"), func(t *testing.T) {
			var offer []byte
			if name, ok := strings.CutPrefix(tc.file, "capture:"); ok {
				offer = sipBody(sharedCapture(t, name))
			} else {
				b, err := os.ReadFile(filepath.Join("testdata", "offers", tc.file))
				if err != nil {
					t.Fatal(err)
				}
				offer = b
			}
			w := tc.want
			r, err := Negotiate(offer, DefaultCapabilities(), corpusLocal)
			if err != nil {
				t.Fatalf("Negotiate: %v", err)
			}
			ans, err := Parse(r.SDP)
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, r.SDP)
			}
			if len(ans.Media) != len(r.Remote.Media) {
				t.Fatalf("answer has %d m-lines, offer %d", len(ans.Media), len(r.Remote.Media))
			}
			if !slices.Equal(r.Rejected, w.rejected) {
				t.Errorf("rejected = %v, want %v\n%s", r.Rejected, w.rejected, r.SDP)
			}
			for i, m := range ans.Media {
				off := r.Remote.Media[i]
				if m.Kind != off.Kind || m.Proto != off.Proto {
					t.Errorf("m-line %d answered %s %s, offered %s %s", i, m.Kind, m.Proto, off.Kind, off.Proto)
				}
				if slices.Contains(w.rejected, i) != (m.Port == 0) {
					t.Errorf("m-line %d port %d, rejected=%v", i, m.Port, slices.Contains(w.rejected, i))
				}
			}
			if r.Audio == nil || !r.Audio.Codec.Is(w.audio) {
				t.Errorf("audio = %+v, want %s", r.Audio, w.audio)
			}
			if (r.Video == nil) != (w.videoPT < 0) || (r.Video != nil && int(r.Video.Codec.PT) != w.videoPT) {
				t.Errorf("video = %+v, want PT %d", r.Video, w.videoPT)
			}
			checkContent(t, r, ans, w.contentIdx, w.contentPT, w.label, w.contentMaxF)
			if w.bfcpIdx < 0 {
				if r.BFCP != nil {
					t.Errorf("unexpected BFCP %+v", r.BFCP)
				}
				return
			}
			b := r.BFCP
			if b == nil {
				t.Fatalf("BFCP not accepted:\n%s", r.SDP)
			}
			if b.Index != w.bfcpIdx || b.Proto != w.bfcpProto || b.Setup != w.setup || b.FloorID != w.floorID ||
				b.ConfID != w.confID || b.UserID != w.userID || b.ContentLabel != w.label || b.FloorCtrl != FloorCtrlServer {
				t.Errorf("BFCP = %+v, want %+v", *b, w)
			}
			if want := r.Remote.Media[w.bfcpIdx].RTPAddr(); b.Remote != want || !b.Remote.IsValid() {
				t.Errorf("BFCP remote = %v, want %v", b.Remote, want)
			}
			bm := ans.Media[w.bfcpIdx]
			if bm.Port != corpusLocal.BFCPPort || bm.FloorCtrl != FloorCtrlServer || bm.Setup != w.setup ||
				len(bm.Floors) != 1 || bm.Floors[0].ID != w.floorID || !slices.Equal(bm.Floors[0].Labels, []string{w.label}) ||
				bm.floorKeyword != w.keyword || !bm.HasConfID || bm.ConfID != w.confID || bm.UserID != w.userID {
				t.Errorf("BFCP answer m-line = %+v", bm)
			}
			if (w.setup != "") != (bm.Connection == "new") {
				t.Errorf("a=connection = %q with setup %q", bm.Connection, w.setup)
			}
		})
	}
}

// checkContent: the content line is accepted on our content port with
// a=content:slides and our label, and its limits are the remote's own.
func checkContent(t *testing.T, r *Result, ans *Session, idx, pt int, label string, maxFS int) {
	t.Helper()
	if idx < 0 {
		if r.Content != nil {
			t.Errorf("unexpected content %+v", r.Content)
		}
		return
	}
	c := r.Content
	if c == nil {
		t.Fatalf("content not accepted:\n%s", r.SDP)
	}
	if c.Index != idx || int(c.Codec.PT) != pt || c.Label != label || c.H264.MaxFS != maxFS {
		t.Errorf("content = idx %d PT %d label %q max-fs %d, want %d %d %q %d", c.Index, c.Codec.PT, c.Label, c.H264.MaxFS, idx, pt, label, maxFS)
	}
	cm := ans.Media[idx]
	if cm.Port != corpusLocal.ContentPort || !cm.Slides() || cm.Label != label || len(cm.Codecs) != 1 || int(cm.Codecs[0].PT) != pt {
		t.Errorf("content answer m-line = %+v", cm)
	}
	if r.Video != nil && r.Video.Index == idx {
		t.Errorf("content line also taken as main video")
	}
}
