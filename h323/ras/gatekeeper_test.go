package ras

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
)

const (
	roomA = "127.0.0.2"
	roomB = "127.0.0.3"
	other = "127.0.0.9"
)

type gkCase struct {
	name string
	mut  func(*Config)
	run  func(tg *testGK) *h225.RasMessage
	want string
}

func runCases(t *testing.T, cases []gkCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := newTestGK(t, c.mut)
			if got := describe(c.run(tg)); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestGRQ(t *testing.T) {
	ep := endpoint(roomA, h323ID("room-a"))
	runCases(t, []gkCase{
		{name: "idle->GRQ->GCF", want: "gatekeeperConfirm", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", ep.GatekeeperRequest(1))
		}},
		{name: "idle->GRQ(our id)->GCF", want: "gatekeeperConfirm", run: func(tg *testGK) *h225.RasMessage {
			m := ep.GatekeeperRequest(1)
			m.GatekeeperRequest.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier("gk-test"))
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "idle->GRQ(other gatekeeper)->silence", want: "none", run: func(tg *testGK) *h225.RasMessage {
			m := ep.GatekeeperRequest(1)
			m.GatekeeperRequest.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier("elsewhere"))
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "idle->GRQ(bad protocol)->GRJ", want: "gatekeeperReject/invalidRevision", run: func(tg *testGK) *h225.RasMessage {
			m := ep.GatekeeperRequest(1)
			m.GatekeeperRequest.ProtocolIdentifier = h225.ProtocolIdentifier{0, 0, 8, 2250, 1, 7}
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "full->GRQ->GRJ", want: "gatekeeperReject/resourceUnavailable",
			mut: func(c *Config) { c.Limits.MaxRegistrations = 1 },
			run: func(tg *testGK) *h225.RasMessage {
				tg.register(roomB, endpoint(roomB, h323ID("room-b")), 1)
				return tg.exchange(roomA+":1719", ep.GatekeeperRequest(1))
			}},
	})
}

func TestRRQ(t *testing.T) {
	rrq := func(ep *h225.RASEndpoint, seq int64) *h225.RasMessage { return ep.RegistrationRequest(seq, false, 60) }
	runCases(t, []gkCase{
		{name: "idle->RRQ->registered", want: "registrationConfirm", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", rrq(endpoint(roomA, h323ID("room-a"), digits("1001")), 1))
		}},
		{name: "idle->RRQ(no aliases)->registered", want: "registrationConfirm", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", rrq(endpoint(roomA), 1))
		}},
		{name: "idle->RRQ(bad protocol)->RRJ", want: "registrationReject/invalidRevision", run: func(tg *testGK) *h225.RasMessage {
			m := rrq(endpoint(roomA, h323ID("a")), 1)
			m.RegistrationRequest.ProtocolIdentifier = h225.ProtocolIdentifier{1, 2, 3}
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "idle->RRQ(other gatekeeper)->RRJ", want: "registrationReject/discoveryRequired", run: func(tg *testGK) *h225.RasMessage {
			m := rrq(endpoint(roomA, h323ID("a")), 1)
			m.RegistrationRequest.GatekeeperIdentifier = ptr(h225.GatekeeperIdentifier("elsewhere"))
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "idle->RRQ(no discovery, required)->RRJ", want: "registrationReject/discoveryRequired",
			mut: func(c *Config) { c.RequireDiscovery = true },
			run: func(tg *testGK) *h225.RasMessage {
				return tg.exchange(roomA+":1719", rrq(endpoint(roomA, h323ID("a")), 1))
			}},
		{name: "idle->RRQ(discoveryComplete, required)->registered", want: "registrationConfirm",
			mut: func(c *Config) { c.RequireDiscovery = true },
			run: func(tg *testGK) *h225.RasMessage {
				m := rrq(endpoint(roomA, h323ID("a")), 1)
				m.RegistrationRequest.DiscoveryComplete = true
				return tg.exchange(roomA+":1719", m)
			}},
		{name: "idle->RRQ(call signal port 0)->RRJ", want: "registrationReject/invalidCallSignalAddress", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			ep.CallSignal = ta(roomA + ":0")
			return tg.exchange(roomA+":1719", rrq(ep, 1))
		}},
		{name: "idle->RRQ(no call signal address)->RRJ", want: "registrationReject/invalidCallSignalAddress", run: func(tg *testGK) *h225.RasMessage {
			m := rrq(endpoint(roomA, h323ID("a")), 1)
			m.RegistrationRequest.CallSignalAddress = []h225.TransportAddress{}
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "idle->RRQ(too many call signal addresses)->RRJ", want: "registrationReject/invalidCallSignalAddress", run: func(tg *testGK) *h225.RasMessage {
			m := rrq(endpoint(roomA, h323ID("a")), 1)
			m.RegistrationRequest.CallSignalAddress = slices.Repeat(m.RegistrationRequest.CallSignalAddress, maxAddresses+1)
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "idle->RRQ(multicast RAS address)->RRJ", want: "registrationReject/invalidRASAddress", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			ep.RAS = ta("224.0.1.41:1718")
			return tg.exchange(roomA+":1719", rrq(ep, 1))
		}},
		{name: "idle->RRQ(17 aliases)->RRJ", want: "registrationReject/invalidAlias", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA)
			for i := range 17 {
				ep.Aliases = append(ep.Aliases, digits(fmt.Sprintf("10%02d", i)))
			}
			return tg.exchange(roomA+":1719", rrq(ep, 1))
		}},
		{name: "idle->RRQ(meeting ID alias)->RRJ", want: "registrationReject/duplicateAlias", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", rrq(endpoint(roomA, h323ID("a"), digits("123456789")), 1))
		}},
		{name: "idle->RRQ(additive)->RRJ", want: "registrationReject/additiveRegistrationNotSupported", run: func(tg *testGK) *h225.RasMessage {
			m := rrq(endpoint(roomA, h323ID("a")), 1)
			m.RegistrationRequest.AdditiveRegistration = &struct{}{}
			return tg.exchange(roomA+":1719", m)
		}},
		{name: "registered->RRQ(same alias, other endpoint)->RRJ", want: "registrationReject/duplicateAlias", run: func(tg *testGK) *h225.RasMessage {
			tg.register(roomA, endpoint(roomA, h323ID("Room")), 1)
			return tg.exchange(roomB+":1719", rrq(endpoint(roomB, h323ID("room")), 1))
		}},
		{name: "registered->RRQ(same endpoint, new aliases)->updated", want: "registrationConfirm", run: func(tg *testGK) *h225.RasMessage {
			id := tg.register(roomA, endpoint(roomA, h323ID("old")), 1)
			ans := tg.exchange(roomA+":1719", rrq(endpoint(roomA, h323ID("new")), 2))
			regs := tg.Registrations()
			if len(regs) != 1 || regs[0].EndpointID != id || regs[0].Aliases[0].Value != "new" {
				tg.t.Errorf("registrations after re-registration: %+v", regs)
			}
			if k := tg.kinds(); !slices.Equal(k, []string{"registered", "updated"}) {
				tg.t.Errorf("changes %v", k)
			}
			return ans
		}},
		{name: "registered->keepalive->refreshed", want: "registrationConfirm", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			tg.clock.Advance(50 * time.Second)
			ka := ep.RegistrationRequest(2, true, 60)
			ka.RegistrationRequest.TerminalAlias = nil
			ans := tg.exchange(roomA+":1719", ka)
			tg.clock.Advance(50 * time.Second) // past the first time to live
			if _, ok := tg.Lookup("a"); !ok {
				tg.t.Error("keepalive did not refresh the registration")
			}
			if ans.RegistrationConfirm != nil && ans.RegistrationConfirm.TerminalAlias != nil {
				tg.t.Error("keepalive answered with the aliases")
			}
			return ans
		}},
		{name: "idle->keepalive(unknown id)->RRJ", want: "registrationReject/fullRegistrationRequired", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			ep.ID = "nobody"
			return tg.exchange(roomA+":1719", ep.RegistrationRequest(1, true, 60))
		}},
		{name: "registered->keepalive(from another IP)->RRJ", want: "registrationReject/fullRegistrationRequired", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			return tg.exchange(other+":1719", ep.RegistrationRequest(2, true, 60))
		}},
		{name: "source at its cap->RRQ->RRJ", want: "registrationReject/resourceUnavailable",
			mut: func(c *Config) { c.Limits.RegistrationsPerSource = 1 },
			run: func(tg *testGK) *h225.RasMessage {
				tg.register(roomA, endpoint(roomA, h323ID("a")), 1)
				ep := endpoint(roomA, h323ID("b"))
				ep.CallSignal = ta(roomA + ":1721")
				return tg.exchange(roomA+":1719", rrq(ep, 2))
			}},
		{name: "gatekeeper full->RRQ->RRJ", want: "registrationReject/resourceUnavailable",
			mut: func(c *Config) { c.Limits.MaxRegistrations = 1 },
			run: func(tg *testGK) *h225.RasMessage {
				tg.register(roomA, endpoint(roomA, h323ID("a")), 1)
				return tg.exchange(roomB+":1719", rrq(endpoint(roomB, h323ID("b")), 1))
			}},
	})
}

