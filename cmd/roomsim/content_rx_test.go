package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/h264/synth"
)

// contentFeed sends the packets of frames to r as one RTP stream.
type contentFeed struct {
	t    *testing.T
	r    *contentRx
	seq  uint16
	ssrc uint32
	now  time.Time
}

// frame sends one access unit's packets, dropping the drop-th (−1: none);
// it returns whether r reported the session's first decodable frame.
func (f *contentFeed) frame(pkts [][]byte, drop int) bool {
	first := false
	for i, pl := range pkts {
		p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: f.seq, Timestamp: uint32(f.now.UnixMilli()) * 90,
			Marker: i == len(pkts)-1, SSRC: f.ssrc}, Payload: pl}
		f.seq++
		if i == drop {
			continue
		}
		if f.r.packet(&p, f.now) {
			if first {
				f.t.Fatal("two first frames in one access unit")
			}
			first = true
		}
	}
	f.now = f.now.Add(200 * time.Millisecond)
	return first
}

// TestContentRxDecodable: frames count as decodable from an IDR with its SPS
// and PPS until a loss, again from the next IDR; a new presentation (after
// contentIdle, or a new SSRC) needs its own parameter sets; the dump holds
// exactly the decodable frames.
func TestContentRxDecodable(t *testing.T) {
	aus := synth.Stream(64, 48, 2, 4) // 2 s at 4 fps: IDR (with SPS, PPS), 3 P, IDR, 3 P
	frames, err := packetize(aus)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 8 || !h264.IsKeyframe(aus[0]) || !h264.IsKeyframe(aus[4]) {
		t.Fatalf("synthetic stream: %d frames, want 8 with IDR at 0 and 4", len(frames))
	}
	dump := filepath.Join(t.TempDir(), "content.h264")
	r, err := newContentRx(dump)
	if err != nil {
		t.Fatal(err)
	}
	f := &contentFeed{t: t, r: r, ssrc: 1, now: time.Unix(1000, 0)}

	if _, ok := r.keyframeWanted(f.now); ok {
		t.Fatal("keyframe wanted before any content arrived")
	}
	// Joining mid-stream: P pictures are complete but not decodable; a keyframe
	// is asked for, at most every keyframeEvery.
	for i := 1; i < 4; i++ {
		if f.frame(frames[i], -1) {
			t.Fatalf("P picture %d reported as the first decodable frame", i)
		}
	}
	if ssrc, ok := r.keyframeWanted(f.now); !ok || ssrc != 1 {
		t.Fatalf("keyframe wanted %v for SSRC %d while undecodable, want true for 1", ok, ssrc)
	}
	if _, ok := r.keyframeWanted(f.now.Add(keyframeEvery / 2)); ok {
		t.Fatal("keyframe asked for again within keyframeEvery")
	}
	if !f.frame(frames[4], -1) {
		t.Fatal("the IDR picture with SPS and PPS is not the first decodable frame")
	}
	for i := 5; i < 8; i++ {
		f.frame(frames[i], -1)
	}
	if _, ok := r.keyframeWanted(f.now.Add(time.Hour)); ok {
		t.Fatal("keyframe wanted while decoding")
	}
	if got := r.decodableFrames(); got != 4 {
		t.Fatalf("decodable %d after IDR + 3 P, want 4", got)
	}
	// A lost packet inside an access unit breaks the chain until the next IDR.
	if len(frames[0]) < 2 {
		t.Fatalf("the IDR picture is %d packet(s): no loss to make inside it", len(frames[0]))
	}
	f.frame(frames[0], 1)
	f.frame(frames[1], -1)
	if got := r.decodableFrames(); got != 4 {
		t.Fatalf("decodable %d after a loss, want still 4", got)
	}
	if _, ok := r.keyframeWanted(f.now.Add(time.Hour)); !ok {
		t.Fatal("no keyframe wanted after a loss")
	}
	f.frame(frames[0], -1)
	if got := r.decodableFrames(); got != 5 {
		t.Fatalf("decodable %d after the next IDR, want 5", got)
	}

	// Silence: stopped once; the next packets start a new presentation.
	if r.idle(f.now) {
		t.Fatal("idle right after a frame")
	}
	f.now = f.now.Add(contentIdle)
	if !r.idle(f.now) || r.idle(f.now.Add(time.Second)) {
		t.Fatal("idle not reported exactly once after contentIdle")
	}
	if !f.frame(frames[0], -1) {
		t.Fatal("no first decodable frame in the second presentation")
	}
	// A new SSRC is a new presentation at once.
	f.ssrc = 2
	if !f.frame(frames[4], -1) {
		t.Fatal("no first decodable frame from a new SSRC")
	}

	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	var rep contentReport
	r.fill(&rep)
	if rep.RxSessions != 3 || rep.RxDecodable != 7 || !rep.RxSPS || !rep.RxPPS || rep.RxWidth != 64 || rep.RxHeight != 48 || rep.RxKeyframes < 4 {
		t.Fatalf("report %+v", rep)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	nals := h264.SplitAnnexB(b)
	idr := 0
	for _, n := range nals {
		if h264.NALType(n) == h264.NALIDR {
			idr++
		}
	}
	if idr != 4 {
		t.Fatalf("dump: %d IDR pictures in %d NAL units, want the 4 decodable ones", idr, len(nals))
	}
}
