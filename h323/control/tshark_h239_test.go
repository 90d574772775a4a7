package control

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// TestH239DissectsCleanly records the H.245 messages of a call with dual
// video (capability sets with H.239, content channels both ways, token
// request, grant, denial, release, revoke, flow control release) in a
// capture file and checks with tshark that none is malformed or draws an
// expert warning, and that tshark names each H.239 sub-message as we
// meant it.
func TestH239DissectsCleanly(t *testing.T) {
	gwAddr, epAddr := netip.MustParseAddrPort("192.0.2.10:41000"), netip.MustParseAddrPort("192.0.2.20:30000")
	c := pdutest.NewCapture()
	want := map[int]string{}    // frame: H.245 message name
	want239 := map[int]string{} // frame: H.239 sub-message
	gw, ep := pair(t)
	record := func(src, dst netip.AddrPort) func([]byte) {
		return func(pdu []byte) {
			frame, err := (&tpkt.Packet{Payload: pdu}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			n := c.TCP(t, src, dst, frame)
			m := decoded(t, pdu)
			want[n] = msgName(roundTrip(t, m))
			if g, ok := h239.Find(m); ok {
				x, err := h239.Parse(g)
				if err != nil {
					t.Fatal(err)
				}
				want239[n] = x.Kind.String()
			}
		}
	}
	gw.tap, ep.tap = record(gwAddr, epAddr), record(epAddr, gwAddr)
	connect(t, gw, ep)
	steps := []func(){
		func() { _ = gw.s.RequestToken(t0) },
		func() { _ = gw.s.ReleaseToken(t0) },
		func() { _ = ep.s.RequestToken(t0) },
		func() { _ = gw.s.RevokeToken(t0) },
		func() { ep.deny = true; _ = gw.s.RequestToken(t0) },
		func() { _ = ep.s.ReleaseToken(t0); _ = gw.s.ReleaseToken(t0) },
	}
	for _, step := range steps {
		step()
		wire(t, t0, gw, ep)
	}
	// flowControlReleaseRequest from the endpoint, and the answer.
	fcr, err := h239.Message{Kind: h239.FlowControlReleaseRequest, ChannelID: 3, BitRate: 10000}.MultimediaSystemControlMessage()
	if err != nil {
		t.Fatal(err)
	}
	gw.s.Handle(t0, deliver(t, ep, &fcr))
	wire(t, t0, gw, ep)
	ep.s.End()
	wire(t, t0, gw, ep)

	path := filepath.Join(t.TempDir(), "h239.pcap")
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
		// tshark puts the H.239 sub-message's name before the H.245
		// alternative: "presentationTokenRequestgenericRequest".
		w = want239[r.Frame] + w
		if got := strings.TrimSpace(r.Info); got != w && !strings.HasPrefix(got, w+" (") {
			t.Errorf("frame %d: tshark says %q, want %s", r.Frame, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("tshark showed %d of %d messages", seen, len(want))
	}
	kinds := map[string]bool{}
	for _, w := range want239 {
		kinds[w] = true
	}
	for k := h239.FlowControlReleaseRequest; k <= h239.PresentationTokenIndicateOwner; k++ {
		if !kinds[k.String()] {
			t.Errorf("no %s in the capture", k)
		}
	}
	t.Logf("%d H.245 messages, %d of them H.239, dissected cleanly", seen, len(want239))
}
