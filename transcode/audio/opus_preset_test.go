package audio

import (
	"errors"
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
	"github.com/roomgate/roomgate/transcode/resample"
)

// viaSource returns in (at the source codec's rate) as the room → meeting
// encoder receives it: coded and decoded with the room system's codec, then
// resampled to 48 kHz, trimmed to whole 20 ms frames. Opus sources are
// taken as already 48 kHz and passed through.
func viaSource(tb testing.TB, c media.Codec, in []int16) []int16 {
	tb.Helper()
	if c == media.Opus {
		return in[:len(in)/opusFrame*opusFrame]
	}
	rate := c.SampleRate()
	frame := media.SamplesPerFrame(rate, media.FrameDuration)
	enc, err := NewEncoder(c, Config{})
	if err != nil {
		tb.Fatal(err)
	}
	dec, err := NewDecoder(c, Config{})
	if err != nil {
		tb.Fatal(err)
	}
	var pcm []int16
	for off := 0; off+frame <= len(in); off += frame {
		p, err := enc.Encode(in[off:off+frame], nil)
		if err != nil {
			tb.Fatal(err)
		}
		out, err := dec.Decode(p, nil)
		if err != nil {
			tb.Fatal(err)
		}
		pcm = append(pcm, out...)
	}
	r, err := resample.New(rate, opusRate)
	if err != nil {
		tb.Fatal(err)
	}
	out := r.Process(pcm, nil)
	return out[:len(out)/opusFrame*opusFrame]
}

// opusRoundTrip encodes 48 kHz mono in with cfg and decodes it back. It also
// returns the TOC byte of every packet.
func opusRoundTrip(t *testing.T, cfg Config, in []int16) (out []int16, tocs []byte) {
	t.Helper()
	enc, err := NewOpusEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	var pkt []byte
	var pcm []int16
	for off := 0; off+opusFrame <= len(in); off += opusFrame {
		if pkt, err = enc.Encode(in[off:off+opusFrame], pkt); err != nil {
			t.Fatal(err)
		}
		tocs = append(tocs, pkt[0])
		if pcm, err = dec.Decode(pkt, pcm); err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm...)
	}
	return out, tocs
}

// toneFreq estimates the frequency of a sine from its rising zero crossings,
// interpolated between samples.
func toneFreq(x []int16, rate int) float64 {
	first, last, n := -1.0, 0.0, 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			at := float64(i-1) + float64(-x[i-1])/float64(int(x[i])-int(x[i-1]))
			if first < 0 {
				first = at
			}
			last, n = at, n+1
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) * float64(rate) / (last - first)
}

// celtBandwidthHz maps the TOC of a CELT-only packet (RFC 6716 §3.1,
// configurations 16–31) to its audio bandwidth in Hz, or 0 for SILK/hybrid.
func celtBandwidthHz(toc byte) int {
	config := toc >> 3
	if config < 16 {
		return 0
	}
	return [...]int{4000, 8000, 12000, 20000}[(config-16)/4]
}

func TestRoomToMeetingOpusPreset(t *testing.T) {
	tests := []struct {
		name   string
		source media.Codec
		wantHz int // audio bandwidth of the packets
	}{
		{"pcmu narrowband", media.PCMU, 4000},
		{"pcma narrowband", media.PCMA, 4000},
		{"g722 wideband", media.G722, 8000},
		{"opus fullband", media.Opus, 20000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := RoomToMeetingOpus(tc.source)
			if cfg.Bitrate != 32000 || !cfg.LowDelay || !cfg.ComplexitySet || cfg.Complexity != 5 || cfg.FEC {
				t.Errorf("preset %+v", cfg)
			}
			rate := tc.source.SampleRate()
			_, tocs := opusRoundTrip(t, cfg, viaSource(t, tc.source, speechLike(rate, rate/2)))
			for i, toc := range tocs {
				if hz := celtBandwidthHz(toc); hz != tc.wantHz {
					t.Fatalf("packet %d: TOC %#02x is %d Hz CELT (0 = not CELT), want %d Hz CELT-only", i, toc, hz, tc.wantHz)
				}
			}
		})
	}
}

