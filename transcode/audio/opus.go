package audio

import (
	"fmt"

	"github.com/roomgate/roomgate/transcode/media"
	"github.com/thesyncim/gopus"
)

// Opus (RFC 6716) at 48 kHz with 20 ms frames, as carried in RTP per RFC 7587.

const (
	opusRate        = 48000
	opusFrame       = opusRate / 50 // 20 ms
	opusMaxPacket   = 1275          // RFC 6716 §3.2.1 limit for one frame
	opusMaxDecFrame = 5760          // 120 ms, the longest Opus packet
)

// OpusEncoder encodes 48 kHz mono 20 ms frames.
type OpusEncoder struct {
	enc  *gopus.Encoder
	rate int // PCM rate taken (Config.InputRate); the RTP clock stays 48 kHz
}

// NewOpusEncoder returns a mono encoder configured from cfg: the VoIP
// application (SILK/hybrid/CELT chosen per frame) unless cfg.LowDelay, the
// codec's default complexity unless cfg.ComplexitySet, no bandwidth cap
// unless cfg.MaxAudioHz. Out-of-range or contradictory settings give an
// error wrapping errBadConfig.
func NewOpusEncoder(cfg Config) (*OpusEncoder, error) {
	app := gopus.ApplicationVoIP
	if cfg.LowDelay {
		if cfg.FEC {
			return nil, fmt.Errorf("%w: opus FEC with LowDelay: CELT has no in-band FEC", errBadConfig)
		}
		app = gopus.ApplicationLowDelay
	}
	if !cfg.ComplexitySet && cfg.Complexity != 0 {
		return nil, fmt.Errorf("%w: opus complexity %d without ComplexitySet", errBadConfig, cfg.Complexity)
	}
	if cfg.ComplexitySet && (cfg.Complexity < 0 || cfg.Complexity > 10) {
		return nil, fmt.Errorf("%w: opus complexity %d not in 0..10", errBadConfig, cfg.Complexity)
	}
	bw, capBW, err := opusBandwidth(cfg.MaxAudioHz)
	if err != nil {
		return nil, err
	}
	rate := cfg.InputRate
	switch rate {
	case 0:
		rate = opusRate
	case 8000, 12000, 16000, 24000, opusRate:
	default:
		return nil, fmt.Errorf("%w: opus input rate %d Hz (want 8000, 12000, 16000, 24000 or 48000)", errBadConfig, rate)
	}
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{
		SampleRate: rate, Channels: 1, Application: app,
	})
	if err != nil {
		return nil, fmt.Errorf("audio: opus encoder: %w", err)
	}
	if err := enc.SetFrameSize(rate / 50); err != nil {
		return nil, fmt.Errorf("audio: opus frame size: %w", err)
	}
	if cfg.Bitrate != 0 {
		if err := enc.SetBitrate(cfg.Bitrate); err != nil {
			return nil, fmt.Errorf("%w: opus bitrate %d: %w", errBadConfig, cfg.Bitrate, err)
		}
	}
	if cfg.ComplexitySet {
		if err := enc.SetComplexity(cfg.Complexity); err != nil {
			return nil, fmt.Errorf("%w: opus complexity %d: %w", errBadConfig, cfg.Complexity, err)
		}
	}
	if capBW {
		if err := enc.SetMaxBandwidth(bw); err != nil {
			return nil, fmt.Errorf("%w: opus max bandwidth %d Hz: %w", errBadConfig, cfg.MaxAudioHz, err)
		}
	}
	if cfg.FEC {
		enc.SetFEC(true)
		if err := enc.SetPacketLoss(cfg.PacketLossPercent); err != nil {
			return nil, fmt.Errorf("%w: opus packet loss %d: %w", errBadConfig, cfg.PacketLossPercent, err)
		}
	}
	return &OpusEncoder{enc: enc, rate: rate}, nil
}

// opusBandwidth maps Config.MaxAudioHz to the narrowest Opus bandwidth that
// covers it; ok is false for 0 (no cap).
func opusBandwidth(hz int) (bw gopus.Bandwidth, ok bool, err error) {
	switch {
	case hz == 0:
		return 0, false, nil
	case hz < 0 || hz > 20000:
		return 0, false, fmt.Errorf("%w: opus max audio bandwidth %d Hz not in 1..20000", errBadConfig, hz)
	case hz <= 4000:
		return gopus.BandwidthNarrowband, true, nil
	case hz <= 6000:
		return gopus.BandwidthMediumband, true, nil
	case hz <= 8000:
		return gopus.BandwidthWideband, true, nil
	case hz <= 12000:
		return gopus.BandwidthSuperwideband, true, nil
	}
	return gopus.BandwidthFullband, true, nil
}

