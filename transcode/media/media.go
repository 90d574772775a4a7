// Package media is the small shared vocabulary of roomgate's media plane:
// codec names, their RTP clock and audio sample rates (RFC 3551 §4.5, RFC 7587,
// RFC 6184, RFC 4733) and PCM frames. It is a leaf package: the signalling
// stacks (sip, h323) and the gateway can import it without pulling in codecs.
package media

import (
	"strings"
	"time"
)

// Codec names a media encoding as it appears in SDP rtpmap and H.245 capabilities.
type Codec string

// Codecs roomgate knows about.
const (
	PCMU           Codec = "PCMU"            // ITU-T G.711 µ-law, RFC 3551 PT 0
	PCMA           Codec = "PCMA"            // ITU-T G.711 A-law, RFC 3551 PT 8
	G722           Codec = "G722"            // ITU-T G.722 64 kbit/s, RFC 3551 PT 9
	Opus           Codec = "opus"            // RFC 6716 / RFC 7587
	H264           Codec = "H264"            // ITU-T H.264 / RFC 6184
	TelephoneEvent Codec = "telephone-event" // RFC 4733 DTMF
)

// ParseCodec maps an SDP encoding name (case-insensitive) to a Codec. ok is
// false for names roomgate does not handle.
func ParseCodec(name string) (c Codec, ok bool) {
	for _, k := range []Codec{PCMU, PCMA, G722, Opus, H264, TelephoneEvent} {
		if strings.EqualFold(name, string(k)) {
			return k, true
		}
	}
	return "", false
}

// IsAudio reports whether c carries audio samples (not DTMF events).
func (c Codec) IsAudio() bool {
	switch c {
	case PCMU, PCMA, G722, Opus:
		return true
	}
	return false
}

// ClockRate is the RTP timestamp rate of c. G.722 samples at 16 kHz but, for
// historical reasons, its RTP clock runs at 8000 Hz (RFC 3551 §4.5.2).
// Opus always uses 48000 (RFC 7587 §4.1). Zero for unknown codecs.
func (c Codec) ClockRate() int {
	switch c {
	case PCMU, PCMA, G722, TelephoneEvent:
		return 8000
	case Opus:
		return 48000
	case H264:
		return 90000
	}
	return 0
}

// SampleRate is the audio sampling rate the codec works at, in Hz. For Opus
// it is the rate roomgate decodes and encodes at (48 kHz). Zero for video and
// unknown codecs.
func (c Codec) SampleRate() int {
	switch c {
	case PCMU, PCMA:
		return 8000
	case G722:
		return 16000
	case Opus:
		return 48000
	}
	return 0
}

// StaticPayloadType is the RFC 3551 static payload type of c, or -1 when the
// codec uses a dynamic one.
func (c Codec) StaticPayloadType() int {
	switch c {
	case PCMU:
		return 0
	case PCMA:
		return 8
	case G722:
		return 9
	}
	return -1
}

// FrameDuration is the packet duration roomgate sends and mixes with.
const FrameDuration = 20 * time.Millisecond

// SamplesPerFrame is the number of samples per channel in d at rate Hz.
func SamplesPerFrame(rate int, d time.Duration) int {
	return int(int64(rate) * int64(d) / int64(time.Second))
}

// TimestampsPerFrame is the RTP timestamp increment for a frame of d for c.
func (c Codec) TimestampsPerFrame(d time.Duration) uint32 {
	return uint32(SamplesPerFrame(c.ClockRate(), d))
}

// PCM is a block of signed 16-bit linear samples. Multi-channel audio is
// interleaved.
type PCM struct {
	Samples  []int16
	Rate     int // samples per second per channel
	Channels int // 1 or 2; 0 means 1
}

// Frames is the number of samples per channel.
func (p PCM) Frames() int {
	ch := p.Channels
	if ch <= 0 {
		ch = 1
	}
	return len(p.Samples) / ch
}

// Duration is the playing time of p.
func (p PCM) Duration() time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	return time.Duration(int64(p.Frames()) * int64(time.Second) / int64(p.Rate))
}
