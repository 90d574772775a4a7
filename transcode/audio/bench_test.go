package audio

import (
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
)

// Per 20 ms frame.
func BenchmarkEncode(b *testing.B) {
	for _, c := range []media.Codec{media.PCMU, media.PCMA, media.G722, media.Opus} {
		b.Run(string(c), func(b *testing.B) {
			enc, err := NewEncoder(c, Config{Bitrate: 32000})
			if err != nil {
				b.Fatal(err)
			}
			rate := c.SampleRate()
			pcm := speechLike(rate, media.SamplesPerFrame(rate, media.FrameDuration))
			var dst []byte
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = enc.Encode(pcm, dst)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []media.Codec{media.PCMU, media.PCMA, media.G722, media.Opus} {
		b.Run(string(c), func(b *testing.B) {
			enc, _ := NewEncoder(c, Config{Bitrate: 32000})
			dec, _ := NewDecoder(c, Config{})
			rate := c.SampleRate()
			n := media.SamplesPerFrame(rate, media.FrameDuration)
			sig := speechLike(rate, 50*n)
			var pkts [][]byte
			for off := 0; off < len(sig); off += n {
				p, err := enc.Encode(sig[off:off+n], nil)
				if err != nil {
					b.Fatal(err)
				}
				pkts = append(pkts, p)
			}
			var dst []int16
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				dst, _ = dec.Decode(pkts[i%len(pkts)], dst)
			}
		})
	}
}
