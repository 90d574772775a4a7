package gateway

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/sip/bfcp"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// reofferSDP is an audio + main video offer, with BFCP over UDP (bfcpPort) and
// slides (slidesPort) when withContent; port 0 removes them.
func reofferSDP(version int, withContent bool, bfcpPort, slidesPort int) *sdp.Session {
	l := []string{"v=0", "o=room 1 " + strconv.Itoa(version) + " IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
		"m=audio 40000 RTP/AVP 0", "a=sendrecv",
		"m=video 40002 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1", "a=content:main", "a=label:11"}
	if withContent {
		l = append(l, "m=application "+strconv.Itoa(bfcpPort)+" UDP/BFCP *", "a=floorctrl:c-only", "a=confid:9", "a=userid:3", "a=floorid:1 mstrm:12",
			"m=video "+strconv.Itoa(slidesPort)+" RTP/AVP 97", "a=rtpmap:97 H264/90000", "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
			"a=content:slides", "a=label:12", "a=sendrecv")
	}
	s, err := sdp.Parse([]byte(strings.Join(l, "\r\n") + "\r\n"))
	if err != nil {
		panic(err)
	}
	return s
}

// TestReofferAddsAndRemovesContent: a call in the meeting without content; a
// re-INVITE adds BFCP and slides (the call joins the meeting's floor, a FloorRequest
// is granted); a re-INVITE that sets both to port 0 gives the floor back (the grant is
// revoked) and the answer keeps the four m-lines in order.
func TestReofferAddsAndRemovesContent(t *testing.T) {
	rc := testRoomCall(t)
	cp := rc.content
	sm := newSIPMedia(rc.mediaLocal(netip.MustParseAddr("127.0.0.1")), sdp.DefaultCapabilities(), cp)
	res, err := sdp.NegotiateSession(reofferSDP(1, false, 0, 0), sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	sm.startContent(res, nil)
	sm.plan(res)

	// In the meeting, as attach leaves a call without content: not on the floor.
	floor := call.NewFloor()
	floor.Join(call.Presenter{Identity: "web-1", Kind: "web"})
	cp.mu.Lock()
	cp.tap, cp.self = &meetingTap{floor: floor}, "sip-a"
	cp.mu.Unlock()
	cp.joinFloor()
	if cp.floor != nil {
		t.Fatal("a call without content joined the floor")
	}

	apply := func(p media.Plan) error {
		if c, ok := p.Stream(media.RoleContent); ok {
			return cp.start(c, mediaOptions{})
		}
		return nil
	}
	answer := sm.reoffer(apply, nil)
	body, err := answer(reofferSDP(2, true, 40010, 40004), nil)
	if err != nil {
		t.Fatalf("re-offer adding content: %v", err)
	}
	secs := strings.Count(string(body), "\nm=")
	if secs != 4 || !strings.Contains(string(body), "m=application "+strconv.Itoa(cp.bfcp.port)+" UDP/BFCP") ||
		!strings.Contains(string(body), "m=video "+strconv.Itoa(rc.pairs[2].RTPPort)+" ") {
		t.Fatalf("answer adding content:\n%s", body)
	}
	if cp.floor != floor {
		t.Fatal("content added in the meeting: the call did not join the floor")
	}
	res2, _ := sdp.NegotiateSession(reofferSDP(2, true, 40010, 40004), sdp.DefaultCapabilities(), sm.local())
	cl := bfcpClient(t, rc, res2)
	ctx := t.Context()
	if _, _, err := cl.Hello(ctx); err != nil {
		t.Fatalf("Hello: %v", err)
	}
	r, err := cl.RequestFloor(ctx, res2.BFCP.FloorID)
	if err != nil || r.Status != bfcp.StatusGranted {
		t.Fatalf("FloorRequest after content was added: %v %v, want Granted", r.Status, err)
	}
	if p := floor.Presenter(); p.Identity != "sip-a" {
		t.Fatalf("presenter %q, want sip-a", p.Identity)
	}

	body, err = answer(reofferSDP(3, true, 0, 0), nil)
	if err != nil {
		t.Fatalf("re-offer removing content: %v", err)
	}
	var ms []string
	for _, l := range strings.Split(string(body), "\r\n") {
		if strings.HasPrefix(l, "m=") {
			ms = append(ms, l)
		}
	}
	if len(ms) != 4 || !strings.HasPrefix(ms[0], "m=audio ") || !strings.HasPrefix(ms[1], "m=video ") ||
		!strings.HasPrefix(ms[2], "m=application 0 ") || !strings.HasPrefix(ms[3], "m=video 0 ") {
		t.Errorf("answer removing content %q: want audio, video, application 0, video 0", ms)
	}
	if p := floor.Presenter(); !p.None() {
		t.Fatalf("presenter %q after content was removed, want none", p.Identity)
	}
	if st := nextStatus(t, cl); st != bfcp.StatusRevoked {
		t.Errorf("the room system's grant: %v, want Revoked", st)
	}
}