// The preset's quality on what room systems send: 1 s of speechLike or a
// tone at 12000 peak, through the room codec, resampled to 48 kHz, then the
// preset. Waveform SNR is only a plausibility check for a perceptual codec,
// but CELT at 32 kbit/s keeps the waveform well. Measured (gopus v0.1.1,
// amd64), preset vs the old default (VoIP, complexity 9, no cap, FEC) and vs
// the preset at complexity 4:
//
//	                 preset  old    cx 4
//	pcmu speechLike  23.1    17.2   21.6   (preset with a wideband cap: 17.0)
//	pcmu 300 Hz      41.2    28.3   41.3
//	pcmu 1 kHz       43.8    16.0   43.8
//	pcmu 3 kHz       33.6     7.4   32.6
//	g722 speechLike  18.3    17.3   16.0
//	g722 300 Hz      38.4    29.8   38.4
//	g722 1 kHz       39.8    32.6   38.6
//	g722 3 kHz       31.5    18.5   33.3
//	g722 6 kHz       29.7    27.5   29.7   (0 dB through a narrowband cap)
//	opus speechLike  18.4    17.2   14.6
//
// Thresholds leave about 4 dB of margin for encoder changes, below which a
// lost pitch pre-filter (complexity < 5), a wrong bandwidth cap or broken
// resampling would show. Tone frequencies come out within 0.01 Hz; the
// bound is 1 Hz.
func TestRoomToMeetingOpusQuality(t *testing.T) {
	tests := []struct {
		name   string
		source media.Codec
		freq   float64 // 0: speechLike
		minSNR float64
	}{
		{"pcmu speech", media.PCMU, 0, 19},   // 23.1
		{"pcma speech", media.PCMA, 0, 19},   // 22.9
		{"pcmu 300 Hz", media.PCMU, 300, 37}, // 41.2
		{"pcmu 1 kHz", media.PCMU, 1000, 39}, // 43.8
		{"pcmu 3 kHz", media.PCMU, 3000, 29}, // 33.6
		{"g722 speech", media.G722, 0, 14},   // 18.3
		{"g722 300 Hz", media.G722, 300, 34}, // 38.4
		{"g722 1 kHz", media.G722, 1000, 35}, // 39.8
		{"g722 3 kHz", media.G722, 3000, 27}, // 31.5
		{"g722 6 kHz", media.G722, 6000, 25}, // 29.7; 0 dB if capped at 4 kHz
		{"opus speech", media.Opus, 0, 15},   // 18.4; 14.6 at complexity 4
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rate := tc.source.SampleRate()
			var src []int16
			if tc.freq == 0 {
				src = speechLike(rate, rate)
			} else {
				src = tone(tc.freq, rate, rate, 12000)
			}
			in := viaSource(t, tc.source, src)
			out, _ := opusRoundTrip(t, RoomToMeetingOpus(tc.source), in)
			snr, lag := alignedSNR(in, out, opusRate/10, opusRate/50)
			t.Logf("%s: SNR %.1f dB at lag %d", tc.name, snr, lag)
			if snr < tc.minSNR {
				t.Errorf("SNR %.1f dB < %.0f dB", snr, tc.minSNR)
			}
			if tc.freq != 0 {
				f := toneFreq(out[opusRate/10:], opusRate)
				if f < tc.freq-1 || f > tc.freq+1 {
					t.Errorf("tone at %.1f Hz, want %.0f±1 Hz", f, tc.freq)
				}
			}
		})
	}
}

// speechCases are the room codecs the speech tests run through, with the least SNR
// each test takes: the preset fed at 48 kHz, and at the codec's own rate.
var speechCases = []struct {
	name                   string
	source                 media.Codec
	minSNR48, minSNRNative float64
}{
	{"pcmu", media.PCMU, 20, 19},
	{"g722", media.G722, 12, 11},
}

// Real speech (espeak-ng) through the room codec and the preset. Measured:
// pcmu 24.4 dB, g722 16.5 dB; the old default gives 11.5 and 10.2 dB, the
// preset at complexity 4 22.7 and 15.2 dB.
func TestRoomToMeetingOpusSpeech(t *testing.T) {
	for _, tc := range speechCases {
		t.Run(tc.name, func(t *testing.T) {
			in := viaSource(t, tc.source, espeak(t, tc.source.SampleRate()))
			out, _ := opusRoundTrip(t, RoomToMeetingOpus(tc.source), in)
			snr, lag := alignedSNR(in, out, opusRate/10, opusRate/50)
			t.Logf("espeak-ng via %s and the preset: SNR %.1f dB (lag %d)", tc.name, snr, lag)
			if snr < tc.minSNR48 {
				t.Errorf("SNR %.1f dB < %.0f dB", snr, tc.minSNR48)
			}
		})
	}
}

