package main

import (
	"net/netip"
	"testing"

	"github.com/roomgate/roomgate/sip/sdp"
)

// TestContentSDPNegotiates runs the content part of roomsim's offer through
// the gateway's SDP negotiation: the content stream is agreed, and the BFCP
// stream with the transport and TCP role asked for.
func TestContentSDPNegotiates(t *testing.T) {
	head := "v=0\r\no=roomsim 1 1 IN IP4 127.0.0.1\r\ns=roomsim\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 30000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\na=sendrecv\r\n"
	local := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 40000, VideoPort: 40002,
		ContentPort: 40004, BFCPPort: 40006, SessionID: 1, Version: 1}
	for _, tc := range []struct {
		bfcp  string
		proto sdp.BFCPProto
		setup sdp.Setup
	}{
		{"udp", sdp.BFCPProto("UDP/BFCP"), ""},
		{"tcp", sdp.BFCPTCP, sdp.SetupPassive},
		{"none", "", ""},
	} {
		t.Run(tc.bfcp, func(t *testing.T) {
			offer := head + contentSDP(30004, 30006, "RTP/AVP", "", tc.bfcp)
			res, err := sdp.Negotiate([]byte(offer), sdp.DefaultCapabilities(), local)
			if err != nil {
				t.Fatalf("Negotiate: %v\n%s", err, offer)
			}
			if res.Content == nil {
				t.Fatalf("content refused:\n%s", res.SDP)
			}
			if tc.bfcp == "none" {
				if res.BFCP != nil {
					t.Fatalf("BFCP agreed without a BFCP m-line: %+v", res.BFCP)
				}
				return
			}
			if res.BFCP == nil {
				t.Fatalf("BFCP refused:\n%s", res.SDP)
			}
			if res.BFCP.Proto != tc.proto || res.BFCP.Setup != tc.setup {
				t.Errorf("BFCP proto %q setup %q, want %q %q", res.BFCP.Proto, res.BFCP.Setup, tc.proto, tc.setup)
			}
			if res.BFCP.Remote.Port() != 30006 {
				t.Errorf("BFCP remote %v, want port 30006", res.BFCP.Remote)
			}
		})
	}
}

func TestContentOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    contentOptions
		ok   bool
	}{
		{"udp", contentOptions{enabled: true, bfcp: "udp", presentAt: 1}, true},
		{"tcp", contentOptions{enabled: true, bfcp: "tcp"}, true},
		{"none", contentOptions{enabled: true, bfcp: "none", presentAt: 1, presentFor: 1}, true},
		{"bad transport", contentOptions{enabled: true, bfcp: "tls"}, false},
		{"present without content", contentOptions{bfcp: "udp", presentAt: 1}, false},
		{"negative", contentOptions{enabled: true, bfcp: "udp", presentFor: -1}, false},
		{"repeat", contentOptions{enabled: true, bfcp: "udp", presentAt: 1, presentFor: 1, repeat: 50, gap: 1}, true},
		{"negative repeat", contentOptions{enabled: true, bfcp: "udp", repeat: -1}, false},
		{"negative gap", contentOptions{enabled: true, bfcp: "udp", gap: -1}, false},
		{"dump without content", contentOptions{bfcp: "udp", dump: "x.h264"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.o.check(); (err == nil) != tc.ok {
				t.Errorf("check() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestOfferWithContent negotiates roomsim's whole offer (video, SRTP,
// content over TCP BFCP): the content port follows the video RTCP port and the
// BFCP port follows the content RTCP port.
func TestOfferWithContent(t *testing.T) {
	o := &options{srtp: true, content: contentOptions{enabled: true, bfcp: "tcp"}}
	c := &simCall{idx: 2, opts: o, bind: netip.MustParseAddr("127.0.0.1"), frames: [][][]byte{{{0x65}}}}
	base := 30000 + o.portsPerCall()*(c.idx-1)
	local := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 40000, VideoPort: 40002,
		ContentPort: 40004, BFCPPort: 40006, SessionID: 1, Version: 1}
	caps := sdp.DefaultCapabilities()
	caps.SRTP = sdp.SRTPOptional
	res, err := sdp.Negotiate(c.offer(base), caps, local)
	if err != nil {
		t.Fatalf("Negotiate: %v", err)
	}
	if res.Video == nil || res.Content == nil || res.BFCP == nil {
		t.Fatalf("video %v content %v BFCP %v, want all agreed:\n%s", res.Video != nil, res.Content != nil, res.BFCP != nil, res.SDP)
	}
	if got := res.BFCP.Remote.Port(); got != uint16(base+6) {
		t.Errorf("BFCP remote port %d, want %d", got, base+6)
	}
	if base != 30008 {
		t.Errorf("second call's base %d, want 30008 (8 ports a call with -content)", base)
	}
}

// TestAnsweredBFCP reads the gateway's s-only answer to roomsim's offer: the
// server's address and the IDs the BFCP client must use are those the
// negotiation chose; an answer without a BFCP line is an error.
func TestAnsweredBFCP(t *testing.T) {
	head := "v=0\r\no=roomsim 1 1 IN IP4 127.0.0.1\r\ns=roomsim\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 30000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\na=sendrecv\r\n"
	local := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), AudioPort: 40000, VideoPort: 40002,
		ContentPort: 40004, BFCPPort: 40006, SessionID: 1, Version: 1}
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			offer := []byte(head + contentSDP(30004, 30006, "RTP/AVP", "", proto))
			res, err := sdp.Negotiate(offer, sdp.DefaultCapabilities(), local)
			if err != nil || res.BFCP == nil {
				t.Fatalf("Negotiate: %v, BFCP %v", err, res)
			}
			b, err := answeredBFCP(res.SDP)
			if err != nil {
				t.Fatalf("answeredBFCP: %v\n%s", err, res.SDP)
			}
			want := bfcpAnswer{Remote: netip.MustParseAddrPort("127.0.0.1:40006"), ConfID: res.BFCP.ConfID, UserID: res.BFCP.UserID, FloorID: res.BFCP.FloorID}
			if *b != want {
				t.Errorf("answeredBFCP = %+v, want %+v", *b, want)
			}
			ans, err := sdp.ParseAnswer(offer, res.SDP)
			if err != nil || ans.Content == nil || ans.Content.Remote.Port() != 40004 {
				t.Errorf("ParseAnswer content: %v, %+v", err, ans)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		res, err := sdp.Negotiate([]byte(head+contentSDP(30004, 30006, "RTP/AVP", "", "none")), sdp.DefaultCapabilities(), local)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := answeredBFCP(res.SDP); err == nil {
			t.Errorf("answeredBFCP without a BFCP line = %+v", b)
		}
	})
}
