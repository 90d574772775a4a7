package bridge

import (
	"sync"
	"testing"
	"time"
)

// WriteAudioAt leaves frames out during silence (DTX): the frame after a gap must carry
// its true RTP timestamp and the next sequence number, or receivers would play it early
// (timestamp) or ask for retransmission of packets never sent (sequence gap).
func TestWriteAudioAtDTX(t *testing.T) {
	c := startCore(t)
	sub := join(t, c, "listener", Params{NoAudio: true, NoVideo: true})
	pub := join(t, c, "room-dtx", Params{NoVideo: true, NoSubscribe: true})

	// Distinct payloads (a TOC byte of CELT fullband 20 ms, then the frame number and
	// filler): the meeting core forwards Opus without decoding it, and a real encoded
	// tone repeats itself after a few frames.
	frames := make([][]byte, 60)
	for i := range frames {
		frames[i] = append([]byte{0xf8, byte(i), 0x5a}, make([]byte, 37)...)
	}
	index := map[string]int{}
	for i, f := range frames {
		index[string(f)] = i
	}
	type got struct {
		frame int
		seq   uint16
		ts    uint32
	}
	var mu sync.Mutex
	var recv []got
	sub.OnAudio(func(_, _ string, seq uint16, ts uint32, payload []byte) {
		if i, ok := index[string(payload)]; ok {
			mu.Lock()
			recv = append(recv, got{i, seq, ts})
			mu.Unlock()
		}
	})

	// Frame i is sent at base + i·20 ms; frames 20…39 are left out (400 ms of silence).
	base := time.Now()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("subscriber received nothing")
		}
		at := base.Add(time.Duration(i) * 20 * time.Millisecond)
		time.Sleep(time.Until(at))
		k := i % len(frames)
		if k < 20 || k >= 40 {
			if err := pub.WriteAudioAt(frames[k], at, 20*time.Millisecond, 30); err != nil {
				t.Fatal(err)
			}
		}
		if k == len(frames)-1 {
			mu.Lock()
			complete := false
			for j := range recv {
				if recv[j].frame == 0 && len(recv)-j >= 40 {
					complete = true
				}
			}
			mu.Unlock()
			if complete {
				break
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Check the last complete cycle: frames 0…19 then 40…59.
	start := -1
	for j := range recv {
		if recv[j].frame == 0 && len(recv)-j >= 40 {
			start = j
		}
	}
	cycle := recv[start : start+40]
	for j := 1; j < len(cycle); j++ {
		prev, cur := cycle[j-1], cycle[j]
		wantTS := uint32(cur.frame-prev.frame) * 960
		if cur.seq-prev.seq != 1 {
			t.Errorf("frame %d → %d: sequence step %d, want 1 (no packets were dropped)", prev.frame, cur.frame, cur.seq-prev.seq)
		}
		if cur.ts-prev.ts != wantTS {
			t.Errorf("frame %d → %d: timestamp step %d, want %d", prev.frame, cur.frame, cur.ts-prev.ts, wantTS)
		}
	}
	if cycle[19].frame != 19 || cycle[20].frame != 40 {
		t.Fatalf("cycle frames around the gap: %d, %d", cycle[19].frame, cycle[20].frame)
	}
	t.Logf("gap of 20 frames: timestamp step %d (= 21 × 960), sequence step %d", cycle[20].ts-cycle[19].ts, cycle[20].seq-cycle[19].seq)
}