func TestRRQRecordsEndpoint(t *testing.T) {
	tg := newTestGK(t, nil)
	ep := endpoint(roomA, h323ID("Room A"), digits("1001"))
	ep.CallSignal = ta("10.1.2.3:1720") // behind NAT: the private address is replaced
	ep.Type = h225.EndpointType{Terminal: &h225.TerminalInfo{}}
	tg.exchange(roomA+":4000", ep.RegistrationRequest(1, false, 5))
	r, ok := tg.Lookup("1001")
	if !ok {
		t.Fatal("not registered")
	}
	want := Vendor{T35CountryCode: 0xB5, ManufacturerCode: 0x2331, Product: "Polycom HDX 8000", Version: "Release 3.1.0"}
	if r.Vendor != want || r.Type != "terminal" || r.ProtocolVersion != h225.ProtocolVersion {
		t.Errorf("recorded %+v", r)
	}
	if r.CallSignal[0] != netip.MustParseAddrPort(roomA+":1720") || r.Source != netip.MustParseAddrPort(roomA+":4000") {
		t.Errorf("addresses %v from %v", r.CallSignal, r.Source)
	}
	if r.TTL != 30*time.Second { // asked 5 s, MinTTL 30 s
		t.Errorf("TTL %v", r.TTL)
	}
	for _, q := range []string{"h323-ID:room a", "Room A", "dialledDigits:1001"} {
		if _, ok := tg.Lookup(q); !ok {
			t.Errorf("Lookup(%q) failed", q)
		}
	}
	if _, ok := tg.Lookup("h323-ID:1001"); ok {
		t.Error("Lookup by the wrong kind succeeded")
	}
}

