package audio

import (
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

// FuzzDecode feeds arbitrary payloads to every decoder: errors are fine,
// panics are not, and output stays within what the payload can carry.
func FuzzDecode(f *testing.F) {
	enc, _ := NewOpusEncoder(Config{})
	pkt, _ := enc.Encode(tone(440, 48000, 960, 8000), nil)
	f.Add(pkt, uint8(3))
	f.Add([]byte{0xFF, 0x7F, 0x00}, uint8(0))
	f.Add([]byte{0x78, 0x01}, uint8(3))
	f.Fuzz(func(t *testing.T, payload []byte, which uint8) {
		codecs := []media.Codec{media.PCMU, media.PCMA, media.G722, media.Opus}
		c := codecs[int(which)%len(codecs)]
		dec, err := NewDecoder(c, Config{Channels: 1 + int(which/4)%2})
		if err != nil {
			t.Fatal(err)
		}
		out, err := dec.Decode(payload, nil)
		if err != nil {
			return
		}
		if limit := 2 * 5760; len(out) > limit || (c != media.Opus && len(out) > 2*len(payload)) {
			t.Fatalf("%s: %d samples from %d bytes", c, len(out), len(payload))
		}
		if cc, ok := dec.(Concealer); ok {
			if _, err := cc.Conceal(960, nil); err != nil {
				t.Fatalf("conceal after decode: %v", err)
			}
		}
	})
}
