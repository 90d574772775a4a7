package bridge

import (
	"hash/maphash"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkVideoPassthrough measures the added latency of the video path through the
// meeting: WriteVideoRTP on one bridge → embedded SFU → OnVideo on another, per RTP
// packet, one 176×144 I_PCM frame (~33 packets) per iteration, sent back to back and
// awaited before the next. It reports p50/p99 in µs; it asserts only that every
// packet arrives.
//
//	go test -run '^$' -bench VideoPassthrough -benchtime 200x ./gateway/bridge/
func BenchmarkVideoPassthrough(b *testing.B) {
	c := startCore(b)
	pub := join(b, c, "bench-pub", Params{NoAudio: true})
	sub := join(b, c, "bench-sub", Params{NoAudio: true, NoVideo: true})

	frames := testFrames(10, 176, 144)
	video := packetize(frames, 1000)
	seed := maphash.MakeSeed()
	key := func(p []byte) uint64 { return maphash.Bytes(seed, p) }

	var mu sync.Mutex
	sent := map[uint64]time.Time{}
	var lat []time.Duration
	arrived := make(chan struct{}, 4096)
	sub.OnVideo(func(_, _ string, pkt *rtp.Packet) {
		now := time.Now()
		mu.Lock()
		if t0, ok := sent[key(pkt.Payload)]; ok {
			lat = append(lat, now.Sub(t0))
			delete(sent, key(pkt.Payload))
			mu.Unlock()
			arrived <- struct{}{}
			return
		}
		mu.Unlock()
	})

	var seq uint16 = 1000
	var ts uint32
	send := func(i int) int {
		ts += 9000
		n := 0
		for _, p := range video[i%len(video)] {
			cp := *p
			cp.SequenceNumber, cp.Timestamp = seq, ts
			seq++
			mu.Lock()
			sent[key(cp.Payload)] = time.Now()
			mu.Unlock()
			if err := pub.WriteVideoRTP(&cp); err != nil {
				b.Fatal(err)
			}
			n++
		}
		return n
	}
	await := func(n int) bool {
		timeout := time.After(3 * time.Second)
		for ; n > 0; n-- {
			select {
			case <-arrived:
			case <-timeout:
				return false
			}
		}
		return true
	}
	// Warm up until the subscription forwards: the SFU starts at a keyframe.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		n := send(i)
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		got := len(lat)
		mu.Unlock()
		if got > 0 && await(n-got) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("video never arrived")
		}
		mu.Lock()
		clear(sent)
		lat = lat[:0]
		mu.Unlock()
		for len(arrived) > 0 {
			<-arrived
		}
	}
	mu.Lock()
	clear(sent)
	lat = lat[:0]
	mu.Unlock()

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !await(send(i)) {
			mu.Lock()
			b.Fatalf("frame %d: %d packets lost", i, len(sent))
			mu.Unlock()
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), "p50-µs")
	b.ReportMetric(p(0.99), "p99-µs")
	b.ReportMetric(float64(len(lat)), "packets")
	b.Logf("video passthrough latency over %d packets: p50 %.0f µs, p99 %.0f µs, max %s", len(lat), p(0.5), p(0.99), lat[len(lat)-1])
}
