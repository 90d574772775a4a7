// Package audio holds roomgate's voice codecs behind two small interfaces:
// ITU-T G.711 µ-law and A-law (written here), ITU-T G.722 at 64 kbit/s
// (github.com/gotranspile/g722) and Opus, RFC 6716 (github.com/thesyncim/gopus).
//
// Every codec works on 16-bit linear PCM at its own SampleRate; the caller
// resamples (package resample) when rates differ. Coders are plain structs
// without goroutines and are not safe for concurrent use: one per stream.
package audio

import (
	"errors"
	"fmt"

	"github.com/roomgate/roomgate/transcode/media"
)

// Decoder turns one RTP payload into PCM at SampleRate. Decode appends the
// samples to dst[:0] and returns the result, reusing dst's storage when it is
// large enough.
type Decoder interface {
	Decode(payload []byte, dst []int16) ([]int16, error)
	SampleRate() int
	Channels() int
}

// Encoder turns PCM at SampleRate into one RTP payload, appended to dst[:0].
type Encoder interface {
	Encode(pcm []int16, dst []byte) ([]byte, error)
	SampleRate() int
}

// Concealer is implemented by decoders that can synthesize a lost frame.
// Conceal appends frameSamples samples per channel of concealment to dst[:0].
type Concealer interface {
	Conceal(frameSamples int, dst []int16) ([]int16, error)
}

var (
	errUnsupportedCodec = errors.New("audio: unsupported codec")
	errEmptyPayload     = errors.New("audio: empty payload")
	errFrameSize        = errors.New("audio: invalid frame size")
	errBadConfig        = errors.New("audio: invalid configuration")
)

// Config selects codec options. The zero value is usable.
type Config struct {
	// Channels for Opus decoding: 1 (room-system side) or 2 (meeting side).
	// G.711 and G.722 are always mono. Zero means 1.
	Channels int
	// Bitrate for the Opus encoder in bit/s; zero lets the codec choose.
	Bitrate int
	// FEC enables Opus in-band forward error correction in the encoder.
	FEC bool
	// PacketLossPercent tells the Opus encoder the expected loss (0–100) so
	// it spends bits on FEC accordingly.
	PacketLossPercent int
}

// NewDecoder returns a decoder for codec c.
func NewDecoder(c media.Codec, cfg Config) (Decoder, error) {
	switch c {
	case media.PCMU:
		return &G711Decoder{ALaw: false}, nil
	case media.PCMA:
		return &G711Decoder{ALaw: true}, nil
	case media.G722:
		return NewG722Decoder(), nil
	case media.Opus:
		return NewOpusDecoder(cfg.Channels)
	}
	return nil, fmt.Errorf("%w: %q", errUnsupportedCodec, c)
}

// NewEncoder returns an encoder for codec c.
func NewEncoder(c media.Codec, cfg Config) (Encoder, error) {
	switch c {
	case media.PCMU:
		return &G711Encoder{ALaw: false}, nil
	case media.PCMA:
		return &G711Encoder{ALaw: true}, nil
	case media.G722:
		return NewG722Encoder(), nil
	case media.Opus:
		return NewOpusEncoder(cfg)
	}
	return nil, fmt.Errorf("%w: %q", errUnsupportedCodec, c)
}

// grow returns dst[:n], reallocating only when dst is too small.
func grow[T any](dst []T, n int) []T {
	if cap(dst) >= n {
		return dst[:n]
	}
	return make([]T, n)
}
