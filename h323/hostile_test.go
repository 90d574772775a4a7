package h323

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// TestTCPDropEndsCall: the caller's connection closing mid-call ends the
// call, and EndReason says the network ended it.
func TestTCPDropEndsCall(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		calls <- ic
		ic.Connect(nil)
		<-ctx.Done()
	}))
	peer := dialRaw(t, svc.Addr())
	peer.send(setupMessage(t, 7, 2, true, nil)) // a version 2 peer
	ic := recv(t, calls, "Setup")
	if ic.Version != 2 || ic.Display != "Raw peer" || ic.Vendor.Product != "Raw" {
		t.Errorf("Setup %d %q %+v", ic.Version, ic.Display, ic.Vendor)
	}
	if m, _ := peer.next(); m == nil || m.Type != q931.Connect {
		t.Fatalf("got %v", m)
	}
	peer.c.Close()
	waitDone(t, ic.Done(), "call")
	if r := ic.EndReason(); r.By != ByNetwork || r.Why != EndConnectionLost {
		t.Errorf("end %+v", r)
	}
	if st := svc.Stats(); st.Active != 0 {
		t.Errorf("stats after the drop %+v", st)
	}
}

// TestRejectingHandler: the default handler (none given) refuses with
// ReleaseComplete and a cause, and the connection closes.
func TestRejectingHandler(t *testing.T) {
	svc := startService(t, Config{}, nil)
	peer := dialRaw(t, svc.Addr())
	peer.send(setupMessage(t, 9, 7, false, nil))
	m, ui := peer.next()
	if m == nil || m.Type != q931.ReleaseComplete {
		t.Fatalf("got %v", m)
	}
	if c, err := m.Cause(); err != nil || c.Value != CauseUnavailable {
		t.Errorf("cause %v %v", c, err)
	}
	if ui == nil || ui.H323UuPdu.H323MessageBody.ReleaseComplete == nil || ReasonName(ui.H323UuPdu.H323MessageBody.ReleaseComplete.Reason) != "adaptiveBusy" {
		t.Errorf("ReleaseComplete-UUIE %+v", ui)
	}
	if !peer.closedByPeer() {
		t.Error("connection left open")
	}
}

// TestStatusForUnknownMessage: a Q.931 message H.225.0 does not use gets
// STATUS with cause 97 and the call state; the call goes on.
func TestStatusForUnknownMessage(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		calls <- ic
		ic.Alerting(nil)
		<-ctx.Done()
	}))
	peer := dialRaw(t, svc.Addr())
	peer.send(setupMessage(t, 11, 5, true, nil))
	ic := recv(t, calls, "Setup")
	if m, _ := peer.next(); m == nil || m.Type != q931.Alerting {
		t.Fatalf("got %v", m)
	}
	disc, _ := q931.New(q931.Disconnect, q931.NewCallReference(11, false), q931.NewCause(q931.CauseNormalClearing))
	peer.send(disc)
	m, _ := peer.next()
	if m == nil || m.Type != q931.Status {
		t.Fatalf("got %v", m)
	}
	c, _ := m.Cause()
	st, _ := m.CallState()
	if c.Value != q931.CauseMessageTypeNonexistent || st.State != stateCallReceived {
		t.Errorf("Status cause %d state %d", c.Value, st.State)
	}
	select {
	case <-ic.Done():
		t.Error("call ended")
	default:
	}
}

// TestConnectionLimits: connections over the per-source cap are closed at
// once; a connection without Setup, and a TPKT left incomplete
// (slowloris), are closed by their timeouts; nothing leaks.
func TestConnectionLimits(t *testing.T) {
	before := runtime.NumGoroutine()
	lim := Limits{ConnectionsPerSource: 2, SetupTimeout: 200 * time.Millisecond, ReadTimeout: 100 * time.Millisecond}
	svc, err := New(Config{Listen: "127.0.0.1:0", Limits: lim}, nil, testLog())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, b := dialRaw(t, svc.Addr()), dialRaw(t, svc.Addr())
	b.write([]byte{3, 0, 0x10}) // a TPKT header begun and never finished
	// The third connection from 127.0.0.1: refused. (Accepting is in
	// order, so a and b are counted first.)
	waitFor(t, func() bool { return svc.Stats().Connections == 2 }, "two connections counted")
	c := dialRaw(t, svc.Addr())
	if !c.closedByPeer() {
		t.Error("connection over the cap left open")
	}
	if !a.closedByPeer() || !b.closedByPeer() {
		t.Error("silent or slow connection left open")
	}
	st := svc.Stats()
	if st.Refused == 0 || st.Timeouts < 2 {
		t.Errorf("stats %+v", st)
	}
	// Once the silent and slow connections are gone, 127.0.0.1 calls again.
	d := dialRaw(t, svc.Addr())
	d.send(setupMessage(t, 1, 6, true, nil))
	if m, _ := d.next(); m == nil || m.Type != q931.ReleaseComplete {
		t.Errorf("after the limits: %v", m)
	}
	svc.Close()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before+2 }, "goroutines to end")
}

