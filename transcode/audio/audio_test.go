package audio

import (
	"errors"
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

func TestG711KnownValues(t *testing.T) {
	// Reference points from ITU-T G.711 tables: zero, and the extremes.
	tests := []struct {
		name       string
		in         int16
		ulaw, alaw byte
	}{
		{"zero", 0, 0xFF, 0xD5},
		{"max positive", 32767, 0x80, 0xAA},
		{"max negative", -32768, 0x00, 0x2A},
		{"minus one", -1, 0x7F, 0x55},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LinearToULaw(tc.in); got != tc.ulaw {
				t.Errorf("LinearToULaw(%d) = %#x, want %#x", tc.in, got, tc.ulaw)
			}
			if got := LinearToALaw(tc.in); got != tc.alaw {
				t.Errorf("LinearToALaw(%d) = %#x, want %#x", tc.in, got, tc.alaw)
			}
		})
	}
}

func TestG711DecodeReference(t *testing.T) {
	// Decoder outputs derived by hand from the G.711 segment tables: µ-law
	// peaks at ±8031 (14-bit) = ±32124, A-law at ±4032 (13-bit) = ±32256;
	// the smallest steps decode to 0 (µ-law) and ±8 (A-law, mid-riser).
	// E.g. A-law 0x7F: ^0x55 = 0x2A → negative, segment 2 (64..127, step 4),
	// step 10 → 64+40+2 = 106 → ×8 = -848. µ-law 0x55: ^ = 0xAA → negative,
	// segment 2 (95..223, step 8), step 10 → 179 → ×4 = -716.
	tests := []struct {
		name string
		code byte
		ulaw int16
		alaw int16
	}{
		{"0x00", 0x00, -32124, -5504},
		{"0x80", 0x80, 32124, 5504},
		{"0x7F", 0x7F, 0, -848},
		{"0xFF", 0xFF, 0, 848},
		{"0x55", 0x55, -716, -8},
		{"0xD5", 0xD5, 716, 8},
		{"0x2A", 0x2A, -5372, -32256},
		{"0xAA", 0xAA, 5372, 32256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ULawToLinear(tc.code); got != tc.ulaw {
				t.Errorf("ULawToLinear = %d, want %d", got, tc.ulaw)
			}
			if got := ALawToLinear(tc.code); got != tc.alaw {
				t.Errorf("ALawToLinear = %d, want %d", got, tc.alaw)
			}
		})
	}
}

func TestG711CodeWordsRoundTrip(t *testing.T) {
	// Every code word must decode to a value that encodes back to itself
	// (except µ-law's negative zero 0x7F, which maps to +0 → 0xFF).
	for b := 0; b < 256; b++ {
		u := byte(b)
		if got := LinearToULaw(ULawToLinear(u)); got != u && u != 0x7F {
			t.Errorf("ulaw %#x -> %d -> %#x", u, ULawToLinear(u), got)
		}
		if got := LinearToALaw(ALawToLinear(u)); got != u {
			t.Errorf("alaw %#x -> %d -> %#x", u, ALawToLinear(u), got)
		}
	}
}

func TestG711Monotonic(t *testing.T) {
	// Decoding must be monotonic in the input: compand, don't scramble.
	prevU, prevA := ULawToLinear(LinearToULaw(-32768)), ALawToLinear(LinearToALaw(-32768))
	for s := -32768; s <= 32767; s += 7 {
		u := ULawToLinear(LinearToULaw(int16(s)))
		a := ALawToLinear(LinearToALaw(int16(s)))
		if u < prevU || a < prevA {
			t.Fatalf("non monotonic at %d: u %d<%d a %d<%d", s, u, prevU, a, prevA)
		}
		prevU, prevA = u, a
	}
}

// roundTrip encodes in frames of frame samples and decodes back.
func roundTrip(t *testing.T, c media.Codec, cfg Config, in []int16, frame int) []int16 {
	t.Helper()
	enc, err := NewEncoder(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if enc.SampleRate() != c.SampleRate() || dec.SampleRate() != c.SampleRate() {
		t.Fatalf("rates %d/%d, want %d", enc.SampleRate(), dec.SampleRate(), c.SampleRate())
	}
	var out []int16
	var pkt []byte
	var pcm []int16
	for off := 0; off+frame <= len(in); off += frame {
		pkt, err = enc.Encode(in[off:off+frame], pkt)
		if err != nil {
			t.Fatal(err)
		}
		pcm, err = dec.Decode(pkt, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if len(pcm) != frame {
			t.Fatalf("decoded %d samples, want %d", len(pcm), frame)
		}
		out = append(out, pcm...)
	}
	return out
}

func TestCodecRoundTripSNR(t *testing.T) {
	tests := []struct {
		name   string
		codec  media.Codec
		cfg    Config
		signal string
		minSNR float64
	}{
		// G.711 has ~38 dB SQNR for a loud tone; speech at -6 dBFS is similar.
		{"pcmu tone", media.PCMU, Config{}, "tone", 44},
		{"pcma tone", media.PCMA, Config{}, "tone", 35},
		{"pcmu speech", media.PCMU, Config{}, "speech", 35},
		{"pcma speech", media.PCMA, Config{}, "speech", 35},
		{"g722 tone", media.G722, Config{}, "tone", 40},
		{"g722 speech", media.G722, Config{}, "speech", 17},
		// Opus is perceptual: waveform SNR is a plausibility check.
		{"opus 64k tone", media.Opus, Config{Bitrate: 64000}, "tone", 22},
		{"opus 32k speech", media.Opus, Config{Bitrate: 32000}, "speech", 14},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rate := tc.codec.SampleRate()
			n := rate // 1 s
			var in []int16
			if tc.signal == "tone" {
				in = tone(1000, rate, n, 16000)
			} else {
				in = speechLike(rate, n)
			}
			frame := media.SamplesPerFrame(rate, media.FrameDuration)
			out := roundTrip(t, tc.codec, tc.cfg, in, frame)
			snr, lag := alignedSNR(in, out, rate/10, rate/50)
			t.Logf("%s: SNR %.1f dB at lag %d samples", tc.name, snr, lag)
			if snr < tc.minSNR {
				t.Errorf("SNR %.1f dB < %.1f dB", snr, tc.minSNR)
			}
		})
	}
}

