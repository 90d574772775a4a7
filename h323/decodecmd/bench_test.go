package decodecmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeCapture decodes the Callgen323 call with 465 RTP packets
// (gzip), the bulk of which must be skipped cheaply.
func BenchmarkDecodeCapture(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(capturesDir, "wswiki__rtp_example.raw.gz"))
	if err != nil {
		b.Skipf("capture not available: %v", err)
	}
	for b.Loop() {
		src, err := openCapture(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if err := newDecoder(Decoders{}, newWriter(io.Discard, true)).run(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHalfStream cuts a stream of 160-octet TPKTs arriving in
// 1460-octet segments.
func BenchmarkHalfStream(b *testing.B) {
	var stream []byte
	for range 100 {
		stream = append(stream, 3, 0, 0, 164)
		stream = append(stream, make([]byte, 160)...)
	}
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		var h halfStream
		h.syn(0)
		for off := 0; off < len(stream); off += 1460 {
			end := min(off+1460, len(stream))
			h.add(uint32(1+off), stream[off:end])
			if _, err := h.frames(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
