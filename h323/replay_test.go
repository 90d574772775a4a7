package h323

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// TestCaptureReplay replays the calling side of the only H.323 call from
// another stack we have (Callgen323/OpenH323, H.225.0 version 4, no
// fastStart, no tunnelling) against a live Service: its Setup stream on
// the call signalling port, then its H.245 stream on the h245Address our
// Connect gives.
func TestCaptureReplay(t *testing.T) {
	streams := captureStreams(t, sharedCapture(t, "ndpi__h323.pcap"))
	setup := streams["10.1.3.143:32803>10.1.6.18:1720"]
	control := streams["10.1.3.143:32804>10.1.6.18:1232"]
	if len(setup) == 0 || len(control) == 0 {
		t.Fatalf("capture streams: setup %d octets, H.245 %d", len(setup), len(control))
	}
	// The H.245 PDUs of the caller's stream, decoded independently of the
	// service.
	var want []*h245.MultimediaSystemControlMessage
	for r := bytes.NewReader(control); r.Len() > 0; {
		p, err := tpkt.ReadFrame(r, 0)
		if err != nil {
			t.Fatalf("capture H.245 stream: %v", err)
		}
		m := new(h245.MultimediaSystemControlMessage)
		if m.Unmarshal(p) == nil {
			want = append(want, m)
		}
	}
	calls := make(chan *InboundCall, 1)
	pdus := make(chan *h245.MultimediaSystemControlMessage, 64)
	svc := startService(t, Config{}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		ic.SetEvents(Events{OnH245: func(m *h245.MultimediaSystemControlMessage) { pdus <- m }})
		calls <- ic
		ic.Proceeding(nil)
		ic.Alerting(nil)
		ic.Connect(nil)
		<-ctx.Done()
	}))
	peer := dialRaw(t, svc.Addr())
	peer.write(setup)
	ic := recv(t, calls, "Setup")
	if ic.Version != 4 || len(ic.FastStart) != 0 || ic.PeerTunnelling || ic.H245Address.IsValid() {
		t.Errorf("Setup: version %d, fastStart %d, tunnelling %v, h245Address %v", ic.Version, len(ic.FastStart), ic.PeerTunnelling, ic.H245Address)
	}
	if len(ic.SourceAliases) != 1 || ic.SourceAliases[0] != (Alias{AliasH323ID, "m.jemec"}) || ic.Display != "m.jemec" {
		t.Errorf("caller %v display %q", ic.SourceAliases, ic.Display)
	}
	if want := (Vendor{CountryCode: 9, Extension: 0, Manufacturer: 61, Product: "Callgen323 pogacsam", Version: "0.9alpha4"}); !ic.HasVendor || ic.Vendor != want || ic.Kind != KindTerminal {
		t.Errorf("vendor %+v kind %q", ic.Vendor, ic.Kind)
	}
	if ic.CallReference() != 0x77f4 || ic.CallID() != "c0fef93ecd9ed6119ab2000476222017" {
		t.Errorf("call reference %#x, call id %s", ic.CallReference(), ic.CallID())
	}
	var h245Addr string
	for _, want := range []q931.MessageType{q931.CallProceeding, q931.Alerting, q931.Connect} {
		m, ui := peer.next()
		if m == nil || m.Type != want || ui == nil {
			t.Fatalf("got %v, want %v", m, want)
		}
		if !m.CallRef.Flag || m.CallRef.Value != 0x77f4 {
			t.Errorf("%v: call reference %+v", want, m.CallRef)
		}
		if tun := ui.H323UuPdu.H245Tunnelling; tun == nil || *tun {
			t.Errorf("%v: h245Tunnelling %v, want false (the caller does not tunnel)", want, tun)
		}
		if c := ui.H323UuPdu.H323MessageBody.Connect; c != nil {
			if c.FastStart != nil || c.FastConnectRefused != nil || c.H245Address == nil {
				t.Fatalf("Connect: fastStart %d, refused %v, h245Address %v", len(c.FastStart), c.FastConnectRefused, c.H245Address)
			}
			ap, err := c.H245Address.AddrPort()
			if err != nil || ap.Addr() != svc.Addr().Addr() {
				t.Fatalf("h245Address %v %v", ap, err)
			}
			h245Addr = ap.String()
		}
	}
	hc, err := net.Dial("tcp", h245Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	if _, err := hc.Write(control); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		got := recv(t, pdus, "H.245 from the capture")
		gb, _ := got.Marshal()
		wb, _ := w.Marshal()
		if !bytes.Equal(gb, wb) {
			t.Errorf("H.245 PDU %d differs", i)
		}
	}
	if len(want) < 4 {
		t.Errorf("only %d H.245 PDUs in the capture stream", len(want))
	}
	rc, err := q931.NewReleaseComplete(q931.NewCallReference(0x77f4, false), q931.CauseNormalClearing, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer.send(rc)
	waitDone(t, ic.Done(), "replayed call")
	if r := ic.EndReason(); r.By != ByRemote || r.Cause != q931.CauseNormalClearing {
		t.Errorf("end %+v", r)
	}
}
