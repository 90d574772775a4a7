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

// BenchmarkOpusEncodePresets compares, per 20 ms frame, the room → meeting
// Opus encoder as the gateway configured it before RoomToMeetingOpus (VoIP,
// default complexity 9, no bandwidth cap, FEC) with the preset, on 1 s of
// speech-like audio cycled frame by frame, as it arrives from each source
// codec (coded, decoded and resampled to 48 kHz; see viaSource).
func BenchmarkOpusEncodePresets(b *testing.B) {
	for _, src := range []media.Codec{media.PCMU, media.G722, media.Opus} {
		sig := viaSource(b, src, speechLike(src.SampleRate(), src.SampleRate()))
		for _, p := range []struct {
			name string
			cfg  Config
		}{
			{"old", Config{Bitrate: 32000, FEC: true}},
			{"preset", RoomToMeetingOpus(src)},
		} {
			b.Run(string(src)+"/"+p.name, func(b *testing.B) {
				enc, err := NewOpusEncoder(p.cfg)
				if err != nil {
					b.Fatal(err)
				}
				frames := len(sig) / opusFrame
				var dst []byte
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					off := (i % frames) * opusFrame
					if dst, err = enc.Encode(sig[off:off+opusFrame], dst); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
