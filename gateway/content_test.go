package gateway

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/sip/bfcp"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

// tandbergOffer is the SDP of a real Tandberg TE4.1.1 INVITE: audio, main video,
// UDP/BFCP (c-s, setup:actpass) and a slides m-line.
func tandbergOffer(t *testing.T) []byte {
	t.Helper()
	msg, err := os.ReadFile(filepath.Join("..", "..", "shared", "captures", "logstash-filter-sip__tandberg257_TE4.1.1_invite.sip"))
	if err != nil {
		t.Fatalf("shared capture: %v", err)
	}
	msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
	_, body, _ := bytes.Cut(msg, []byte("\n\n"))
	return bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
}

// answerTandberg negotiates the Tandberg offer on a call's ports as the SIP leg does
// and starts its floor control.
func answerTandberg(t *testing.T, rc *roomCall) *sdp.Result {
	t.Helper()
	sm := newSIPMedia(rc.mediaLocal(netip.MustParseAddr("127.0.0.1")), sdp.DefaultCapabilities(), rc.content)
	res, err := sdp.Negotiate(tandbergOffer(t), sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	sm.startContent(res, nil)
	return res
}

// bfcpClient is the room system's floor control client on the call's UDP BFCP port.
func bfcpClient(t *testing.T, rc *roomCall, res *sdp.Result) *bfcp.Client {
	t.Helper()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(rc.content.bfcp.port))))
	if err != nil {
		t.Fatal(err)
	}
	cl := bfcp.NewClient(c, bfcp.ClientConfig{ConferenceID: res.BFCP.ConfID, UserID: res.BFCP.UserID, Version: bfcp.Version2,
		T1: 50 * time.Millisecond})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func TestTandbergInviteAnsweredWithBFCPAndSlides(t *testing.T) {
	rc := testRoomCall(t)
	res := answerTandberg(t, rc)
	if res.BFCP == nil || !res.BFCP.Proto.UDP() || res.Content == nil {
		t.Fatalf("BFCP %+v content %+v: want UDP/BFCP and slides accepted", res.BFCP, res.Content)
	}
	answer := string(res.SDP)
	for _, want := range []string{
		"m=application " + strconv.Itoa(rc.content.bfcp.port) + " UDP/BFCP",
		"a=floorctrl:s-only",
		"m=video " + strconv.Itoa(rc.pairs[2].RTPPort) + " ",
		"a=content:slides",
	} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if _, ok := res.Plan().Stream(media.RoleContent); !ok {
		t.Error("the plan has no content stream")
	}
	// The floor control server answers on the port announced; before the call is
	// in the meeting a floor request is pending, and decided once it joins.
	cl := bfcpClient(t, rc, res)
	ctx := t.Context()
	if _, _, err := cl.Hello(ctx); err != nil {
		t.Fatalf("Hello: %v", err)
	}
	r, err := cl.RequestFloor(ctx, res.BFCP.FloorID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != bfcp.StatusPending {
		t.Fatalf("floor request before the meeting: %v, want Pending", r.Status)
	}
	floor := call.NewFloor()
	floor.Join(call.Presenter{Identity: "sip-a", Kind: "sip"})
	rc.content.mu.Lock()
	rc.content.floor, rc.content.self = floor, "sip-a"
	rc.content.mu.Unlock()
	rc.content.attached()
	if s := nextStatus(t, cl); s != bfcp.StatusGranted {
		t.Fatalf("pending request once in the meeting: notified %v, want Granted", s)
	}
	if p := floor.Presenter(); p.Identity != "sip-a" {
		t.Fatalf("presenter %q, want sip-a", p.Identity)
	}
}

// A request pending before the meeting is denied on joining under the host's lock.
func TestBFCPPendingRequestDeniedByTheLock(t *testing.T) {
	rc := testRoomCall(t)
	res := answerTandberg(t, rc)
	cl := bfcpClient(t, rc, res)
	if r, err := cl.RequestFloor(t.Context(), res.BFCP.FloorID); err != nil || r.Status != bfcp.StatusPending {
		t.Fatalf("floor request before the meeting: %v %v, want Pending", r.Status, err)
	}
	floor := call.NewFloor()
	floor.Join(call.Presenter{Identity: "sip-a", Kind: "sip"})
	floor.SetHost("web-1")
	floor.SetHostOnly(true)
	rc.content.mu.Lock()
	rc.content.floor, rc.content.self = floor, "sip-a"
	rc.content.mu.Unlock()
	rc.content.attached()
	if s := nextStatus(t, cl); s != bfcp.StatusDenied {
		t.Fatalf("pending request under the lock: notified %v, want Denied", s)
	}
	if p := floor.Presenter(); !p.None() {
		t.Fatalf("presenter %q, want none", p.Identity)
	}
}

// contentOnFloor starts a Tandberg call's content stream toward room (the room
// system's content socket) and puts the call, "sip-a", on a meeting floor with a
// browser, "web-1", as attach does (without a meeting participant).
func contentOnFloor(t *testing.T, room *net.UDPConn) (*roomCall, *sdp.Result, *call.Floor) {
	t.Helper()
	rc := testRoomCall(t)
	res := answerTandberg(t, rc)
	c, _ := res.Plan().Stream(media.RoleContent)
	c.SRTP = nil // the test's room system sends plain RTP
	c.Remote = room.LocalAddr().(*net.UDPAddr).AddrPort()
	c.RemoteRTCP = netip.AddrPortFrom(c.Remote.Addr(), c.Remote.Port()+1)
	if err := rc.content.start(c, mediaOptions{Latch: latchMode(true, "signalled"), SignallingIP: c.Remote.Addr()}); err != nil {
		t.Fatal(err)
	}
	floor := call.NewFloor()
	floor.Join(call.Presenter{Identity: "sip-a", Kind: "sip"})
	floor.Join(call.Presenter{Identity: "web-1", Kind: "web"})
	rc.content.mu.Lock()
	rc.content.floor, rc.content.self = floor, "sip-a"
	rc.content.mu.Unlock()
	stop := floor.Watch(rc.content.onFloor)
	rc.content.mu.Lock()
	rc.content.stopWatch = stop
	rc.content.mu.Unlock()
	return rc, res, floor
}

func listenRoom(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// nextStatus waits for the server's next FloorRequestStatus notification.
func nextStatus(t *testing.T, cl *bfcp.Client) bfcp.RequestStatus {
	t.Helper()
	for m := range cl.Notifications() {
		if m.Primitive != bfcp.FloorRequestStatus {
			continue
		}
		if a, ok := m.Find(bfcp.FloorRequestInformation); ok {
			return bfcp.ParseRequestInfo(a).Status
		}
	}
	t.Fatal("BFCP connection ended")
	return 0
}

func TestContentFloorTransitions(t *testing.T) {
	room := listenRoom(t)
	rc, res, floor := contentOnFloor(t, room)
	cl := bfcpClient(t, rc, res)
	ctx := t.Context()
	floorID := res.BFCP.FloorID

	// idle->FloorRequest->granted: the room system presents.
	r, err := cl.RequestFloor(ctx, floorID)
	if err != nil || r.Status != bfcp.StatusGranted {
		t.Fatalf("idle->FloorRequest: %v %v, want Granted", r.Status, err)
	}
	if p := floor.Presenter(); p.Identity != "sip-a" {
		t.Fatalf("presenter %q after the grant, want sip-a", p.Identity)
	}
	// granted->browser shares->revoked: the floor moves, the room system is told.
	floor.Request("web-1")
	if s := nextStatus(t, cl); s != bfcp.StatusRevoked {
		t.Fatalf("granted->browser shares: notified %v, want Revoked", s)
	}
	// revoked->FloorRequest->granted->FloorRelease->idle.
	if r, err = cl.RequestFloor(ctx, floorID); err != nil || r.Status != bfcp.StatusGranted {
		t.Fatalf("revoked->FloorRequest: %v %v, want Granted", r.Status, err)
	}
	if r, err = cl.Release(ctx, r.ID); err != nil || r.Status != bfcp.StatusReleased {
		t.Fatalf("granted->FloorRelease: %v %v, want Released", r.Status, err)
	}
	// The release's answer goes out before the server tells the floor: wait.
	for deadline := time.Now().Add(2 * time.Second); !floor.Presenter().None(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("presenter %q after the release, want none", floor.Presenter().Identity)
		}
	}
	// idle->FloorRequest->denied: the host's sharing lock.
	floor.SetHost("web-1")
	floor.SetHostOnly(true)
	if r, err = cl.RequestFloor(ctx, floorID); err != nil || r.Status != bfcp.StatusDenied {
		t.Fatalf("host-only->FloorRequest: %v %v, want Denied", r.Status, err)
	}
}

// h264Keyframe is an SPS, a PPS and an IDR slice as single-NAL packets, then a
// non-IDR slice: two access units.
func h264Frames(seq uint16, ts uint32) []*rtp.Packet {
	nals := [][]byte{{0x67, 0x42, 0xe0, 0x1f, 0x8c, 0x68}, {0x68, 0xce, 0x3c, 0x80}, {0x65, 0x88, 0x84, 0x00, 0x33}}
	var pkts []*rtp.Packet
	for i, n := range nals {
		pkts = append(pkts, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq + uint16(i), Timestamp: ts,
			Marker: i == len(nals)-1}, Payload: n})
	}
	return append(pkts, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq + 3, Timestamp: ts + 3000,
		Marker: true}, Payload: []byte{0x41, 0x9a, 0x02, 0x00}})
}