// RoomToMeetingOpus is the recommended Opus encoder configuration for the
// room system → meeting direction, given the room system's codec: 32 kbit/s
// CELT-only (LowDelay) at complexity 5, with the bandwidth capped to what
// the source can carry: narrowband for G.711 (≤4 kHz), wideband for G.722
// (≤7 kHz), fullband for Opus or anything else.
//
// Measured with BenchmarkOpusEncodePresets (2-core amd64, medians of 5) it
// takes 64 µs per 20 ms frame from G.711 and 81 µs from G.722, against
// about 270 µs for the previous VoIP/complexity 9/uncapped setting, with
// higher waveform SNR (TestRoomToMeetingOpusQuality). Complexity 5 is the
// lowest that keeps CELT's pitch pre-filter, worth 1.3–3.8 dB of SNR on
// voiced speech over complexity 1–4 for about 30 µs a frame; 6–10 cost more with
// no measurable gain for mono speech. Capping G.711 at narrowband rather
// than wideband spends the 32 kbit/s where the signal is (+6 dB SNR).
//
// There is no in-band FEC in this mode (CELT has none; Opus FEC is SILK
// LBRR), so the meeting side relies on PLC, NACK or RED for loss.
func RoomToMeetingOpus(source media.Codec) Config {
	cfg := Config{Bitrate: 32000, LowDelay: true, Complexity: 5, ComplexitySet: true, MaxAudioHz: 20000}
	switch source {
	case media.PCMU, media.PCMA:
		cfg.MaxAudioHz = 4000
	case media.G722:
		cfg.MaxAudioHz = 8000
	}
	return cfg
}

// SampleRate implements Encoder.
func (e *OpusEncoder) SampleRate() int { return e.rate }

// SetBitrate changes the target bitrate, e.g. on REMB/TMMBR.
func (e *OpusEncoder) SetBitrate(bps int) error {
	if err := e.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("%w: opus bitrate %d: %w", errBadConfig, bps, err)
	}
	return nil
}

// Encode implements Encoder. pcm must be exactly one 20 ms frame (960 samples).
func (e *OpusEncoder) Encode(pcm []int16, dst []byte) ([]byte, error) {
	if len(pcm) != e.rate/50 {
		return dst[:0], fmt.Errorf("%w: opus wants %d samples, got %d", errFrameSize, e.rate/50, len(pcm))
	}
	dst = grow(dst, opusMaxPacket)
	n, err := e.enc.EncodeInt16(pcm, dst)
	if err != nil {
		return dst[:0], fmt.Errorf("audio: opus encode: %w", err)
	}
	return dst[:n], nil
}

// OpusDecoder decodes Opus to 48 kHz PCM, mono or interleaved stereo.
type OpusDecoder struct {
	dec      *gopus.Decoder
	channels int
	scratch  []float32
}

// NewOpusDecoder returns a decoder with 1 or 2 output channels (0 means 1).
func NewOpusDecoder(channels int) (*OpusDecoder, error) {
	if channels == 0 {
		channels = 1
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: %d opus channels", errBadConfig, channels)
	}
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(opusRate, channels))
	if err != nil {
		return nil, fmt.Errorf("audio: opus decoder: %w", err)
	}
	return &OpusDecoder{dec: dec, channels: channels}, nil
}

// SampleRate implements Decoder.
func (*OpusDecoder) SampleRate() int { return opusRate }

// Channels implements Decoder.
func (d *OpusDecoder) Channels() int { return d.channels }

// Decode implements Decoder.
func (d *OpusDecoder) Decode(payload []byte, dst []int16) ([]int16, error) {
	if len(payload) == 0 {
		return dst[:0], errEmptyPayload
	}
	dst = grow(dst, opusMaxDecFrame*d.channels)
	n, err := d.dec.DecodeInt16(payload, dst)
	if err != nil {
		return dst[:0], fmt.Errorf("audio: opus decode: %w", err)
	}
	return dst[:n*d.channels], nil
}

// Conceal implements Concealer with the codec's own PLC.
func (d *OpusDecoder) Conceal(frameSamples int, dst []int16) ([]int16, error) {
	dst = grow(dst, frameSamples*d.channels)
	n, err := d.dec.DecodeInt16(nil, dst)
	if err != nil {
		return dst[:0], fmt.Errorf("audio: opus plc: %w", err)
	}
	return dst[:n*d.channels], nil
}

// Recover reconstructs a lost frame from the in-band FEC (LBRR) carried in
// next, the packet that followed the loss; without FEC data it falls back to
// PLC. frameSamples is the lost frame's duration in samples per channel.
func (d *OpusDecoder) Recover(next []byte, frameSamples int, dst []int16) ([]int16, error) {
	d.scratch = grow(d.scratch, frameSamples*d.channels)
	n, err := d.dec.DecodeWithFEC(next, d.scratch, true)
	if err != nil {
		return dst[:0], fmt.Errorf("audio: opus fec: %w", err)
	}
	dst = grow(dst, n*d.channels)
	for i, f := range d.scratch[:n*d.channels] {
		dst[i] = floatToInt16(f)
	}
	return dst, nil
}

func floatToInt16(f float32) int16 {
	v := f * 32768
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	}
	if v < 0 {
		return int16(v - 0.5)
	}
	return int16(v + 0.5)
}
