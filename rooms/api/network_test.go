package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
)

type fakeNetworks map[string]Network

func (f fakeNetworks) Network(identity string) (Network, bool) {
	n, ok := f[identity]
	return n, ok
}

func TestParticipantListNetwork(t *testing.T) {
	ps := []*livekit.ParticipantInfo{
		{Identity: "sip-abc", Name: "Room 1", Metadata: `{"kind":"sip","vendor":"Poly"}`},
		{Identity: "web-1", Name: "Ann", Metadata: `{"kind":"web"}`},
		{Identity: "h323-x", Name: "Room 2", Metadata: `{"kind":"h323"}`},
	}
	nets := fakeNetworks{
		"sip-abc": {Profile: "internet", ALGSuspected: true, ALGReason: "contact rewritten",
			Signalling: NetAddresses{Signalled: "10.1.0.2:5060", Observed: "203.0.113.1:5060"},
			Media:      map[string]MediaNetwork{"audio": {Signalled: "10.1.0.2:4000", Observed: "203.0.113.1:4000", Latched: true}},
			RX:         Traffic{Packets: 50, Lost: 1, JitterMs: 2.5}},
		"web-1": {Profile: "never shown"},
	}
	list := participantList(ps, "web-1", nets)
	if list[0].Network == nil || list[0].Network.Profile != "internet" {
		t.Fatalf("room system without its network: %+v", list[0])
	}
	if list[1].Network != nil {
		t.Fatalf("a browser participant got a network object: %+v", list[1].Network)
	}
	if list[2].Network != nil {
		t.Fatalf("a room system without a live call got a network object")
	}
	b, err := json.Marshal(list[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"network":{"profile":"internet"`, `"signalling":{"signalled":"10.1.0.2:5060","observed":"203.0.113.1:5060"}`,
		`"audio":{"signalled":"10.1.0.2:4000","observed":"203.0.113.1:4000","latched":true`, `"alg_suspected":true`, `"alg_reason":"contact rewritten"`,
		`"rx":{"packets":50,"lost":1,"jitter_ms":2.5}`, `"tx":{"packets":0,"lost":0,"jitter_ms":0}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s\nlacks %s", b, want)
		}
	}
	// Not a host: no diagnostics at all.
	for _, p := range participantList(ps, "web-1", nil) {
		if p.Network != nil {
			t.Fatalf("network shown without hosts' rights: %+v", p)
		}
	}
}