func TestNewUnsupported(t *testing.T) {
	if _, err := NewDecoder(media.H264, Config{}); !errors.Is(err, errUnsupportedCodec) {
		t.Errorf("NewDecoder(H264) err = %v", err)
	}
	if _, err := NewEncoder("G729", Config{}); !errors.Is(err, errUnsupportedCodec) {
		t.Errorf("NewEncoder(G729) err = %v", err)
	}
	if _, err := NewDecoder(media.Opus, Config{Channels: 3}); !errors.Is(err, errBadConfig) {
		t.Errorf("NewDecoder(opus, 3ch) err = %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []media.Codec{media.PCMU, media.PCMA, media.G722, media.Opus} {
		t.Run(string(c)+" empty payload", func(t *testing.T) {
			dec, err := NewDecoder(c, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Decode(nil, nil); !errors.Is(err, errEmptyPayload) {
				t.Errorf("err = %v, want errEmptyPayload", err)
			}
		})
	}
	t.Run("opus wrong frame size", func(t *testing.T) {
		enc, err := NewEncoder(media.Opus, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enc.Encode(make([]int16, 100), nil); !errors.Is(err, errFrameSize) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("g722 odd samples", func(t *testing.T) {
		if _, err := NewG722Encoder().Encode(make([]int16, 3), nil); !errors.Is(err, errFrameSize) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestConceal(t *testing.T) {
	t.Run("g711 fades to silence", func(t *testing.T) {
		var enc G711Encoder
		dec := &G711Decoder{}
		in := tone(1000, 8000, 160, 16000)
		pkt, _ := enc.Encode(in, nil)
		if _, err := dec.Decode(pkt, nil); err != nil {
			t.Fatal(err)
		}
		prev := energy(in)
		for i := 0; i < 4; i++ {
			out, err := dec.Conceal(160, nil)
			if err != nil || len(out) != 160 {
				t.Fatalf("conceal %d: %v len %d", i, err, len(out))
			}
			e := energy(out)
			if e >= prev {
				t.Errorf("frame %d energy %.0f not below %.0f", i, e, prev)
			}
			prev = e
		}
		if prev != 0 {
			t.Errorf("still sound after 4 concealed frames: %.0f", prev)
		}
	})
	t.Run("opus plc gives a frame", func(t *testing.T) {
		enc, _ := NewOpusEncoder(Config{})
		dec, _ := NewOpusDecoder(1)
		in := tone(440, 48000, 960, 12000)
		for i := 0; i < 5; i++ {
			pkt, err := enc.Encode(in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Decode(pkt, nil); err != nil {
				t.Fatal(err)
			}
		}
		out, err := dec.Conceal(960, nil)
		if err != nil || len(out) != 960 {
			t.Fatalf("conceal: %v len %d", err, len(out))
		}
		if energy(out) == 0 {
			t.Error("opus PLC produced silence right after a tone")
		}
	})
	t.Run("opus fec recovers a lost frame", func(t *testing.T) {
		enc, err := NewOpusEncoder(Config{Bitrate: 32000, FEC: true, PacketLossPercent: 20})
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := NewOpusDecoder(1)
		in := speechLike(48000, 48000)
		var pkts [][]byte
		for off := 0; off+960 <= len(in); off += 960 {
			p, err := enc.Encode(in[off:off+960], nil)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, p)
		}
		for i := 0; i < 20; i++ {
			if _, err := dec.Decode(pkts[i], nil); err != nil {
				t.Fatal(err)
			}
		}
		// Packet 20 is lost; 21 carries its LBRR copy.
		out, err := dec.Recover(pkts[21], 960, nil)
		if err != nil || len(out) != 960 {
			t.Fatalf("recover: %v len %d", err, len(out))
		}
		if energy(out) == 0 {
			t.Error("FEC recovery produced silence in voiced speech")
		}
	})
}

func TestOpusStereoDecode(t *testing.T) {
	enc, _ := NewOpusEncoder(Config{})
	dec, err := NewDecoder(media.Opus, Config{Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	if dec.Channels() != 2 {
		t.Fatalf("channels %d", dec.Channels())
	}
	pkt, err := enc.Encode(tone(440, 48000, 960, 12000), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := dec.Decode(pkt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1920 {
		t.Errorf("stereo decode of a mono 20 ms packet gave %d samples, want 1920", len(out))
	}
}

func energy(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return e
}
