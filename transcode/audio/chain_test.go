package audio

import (
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

func TestChainsAt48k(t *testing.T) {
	tests := []struct {
		name   string
		codec  media.Codec
		minSNR float64
	}{
		{"pcmu", media.PCMU, 30},
		{"pcma", media.PCMA, 30},
		{"g722", media.G722, 30},
		{"opus", media.Opus, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := NewOutbound(tc.codec, Config{Bitrate: 64000}, 48000)
			if err != nil {
				t.Fatal(err)
			}
			in, err := NewInbound(tc.codec, Config{}, 48000)
			if err != nil {
				t.Fatal(err)
			}
			src := tone(1000, 48000, 48000, 12000)
			var got []int16
			var pkt []byte
			var pcm []int16
			for off := 0; off+960 <= len(src); off += 960 {
				if pkt, err = out.Encode(src[off:off+960], pkt); err != nil {
					t.Fatal(err)
				}
				if pcm, err = in.Decode(pkt, pcm); err != nil {
					t.Fatal(err)
				}
				if len(pcm) != 960 {
					t.Fatalf("inbound gave %d samples, want 960", len(pcm))
				}
				got = append(got, pcm...)
			}
			snr, lag := alignedSNR(src, got, 4800, 960)
			t.Logf("48k → %s → 48k: SNR %.1f dB, lag %d", tc.name, snr, lag)
			if snr < tc.minSNR {
				t.Errorf("SNR %.1f < %.0f", snr, tc.minSNR)
			}
			lost, err := in.Lost(nil, nil)
			if err != nil || len(lost) != 960 {
				t.Errorf("Lost: %d samples, %v", len(lost), err)
			}
		})
	}
}

func TestInboundStereoDownmix(t *testing.T) {
	enc, _ := NewOpusEncoder(Config{})
	in, err := NewInbound(media.Opus, Config{Channels: 2}, 48000)
	if err != nil {
		t.Fatal(err)
	}
	pkt, _ := enc.Encode(tone(440, 48000, 960, 10000), nil)
	pcm, err := in.Decode(pkt, nil)
	if err != nil || len(pcm) != 960 {
		t.Fatalf("%d samples, %v", len(pcm), err)
	}
}

func TestFramer(t *testing.T) {
	seq := func(from, n int) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(from + i)
		}
		return s
	}
	t.Run("30 ms packets into 20 ms frames", func(t *testing.T) {
		f := NewFramer(160, 4)
		next := 0
		var frame []int16
		for p := 0; p < 6; p++ { // 6×240 = 9×160
			f.Write(seq(p*240, 240))
			for {
				var ok bool
				if frame, ok = f.Next(frame); !ok {
					break
				}
				if frame[0] != int16(next) || frame[159] != int16(next+159) {
					t.Fatalf("frame starts at %d, want %d", frame[0], next)
				}
				next += 160
			}
		}
		if next != 1440 || f.Buffered() != 0 || f.Dropped != 0 {
			t.Errorf("next %d buffered %d dropped %d", next, f.Buffered(), f.Dropped)
		}
	})
	t.Run("backlog bounded, oldest dropped", func(t *testing.T) {
		f := NewFramer(10, 2)
		f.Write(seq(0, 15))
		f.Write(seq(15, 15))
		if f.Buffered() != 20 || f.Dropped != 10 {
			t.Fatalf("buffered %d dropped %d", f.Buffered(), f.Dropped)
		}
		fr, _ := f.Next(nil)
		if fr[0] != 10 {
			t.Errorf("oldest kept sample %d, want 10", fr[0])
		}
		f.Write(seq(100, 50)) // larger than the whole backlog
		fr, _ = f.Next(nil)
		if fr[0] != 130 || f.Buffered() != 10 {
			t.Errorf("after huge write: first %d buffered %d", fr[0], f.Buffered())
		}
	})
}