// TestCallLimit: past MaxCalls a Setup is refused with cause 34.
func TestCallLimit(t *testing.T) {
	calls := make(chan *InboundCall, 2)
	svc := startService(t, Config{Limits: Limits{MaxCalls: 1}}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		calls <- ic
		<-ctx.Done()
	}))
	p1 := dialRaw(t, svc.Addr())
	p1.send(setupMessage(t, 1, 7, true, nil))
	recv(t, calls, "Setup")
	p2 := dialRaw(t, svc.Addr())
	p2.send(setupMessage(t, 2, 7, true, nil))
	m, _ := p2.next()
	if m == nil || m.Type != q931.ReleaseComplete {
		t.Fatalf("got %v", m)
	}
	if c, _ := m.Cause(); c.Value != q931.CauseNoCircuitAvailable {
		t.Errorf("cause %d", c.Value)
	}
}

// TestRateLimit: a source over its message rate loses its connection.
func TestRateLimit(t *testing.T) {
	svc := startService(t, Config{Limits: Limits{MessagesPerSecond: 1, Burst: 5}}, nil)
	p := dialRaw(t, svc.Addr())
	for i := 0; i < 20; i++ {
		if _, err := p.c.Write([]byte{3, 0, 0, 4}); err != nil { // keep-alives
			break
		}
	}
	if !p.closedByPeer() {
		t.Error("flooding connection left open")
	}
	if svc.Stats().RateLimited == 0 {
		t.Error("not counted")
	}
}

func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited for %s", what)
}

// TestShutdownReleasesCalls: Shutdown sends ReleaseComplete on live calls,
// closes connections still waiting for their Setup, and waits for the
// handlers.
func TestShutdownReleasesCalls(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	handlerDone := make(chan struct{})
	svc, err := New(Config{Listen: "127.0.0.1:0"}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		defer close(handlerDone)
		calls <- ic
		ic.Connect(nil)
		<-ctx.Done()
	}), testLog())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	idle := dialRaw(t, svc.Addr()) // never sends a Setup
	peer := dialRaw(t, svc.Addr())
	peer.send(setupMessage(t, 3, 7, true, nil))
	ic := recv(t, calls, "Setup")
	if m, _ := peer.next(); m == nil || m.Type != q931.Connect {
		t.Fatalf("got %v", m)
	}
	waitFor(t, func() bool { return svc.Stats().Connections == 2 }, "both connections")
	if err := svc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handlerDone:
	default:
		t.Error("Shutdown returned before the handler")
	}
	m, _ := peer.next()
	if m == nil || m.Type != q931.ReleaseComplete {
		t.Fatalf("got %v", m)
	}
	if r := ic.EndReason(); r.By != ByLocal || r.Why != EndShutdown {
		t.Errorf("end %+v", r)
	}
	if !idle.closedByPeer() {
		t.Error("connection without Setup left open")
	}
	if _, err := svc.Dial(context.Background(), DialParams{Address: peer.c.LocalAddr().(*net.TCPAddr).AddrPort()}); err == nil {
		t.Error("Dial after Shutdown")
	}
}

// TestHandlerPanic: a panicking handler releases its call (cause 41) and
// nothing else.
func TestHandlerPanic(t *testing.T) {
	svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) { panic("boom") }))
	peer := dialRaw(t, svc.Addr())
	peer.send(setupMessage(t, 4, 7, true, nil))
	m, _ := peer.next()
	if m == nil || m.Type != q931.ReleaseComplete {
		t.Fatalf("got %v", m)
	}
	if c, _ := m.Cause(); c.Value != CauseInternal {
		t.Errorf("cause %d", c.Value)
	}
	if svc.Stats().Panics != 1 {
		t.Errorf("stats %+v", svc.Stats())
	}
}

