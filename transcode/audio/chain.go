package audio

import (
	"fmt"

	"github.com/roomgate/roomgate/transcode/media"
	"github.com/roomgate/roomgate/transcode/resample"
)

// Inbound is the receive chain of one stream: decode, downmix to mono and
// resample to the mixing rate. Lost frames are concealed (Opus uses the
// next packet's FEC when the jitter buffer has it).
type Inbound struct {
	dec      Decoder
	rs       *resample.Resampler
	frame    int // samples per channel of the last packet, at the codec rate
	pcm, mon []int16
}

// NewInbound returns the chain for codec c producing mono PCM at outRate.
func NewInbound(c media.Codec, cfg Config, outRate int) (*Inbound, error) {
	dec, err := NewDecoder(c, cfg)
	if err != nil {
		return nil, err
	}
	rs, err := resample.New(dec.SampleRate(), outRate)
	if err != nil {
		return nil, fmt.Errorf("audio: inbound %s: %w", c, err)
	}
	return &Inbound{dec: dec, rs: rs, frame: media.SamplesPerFrame(dec.SampleRate(), media.FrameDuration)}, nil
}

// Decode turns one payload into mono PCM at the output rate (into dst[:0]).
func (in *Inbound) Decode(payload []byte, dst []int16) ([]int16, error) {
	var err error
	in.pcm, err = in.dec.Decode(payload, in.pcm)
	if err != nil {
		return dst[:0], err
	}
	// Conceal with the sender's packet duration (20 ms, 30 ms, …).
	in.frame = len(in.pcm) / in.dec.Channels()
	return in.rs.Process(in.mono(in.pcm), dst), nil
}

// Lost produces a concealment frame as long as the last packet (20 ms
// before the first one) for a missing packet. next is the following
// packet's payload when already buffered (see jitter.Frame.Next).
func (in *Inbound) Lost(next []byte, dst []int16) ([]int16, error) {
	var err error
	switch d := in.dec.(type) {
	case *OpusDecoder:
		if next != nil {
			in.pcm, err = d.Recover(next, in.frame, in.pcm)
		} else {
			in.pcm, err = d.Conceal(in.frame, in.pcm)
		}
	case Concealer:
		in.pcm, err = d.Conceal(in.frame, in.pcm)
	default:
		in.pcm = grow(in.pcm, in.frame*in.dec.Channels())
		clear(in.pcm)
	}
	if err != nil {
		return dst[:0], err
	}
	return in.rs.Process(in.mono(in.pcm), dst), nil
}

// mono averages interleaved stereo into one channel.
func (in *Inbound) mono(pcm []int16) []int16 {
	if in.dec.Channels() != 2 {
		return pcm
	}
	in.mon = grow(in.mon, len(pcm)/2)
	for i := range in.mon {
		in.mon[i] = int16((int32(pcm[2*i]) + int32(pcm[2*i+1])) / 2)
	}
	return in.mon
}

// Outbound is the send chain of one stream: resample from the mixing rate
// and encode. Feed it 20 ms frames.
type Outbound struct {
	enc Encoder
	rs  *resample.Resampler
	pcm []int16
}

// NewOutbound returns the chain for codec c taking mono PCM at inRate.
func NewOutbound(c media.Codec, cfg Config, inRate int) (*Outbound, error) {
	enc, err := NewEncoder(c, cfg)
	if err != nil {
		return nil, err
	}
	rs, err := resample.New(inRate, enc.SampleRate())
	if err != nil {
		return nil, fmt.Errorf("audio: outbound %s: %w", c, err)
	}
	return &Outbound{enc: enc, rs: rs}, nil
}

// Encoder is the chain's encoder.
func (o *Outbound) Encoder() Encoder { return o.enc }

// EncodeNative encodes one frame that is already at the codec's rate into dst[:0]
// (a mix resampled once for many streams).
func (o *Outbound) EncodeNative(pcm []int16, dst []byte) ([]byte, error) {
	return o.enc.Encode(pcm, dst)
}

// Encode resamples one frame and encodes it into dst[:0].
func (o *Outbound) Encode(pcm []int16, dst []byte) ([]byte, error) {
	o.pcm = o.rs.Process(pcm, o.pcm)
	return o.enc.Encode(o.pcm, dst)
}
