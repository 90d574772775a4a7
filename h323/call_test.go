package h323

import (
	"context"
	"errors"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// callee is a Service that answers with a scripted handler and reports
// what it saw.
type callee struct {
	svc   *Service
	calls chan *InboundCall
	h245  chan *h245.MultimediaSystemControlMessage
}

type answerPlan struct {
	acceptFastStart bool // Connect with the first proposal
	reject          q931.CauseValue
	rejectReason    *h225.ReleaseCompleteReason
	noConnect       bool // Proceeding and Alerting only
}

func startCallee(t *testing.T, cfg Config, plan answerPlan) *callee {
	t.Helper()
	c := &callee{calls: make(chan *InboundCall, 4), h245: make(chan *h245.MultimediaSystemControlMessage, 16)}
	c.svc = startService(t, cfg, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		ic.SetEvents(Events{OnH245: func(m *h245.MultimediaSystemControlMessage) { c.h245 <- m }})
		c.calls <- ic
		if plan.reject != 0 {
			ic.Reject(plan.reject, plan.rejectReason)
			return
		}
		if err := ic.Proceeding(nil); err != nil {
			t.Errorf("Proceeding: %v", err)
		}
		if err := ic.Alerting(nil); err != nil {
			t.Errorf("Alerting: %v", err)
		}
		if plan.noConnect {
			<-ctx.Done()
			return
		}
		var fs [][]byte
		if plan.acceptFastStart && len(ic.FastStart) > 0 {
			fs = ic.FastStart[:1]
		}
		if err := ic.Connect(fs); err != nil {
			t.Errorf("Connect: %v", err)
		}
		<-ctx.Done()
	}))
	return c
}

// dialer is the calling side and what it saw.
type dialer struct {
	svc      *Service
	h245     chan *h245.MultimediaSystemControlMessage
	progress chan Progress
}

func startDialer(t *testing.T, cfg Config) *dialer {
	return &dialer{svc: startService(t, cfg, nil), h245: make(chan *h245.MultimediaSystemControlMessage, 16),
		progress: make(chan Progress, 8)}
}