// TestH245OnlyWithThePeer: an h245Address on another host is read as the
// peer's own IP (we connect nowhere else), and our H.245 listener takes
// connections from the peer's IP only.
func TestH245OnlyWithThePeer(t *testing.T) {
	calls := make(chan *InboundCall, 1)
	svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		calls <- ic // not answered: nothing connects to the address
		<-ctx.Done()
	}))
	// A Setup whose h245Address names another host: 198.51.100.7:1234.
	m := setupMessage(t, 6, 7, false, nil)
	uu, _ := m.UserUser()
	var ui h225.H323UserInformation
	if err := ui.Unmarshal(uu.Data); err != nil {
		t.Fatal(err)
	}
	ta, _ := h225.NewTransportAddress(netip.MustParseAddrPort("198.51.100.7:1234"))
	ui.H323UuPdu.H323MessageBody.Setup.H245Address = &ta
	b, err := ui.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, _ = q931.NewSetup(q931.NewCallReference(6, false), b)
	peer := dialRaw(t, svc.Addr())
	peer.send(m)
	ic := recv(t, calls, "Setup")
	if ic.H245Address != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 1234) {
		t.Errorf("h245Address read as %v", ic.H245Address)
	}
	ic.Release(q931.CauseNormalClearing)

	// Our listener, offered in Connect, refuses 127.0.0.2.
	svc2 := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		calls <- ic
		ic.Connect(nil)
		<-ctx.Done()
	}))
	peer2 := dialRaw(t, svc2.Addr())
	peer2.send(setupMessage(t, 8, 7, false, nil))
	ic2 := recv(t, calls, "Setup")
	cm, cui := peer2.next()
	if cm == nil || cm.Type != q931.Connect || cui.H323UuPdu.H323MessageBody.Connect.H245Address == nil {
		t.Fatalf("Connect without h245Address: %v", cm)
	}
	addr, _ := cui.H323UuPdu.H323MessageBody.Connect.H245Address.AddrPort()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	other, err := d.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if !(&rawPeer{t: t, c: other}).closedByPeer() {
		t.Error("H.245 connection from another host kept")
	}
	h := dialRaw(t, addr)
	got := make(chan struct{}, 1)
	ic2.SetEvents(Events{OnH245: func(*h245.MultimediaSystemControlMessage) { got <- struct{}{} }})
	b, _ = tcs(1).Marshal()
	tpkt.WriteFrame(h.c, b)
	recv(t, got, "H.245 from the peer")
	if !ic2.H245Separate() {
		t.Error("not separate")
	}
}

// TestH245Timeouts: our H.245 listener closes when nobody connects in
// time, and an H.245 connection that starts a TPKT and stalls is cut;
// the call itself goes on.
func TestH245Timeouts(t *testing.T) {
	calls := make(chan *InboundCall, 2)
	lim := Limits{H245ConnectTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond}
	svc := startService(t, Config{Limits: lim}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		calls <- ic
		ic.Connect(nil)
		<-ctx.Done()
	}))
	h245Addr := func(p *rawPeer) netip.AddrPort {
		m, ui := p.next()
		if m == nil || m.Type != q931.Connect || ui.H323UuPdu.H323MessageBody.Connect.H245Address == nil {
			t.Fatalf("Connect without h245Address: %v", m)
		}
		ap, _ := ui.H323UuPdu.H323MessageBody.Connect.H245Address.AddrPort()
		return ap
	}
	// Nobody connects.
	p1 := dialRaw(t, svc.Addr())
	p1.send(setupMessage(t, 1, 7, false, nil))
	ic1 := recv(t, calls, "Setup")
	addr := h245Addr(p1)
	waitFor(t, func() bool { return svc.Stats().Connections == 1 }, "the listener to close")
	if c, err := net.Dial("tcp", addr.String()); err == nil {
		c.Close()
		t.Error("H.245 listener still open")
	}
	// A slow H.245 peer.
	p2 := dialRaw(t, svc.Addr())
	p2.send(setupMessage(t, 2, 7, false, nil))
	ic2 := recv(t, calls, "Setup")
	h := dialRaw(t, h245Addr(p2))
	h.write([]byte{3, 0, 0, 40, 1})
	if !h.closedByPeer() {
		t.Error("stalled H.245 connection kept")
	}
	for _, ic := range []*InboundCall{ic1, ic2} {
		select {
		case <-ic.Done():
			t.Errorf("call ended: %+v", ic.EndReason())
		default:
		}
	}
}