func TestTTLClamp(t *testing.T) {
	for _, c := range []struct {
		asked int64
		want  time.Duration
	}{{0, 300 * time.Second}, {1, 30 * time.Second}, {120, 120 * time.Second}, {1 << 31, time.Hour}} {
		tg := newTestGK(t, nil)
		ans := tg.exchange(roomA+":1719", endpoint(roomA, h323ID("a")).RegistrationRequest(1, false, c.asked))
		if got := time.Duration(*ans.RegistrationConfirm.TimeToLive) * time.Second; got != c.want {
			t.Errorf("asked %d s: granted %v, want %v", c.asked, got, c.want)
		}
	}
}

func TestURQ(t *testing.T) {
	runCases(t, []gkCase{
		{name: "registered->URQ->unregistered", want: "unregistrationConfirm", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			ans := tg.exchange(roomA+":1719", ep.UnregistrationRequest(2))
			if _, ok := tg.Lookup("a"); ok {
				tg.t.Error("still registered")
			}
			if k := tg.kinds(); !slices.Equal(k, []string{"registered", "unregistered"}) {
				tg.t.Errorf("changes %v", k)
			}
			return ans
		}},
		{name: "registered->URQ(by call signal address)->unregistered", want: "unregistrationConfirm", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			ep.ID = ""
			return tg.exchange(roomA+":1719", ep.UnregistrationRequest(2))
		}},
		{name: "idle->URQ->URJ", want: "unregistrationReject/notCurrentlyRegistered", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", endpoint(roomA, h323ID("a")).UnregistrationRequest(1))
		}},
		{name: "registered->URQ(from another IP)->URJ", want: "unregistrationReject/permissionDenied", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			return tg.exchange(other+":1719", ep.UnregistrationRequest(2))
		}},
	})
}

