package audio

import "github.com/gotranspile/g722"

// ITU-T G.722 sub-band ADPCM at 64 kbit/s: 16 kHz audio, two 4 kHz bands,
// one byte per pair of samples. Its RTP clock runs at 8 kHz (RFC 3551 §4.5.2),
// which is the caller's concern: here everything is in 16 kHz samples.

// G722Decoder decodes 64 kbit/s G.722 to 16 kHz PCM.
type G722Decoder struct {
	dec *g722.Decoder
	plc fadePLC
}

// NewG722Decoder returns a decoder in its initial state.
func NewG722Decoder() *G722Decoder {
	return &G722Decoder{dec: g722.NewDecoder(g722.Rate64000, 0)}
}

// SampleRate implements Decoder.
func (*G722Decoder) SampleRate() int { return 16000 }

// Channels implements Decoder.
func (*G722Decoder) Channels() int { return 1 }

// Decode implements Decoder: two samples per payload byte.
func (d *G722Decoder) Decode(payload []byte, dst []int16) ([]int16, error) {
	if len(payload) == 0 {
		return dst[:0], errEmptyPayload
	}
	dst = grow(dst, 2*len(payload))
	n := d.dec.Decode(dst, payload)
	dst = dst[:n]
	d.plc.remember(dst)
	return dst, nil
}

// Conceal implements Concealer. The ADPCM state is left as it was, as G.722
// Appendix III style concealment is beyond this simple repeat-and-fade.
func (d *G722Decoder) Conceal(frameSamples int, dst []int16) ([]int16, error) {
	return d.plc.conceal(frameSamples, dst), nil
}

// G722Encoder encodes 16 kHz PCM as 64 kbit/s G.722.
type G722Encoder struct {
	enc *g722.Encoder
}

// NewG722Encoder returns an encoder in its initial state.
func NewG722Encoder() *G722Encoder {
	return &G722Encoder{enc: g722.NewEncoder(g722.Rate64000, 0)}
}

// SampleRate implements Encoder.
func (*G722Encoder) SampleRate() int { return 16000 }

// CopyStateFrom puts e in o's state: from now on e encodes what o would, so a decoder
// that followed o's stream can follow e's without a glitch.
func (e *G722Encoder) CopyStateFrom(o *G722Encoder) { *e.enc = *o.enc }

// SameState reports whether e and o are in the same state (they encode the same input
// to the same bytes from now on). G.722's adaptation leaks, so two encoders fed the
// same signal reach the same state after a while, whatever they started from.
func (e *G722Encoder) SameState(o *G722Encoder) bool { return *e.enc == *o.enc }

// Encode implements Encoder. pcm must hold an even number of samples.
func (e *G722Encoder) Encode(pcm []int16, dst []byte) ([]byte, error) {
	if len(pcm)%2 != 0 {
		return dst[:0], errFrameSize
	}
	dst = grow(dst, len(pcm)/2)
	n := e.enc.Encode(dst, pcm)
	return dst[:n], nil
}