func TestOpusEncoderConfig(t *testing.T) {
	five := func(c Config) Config { c.Complexity, c.ComplexitySet = 5, true; return c }
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero value", Config{}, true},
		{"complexity 0 set", Config{ComplexitySet: true}, true},
		{"complexity 10", Config{Complexity: 10, ComplexitySet: true}, true},
		{"complexity 11", Config{Complexity: 11, ComplexitySet: true}, false},
		{"complexity -1", Config{Complexity: -1, ComplexitySet: true}, false},
		{"complexity without ComplexitySet", Config{Complexity: 5}, false},
		{"max 3400 Hz rounds up to narrowband", Config{MaxAudioHz: 3400}, true},
		{"max 7000 Hz rounds up to wideband", five(Config{MaxAudioHz: 7000, LowDelay: true}), true},
		{"max 20000 Hz", Config{MaxAudioHz: 20000}, true},
		{"max 20001 Hz", Config{MaxAudioHz: 20001}, false},
		{"max -1 Hz", Config{MaxAudioHz: -1}, false},
		{"low delay", Config{LowDelay: true}, true},
		{"low delay with FEC", Config{LowDelay: true, FEC: true, PacketLossPercent: 10}, false},
		{"FEC loss 101", Config{FEC: true, PacketLossPercent: 101}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewOpusEncoder(tc.cfg)
			if tc.ok && err != nil {
				t.Errorf("err = %v", err)
			}
			if !tc.ok && !errors.Is(err, errBadConfig) {
				t.Errorf("err = %v, want errBadConfig", err)
			}
		})
	}
}

func TestOpusMaxAudioHzCapsPackets(t *testing.T) {
	// LowDelay makes every packet CELT, whose TOC carries the bandwidth.
	in := speechLike(opusRate, opusRate/2)
	for _, tc := range []struct{ hz, want int }{{4000, 4000}, {7000, 8000}, {8000, 8000}, {12000, 12000}, {0, 20000}} {
		_, tocs := opusRoundTrip(t, Config{Bitrate: 32000, LowDelay: true, MaxAudioHz: tc.hz}, in)
		for i, toc := range tocs {
			if got := celtBandwidthHz(toc); got != tc.want {
				t.Fatalf("MaxAudioHz %d: packet %d coded at %d Hz, want %d", tc.hz, i, got, tc.want)
			}
		}
	}
}

// The gateway feeds the preset at the room codec's own rate (Config.InputRate),
// skipping the resampler up to 48 kHz. Real speech (espeak-ng) through the room
// codec; measured 22.9 dB (PCMU at 8 kHz) and 15.3 dB (G.722 at 16 kHz), 1.2–1.5
// dB below feeding the same audio at 48 kHz, for the same encoder CPU.
func TestRoomToMeetingOpusAtSourceRate(t *testing.T) {
	for _, tc := range speechCases {
		t.Run(tc.name, func(t *testing.T) {
			ref := viaSource(t, tc.source, espeak(t, tc.source.SampleRate())) // 48 kHz
			rate := tc.source.SampleRate()
			down, err := resample.New(opusRate, rate)
			if err != nil {
				t.Fatal(err)
			}
			src := down.Process(ref, nil)
			cfg := RoomToMeetingOpus(tc.source)
			cfg.InputRate = rate
			enc, err := NewOpusEncoder(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if enc.SampleRate() != rate {
				t.Fatalf("encoder takes %d Hz, want %d", enc.SampleRate(), rate)
			}
			if _, err := enc.Encode(make([]int16, opusFrame), nil); err == nil {
				t.Fatal("a 48 kHz frame was accepted by an encoder taking the source rate")
			}
			dec, err := NewOpusDecoder(1)
			if err != nil {
				t.Fatal(err)
			}
			var out, pcm []int16
			var pkt []byte
			frame := rate / 50
			for off := 0; off+frame <= len(src); off += frame {
				if pkt, err = enc.Encode(src[off:off+frame], pkt); err != nil {
					t.Fatal(err)
				}
				if pcm, err = dec.Decode(pkt, pcm); err != nil {
					t.Fatal(err)
				}
				if len(pcm) != opusFrame {
					t.Fatalf("decoded %d samples, want %d: the RTP clock must stay 48 kHz", len(pcm), opusFrame)
				}
				out = append(out, pcm...)
			}
			snr, lag := alignedSNR(ref, out, opusRate/10, opusRate/50)
			t.Logf("espeak-ng via %s, preset at %d Hz input: SNR %.1f dB (lag %d)", tc.name, rate, snr, lag)
			if snr < tc.minSNRNative {
				t.Errorf("SNR %.1f dB < %.0f dB", snr, tc.minSNRNative)
			}
		})
	}
	if _, err := NewOpusEncoder(Config{InputRate: 44100}); err == nil {
		t.Error("44.1 kHz input accepted")
	}
}
