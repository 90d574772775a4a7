package control

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/h323/tpkt"
	"github.com/roomgate/roomgate/transcode/media"
)

// TestCallDissectsCleanly records every message of a whole simulated call
// (capability exchange, MSD, channels both ways, commands, hold and resume,
// round trips, close, end) in a capture file, one TPKT each, and checks
// with tshark, an independent decoder, that each is the H.245 message we
// meant, not malformed, without expert warnings or errors.
func TestCallDissectsCleanly(t *testing.T) {
	gwAddr, epAddr := netip.MustParseAddrPort("192.0.2.10:41000"), netip.MustParseAddrPort("192.0.2.20:30000")
	c := pdutest.NewCapture()
	want := map[int]string{}
	gw, ep := pair(t)
	record := func(src, dst netip.AddrPort) func([]byte) {
		return func(pdu []byte) {
			frame, err := (&tpkt.Packet{Payload: pdu}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			want[c.TCP(t, src, dst, frame)] = msgName(roundTrip(t, decoded(t, pdu)))
		}
	}
	gw.tap, ep.tap = record(gwAddr, epAddr), record(epAddr, gwAddr)
	// fastStart proposals and answers, each an OpenLogicalChannel, shown
	// to tshark as H.245 requests.
	props, ans := fastStartBetween(t, ep.local, gw.local)
	for i, b := range append(props, ans.OLCs...) {
		var olc h245.OpenLogicalChannel
		if err := olc.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		pdu, err := h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if i < len(props) {
			ep.tap(pdu)
		} else {
			gw.tap(pdu)
		}
	}
	connect(t, gw, ep)
	now := t0.Add(time.Second)
	_ = gw.s.RequestFastUpdate(media.RoleMain)
	_ = ep.s.LimitBitrate(media.RoleMain, 768_000)
	_ = ep.s.LimitBitrate(media.RoleAudio, 0)
	gw.s.SendUserInput("12#", 120*time.Millisecond)
	ep.s.SendUserInput("text", 0)
	wire(t, now, gw, ep)
	ep.s.Hold(now)
	wire(t, now, gw, ep)
	ep.s.Resume(now)
	wire(t, now, gw, ep)
	d, _ := gw.s.NextDeadline()
	gw.s.Tick(d)
	wire(t, d, gw, ep)
	_ = ep.s.RequestChannelClose(media.RoleAudio)
	wire(t, d, gw, ep)
	ep.s.End()
	wire(t, d, gw, ep)

	path := filepath.Join(t.TempDir(), "call.pcap")
	c.Write(t, path)
	rows := pdutest.Tshark(t, path, "-d", "tcp.port==30000,h245")
	seen := 0
	for _, r := range rows {
		if r.Malformed || r.ExpertErrorOrWarning() {
			t.Errorf("frame %d: malformed %v expert %q: %s", r.Frame, r.Malformed, r.Severities, r.Info)
		}
		w, ok := want[r.Frame]
		if !ok {
			continue
		}
		seen++
		if got := strings.TrimSpace(r.Info); got != w && !strings.HasPrefix(got, w+" (") {
			t.Errorf("frame %d: tshark says %q, want %s", r.Frame, got, w)
		}
	}
	if seen != len(want) || seen < 40 {
		t.Errorf("tshark showed %d of %d messages", seen, len(want))
	}
	t.Logf("%d H.245 messages dissected cleanly", seen)
}
