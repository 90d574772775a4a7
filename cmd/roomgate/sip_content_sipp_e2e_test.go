//go:build e2e

package main

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/bfcp"
)

// mediaSection is one m-line of an SDP with its attribute lines.
type mediaSection struct {
	M     string
	Attrs []string // "a=" stripped
}

// mediaSections splits an SDP into its m-line sections, in order.
func mediaSections(sdp string) []mediaSection {
	var out []mediaSection
	for _, l := range strings.Split(strings.ReplaceAll(sdp, "\r\n", "\n"), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "m="):
			out = append(out, mediaSection{M: l})
		case strings.HasPrefix(l, "a=") && len(out) > 0:
			out[len(out)-1].Attrs = append(out[len(out)-1].Attrs, strings.TrimPrefix(l, "a="))
		}
	}
	return out
}

// attr returns the value of the first a=name[:value] of the section.
func (s mediaSection) attr(name string) (string, bool) {
	for _, a := range s.Attrs {
		if a == name {
			return "", true
		}
		if v, ok := strings.CutPrefix(a, name+":"); ok {
			return v, true
		}
	}
	return "", false
}

// contentOffer is an audio + main video offer followed by extra m-line sections.
func contentOffer(extra ...string) []string {
	l := []string{
		"v=0",
		"o=room 3000 1 IN IP[local_ip_type] [local_ip]",
		"s=room",
		"c=IN IP[media_ip_type] [media_ip]",
		"t=0 0",
		"m=audio [media_port] RTP/AVP 9 0 8 101",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-15",
		"a=sendrecv",
		"m=video [media_port+2] RTP/AVP 96",
		"a=rtpmap:96 H264/90000",
		"a=fmtp:96 profile-level-id=42e01f;packetization-mode=1",
		"a=content:main",
		"a=label:11",
		"a=sendrecv",
	}
	return append(l, extra...)
}

// slidesLines is an H.264 slides m-line labelled 12 on [media_port+4].
var slidesLines = []string{
	"m=video [media_port+4] RTP/AVP 97",
	"a=rtpmap:97 H264/90000",
	"a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
	"a=content:slides",
	"a=label:12",
	"a=sendrecv",
}

