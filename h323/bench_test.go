package h323

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// benchPair is a callee answering fastStart at once and a caller.
func benchPair(b *testing.B) (callee, caller *Service) {
	callee = startService(b, Config{Limits: Limits{MessagesPerSecond: 1e6, Burst: 1e6}}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		ic.Connect(ic.FastStart[:1])
		<-ctx.Done()
	}))
	caller = startService(b, Config{Limits: Limits{MessagesPerSecond: 1e6, Burst: 1e6}}, nil)
	return callee, caller
}

// BenchmarkSetupConnectFastStart: Setup → Connect of a fastStart dial-in
// between two Services on loopback (TCP connect included); ns/op is the
// whole call, p50/p99 the Setup → Connect part.
func BenchmarkSetupConnectFastStart(b *testing.B) {
	callee, caller := benchPair(b)
	fs := [][]byte{olc(b, 1, false), olc(b, 2, true)}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		oc, err := caller.Dial(context.Background(), DialParams{Address: callee.Addr(), Tunnelling: true, FastStart: fs})
		if err != nil {
			b.Fatal(err)
		}
		if err := oc.Wait(context.Background()); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		oc.Release(q931.CauseNormalClearing)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	waitFor(b, func() bool { return callee.Stats().Active == 0 }, "calls to end")
}

// BenchmarkWholeCall: one whole call, Setup → Connect (fastStart) →
// a tunnelled H.245 PDU (Facility) → ReleaseComplete, both Services in this
// process (allocs/op counts both sides).
func BenchmarkWholeCall(b *testing.B) {
	callee := startService(b, Config{Limits: Limits{MessagesPerSecond: 1e6, Burst: 1e6}}, HandlerFunc(func(ctx context.Context, ic *InboundCall) {
		ic.Connect(ic.FastStart[:1])
		<-ctx.Done()
	}))
	caller := startService(b, Config{Limits: Limits{MessagesPerSecond: 1e6, Burst: 1e6}}, nil)
	fs := [][]byte{olc(b, 1, false)}
	msg := tcs(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		oc, err := caller.Dial(context.Background(), DialParams{Address: callee.Addr(), Tunnelling: true, FastStart: fs})
		if err != nil {
			b.Fatal(err)
		}
		oc.SetEvents(Events{OnH245: func(*h245.MultimediaSystemControlMessage) {}})
		if err := oc.Wait(context.Background()); err != nil {
			b.Fatal(err)
		}
		oc.SendH245(msg)
		oc.Release(q931.CauseNormalClearing)
		<-oc.Done()
	}
	b.StopTimer()
	waitFor(b, func() bool { return callee.Stats().Active == 0 }, "calls to end")
}
