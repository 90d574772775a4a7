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
	// it spends bits on FEC accordingly. The encoder codes no FEC at all
	// while it is 0, even with FEC set.
	PacketLossPercent int

	// Complexity is the Opus encoder's analysis effort, 0 (cheapest) to 10.
	// It applies only when ComplexitySet is true; otherwise the codec
	// default (9) is used. Since 0 is a valid complexity, a non-zero
	// Complexity without ComplexitySet is rejected rather than ignored.
	Complexity    int
	ComplexitySet bool
	// LowDelay encodes Opus with the low-delay application: CELT only, no
	// SILK speech analysis and mode decisions, much cheaper per frame and
	// with less algorithmic delay. CELT has no in-band FEC (Opus FEC is
	// SILK's LBRR), so FEC must be false with LowDelay; loss is then
	// concealed by the receiver's PLC (or by RED/NACK at the RTP level).
	LowDelay bool
	// MaxAudioHz caps the audio bandwidth the Opus encoder codes, in Hz.
	// It is rounded up to the next Opus bandwidth: ≤4000 narrowband,
	// ≤6000 mediumband (CELT, i.e. LowDelay, codes it as wideband),
	// ≤8000 wideband, ≤12000 super-wideband, ≤20000 fullband. Zero means
	// no cap (the codec chooses, up to fullband). Use it to avoid spending
	// bits and CPU on bands a band-limited source (G.711, G.722) never
	// fills; see RoomToMeetingOpus.
	MaxAudioHz int
	// InputRate is the PCM rate the Opus encoder takes: 8000, 12000, 16000,
	// 24000 or 48000 Hz; zero means 48000. The RTP clock of Opus is 48 kHz
	// whatever the input rate (RFC 7587 §4.1). Feeding a band-limited
	// source at its own rate saves resampling it up to 48 kHz first.
	InputRate int
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
