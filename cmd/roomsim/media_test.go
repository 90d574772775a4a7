package main

import (
	"math"
	"testing"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/transcode/media"
)

// The generated stream goes through the packetizer and the receiver's
// depacketizer whole: every access unit complete, an IDR with its SPS each group,
// the picture size read back from the SPS; the tone comes back at its frequency.
func TestGeneratedMediaRoundTrip(t *testing.T) {
	frames, err := videoFrames("gen", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 20 {
		t.Fatalf("%d access units, want 2 groups of 10", len(frames))
	}
	r := newReceiver()
	var h rtp.Packet
	seq := uint16(100)
	for i, f := range frames {
		for j, p := range f {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(i * 9000), Marker: j == len(f)-1}, Payload: p}
			b, _ := pkt.Marshal()
			r.handle("video", b, &h)
			seq++
		}
	}
	tone, err := encodeTone(media.G722, 700, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 9, SequenceNumber: uint16(i), Timestamp: uint32(i * 160)}, Payload: tone[i%len(tone)]}
		b, _ := pkt.Marshal()
		r.handle("audio", b, &h)
	}
	st := r.report()
	if st.H264Frames != 20 || st.H264Keyframes != 2 || !st.H264SPS || st.Width != 176 || st.Height != 144 {
		t.Errorf("video received: %+v", st)
	}
	if st.AudioPackets != 150 || st.AudioCodec != "G722" || math.Abs(st.Tone.Hz-700) > 15 || st.Tone.PeakShare < 0.9 {
		t.Errorf("audio received: %+v", st)
	}
}

func TestPercentile(t *testing.T) {
	v := []float64{5, 1, 4, 2, 3}
	for _, c := range []struct {
		p    int
		want float64
	}{{50, 3}, {99, 5}, {1, 1}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%d = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}