func (d *dialer) dial(t *testing.T, to *callee, p DialParams) *OutboundCall {
	t.Helper()
	p.Address = to.svc.Addr()
	p.OnProgress = func(pr Progress) { d.progress <- pr }
	oc, err := d.svc.Dial(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	oc.SetEvents(Events{OnH245: func(m *h245.MultimediaSystemControlMessage) { d.h245 <- m }})
	return oc
}

// TestCallVariants places a call from one Service to another in each
// signalling variant and checks the fastStart answer, the H.245 path and
// H.245 both ways.
func TestCallVariants(t *testing.T) {
	tests := []struct {
		name          string
		dial          DialParams
		calleeCfg     Config
		plan          answerPlan
		wantFastStart int
		wantTunnel    bool
		wantSeparate  bool
		calleeFirst   bool // the callee sends H.245 first
	}{
		{name: "fastStart accepted, tunnelling", dial: DialParams{Tunnelling: true}, plan: answerPlan{acceptFastStart: true},
			wantFastStart: 1, wantTunnel: true},
		{name: "fastStart refused, tunnelling", dial: DialParams{Tunnelling: true}, wantTunnel: true},
		{name: "fastStart refused, no tunnelling, h245Address in Connect", dial: DialParams{}, wantSeparate: true},
		{name: "tunnelling refused by callee, h245Address in Connect", dial: DialParams{Tunnelling: true},
			calleeCfg: Config{NoTunnelling: true}, wantSeparate: true},
		{name: "h245Address in Setup", dial: DialParams{H245Early: true}, wantSeparate: true},
		{name: "fastStart accepted then Facility startH245 from the caller", dial: DialParams{},
			plan: answerPlan{acceptFastStart: true}, wantFastStart: 1, wantSeparate: true},
		{name: "fastStart accepted then Facility startH245 from the callee", dial: DialParams{},
			plan: answerPlan{acceptFastStart: true}, wantFastStart: 1, wantSeparate: true, calleeFirst: true},
		{name: "fastStart accepted, tunnelling, H.245 later from the callee", dial: DialParams{Tunnelling: true},
			plan: answerPlan{acceptFastStart: true}, wantFastStart: 1, wantTunnel: true, calleeFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startCallee(t, tt.calleeCfg, tt.plan)
			a := startDialer(t, Config{Aliases: []string{"roomgate"}})
			p := tt.dial
			p.FastStart = [][]byte{olc(t, 1, false), olc(t, 2, true)}
			p.DestAliases = []Alias{ParseAlias("123456")}
			oc := a.dial(t, b, p)
			ic := recv(t, b.calls, "Setup")
			if len(ic.FastStart) != 2 || ic.PeerTunnelling != p.Tunnelling || ic.Version != h225.ProtocolVersion {
				t.Errorf("Setup seen as fastStart %d tunnelling %v version %d", len(ic.FastStart), ic.PeerTunnelling, ic.Version)
			}
			if len(ic.DestAliases) != 1 || ic.DestAliases[0] != (Alias{AliasDialedDigits, "123456"}) || ic.CalledNumber != "123456" {
				t.Errorf("destination %v, called number %q", ic.DestAliases, ic.CalledNumber)
			}
			if !ic.HasVendor || ic.Vendor.Product != "roomgate" || ic.Kind != KindTerminal {
				t.Errorf("vendor %+v kind %q", ic.Vendor, ic.Kind)
			}
			if err := oc.Wait(context.Background()); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			var steps []ProgressState
			for len(steps) < 3 {
				steps = append(steps, recv(t, a.progress, "progress").State)
			}
			if steps[0] != Proceeding || steps[1] != Alerting || steps[2] != Connected {
				t.Errorf("progress %v", steps)
			}
			if got := len(oc.FastStartAccepted()); got != tt.wantFastStart {
				t.Errorf("fastStart accepted %d, want %d", got, tt.wantFastStart)
			}
			if v, ok := oc.PeerVendor(); !ok || v.Product != "roomgate" {
				t.Errorf("peer vendor %+v %v", v, ok)
			}
			if tt.calleeFirst {
				if err := ic.SendH245(tcs(7)); err != nil {
					t.Fatal(err)
				}
				if m := recv(t, a.h245, "H.245 at the caller"); !isTCS(m, 7) {
					t.Errorf("caller got %+v", m)
				}
				if err := oc.SendH245(tcs(8)); err != nil {
					t.Fatal(err)
				}
				if m := recv(t, b.h245, "H.245 at the callee"); !isTCS(m, 8) {
					t.Errorf("callee got %+v", m)
				}
			} else {
				for seq := int64(1); seq <= 3; seq++ { // several PDUs keep their order
					if err := oc.SendH245(tcs(seq)); err != nil {
						t.Fatal(err)
					}
				}
				for seq := int64(1); seq <= 3; seq++ {
					if m := recv(t, b.h245, "H.245 at the callee"); !isTCS(m, seq) {
						t.Errorf("callee got %+v, want TCS %d", m, seq)
					}
				}
				if err := ic.SendH245(h245.NewTerminalCapabilitySetAck(1)); err != nil {
					t.Fatal(err)
				}
				if m := recv(t, a.h245, "H.245 at the caller"); m.Response == nil || m.Response.TerminalCapabilitySetAck == nil {
					t.Errorf("caller got %+v", m)
				}
			}
			if oc.Tunnelling() != tt.wantTunnel || ic.Tunnelling() != tt.wantTunnel {
				t.Errorf("tunnelling caller %v callee %v, want %v", oc.Tunnelling(), ic.Tunnelling(), tt.wantTunnel)
			}
			if oc.H245Separate() != tt.wantSeparate || ic.H245Separate() != tt.wantSeparate {
				t.Errorf("separate H.245 caller %v callee %v, want %v", oc.H245Separate(), ic.H245Separate(), tt.wantSeparate)
			}
			if err := oc.Release(q931.CauseNormalClearing); err != nil {
				t.Fatal(err)
			}
			waitDone(t, ic.Done(), "callee")
			if r := ic.EndReason(); r.By != ByRemote || r.Why != EndReleased || r.Cause != q931.CauseNormalClearing {
				t.Errorf("callee end %+v", r)
			}
			if pr := recv(t, a.progress, "released"); pr.State != Released || pr.End.By != ByLocal {
				t.Errorf("last progress %+v", pr)
			}
		})
	}
}

