package gateway

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// dialOutAnswer is a callee's answer to our offer with content: audio, main video,
// then the BFCP line (bfcp, "" for none: the answer stops after the main video) and
// the slides line (slidesPort 0 refuses content).
func dialOutAnswer(bfcp []string, slidesPort int) []byte {
	l := []string{"v=0", "o=callee 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
		"m=audio 41000 RTP/AVP 0", "a=sendrecv",
		"m=video 41002 RTP/AVP 97", "a=rtpmap:97 H264/90000", "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1", "a=content:main", "a=sendrecv"}
	if bfcp != nil {
		l = append(l, bfcp...)
		l = append(l, "m=video "+strconv.Itoa(slidesPort)+" RTP/AVP 97", "a=rtpmap:97 H264/90000",
			"a=fmtp:97 profile-level-id=42e01f;packetization-mode=1", "a=content:slides", "a=label:3", "a=sendrecv")
	}
	return []byte(strings.Join(l, "\r\n") + "\r\n")
}

// sipDialOutContent makes our offer with content on a call's ports and reads answer as
// sipOutbound.Wait does.
func sipDialOutContent(t *testing.T, answer func(offer string) []byte) (*roomCall, *sdp.Result) {
	t.Helper()
	rc := testRoomCall(t)
	sm := newSIPMedia(rc.mediaLocal(netip.MustParseAddr("127.0.0.1")), sdp.DefaultCapabilities(), rc.content)
	offer, err := sdp.BuildOffer(sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), "m=application "+strconv.Itoa(rc.pairs[3].RTPPort)+" TCP/BFCP") || !strings.Contains(string(offer), "a=content:slides") {
		t.Fatalf("our offer lacks BFCP on the media range or slides:\n%s", offer)
	}
	res, err := sdp.ParseAnswer(offer, answer(string(offer)))
	if err != nil {
		t.Fatalf("answer refused: %v", err)
	}
	sm.startContent(res, nil)
	sm.plan(res)
	return rc, res
}

// TestDialOutContentAnswers: the answers a callee gives to our offer with BFCP (as
// floor control server) and slides, as transitions of the call's floor control.
func TestDialOutContentAnswers(t *testing.T) {
	mainVideo := func(t *testing.T, res *sdp.Result) {
		t.Helper()
		if _, ok := res.Plan().Stream(media.RoleMain); !ok {
			t.Error("the main video does not go on")
		}
	}

	t.Run("c-only_active->we_listen", func(t *testing.T) {
		rc, res := sipDialOutContent(t, func(string) []byte {
			return dialOutAnswer([]string{"m=application 9 TCP/BFCP *", "a=floorctrl:c-only", "a=setup:active", "a=connection:new"}, 41004)
		})
		if res.BFCP == nil || res.BFCP.Setup != sdp.SetupPassive || res.Content == nil {
			t.Fatalf("BFCP %+v content %v: want us passive with content", res.BFCP, res.Content != nil)
		}
		mainVideo(t, res)
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(rc.pairs[3].RTPPort)))
		if err != nil {
			t.Fatal(err)
		}
		bfcpHello(t, c, res)
	})

	t.Run("c-only_passive->we_connect", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		_, res := sipDialOutContent(t, func(string) []byte {
			return dialOutAnswer([]string{"m=application " + port + " TCP/BFCP *", "a=floorctrl:c-only", "a=setup:passive", "a=connection:new"}, 41004)
		})
		if res.BFCP == nil || res.BFCP.Setup != sdp.SetupActive {
			t.Fatalf("BFCP %+v: want us active", res.BFCP)
		}
		_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			t.Fatalf("we did not connect to the callee: %v", err)
		}
		bfcpHello(t, c, res)
	})

	t.Run("s-only->content_without_floor_control", func(t *testing.T) {
		rc, res := sipDialOutContent(t, func(string) []byte {
			return dialOutAnswer([]string{"m=application 41006 TCP/BFCP *", "a=floorctrl:s-only", "a=setup:active", "a=connection:new"}, 41004)
		})
		if res.BFCP != nil || res.Content == nil {
			t.Fatalf("BFCP %+v content %v: want no floor control, content kept", res.BFCP, res.Content != nil)
		}
		mainVideo(t, res)
		cp := rc.content
		cp.mu.Lock()
		noBFCP, ctl := cp.noBFCP, cp.ctl
		cp.mu.Unlock()
		if !noBFCP || ctl != nil {
			t.Errorf("noBFCP %v ctl %v: flowing slides must mean presenting", noBFCP, ctl)
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(rc.pairs[3].RTPPort)), time.Second); err == nil {
			c.Close()
			t.Error("the BFCP listener stays open without floor control")
		}
	})

	t.Run("no_bfcp_line->content_without_floor_control", func(t *testing.T) {
		rc, res := sipDialOutContent(t, func(string) []byte {
			return dialOutAnswer([]string{"m=application 0 TCP/BFCP *"}, 41004)
		})
		if res.BFCP != nil || res.Content == nil {
			t.Fatalf("BFCP %+v content %v", res.BFCP, res.Content != nil)
		}
		mainVideo(t, res)
		rc.content.mu.Lock()
		defer rc.content.mu.Unlock()
		if !rc.content.noBFCP {
			t.Error("content without BFCP is not treated as presenting while it flows")
		}
	})

	t.Run("content_refused->main_video_goes_on", func(t *testing.T) {
		rc, res := sipDialOutContent(t, func(string) []byte {
			return dialOutAnswer([]string{"m=application 0 TCP/BFCP *"}, 0)
		})
		if res.BFCP != nil || res.Content != nil {
			t.Fatalf("BFCP %+v content %v: want neither", res.BFCP, res.Content != nil)
		}
		mainVideo(t, res)
		if _, ok := res.Plan().Stream(media.RoleContent); ok {
			t.Error("the plan has content the callee refused")
		}
		rc.content.mu.Lock()
		defer rc.content.mu.Unlock()
		if rc.content.ctl != nil {
			t.Error("floor control without content")
		}
	})

	t.Run("answer_without_content_lines->main_video_goes_on", func(t *testing.T) {
		_, res := sipDialOutContent(t, func(string) []byte { return dialOutAnswer(nil, 0) })
		if res.BFCP != nil || res.Content != nil {
			t.Fatalf("BFCP %+v content %v: want neither", res.BFCP, res.Content != nil)
		}
		mainVideo(t, res)
	})
}