func call() *h225.Call {
	g := h225.GloballyUniqueID("0123456789abcdef")
	return &h225.Call{CallID: g, ConferenceID: h225.ConferenceIdentifier(g)}
}

func TestARQ(t *testing.T) {
	arq := func(tg *testGK, dest ...h225.AliasAddress) *h225.RasMessage {
		ep := endpoint(roomA, h323ID("a"))
		tg.register(roomA, ep, 1)
		tg.register(roomB, endpoint(roomB, h323ID("b"), digits("2002")), 1)
		return tg.exchange(roomA+":1719", ep.AdmissionRequest(2, 7, call(), dest, false, 20000))
	}
	dest := func(ans *h225.RasMessage) string {
		if ans.AdmissionConfirm == nil {
			return ""
		}
		ap, _ := ans.AdmissionConfirm.DestCallSignalAddress.AddrPort()
		return ap.String()
	}
	runCases(t, []gkCase{
		{name: "registered->ARQ(registered alias)->ACF", want: "admissionConfirm", run: func(tg *testGK) *h225.RasMessage {
			ans := arq(tg, digits("2002"))
			if d := dest(ans); d != roomB+":1720" {
				tg.t.Errorf("destination %s", d)
			}
			return ans
		}},
		{name: "registered->ARQ(meeting ID)->ACF to the gateway", want: "admissionConfirm", run: func(tg *testGK) *h225.RasMessage {
			ans := arq(tg, digits("123456789#654321"))
			if d := dest(ans); d != gatewayCS.String() {
				tg.t.Errorf("destination %s", d)
			}
			return ans
		}},
		{name: "registered->ARQ(unknown alias)->ARJ", want: "admissionReject/calledPartyNotRegistered", run: func(tg *testGK) *h225.RasMessage {
			return arq(tg, h323ID("nobody"))
		}},
		{name: "registered->ARQ(no destination)->ARJ", want: "admissionReject/incompleteAddress", run: func(tg *testGK) *h225.RasMessage {
			return arq(tg)
		}},
		{name: "registered->ARQ(by address)->ACF", want: "admissionConfirm", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			m := ep.AdmissionRequest(2, 7, call(), nil, false, 20000)
			m.AdmissionRequest.DestCallSignalAddress = ptr(ta("127.0.0.5:1720"))
			ans := tg.exchange(roomA+":1719", m)
			if d := dest(ans); d != "127.0.0.5:1720" {
				tg.t.Errorf("destination %s", d)
			}
			return ans
		}},
		{name: "registered->ARQ(answerCall)->ACF", want: "admissionConfirm", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			ans := tg.exchange(roomA+":1719", ep.AdmissionRequest(2, 7, call(), nil, true, 4000000000))
			if ans.AdmissionConfirm != nil && ans.AdmissionConfirm.BandWidth != 100000 {
				tg.t.Errorf("bandwidth %d not capped", ans.AdmissionConfirm.BandWidth)
			}
			return ans
		}},
		{name: "idle->ARQ->ARJ", want: "admissionReject/callerNotRegistered", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			ep.ID = "unknown"
			return tg.exchange(roomA+":1719", ep.AdmissionRequest(1, 7, call(), []h225.AliasAddress{digits("123456789")}, false, 100))
		}},
		{name: "registered->ARQ(from another IP)->ARJ", want: "admissionReject/callerNotRegistered", run: func(tg *testGK) *h225.RasMessage {
			ep := endpoint(roomA, h323ID("a"))
			tg.register(roomA, ep, 1)
			return tg.exchange(other+":1719", ep.AdmissionRequest(2, 7, call(), []h225.AliasAddress{digits("123456789")}, false, 100))
		}},
	})
}

