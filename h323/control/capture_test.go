package control

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/transcode/media"
)

// The calling side of ../shared/captures/ndpi__h323.pcap is Callgen323
// (OpenH323) at 10.1.3.143; it called without fastStart, so its H.245
// OpenLogicalChannel (frame 38) stands in for a fastStart proposal: it has
// the same form (H.323 §8.1.7.1), and OpenH323 builds both alike.

func captured(t *testing.T, frame int) *h245.MultimediaSystemControlMessage {
	t.Helper()
	p := pdutest.Frame(t, "ndpi__h323.pcap", frame)
	var m h245.MultimediaSystemControlMessage
	if err := m.Unmarshal(p.Data); err != nil {
		t.Fatalf("frame %d: %v", frame, err)
	}
	return &m
}

func TestCaptureCallgen323Caps(t *testing.T) {
	m := captured(t, 29)
	rc, err := ParseTCS(m.Request.TerminalCapabilitySet)
	if err != nil {
		t.Fatal(err)
	}
	c := Choose(rc, DefaultCaps())
	if c.Audio == nil || c.Audio.Codec != media.PCMA || c.Audio.Frames != 240 {
		t.Errorf("audio choice %+v, want Callgen323's only codec, G.711 A-law (240 frames)", c.Audio)
	}
	if c.Video != nil || c.VideoReason != "the remote offers no video" {
		t.Errorf("video %+v reason %q", c.Video, c.VideoReason)
	}
	if rc.PacketizationMode1 || rc.RTCPVideoControl {
		t.Errorf("flags from Callgen323's H2250Capability: %+v", rc)
	}
}

func TestCaptureCallgen323OLCAsFastStart(t *testing.T) {
	olc := captured(t, 38).Request.OpenLogicalChannel
	b, err := olc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	local := localAt("127.0.0.1", 4000)
	fs, err := AnswerFastStart([][]byte{b}, DefaultCaps(), local)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs.Channels) != 1 {
		t.Fatalf("channels %+v", fs.Channels)
	}
	ch := fs.Channels[0]
	wantRTCP := netip.MustParseAddrPort("10.1.3.143:5001")
	if ch.Outgoing || ch.Codec != media.PCMA || ch.Number != 101 || ch.RemoteRTCP != wantRTCP {
		t.Errorf("channel %+v, want Callgen323's channel 101 to us, PCMA, RTCP %v", ch, wantRTCP)
	}
	var ans h245.OpenLogicalChannel
	if err := ans.Unmarshal(fs.OLCs[0]); err != nil {
		t.Fatal(err)
	}
	h := ans.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters
	if rtp, err := h.MediaChannel.AddrPort(); err != nil || rtp != local.RTP(media.RoleAudio) {
		t.Errorf("answer mediaChannel %v %v, want %v", rtp, err, local.RTP(media.RoleAudio))
	}
	a, ok := fs.Plan.Stream(media.RoleAudio)
	if !ok || a.Direction != media.RecvOnly || a.RemoteRTCP != wantRTCP || a.PT != 8 {
		t.Errorf("plan %+v", fs.Plan)
	}
}

// TestCaptureCallgen323Requests feeds Callgen323's requests (TCS, MSD,
// OLC) to a gateway session, as the capture-driven peer will.
func TestCaptureCallgen323Requests(t *testing.T) {
	s := New(Config{Local: localAt("127.0.0.1", 4000), Rand: seeded(3), RTDInterval: -1})
	s.Start(t0)
	s.Drain(nil)
	for _, f := range []int{29, 30, 38} {
		s.Handle(t0, captured(t, f))
	}
	outs := s.Drain(nil)
	var sent []string
	var ic *IncomingChannel
	for _, o := range outs {
		if o.Msg != nil {
			sent = append(sent, msgName(o.Msg))
		}
		if x, ok := o.Event.(IncomingChannel); ok {
			ic = &x
		}
	}
	for _, want := range []string{"terminalCapabilitySetAck", "masterSlaveDeterminationAck"} {
		if !slices.Contains(sent, want) {
			t.Errorf("sent %v, lacks %s", sent, want)
		}
	}
	if ic == nil || ic.Codec != media.PCMA || ic.Number != 101 || ic.Role != media.RoleAudio {
		t.Fatalf("incoming channel %+v", ic)
	}
	// The MSD Ack tells Callgen323 (terminal type 50) it is slave.
	for _, o := range outs {
		if o.Msg != nil && o.Msg.Response != nil && o.Msg.Response.MasterSlaveDeterminationAck != nil {
			if o.Msg.Response.MasterSlaveDeterminationAck.Decision.Slave == nil {
				t.Error("Callgen323 told it is master")
			}
		}
	}
}
