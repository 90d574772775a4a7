package control

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h239"
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
	gw, ep := pair(t)
	rec := recordCall(t, gw, ep)
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

	seen, want := rec.check(t), rec.want
	if seen != len(want) || seen < 40 {
		t.Errorf("tshark showed %d of %d messages", seen, len(want))
	}
	t.Logf("%d H.245 messages dissected cleanly", seen)
}

// recorder keeps a back-to-back call's H.245 messages in a capture, one
// TPKT each, the gateway at 192.0.2.10:41000 and the endpoint at
// 192.0.2.20:30000 (addresses in the capture only), and what each frame
// is: want has the H.245 alternative's name, preceded by the H.239
// sub-message's as tshark shows it ("presentationTokenRequestgenericRequest");
// h239 has the sub-message's name alone.
type recorder struct {
	c          *pdutest.Capture
	want, h239 map[int]string
}

func recordCall(t *testing.T, gw, ep *end) *recorder {
	r := &recorder{c: pdutest.NewCapture(), want: map[int]string{}, h239: map[int]string{}}
	gwAddr, epAddr := netip.MustParseAddrPort("192.0.2.10:41000"), netip.MustParseAddrPort("192.0.2.20:30000")
	tap := func(src, dst netip.AddrPort) func([]byte) {
		return func(pdu []byte) {
			frame, err := (&tpkt.Packet{Payload: pdu}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			n := r.c.TCP(t, src, dst, frame)
			m := decoded(t, pdu)
			r.want[n] = msgName(roundTrip(t, m))
			if g, ok := h239.Find(m); ok {
				x, err := h239.Parse(g)
				if err != nil {
					t.Fatal(err)
				}
				r.h239[n] = x.Kind.String()
				r.want[n] = x.Kind.String() + r.want[n]
			}
		}
	}
	gw.tap, ep.tap = tap(gwAddr, epAddr), tap(epAddr, gwAddr)
	return r
}

// check writes the capture, has tshark dissect it and checks every frame
// (dissected); it returns how many recorded frames tshark showed.
func (r *recorder) check(t *testing.T) int {
	path := filepath.Join(t.TempDir(), "call.pcap")
	r.c.Write(t, path)
	return dissected(t, pdutest.Tshark(t, path, "-d", "tcp.port==30000,h245"), r.want)
}

// dissected checks tshark's rows: none malformed or with an expert warning
// or error, each frame of want shown with that Info (tshark may add
// " (…)"). It returns how many frames of want tshark showed.
func dissected(t *testing.T, rows []pdutest.TsharkRow, want map[int]string) int {
	t.Helper()
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
	return seen
}