func TestDRQBRQIRR(t *testing.T) {
	registered := func(tg *testGK) *h225.RASEndpoint {
		ep := endpoint(roomA, h323ID("a"))
		tg.register(roomA, ep, 1)
		return ep
	}
	brq := func(ep *h225.RASEndpoint, bw int64) *h225.RasMessage {
		return &h225.RasMessage{BandwidthRequest: &h225.BandwidthRequest{RequestSeqNum: 3, EndpointIdentifier: ep.ID,
			ConferenceID: h225.ConferenceIdentifier(call().CallID), CallReferenceValue: 7, BandWidth: h225.BandWidth(bw)}}
	}
	stranger := func() *h225.RASEndpoint {
		ep := endpoint(roomA)
		ep.ID = "nobody"
		return ep
	}
	irr := func(ep *h225.RASEndpoint, need bool) *h225.RasMessage {
		m := ep.InfoRequestResponse(4, true)
		m.InfoRequestResponse.NeedResponse = &need
		return m
	}
	runCases(t, []gkCase{
		{name: "registered->DRQ->DCF", want: "disengageConfirm", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", registered(tg).DisengageRequest(2, 7, call(), true))
		}},
		{name: "idle->DRQ->DRJ", want: "disengageReject/notRegistered", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", stranger().DisengageRequest(2, 7, call(), true))
		}},
		{name: "registered->BRQ->BCF", want: "bandwidthConfirm", run: func(tg *testGK) *h225.RasMessage {
			ans := tg.exchange(roomA+":1719", brq(registered(tg), 4000000000))
			if ans.BandwidthConfirm != nil && ans.BandwidthConfirm.BandWidth != 100000 {
				tg.t.Errorf("bandwidth %d not capped", ans.BandwidthConfirm.BandWidth)
			}
			return ans
		}},
		{name: "idle->BRQ->BRJ", want: "bandwidthReject/notBound", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", brq(stranger(), 100))
		}},
		{name: "registered->IRR(needResponse)->IACK", want: "infoRequestAck", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", irr(registered(tg), true))
		}},
		{name: "idle->IRR(needResponse)->INAK", want: "infoRequestNak/notRegistered", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", irr(stranger(), true))
		}},
		{name: "registered->IRR->silence", want: "none", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", irr(registered(tg), false))
		}},
		{name: "idle->RAI->RAC", want: "resourcesAvailableConfirm", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", &h225.RasMessage{ResourcesAvailableIndicate: &h225.ResourcesAvailableIndicate{
				RequestSeqNum: 5, ProtocolIdentifier: h225.NewProtocolIdentifier(), EndpointIdentifier: "x",
				Protocols: []h225.SupportedProtocols{}}})
		}},
		{name: "idle->IRQ->XRS", want: "unknownMessageResponse", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", (&h225.Gatekeeper{}).InfoRequest(6, 0, nil))
		}},
		{name: "idle->GCF->silence", want: "none", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", (&h225.Gatekeeper{RAS: ta(roomA + ":1719")}).GatekeeperConfirm(1))
		}},
		{name: "idle->XRS->silence", want: "none", run: func(tg *testGK) *h225.RasMessage {
			return tg.exchange(roomA+":1719", h225.NotUnderstood(1))
		}},
	})
}

