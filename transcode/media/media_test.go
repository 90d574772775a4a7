package media

import (
	"testing"
	"time"
)

func TestCodecRates(t *testing.T) {
	tests := []struct {
		name       string
		codec      Codec
		clock      int
		rate       int
		pt         int
		tsPerFrame uint32
		audio      bool
	}{
		{"pcmu", PCMU, 8000, 8000, 0, 160, true},
		{"pcma", PCMA, 8000, 8000, 8, 160, true},
		{"g722 clock is 8k but samples at 16k", G722, 8000, 16000, 9, 160, true},
		{"opus", Opus, 48000, 48000, -1, 960, true},
		{"h264", H264, 90000, 0, -1, 1800, false},
		{"telephone-event", TelephoneEvent, 8000, 0, -1, 160, false},
		{"unknown", Codec("foo"), 0, 0, -1, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.codec.ClockRate(); got != tc.clock {
				t.Errorf("ClockRate = %d, want %d", got, tc.clock)
			}
			if got := tc.codec.SampleRate(); got != tc.rate {
				t.Errorf("SampleRate = %d, want %d", got, tc.rate)
			}
			if got := tc.codec.StaticPayloadType(); got != tc.pt {
				t.Errorf("StaticPayloadType = %d, want %d", got, tc.pt)
			}
			if got := tc.codec.TimestampsPerFrame(FrameDuration); got != tc.tsPerFrame {
				t.Errorf("TimestampsPerFrame = %d, want %d", got, tc.tsPerFrame)
			}
			if got := tc.codec.IsAudio(); got != tc.audio {
				t.Errorf("IsAudio = %v, want %v", got, tc.audio)
			}
		})
	}
}

func TestParseCodec(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Codec
		ok   bool
	}{
		{"upper opus", "OPUS", Opus, true},
		{"lower pcmu", "pcmu", PCMU, true},
		{"telephone-event", "Telephone-Event", TelephoneEvent, true},
		{"unknown", "G729", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseCodec(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseCodec(%q) = %q,%v want %q,%v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPCMDuration(t *testing.T) {
	tests := []struct {
		name string
		pcm  PCM
		want time.Duration
	}{
		{"mono 48k 20ms", PCM{Samples: make([]int16, 960), Rate: 48000}, 20 * time.Millisecond},
		{"stereo 48k 20ms", PCM{Samples: make([]int16, 1920), Rate: 48000, Channels: 2}, 20 * time.Millisecond},
		{"8k 10ms", PCM{Samples: make([]int16, 80), Rate: 8000, Channels: 1}, 10 * time.Millisecond},
		{"no rate", PCM{Samples: make([]int16, 80)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.pcm.Duration(); got != tc.want {
				t.Errorf("Duration = %v, want %v", got, tc.want)
			}
		})
	}
}