// TestReleaseCauses: ReleaseComplete from either side carries cause and
// reason; Reject before Connect fails the dial-out with the right kind.
func TestReleaseCauses(t *testing.T) {
	t.Run("callee releases with cause and reason", func(t *testing.T) {
		b := startCallee(t, Config{}, answerPlan{})
		a := startDialer(t, Config{})
		oc := a.dial(t, b, DialParams{Tunnelling: true})
		ic := recv(t, b.calls, "Setup")
		if err := oc.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ic.ReleaseWithReason(q931.CauseNormalClearing, &h225.ReleaseCompleteReason{UndefinedReason: &struct{}{}})
		waitDone(t, oc.Done(), "caller")
		if r := oc.EndReason(); r.By != ByRemote || r.Why != EndReleased || r.Cause != q931.CauseNormalClearing || r.Reason != "undefinedReason" {
			t.Errorf("caller end %+v", r)
		}
		if r := ic.EndReason(); r.By != ByLocal || r.Reason != "undefinedReason" {
			t.Errorf("callee end %+v", r)
		}
	})
	rejects := []struct {
		cause  q931.CauseValue
		reason *h225.ReleaseCompleteReason
		kind   FailureKind
		want   string // reason name the caller sees
	}{
		{q931.CauseUserBusy, nil, FailBusy, "inConf"},
		{q931.CauseCallRejected, nil, FailDeclined, "destinationRejection"},
		{q931.CauseUnallocatedNumber, nil, FailUnreachable, "calledPartyNotRegistered"},
		{q931.CauseNoRouteToDestination, &h225.ReleaseCompleteReason{UnreachableDestination: &struct{}{}}, FailUnreachable, "unreachableDestination"},
		{q931.CauseNoCircuitAvailable, &h225.ReleaseCompleteReason{GatewayResources: &struct{}{}}, FailBusy, "gatewayResources"},
	}
	for _, rj := range rejects {
		t.Run("reject "+rj.cause.String(), func(t *testing.T) {
			b := startCallee(t, Config{}, answerPlan{reject: rj.cause, rejectReason: rj.reason})
			a := startDialer(t, Config{})
			oc := a.dial(t, b, DialParams{Tunnelling: true})
			ic := recv(t, b.calls, "Setup")
			err := oc.Wait(context.Background())
			var ce *CallError
			if !errors.As(err, &ce) {
				t.Fatalf("Wait: %v", err)
			}
			if ce.Kind != rj.kind || ce.End.Cause != rj.cause || ce.End.Reason != rj.want || ce.End.By != ByRemote || ce.End.Why != EndRejected {
				t.Errorf("dial-out failed with %+v", ce)
			}
			waitDone(t, ic.Done(), "callee")
			if r := ic.EndReason(); r.By != ByLocal || r.Why != EndRejected || r.Cause != rj.cause {
				t.Errorf("callee end %+v", r)
			}
		})
	}
	t.Run("cancel while alerting", func(t *testing.T) {
		b := startCallee(t, Config{}, answerPlan{noConnect: true})
		a := startDialer(t, Config{})
		oc := a.dial(t, b, DialParams{Tunnelling: true})
		ic := recv(t, b.calls, "Setup")
		for recv(t, a.progress, "progress").State != Alerting {
		}
		if err := oc.Cancel(); err != nil {
			t.Fatal(err)
		}
		var ce *CallError
		if err := oc.Wait(context.Background()); !errors.As(err, &ce) || ce.Kind != FailCanceled {
			t.Errorf("Wait after Cancel: %v", err)
		}
		waitDone(t, ic.Done(), "callee")
		if r := ic.EndReason(); r.By != ByRemote || r.Why != EndRejected || r.Cause != q931.CauseNormalClearing {
			t.Errorf("callee end %+v", r)
		}
	})
	t.Run("ring timeout", func(t *testing.T) {
		b := startCallee(t, Config{}, answerPlan{noConnect: true})
		a := startDialer(t, Config{})
		oc := a.dial(t, b, DialParams{Tunnelling: true, RingTimeout: 50e6})
		ic := recv(t, b.calls, "Setup")
		var ce *CallError
		if err := oc.Wait(context.Background()); !errors.As(err, &ce) || ce.Kind != FailNoAnswer {
			t.Errorf("Wait: %v", err)
		}
		waitDone(t, ic.Done(), "callee")
		if r := ic.EndReason(); r.Cause != q931.CauseRecoveryOnTimerExpiry {
			t.Errorf("callee end %+v", r)
		}
	})
}