func TestLRQ(t *testing.T) {
	lrq := func(tg *testGK, from string, dest h225.AliasAddress) *h225.RasMessage {
		tg.register(roomB, endpoint(roomB, h323ID("b")), 1)
		return tg.exchange(from+":1719", endpoint(from).LocationRequest(2, []h225.AliasAddress{dest}))
	}
	runCases(t, []gkCase{
		{name: "LRQ(meeting ID) from anybody->LCF", want: "locationConfirm", run: func(tg *testGK) *h225.RasMessage {
			ans := lrq(tg, other, digits("987654321"))
			if ap, _ := ans.LocationConfirm.CallSignalAddress.AddrPort(); ap != gatewayCS {
				tg.t.Errorf("call signal address %v", ap)
			}
			return ans
		}},
		{name: "LRQ(registered) from a registered endpoint->LCF", want: "locationConfirm", run: func(tg *testGK) *h225.RasMessage {
			tg.register(roomA, endpoint(roomA, h323ID("a")), 1)
			ans := lrq(tg, roomA, h323ID("b"))
			if ap, _ := ans.LocationConfirm.CallSignalAddress.AddrPort(); ap.String() != roomB+":1720" {
				tg.t.Errorf("call signal address %v", ap)
			}
			return ans
		}},
		{name: "LRQ(registered) from a stranger->LRJ", want: "locationReject/requestDenied", run: func(tg *testGK) *h225.RasMessage {
			return lrq(tg, other, h323ID("b"))
		}},
		{name: "LRQ(registered) from an allowed network->LCF", want: "locationConfirm",
			mut: func(c *Config) { c.LocateFrom = []netip.Prefix{netip.MustParsePrefix(other + "/32")} },
			run: func(tg *testGK) *h225.RasMessage { return lrq(tg, other, h323ID("b")) }},
		{name: "LRQ(unknown)->LRJ", want: "locationReject/notRegistered", run: func(tg *testGK) *h225.RasMessage {
			return lrq(tg, roomB, h323ID("nobody"))
		}},
	})
}

func TestRetransmissionIsIdempotent(t *testing.T) {
	tg := newTestGK(t, nil)
	b, _ := endpoint(roomA, h323ID("a")).RegistrationRequest(1, false, 60).Marshal()
	src := netip.MustParseAddrPort(roomA + ":1719")
	first := tg.datagram(b, src)
	again := tg.datagram(b, src)
	if first == nil || string(first) != string(again) {
		t.Fatalf("retransmitted RRQ answered differently")
	}
	if n := len(tg.Registrations()); n != 1 {
		t.Errorf("%d registrations", n)
	}
	if s := tg.Stats(); s.Retransmits != 1 {
		t.Errorf("stats %+v", s)
	}
	// A new request with the next sequence number is processed again (an
	// update of the same endpoint, which keeps its identifier).
	b2, _ := endpoint(roomA, h323ID("a")).RegistrationRequest(2, false, 60).Marshal()
	if r := tg.datagram(b2, src); r == nil || string(r) == string(first) {
		t.Errorf("next request not answered afresh")
	}
	tg.flush()
	if k := tg.kinds(); !slices.Equal(k, []string{"registered", "updated"}) {
		t.Errorf("changes %v", k)
	}
}

