package audio

import (
	"fmt"

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
	enc *gopus.Encoder
}

// NewOpusEncoder returns a mono VoIP encoder configured from cfg.
func NewOpusEncoder(cfg Config) (*OpusEncoder, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{
		SampleRate: opusRate, Channels: 1, Application: gopus.ApplicationVoIP,
	})
	if err != nil {
		return nil, fmt.Errorf("audio: opus encoder: %w", err)
	}
	if err := enc.SetFrameSize(opusFrame); err != nil {
		return nil, fmt.Errorf("audio: opus frame size: %w", err)
	}
	if cfg.Bitrate != 0 {
		if err := enc.SetBitrate(cfg.Bitrate); err != nil {
			return nil, fmt.Errorf("%w: opus bitrate %d: %w", errBadConfig, cfg.Bitrate, err)
		}
	}
	if cfg.FEC {
		enc.SetFEC(true)
		if err := enc.SetPacketLoss(cfg.PacketLossPercent); err != nil {
			return nil, fmt.Errorf("%w: opus packet loss %d: %w", errBadConfig, cfg.PacketLossPercent, err)
		}
	}
	return &OpusEncoder{enc: enc}, nil
}

// SampleRate implements Encoder.
func (*OpusEncoder) SampleRate() int { return opusRate }

// SetBitrate changes the target bitrate, e.g. on REMB/TMMBR.
func (e *OpusEncoder) SetBitrate(bps int) error {
	if err := e.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("%w: opus bitrate %d: %w", errBadConfig, bps, err)
	}
	return nil
}

// Encode implements Encoder. pcm must be exactly one 20 ms frame (960 samples).
func (e *OpusEncoder) Encode(pcm []int16, dst []byte) ([]byte, error) {
	if len(pcm) != opusFrame {
		return dst[:0], fmt.Errorf("%w: opus wants %d samples, got %d", errFrameSize, opusFrame, len(pcm))
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