// TestStatusInquiry: either side asks, the other answers Status with
// cause 30 and its call state (10, active).
func TestStatusInquiry(t *testing.T) {
	b := startCallee(t, Config{}, answerPlan{acceptFastStart: true})
	a := startDialer(t, Config{})
	oc := a.dial(t, b, DialParams{Tunnelling: true, FastStart: [][]byte{olc(t, 1, false)}})
	ic := recv(t, b.calls, "Setup")
	if err := oc.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	type status struct {
		cause q931.CauseValue
		state uint8
	}
	got := make(chan status, 2)
	on := Events{OnStatus: func(c q931.CauseValue, s uint8) { got <- status{c, s} }}
	oc.SetEvents(on)
	ic.SetEvents(on)
	for _, c := range []*call{oc.call, ic.call} {
		if err := c.StatusInquiry(); err != nil {
			t.Fatal(err)
		}
		if s := recv(t, got, "Status"); s.cause != q931.CauseStatusEnquiryResponse || s.state != stateActive {
			t.Errorf("Status %+v", s)
		}
	}
	keys := make(chan string, 1)
	ic.SetEvents(Events{OnKeypad: func(d string) { keys <- d }})
	if err := oc.SendKeypad("1234#"); err != nil {
		t.Fatal(err)
	}
	if d := recv(t, keys, "keypad"); d != "1234#" {
		t.Errorf("keypad %q", d)
	}
	oc.Release(q931.CauseNormalClearing)
}

func TestCauseReasonTables(t *testing.T) {
	for name, c := range reasonCause {
		if c == 0 {
			t.Errorf("%s has no cause", name)
		}
	}
	for _, c := range []q931.CauseValue{1, 3, 17, 21, 28, 34, 41, 42, 47, 88} {
		r := ReasonForCause(c)
		if r == nil {
			t.Errorf("cause %d: no reason", c)
			continue
		}
		if back := CauseForReason(r); back != c && !(c == 1 && back == 20) && !(c == 21 && back == 16) && !(c == 17 && back == 17) {
			t.Errorf("cause %d → %s → %d", c, ReasonName(r), back)
		}
	}
	if ReasonForCause(q931.CauseNormalClearing) != nil || CauseForReason(nil) != q931.CauseNormalUnspecified {
		t.Error("normal clearing")
	}
}

// TestOnePDUPerFacility: tunnelled H.245 sent before the answer rides in
// it; afterwards each PDU gets a Facility of its own (Cisco IOS rejects
// several), transportedInformation for v4+ peers, undefinedReason before.
func TestOnePDUPerFacility(t *testing.T) {
	for _, v := range []struct {
		version uint32
		reason  string
	}{{3, "undefinedReason"}, {7, "transportedInformation"}} {
		calls := make(chan *InboundCall, 1)
		svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
			ic.SendH245(tcs(1)) // waits for the answer
			ic.SendH245(tcs(2))
			ic.Connect(nil)
			calls <- ic
			<-ctx.Done()
		}))
		peer := dialRaw(t, svc.Addr())
		peer.send(setupMessage(t, 5, v.version, true, nil))
		m, ui := peer.next()
		if m == nil || m.Type != q931.Connect || len(ui.H323UuPdu.H245Control) != 2 {
			t.Fatalf("v%d: Connect with the waiting PDUs: %v %+v", v.version, m, ui)
		}
		ic := recv(t, calls, "answered call")
		for seq := int64(3); seq <= 5; seq++ {
			if err := ic.SendH245(tcs(seq)); err != nil {
				t.Fatal(err)
			}
		}
		for seq := int64(3); seq <= 5; seq++ {
			m, ui := peer.next()
			if m == nil || m.Type != q931.Facility || ui.H323UuPdu.H323MessageBody.Facility == nil {
				t.Fatalf("v%d: got %v", v.version, m)
			}
			if n := len(ui.H323UuPdu.H245Control); n != 1 {
				t.Errorf("v%d: Facility with %d PDUs", v.version, n)
			}
			if r := facilityReasonName(&ui.H323UuPdu.H323MessageBody.Facility.Reason); r != v.reason {
				t.Errorf("v%d: Facility reason %s, want %s", v.version, r, v.reason)
			}
			var got h245.MultimediaSystemControlMessage
			if err := got.Unmarshal(ui.H323UuPdu.H245Control[0]); err != nil || !isTCS(&got, seq) {
				t.Errorf("v%d: PDU %v %+v, want TCS %d", v.version, err, got, seq)
			}
		}
	}
}