func TestRateLimit(t *testing.T) {
	tg := newTestGK(t, func(c *Config) { c.Limits = Limits{RequestsPerSecond: 1, Burst: 3, Block: 10 * time.Second} })
	grq := endpoint(roomA).GatekeeperRequest
	for i := range 3 {
		if ans := tg.exchange(roomA+":1719", grq(int64(i+1))); ans == nil {
			t.Fatalf("request %d within the burst not answered", i+1)
		}
	}
	if ans := tg.exchange(roomA+":1719", grq(4)); ans != nil {
		t.Fatal("request over the rate answered")
	}
	if ans := tg.exchange(roomB+":1719", grq(1)); ans == nil {
		t.Fatal("another source suffered from the limit")
	}
	tg.clock.Advance(5 * time.Second)
	if ans := tg.exchange(roomA+":1719", grq(5)); ans != nil {
		t.Fatal("answered during the block period")
	}
	tg.clock.Advance(6 * time.Second)
	if ans := tg.exchange(roomA+":1719", grq(6)); ans == nil {
		t.Fatal("not answered after the block period")
	}
	if s := tg.Stats(); s.RateLimited != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestExpirySendsURQ registers over a real socket, lets the time to live
// run out and checks the registration is gone, OnChange was told and the
// endpoint got one URQ (ttlExpired) at the address its RRQ came from.
func TestExpirySendsURQ(t *testing.T) {
	tg := newTestGK(t, nil)
	p := newPeer(t, roomA, tg.Addr())
	ep := endpoint(roomA, h323ID("a"))
	p.send(ep.RegistrationRequest(1, false, 60))
	if ans := p.recv(); ans.RegistrationConfirm == nil {
		t.Fatalf("got %s", describe(ans))
	}
	tg.clock.Advance(69 * time.Second) // TTL 60 s + grace 10 s
	if _, ok := tg.Lookup("a"); !ok {
		t.Fatal("expired before TTL + grace")
	}
	tg.clock.Advance(time.Second)
	if _, ok := tg.Lookup("a"); ok {
		t.Fatal("still registered after TTL + grace")
	}
	urq := p.recv()
	if urq.UnregistrationRequest == nil || urq.UnregistrationRequest.Reason == nil ||
		urq.UnregistrationRequest.Reason.TtlExpired == nil {
		t.Fatalf("got %s", describe(urq))
	}
	if k := tg.kinds(); !slices.Equal(k, []string{"registered", "expired"}) {
		t.Errorf("changes %v", k)
	}
	// The endpoint's UCF is not answered.
	p.send((&h225.RASEndpoint{}).UnregistrationConfirm(int64(urq.UnregistrationRequest.RequestSeqNum)))
	p.send(endpoint(roomA).GatekeeperRequest(9))
	if ans := p.recv(); ans.GatekeeperConfirm == nil {
		t.Fatalf("got %s after UCF", describe(ans))
	}
}

// CallSignalFor gives each endpoint the gateway's address as its network sees it.
func TestCallSignalSplitHorizon(t *testing.T) {
	lan := netip.MustParseAddr("10.9.9.9")
	tg := newTestGK(t, func(c *Config) {
		c.CallSignalFor = func(src netip.AddrPort) netip.Addr {
			if src.Addr() == netip.MustParseAddr(roomA) {
				return lan
			}
			return netip.Addr{}
		}
	})
	ep := endpoint(roomA, h323ID("a"))
	tg.register(roomA, ep, 1)
	ans := tg.exchange(roomA+":1719", ep.AdmissionRequest(2, 7, call(), []h225.AliasAddress{digits("123456789")}, false, 100))
	if ans.AdmissionConfirm == nil {
		t.Fatalf("ARQ answered %+v", ans)
	}
	if ap, _ := ans.AdmissionConfirm.DestCallSignalAddress.AddrPort(); ap != netip.AddrPortFrom(lan, gatewayCS.Port()) {
		t.Errorf("ACF to %v, want the LAN address %v with the gateway's port", ap, lan)
	}
	lcf := tg.exchange(other+":1719", endpoint(other).LocationRequest(3, []h225.AliasAddress{digits("123456789")}))
	if lcf.LocationConfirm == nil {
		t.Fatalf("LRQ answered %+v", lcf)
	}
	if ap, _ := lcf.LocationConfirm.CallSignalAddress.AddrPort(); ap != gatewayCS {
		t.Errorf("LCF for another network %v, want the configured %v", ap, gatewayCS)
	}
}
