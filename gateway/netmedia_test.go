package gateway

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/transcode/media"
)

// Two room systems on loopback addresses stand for a LAN endpoint (127.0.0.2) and one
// behind a NAT whose ALG rewrote half its addresses (127.0.0.3, signalling a private
// 10.1.0.2 in SDP).
const netProfilesYAML = `
media:
  port_min: 43300
  port_max: 43399
nat:
  profiles:
    - name: lan
      networks: [127.0.0.2/32]
      advertise: local
      latch: signalled
    - name: internet
      networks: [127.0.0.3/32]
      advertise: 127.0.0.9
      latch: any
      trust_signalled: false
      keepalive: 15s
      port_min: 43400
      port_max: 43499
`

func testProfileFactory(t *testing.T) *mediaFactory {
	t.Helper()
	c, err := configs.Parse("x.yaml", []byte(netProfilesYAML))
	if err != nil {
		t.Fatal(err)
	}
	local := netip.MustParseAddr("127.0.0.1")
	set, err := netprofile.New(c.NAT, c.Media, netprofile.Addresses{Local: local})
	if err != nil {
		t.Fatal(err)
	}
	allocs, err := profileAllocators(set, local, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	clock := newFrameClock(audioFrame)
	t.Cleanup(clock.Close)
	def := set.Default()
	return &mediaFactory{ports: allocs[def.PortRange()], allocs: allocs, profiles: set, clock: clock, addr: def.Advertise,
		opt: mediaOptions{Timeout: time.Hour, Latch: def.Latch}}
}

func newTestCallMedia(t *testing.T, f *mediaFactory, peer call.Peer) *callMedia {
	t.Helper()
	m, err := f.new(slog.New(slog.DiscardHandler), peer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m.(*callMedia)
}

func TestProfilesPerCall(t *testing.T) {
	f := testProfileFactory(t)
	lan := newTestCallMedia(t, f, call.Peer{Source: netip.MustParseAddrPort("127.0.0.2:5060")})
	wan := newTestCallMedia(t, f, call.Peer{Source: netip.MustParseAddrPort("127.0.0.3:5060"), Signalled: []netprofile.Field{
		{Name: "contact", Addr: netip.MustParseAddrPort("127.0.0.3:5060")}, {Name: "sdp o=", Addr: netip.MustParseAddrPort("10.1.0.2:0")}}})

	// Split horizon and per-profile port ranges.
	if l := lan.Local(); l.Addr != netip.MustParseAddr("127.0.0.1") || l.Ports[media.RoleAudio] < 43300 || l.Ports[media.RoleAudio] > 43399 {
		t.Errorf("lan call advertises %v ports %v: want 127.0.0.1 in 43300-43399", l.Addr, l.Ports)
	}
	if l := wan.Local(); l.Addr != netip.MustParseAddr("127.0.0.9") || l.Ports[media.RoleAudio] < 43400 || l.Ports[media.RoleAudio] > 43499 {
		t.Errorf("internet call advertises %v ports %v: want 127.0.0.9 in 43400-43499", l.Addr, l.Ports)
	}
	if lan.prof.Latch != rtpsession.LatchSignalled || wan.prof.Latch != rtpsession.LatchAny {
		t.Errorf("latch lan %v wan %v", lan.prof.Latch, wan.prof.Latch)
	}

	// trust_signalled: false — media goes to the signalling source's IP, the SDP port.
	plan := media.Plan{Streams: []media.Stream{{Role: media.RoleAudio, Codec: media.PCMU, PT: 0, Remote: netip.MustParseAddrPort("10.1.0.2:4000")}}}
	if err := wan.Start(plan, netip.MustParseAddrPort("127.0.0.3:5060"), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := wan.audio.Remote(); got != netip.MustParseAddrPort("127.0.0.3:4000") {
		t.Errorf("internet call sends audio to %v, want the signalling source's IP 127.0.0.3:4000", got)
	}
	lanPlan := media.Plan{Streams: []media.Stream{{Role: media.RoleAudio, Codec: media.PCMU, PT: 0, Remote: netip.MustParseAddrPort("127.0.0.2:4000")}}}
	if err := lan.Start(lanPlan, netip.MustParseAddrPort("127.0.0.2:5060"), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := lan.audio.Remote(); got != netip.MustParseAddrPort("127.0.0.2:4000") {
		t.Errorf("lan call sends audio to %v, want the signalled 127.0.0.2:4000", got)
	}

	n := wan.Network()
	if n.Profile != "internet" || n.TrustSignalled || n.Latch != "any" || n.Advertised != "127.0.0.9" {
		t.Errorf("network %+v", n)
	}
	if !n.ALGSuspected || !strings.Contains(n.ALGReason, "sdp o= 10.1.0.2") || !strings.Contains(n.ALGReason, "contact") {
		t.Errorf("ALG not suspected or reason %q", n.ALGReason)
	}
	if n.Signalling.Signalled != "127.0.0.3:5060" || n.Signalling.Observed != "127.0.0.3:5060" {
		t.Errorf("signalling %+v", n.Signalling)
	}
	a, ok := n.Media["audio"]
	if !ok || a.Signalled != "10.1.0.2:4000" || a.SendingTo != "127.0.0.3:4000" || a.Latched || a.Observed != "" {
		t.Errorf("audio %+v (present %v): want signalled 10.1.0.2:4000, sending to 127.0.0.3:4000, not latched", a, ok)
	}
	if _, ok := n.Media["video"]; ok {
		t.Error("a stream that was not started is listed")
	}
	if ln := lan.Network(); ln.Profile != "lan" || ln.ALGSuspected || ln.BehindNAT {
		t.Errorf("lan network %+v", ln)
	}
}

func TestProfilesToSIPAndH323(t *testing.T) {
	f := testProfileFactory(t)
	peers := f.sipPeers("127.0.0.1:5060")
	lan := peers(netip.MustParseAddrPort("127.0.0.2:5060"))
	if lan.Host != "127.0.0.1" || lan.UseSource || lan.Keepalive != 0 {
		t.Errorf("lan sip peer %+v", lan)
	}
	wan := peers(netip.MustParseAddrPort("127.0.0.3:5060"))
	if wan.Host != "127.0.0.9" || !wan.UseSource || wan.Keepalive != 15*time.Second {
		t.Errorf("internet sip peer %+v", wan)
	}
	if any := f.sipPeers("0.0.0.0:5060")(netip.MustParseAddrPort("127.0.0.2:1")); any.Host != "127.0.0.1" {
		t.Errorf("listening on all addresses, a local profile advertises %q, want the media address", any.Host)
	}
	if a := f.h323Advertise(netip.MustParseAddrPort("127.0.0.2:1720")); a.IsValid() {
		t.Errorf("lan h323 advertise %v, want none (the address the peer reached)", a)
	}
	if a := f.h323Advertise(netip.MustParseAddrPort("127.0.0.3:1720")); a != netip.MustParseAddr("127.0.0.9") {
		t.Errorf("internet h323 advertise %v", a)
	}
}

// A profile's keepalive: while the meeting sends the room system no video, the video
// stream carries filler-data packets (which decoders discard) to keep its NAT binding.
func TestVideoKeepalive(t *testing.T) {
	rc := testRoomCall(t)
	room := udpPeer(t)
	plan := testPlan(nil, nil, false)
	plan.Streams[0].Remote = netip.MustParseAddrPort("127.0.0.1:9")
	plan.Streams[1].Remote = udpAddr(room)
	if err := rc.start(plan, mediaOptions{Timeout: time.Hour, Keepalive: time.Millisecond}, nil, nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	var seqs []uint16
	for len(seqs) < 2 {
		room.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := room.Read(buf)
		if err != nil {
			t.Fatalf("no keep-alive on the video stream: %v", err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil || p.PayloadType != 96 || !bytes.Equal(p.Payload, fillerNAL) {
			t.Fatalf("video packet %+v (err %v): want a filler-data NAL on PT 96", p, err)
		}
		seqs = append(seqs, p.SequenceNumber)
	}
	if seqs[1] != seqs[0]+1 {
		t.Errorf("keep-alive sequence numbers %v do not follow each other", seqs)
	}
}
