package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/sip/bfcp"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// bfcpOffer is an audio + slides offer whose BFCP m-line is proto on port with
// extra attributes.
func bfcpOffer(proto string, port int, extra ...string) []byte {
	l := []string{"v=0", "o=room 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
		"m=audio 40000 RTP/AVP 0", "a=sendrecv",
		"m=application " + strconv.Itoa(port) + " " + proto + " *", "a=floorctrl:c-only", "a=confid:9", "a=userid:3", "a=floorid:1 mstrm:12"}
	l = append(l, extra...)
	l = append(l, "m=video 40004 RTP/AVP 97", "a=rtpmap:97 H264/90000", "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
		"a=content:slides", "a=label:12", "a=sendrecv")
	return []byte(strings.Join(l, "\r\n") + "\r\n")
}

// TestBFCPPortInMediaRange: the BFCP port, UDP and TCP, is the even port of a pair
// of the media range (a room system's firewall opens the media range only).
func TestBFCPPortInMediaRange(t *testing.T) {
	rc := testRoomCall(t)
	b := rc.content.bfcp
	if len(rc.pairs) != 4 || b.port != rc.pairs[3].RTPPort {
		t.Fatalf("BFCP port %d, pairs %+v: want the 4th pair's RTP port", b.port, rc.pairs)
	}
	if b.port < 43000 || b.port > 43999 || b.port%2 != 0 {
		t.Errorf("BFCP port %d outside the media range 43000-43999 or odd", b.port)
	}
	if !b.tcp {
		t.Fatal("no TCP listener on the BFCP port")
	}
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)))
	if err != nil {
		t.Fatalf("BFCP TCP port %d: %v", b.port, err)
	}
	_ = c.Close()
	if got := rc.mediaLocal(netip.MustParseAddr("127.0.0.1")).Ports[roleBFCP]; got != b.port {
		t.Errorf("media local BFCP port %d, want %d", got, b.port)
	}
}

// TestBFCPTCPPortTaken: with the TCP port of the BFCP pair held by someone else,
// BFCP over UDP is still answered on the pair, BFCP over TCP refused (port 0), and
// our offers carry UDP/BFCP.
func TestBFCPTCPPortTaken(t *testing.T) {
	alloc, err := ports.New(ports.Config{Min: 44000, Max: 44999, Addr: netip.MustParseAddr("127.0.0.1"), Quarantine: -1})
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := alloc.Allocate(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alloc.Release(pairs...) })
	taken, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(pairs[1].RTPPort)))
	if err != nil {
		t.Skipf("TCP port %d busy: %v", pairs[1].RTPPort, err)
	}
	defer taken.Close()
	cp := newContentPath(slog.New(slog.DiscardHandler), pairs[0], pairs[1], listenBFCP(pairs[1]))
	t.Cleanup(cp.close)
	if cp.bfcp.tcp || cp.bfcp.port != pairs[1].RTPPort {
		t.Fatalf("tcp %v port %d: want UDP only on %d", cp.bfcp.tcp, cp.bfcp.port, pairs[1].RTPPort)
	}
	local := media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Ports: map[media.Role]int{media.RoleAudio: 44900,
		media.RoleContent: pairs[0].RTPPort, roleBFCP: cp.bfcp.port}}
	sm := newSIPMedia(local, sdp.DefaultCapabilities(), cp)
	res, err := sdp.Negotiate(bfcpOffer("TCP/BFCP", 9, "a=setup:active", "a=connection:new"), sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	if res.BFCP != nil || !strings.Contains(string(res.SDP), "m=application 0 TCP/BFCP") {
		t.Errorf("BFCP over TCP without a listener: want refused, got %+v\n%s", res.BFCP, res.SDP)
	}
	res, err = sdp.Negotiate(bfcpOffer("UDP/BFCP", 40010), sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	if res.BFCP == nil || !strings.Contains(string(res.SDP), "m=application "+strconv.Itoa(cp.bfcp.port)+" UDP/BFCP") {
		t.Errorf("BFCP over UDP: want answered on %d:\n%s", cp.bfcp.port, res.SDP)
	}
	offer, err := sdp.BuildOffer(sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), " UDP/BFCP") || strings.Contains(string(offer), "TCP/BFCP") {
		t.Errorf("our offer must carry UDP/BFCP only:\n%s", offer)
	}
}

// TestBFCPPassiveOfferGatewayConnects: an offer with BFCP over TCP and
// a=setup:passive (and actpass, answered passive) — the gateway answers active and
// connects to the room system's port (RFC 4145 §4.1, RFC 8856 §8), where a client
// says Hello and gets its HelloAck.
func TestBFCPPassiveOfferGatewayConnects(t *testing.T) {
	rc := testRoomCall(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	sm := newSIPMedia(rc.mediaLocal(netip.MustParseAddr("127.0.0.1")), sdp.DefaultCapabilities(), rc.content)
	res, err := sdp.Negotiate(bfcpOffer("TCP/BFCP", port, "a=setup:passive", "a=connection:new"), sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	if res.BFCP == nil || res.BFCP.Setup != sdp.SetupActive || !strings.Contains(string(res.SDP), "a=setup:active") {
		t.Fatalf("want a=setup:active answered:\n%s", res.SDP)
	}
	sm.startContent(res, nil)
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("the gateway did not connect to the passive room system: %v", err)
	}
	cl := bfcpHello(t, c, res)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Not in a meeting yet: the request waits for the call to join.
	r, err := cl.RequestFloor(ctx, res.BFCP.FloorID)
	if err != nil {
		t.Fatalf("FloorRequest: %v", err)
	}
	if r.Status != bfcp.StatusPending {
		t.Errorf("FloorRequest before the meeting: %v, want Pending", r.Status)
	}
}

// TestBFCPActPassOfferAnsweredPassive: a TCP/BFCP offer with a=setup:actpass is
// answered passive, and the room system connects to our BFCP port in the media range.
func TestBFCPActPassOfferAnsweredPassive(t *testing.T) {
	rc := testRoomCall(t)
	sm := newSIPMedia(rc.mediaLocal(netip.MustParseAddr("127.0.0.1")), sdp.DefaultCapabilities(), rc.content)
	res, err := sdp.Negotiate(bfcpOffer("TCP/BFCP", 40010, "a=setup:actpass", "a=connection:new"), sdp.DefaultCapabilities(), sm.local())
	if err != nil {
		t.Fatal(err)
	}
	want := "m=application " + strconv.Itoa(rc.pairs[3].RTPPort) + " TCP/BFCP"
	if res.BFCP == nil || res.BFCP.Setup != sdp.SetupPassive || !strings.Contains(string(res.SDP), want) {
		t.Fatalf("want %q with a=setup:passive:\n%s", want, res.SDP)
	}
	sm.startContent(res, nil)
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(rc.pairs[3].RTPPort)))
	if err != nil {
		t.Fatal(err)
	}
	bfcpHello(t, c, res)
}

// bfcpHello is a version 1 floor control client on c, with the IDs res agreed, that
// said Hello and got its HelloAck; the test closes it.
func bfcpHello(t *testing.T, c net.Conn, res *sdp.Result) *bfcp.Client {
	t.Helper()
	cl := bfcp.NewClient(c, bfcp.ClientConfig{ConferenceID: res.BFCP.ConfID, UserID: res.BFCP.UserID, Version: bfcp.Version1})
	t.Cleanup(func() { _ = cl.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := cl.Hello(ctx); err != nil {
		t.Fatalf("Hello: %v", err)
	}
	return cl
}