// contentAnswer runs one uac_content.xml call with the offer and returns the m-line
// sections of the gateway's 200 OK.
func contentAnswer(t *testing.T, g *sipGW, meeting string, holdMs int, offer []string, after func(sdp string), sippArgs ...string) []mediaSection {
	t.Helper()
	r := g.sippCall(t, "uac_content.xml", map[string]any{"HoldMs": holdMs, "SDP": offer}, meeting, sippArgs...)
	var secs []mediaSection
	if after != nil {
		// The call is held holdMs: find the answer in the trace while it lasts.
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if m, ok := finalStatus(r, 1); ok {
				after(sdpBody(m.Text))
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	r.mustPass(g, 40*time.Second)
	m, ok := finalStatus(r, 1)
	if !ok || !strings.HasPrefix(m.First, "SIP/2.0 200") {
		t.Fatalf("final answer %q, want 200", m.First)
	}
	secs = mediaSections(sdpBody(m.Text))
	t.Logf("answer m-lines: %v", secs)
	return secs
}

func sdpConnAddr(sdp string) string {
	for _, l := range strings.Split(strings.ReplaceAll(sdp, "\r\n", "\n"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "c=IN IP4 "); ok {
			return v
		}
	}
	return "127.0.0.1"
}

// TestE2ESIPContentSIPp plays content (RFC 4796) and BFCP (RFC 8856) offers at the
// gateway with SIPp and checks the answers on the wire, then talks BFCP to the
// answered port with sip/bfcp's Client.
func TestE2ESIPContentSIPp(t *testing.T) {
	g := startSIPGateway(t, "")
	open, _, _ := g.meeting(t, map[string]any{"topic": "SIP content"})

	t.Run("bfcp_udp_cs_to_sonly", func(t *testing.T) {
		bport := strconv.Itoa(freeSIPPort(t))
		offer := contentOffer(append([]string{
			"m=application " + bport + " UDP/BFCP *",
			"a=floorctrl:c-s",
			"a=confid:4321",
			"a=userid:7",
			"a=floorid:2 mstrm:12",
			"a=floorid:3 m-stream:12",
		}, slidesLines...)...)
		secs := bfcpCall(t, g, open, "udp", offer)
		if len(secs) != 4 {
			t.Fatalf("answer has %d m-lines, want 4", len(secs))
		}
		b, s := secs[2], secs[3]
		if !strings.HasPrefix(b.M, "m=application ") || mPort(b.M) == 0 || !strings.Contains(b.M, "UDP/BFCP") {
			t.Errorf("BFCP m-line %q: want accepted with UDP/BFCP", b.M)
		}
		if v, _ := b.attr("floorctrl"); v != "s-only" {
			t.Errorf("a=floorctrl %q, want s-only for an offered c-s", v)
		}
		label, _ := s.attr("label")
		fl, ok := b.attr("floorid")
		if !ok || label == "" || !strings.HasSuffix(fl, ":"+label) {
			t.Errorf("a=floorid %q must name the answer's content label %q", fl, label)
		}
		if mPort(s.M) == 0 {
			t.Errorf("slides m-line %q refused", s.M)
		}
		if v, _ := s.attr("content"); v != "slides" {
			t.Errorf("slides answer a=content %q, want slides", v)
		}
	})

	// The room system is active (it connects): the gateway must answer passive and
	// listen on the answered port, where a Go client talks BFCP over TCP.
	t.Run("bfcp_tcp_active_to_passive", func(t *testing.T) {
		offer := contentOffer(append([]string{
			"m=application 9 TCP/BFCP *",
			"a=setup:active",
			"a=connection:new",
			"a=floorctrl:c-s",
			"a=confid:99",
			"a=userid:5",
			"a=floorid:1 mstrm:12",
		}, slidesLines...)...)
		secs := bfcpCall(t, g, open, "tcp", offer)
		if len(secs) != 4 || !strings.Contains(secs[2].M, "TCP/BFCP") || mPort(secs[2].M) == 0 {
			t.Fatalf("want TCP/BFCP accepted: %v", secs)
		}
		if v, _ := secs[2].attr("setup"); v != "passive" {
			t.Errorf("a=setup %q, want passive to an active offer (RFC 4145)", v)
		}
	})

	// The five m-lines of uac_tandberg.xml (TANDBERG/257 TE4.1.1): BFCP and slides
	// must be accepted, H.224 refused, over UDP (as the endpoint sends it) and TCP.
	for _, tr := range []struct {
		name string
		args []string
	}{{"udp", nil}, {"tcp", []string{"-t", "t1"}}} {
		t.Run("tandberg_offer_content_accepted_"+tr.name, func(t *testing.T) {
			bport, hport := strconv.Itoa(freeSIPPort(t)), strconv.Itoa(freeSIPPort(t))
			secs := contentAnswer(t, g, open, 1500, slices.Concat([]string{
				"v=0",
				"o=tandberg 2 1 IN IP[local_ip_type] [local_ip]",
				"s=-",
				"c=IN IP[media_ip_type] [media_ip]",
				"b=AS:1152",
				"t=0 0",
				"m=audio [media_port] RTP/AVP 100 102 103 9 18 11 8 0 101",
				"b=TIAS:64000",
				"a=rtpmap:100 MP4A-LATM/90000",
				"a=fmtp:100 profile-level-id=24;object=23;bitrate=64000",
				"a=rtpmap:102 G7221/16000",
				"a=fmtp:102 bitrate=32000",
				"a=rtpmap:103 G7221/16000",
				"a=fmtp:103 bitrate=24000",
				"a=rtpmap:9 G722/8000",
				"a=rtpmap:18 G729/8000",
				"a=fmtp:18 annexb=yes",
				"a=rtpmap:11 L16/16000",
				"a=rtpmap:8 PCMA/8000",
				"a=rtpmap:0 PCMU/8000",
				"a=rtpmap:101 telephone-event/8000",
				"a=fmtp:101 0-15",
				"a=crypto:0 AES_CM_128_HMAC_SHA1_80 inline:hVC+Q/anjaTWFLQ+idPs5SNo4UJ0KM616KBXEZV8|2^48",
				"a=sendrecv",
			}, tandbergVideo("[media_port+2]", "main", "11"), []string{
				"a=answer:full",
				"m=application " + bport + " UDP/BFCP *",
				"a=floorctrl:c-s",
				"a=confid:1",
				"a=floorid:2 mstrm:12",
				"a=userid:2",
				"a=setup:actpass",
				"a=connection:new",
			}, tandbergVideo("[media_port+4]", "slides", "12"), []string{
				"m=application " + hport + " RTP/AVP 104",
				"a=rtpmap:104 H224/4800",
				"a=sendrecv",
			}), nil, tr.args...)
			if len(secs) != 5 {
				t.Fatalf("answer has %d m-lines, want 5", len(secs))
			}
			for i, want := range []bool{true, true, true, true, false} {
				if (mPort(secs[i].M) > 0) != want {
					t.Errorf("m-line %d %q: accepted %v, want %v", i+1, secs[i].M, !want, want)
				}
			}
		})
	}

	t.Run("content_without_bfcp", func(t *testing.T) {
		secs := contentAnswer(t, g, open, 1500, contentOffer(slidesLines...), nil)
		if len(secs) != 3 || mPort(secs[2].M) == 0 {
			t.Fatalf("slides without BFCP must be accepted: %v", secs)
		}
		if v, _ := secs[2].attr("content"); v != "slides" {
			t.Errorf("a=content %q, want slides", v)
		}
	})

	t.Run("content_h263_only_refused", func(t *testing.T) {
		secs := contentAnswer(t, g, open, 1500, contentOffer(
			"m=video [media_port+4] RTP/AVP 34",
			"a=rtpmap:34 H263/90000",
			"a=content:slides",
			"a=label:12",
		), nil)
		if len(secs) != 3 {
			t.Fatalf("answer has %d m-lines, want 3", len(secs))
		}
		if mPort(secs[0].M) == 0 || mPort(secs[1].M) == 0 || mPort(secs[2].M) != 0 {
			t.Errorf("want audio+video accepted and H.263-only slides at port 0: %v", secs)
		}
	})

	t.Run("unparseable_mlines_port0_in_order", func(t *testing.T) {
		extra := []string{
			"m=control 9000 RTP/AVP 0",
			"m=data 9002 udp wb",
			"m=application 9004 UDP/FOO 1",
			"m=video * RTP/AVP 31",
			"m=application 0 UDP/BFCP *",
		}
		secs := contentAnswer(t, g, open, 1500, contentOffer(extra...), nil)
		if len(secs) != 2+len(extra) {
			t.Fatalf("answer has %d m-lines, want %d (one per offered, RFC 3264 6)", len(secs), 2+len(extra))
		}
		if mPort(secs[0].M) == 0 {
			t.Errorf("audio refused: %q", secs[0].M)
		}
		for i, e := range extra {
			got := secs[2+i].M
			kind := strings.Fields(e)[0]
			if !strings.HasPrefix(got, kind+" ") || mPort(got) != 0 {
				t.Errorf("m-line %d %q answered %q, want %s at port 0", 3+i, e, got, kind)
			}
		}
	})
}

// bfcpCall places a call with offer and, once the room system is in the meeting (the
// floor is the meeting's), runs exerciseBFCP on the answer while the call lasts. The
// answered BFCP port must be in the media range, and tshark must dissect every BFCP
// message the gateway sent from it cleanly.
func bfcpCall(t *testing.T, g *sipGW, meeting, network string, offer []string) []mediaSection {
	t.Helper()
	wire := bfcpWire(t, g, "")
	var errs []string
	secs := contentAnswer(t, g, meeting, 8000, offer, func(sdp string) {
		g.waitSIPParticipant(t, meeting, 15*time.Second)
		errs = exerciseBFCP(t, network, sdp)
	})
	for _, e := range errs {
		t.Error(e)
	}
	for _, s := range secs {
		if strings.Contains(s.M, "BFCP") {
			port := mPort(s.M)
			if port < g.MediaMin || port > g.MediaMax {
				t.Errorf("BFCP port %d outside the media range %d-%d", port, g.MediaMin, g.MediaMax)
			}
			checkBFCPWire(t, wire, network, network+".srcport=="+strconv.Itoa(port), port)
		}
	}
	return secs
}

// answeredBFCP is the BFCP section of an SDP and its conference, user and floor IDs.
func answeredBFCP(sdp string) (b mediaSection, conf uint32, user, floor uint16) {
	for _, s := range mediaSections(sdp) {
		if strings.Contains(s.M, "BFCP") {
			b = s
		}
	}
	confS, _ := b.attr("confid")
	userS, _ := b.attr("userid")
	floorS, _ := b.attr("floorid")
	c, _ := strconv.ParseUint(confS, 10, 32)
	u, _ := strconv.ParseUint(userS, 10, 16)
	f, _ := strconv.ParseUint(strings.Fields(floorS + " x")[0], 10, 16)
	return b, uint32(c), uint16(u), uint16(f)
}

// exerciseBFCP talks to the BFCP port answered in sdp over network (udp or tcp):
// over UDP garbage first, then Hello, FloorRequest for the answered floor, Release.
// It returns what went wrong.
func exerciseBFCP(t *testing.T, network, sdp string) []string {
	t.Helper()
	b, _, _, _ := answeredBFCP(sdp)
	port := mPort(b.M)
	if port == 0 {
		return []string{"no BFCP port answered: " + sdp}
	}
	c, err := net.Dial(network, net.JoinHostPort(sdpConnAddr(sdp), strconv.Itoa(port)))
	if err != nil {
		return []string{err.Error()}
	}
	version := uint8(1)
	if network == "udp" {
		version = 2
		// Malformed datagrams must not take the server down. The last one parses as a
		// header (transaction 0xbeef, which the client never uses), so the server answers it
		// with an Error.
		for _, junk := range [][]byte{{0xff}, []byte("garbage garbage garbage"), {0x40, 0x01, 0x00, 0xff, 0, 0, 0, 1, 0xbe, 0xef, 0, 1}} {
			c.Write(junk)
		}
	}
	return exerciseConn(t, c, version, sdp)
}

// exerciseConn runs Hello, FloorRequest (granted) and FloorRelease on a BFCP
// connection to the gateway; it returns what went wrong.
func exerciseConn(t *testing.T, c net.Conn, version uint8, sdp string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, req, errs := holdFloor(ctx, t, c, version, sdp)
	if cl == nil {
		return errs
	}
	defer cl.Close()
	if _, err := cl.Release(ctx, req.ID); err != nil {
		errs = append(errs, "FloorRelease: "+err.Error())
	}
	return errs
}

// holdFloor says Hello on c and requests the answered floor: the client and its
// granted request, or nil and what went wrong.
func holdFloor(ctx context.Context, t *testing.T, c net.Conn, version uint8, sdp string) (*bfcp.Client, bfcp.Request, []string) {
	t.Helper()
	_, conf, user, floor := answeredBFCP(sdp)
	cl := bfcp.NewClient(c, bfcp.ClientConfig{ConferenceID: conf, UserID: user, Version: version})
	prims, _, err := cl.Hello(ctx)
	if err != nil {
		cl.Close()
		return nil, bfcp.Request{}, []string{"Hello: " + err.Error()}
	}
	t.Logf("HelloAck primitives %v", prims)
	req, err := cl.RequestFloor(ctx, floor)
	if err != nil {
		cl.Close()
		return nil, bfcp.Request{}, []string{"FloorRequest: " + err.Error()}
	}
	t.Logf("FloorRequest %d: %v", floor, req.Status)
	if req.Status == bfcp.StatusPending {
		// The participant is listed a moment before the call's content joins the
		// meeting's floor: the request is decided then, and notified.
		req.Status = nextRequestStatus(cl, req.ID, 5*time.Second)
		t.Logf("FloorRequest %d then: %v", floor, req.Status)
	}
	if req.Status != bfcp.StatusGranted {
		cl.Close()
		return nil, bfcp.Request{}, []string{"floor request in a meeting with no presenter answered " + req.Status.String()}
	}
	return cl, req, nil
}

// nextRequestStatus waits within for a FloorRequestStatus notification of request
// id that grants or ends it; 0 when none came.
func nextRequestStatus(cl *bfcp.Client, id uint16, within time.Duration) bfcp.RequestStatus {
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-cl.Notifications():
			if !ok {
				return 0
			}
			if a, found := m.Find(bfcp.FloorRequestInformation); found && m.Primitive == bfcp.FloorRequestStatus {
				if r := bfcp.ParseRequestInfo(a); r.ID == id && (r.Status.Final() || r.Status == bfcp.StatusGranted) {
					return r.Status
				}
			}
		case <-deadline:
			return 0
		}
	}
}

// tandbergVideo is a video m-line of the TANDBERG/257 offer: its main video and its
// slides differ only in port, a=content and a=label.
func tandbergVideo(port, content, label string) []string {
	return []string{
		"m=video " + port + " RTP/AVP 97 98 99 34 31",
		"b=TIAS:1152000",
		"a=rtpmap:97 H264/90000",
		"a=fmtp:97 profile-level-id=42800d;max-br=906;max-mbps=40500;max-fs=1344;max-smbps=40500;max-fps=3000",
		"a=rtpmap:98 H264/90000",
		"a=fmtp:98 profile-level-id=42800d;max-br=906;max-mbps=40500;max-fs=1344;max-smbps=40500;packetization-mode=1;max-fps=3000",
		"a=rtpmap:99 H263-1998/90000",
		"a=fmtp:99 cif4=2;cif=1;qcif=1",
		"a=rtpmap:34 H263/90000",
		"a=fmtp:34 cif4=2;cif=1;qcif=1;maxbr=10880",
		"a=rtpmap:31 H261/90000",
		"a=fmtp:31 cif=1;qcif=1;maxbr=10880",
		"a=rtcp-fb:* nack pli",
		"a=sendrecv",
		"a=content:" + content,
		"a=label:" + label,
	}
}
