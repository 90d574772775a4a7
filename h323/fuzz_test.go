package h323

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// fuzzLimits keep a fuzzed connection short-lived.
var fuzzLimits = Limits{SetupTimeout: 300 * time.Millisecond, ReadTimeout: 100 * time.Millisecond,
	MessagesPerSecond: 1e6, Burst: 1e6, ConnectionsPerSource: 1024}

// frameAll wraps each message in a TPKT.
func frameAll(t testing.TB, msgs ...*q931.Message) []byte {
	var buf bytes.Buffer
	for _, m := range msgs {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		tpkt.WriteFrame(&buf, b)
	}
	return buf.Bytes()
}

// exchange writes data on a new connection, half-closes it and reads
// until the service closes its side (or a while passes).
func exchange(t testing.TB, addr string, data []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(data)
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

func fuzzSeeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 0, 0, 4})
	f.Add([]byte{3, 0, 0xff, 0xff, 1, 2, 3})
	f.Add(frameAll(f, setupMessage(f, 1, 7, true, [][]byte{olc(f, 1, false)})))
	f.Add(frameAll(f, setupMessage(f, 2, 2, false, nil)))
	si, _ := q931.NewStatusInquiry(q931.NewCallReference(1, false))
	rc, _ := q931.NewReleaseComplete(q931.NewCallReference(1, false), q931.CauseNormalClearing, nil)
	f.Add(frameAll(f, setupMessage(f, 1, 4, true, nil), si, rc))
	id, _ := h225.NewGUID()
	b := h225.Call{CallID: id, Tunnelling: true, H245: [][]byte{{0x00, 0x01}, {0xff}}}
	uu, _ := b.Facility(h225.FacilityReason{StartH245: &struct{}{}}).Marshal()
	fac, _ := q931.NewFacility(q931.NewCallReference(1, false), uu)
	f.Add(frameAll(f, setupMessage(f, 1, 6, true, nil), fac))
	if s := captureStreams(f, sharedCapture(f, "ndpi__h323.pcap"))["10.1.3.143:32803>10.1.6.18:1720"]; len(s) > 0 {
		f.Add(s)
	}
}

// startFuzzService runs a service with short timeouts for a fuzz target;
// at the end it must hold no call nor connection, and its goroutines end.
func startFuzzService(f *testing.F, h HandlerFunc) string {
	before := runtime.NumGoroutine()
	svc, err := New(Config{Listen: "127.0.0.1:0", Limits: fuzzLimits}, h, testLog())
	if err != nil {
		f.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		svc.Close()
		if st := svc.Stats(); st.Panics != 0 || st.Active != 0 || st.Connections != 0 {
			f.Errorf("after the fuzzing: %+v", st)
		}
		waitFor(f, func() bool { return runtime.NumGoroutine() <= before+2 }, "goroutines to end")
	})
	return svc.Addr().String()
}

// FuzzInbound feeds arbitrary octets to a live Service's call signalling
// port; the handler answers whatever Setup arrives. No panic, no leak.
func FuzzInbound(f *testing.F) {
	fuzzSeeds(f)
	addr := startFuzzService(f, func(ctx context.Context, ic *InboundCall) {
		ic.Alerting(ic.FastStart)
		ic.Connect(nil)
		ic.SendH245(tcs(1))
		<-ctx.Done()
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		exchange(t, addr, data)
	})
}

// FuzzCall sends a valid Setup, then the fuzzed octets as the payloads of
// TPKTs (split at 0xFF octets) into the live call.
func FuzzCall(f *testing.F) {
	f.Add([]byte{})
	for _, m := range []q931.MessageType{q931.StatusInquiry, q931.Information, q931.Notify, q931.Progress, q931.Connect, q931.Setup} {
		msg, _ := q931.New(m, q931.NewCallReference(1, false))
		b, _ := msg.Marshal()
		f.Add(b)
	}
	addr := startFuzzService(f, func(ctx context.Context, ic *InboundCall) {
		ic.Connect(ic.FastStart)
		<-ctx.Done()
	})
	setup := frameAll(f, setupMessage(f, 1, 7, true, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf bytes.Buffer
		buf.Write(setup)
		for _, p := range bytes.Split(data, []byte{0xff}) {
			var h [4]byte
			h[0] = 3
			binary.BigEndian.PutUint16(h[2:], uint16(len(p)+4))
			buf.Write(h[:])
			buf.Write(p)
		}
		exchange(t, addr, buf.Bytes())
	})
}
