package control

import (
	"testing"

	"github.com/roomgate/roomgate/h323/h239"
)

// TestH239DissectsCleanly records the H.245 messages of a call with dual
// video (capability sets with H.239, content channels both ways, token
// request, grant, denial, release, revoke, flow control release) in a
// capture file and checks with tshark that none is malformed or draws an
// expert warning, and that tshark names each H.239 sub-message as we
// meant it.
func TestH239DissectsCleanly(t *testing.T) {
	gw, ep := pair(t)
	rec := recordCall(t, gw, ep)
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

	seen, want := rec.check(t), rec.want
	if seen != len(want) {
		t.Errorf("tshark showed %d of %d messages", seen, len(want))
	}
	kinds := map[string]bool{}
	for _, w := range rec.h239 {
		kinds[w] = true
	}
	for k := h239.FlowControlReleaseRequest; k <= h239.PresentationTokenIndicateOwner; k++ {
		if !kinds[k.String()] {
			t.Errorf("no %s in the capture", k)
		}
	}
	t.Logf("%d H.245 messages, %d of them H.239, dissected cleanly", seen, len(rec.h239))
}