func TestBrowserShareReachesTheRoomsContentStream(t *testing.T) {
	room := listenRoom(t)
	rc, res, floor := contentOnFloor(t, room)
	cl := bfcpClient(t, rc, res)
	if r, err := cl.RequestFloor(t.Context(), res.BFCP.FloorID); err != nil || r.Status != bfcp.StatusGranted {
		t.Fatalf("FloorRequest: %v %v", r.Status, err)
	}
	// web-1 shares: the room system loses the floor and is sent web-1's frames
	// from its keyframe on; another participant's share is not sent.
	floor.Request("web-1")
	if s := nextStatus(t, cl); s != bfcp.StatusRevoked {
		t.Fatalf("notified %v, want Revoked", s)
	}
	waitPresenter(t, rc.content, "web-1")
	for _, p := range h264Frames(100, 9000) {
		rc.remoteVideo("web-2", "screen_share", p)
	}
	for _, p := range h264Frames(500, 90000) {
		rc.remoteVideo("web-1", "screen_share", p)
	}
	c, _ := res.Plan().Stream(media.RoleContent)
	var got []byte
	buf := make([]byte, 1500)
	dp := h264.NewDepacketizer(h264.DepacketizerConfig{})
	_ = room.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < 4 {
		n, err := room.Read(buf)
		if err != nil {
			t.Fatalf("content stream: %v (NAL types so far %v)", err, got)
		}
		var p rtp.Packet
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != c.PT {
			t.Fatalf("content RTP %x: want payload type %d", buf[:n], c.PT)
		}
		aus, err := dp.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		if err != nil {
			t.Fatalf("content RTP does not depacketize: %v", err)
		}
		for _, au := range aus {
			for _, nal := range au.NALs {
				got = append(got, h264.NALType(nal))
			}
		}
	}
	// SPS, PPS, IDR, then the P slice: web-1's frames, in order, none of web-2's.
	if !bytes.Equal(got, []byte{7, 8, 5, 1}) {
		t.Errorf("NAL types on the content stream %v, want [7 8 5 1]", got)
	}
}

// waitPresenter waits until the content worker has taken id's share as the one sent.
func waitPresenter(t *testing.T, cp *contentPath, id string) {
	t.Helper()
	for range 2000 {
		cp.mu.Lock()
		p := cp.presenter
		cp.mu.Unlock()
		if p == id {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("content path never took %s's share", id)
}
