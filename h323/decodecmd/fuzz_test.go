package decodecmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeCapture feeds arbitrary capture files to the decoder: it must
// finish without panicking whatever the input. Seeds are the small H.323
// captures and synthetic pcap/pcapng files.
func FuzzDecodeCapture(f *testing.F) {
	for _, name := range []string{"ndpi__h323.pcap", "ndpi__h323-overflow.pcap"} {
		if b, err := os.ReadFile(filepath.Join(capturesDir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add(synthBytes(f, false))
	f.Add(synthBytes(f, true))
	f.Fuzz(func(t *testing.T, in []byte) {
		src, err := openCapture(bytes.NewReader(in))
		if err != nil {
			return
		}
		w := newWriter(io.Discard, true)
		_ = newDecoder(fakeDecoders(), w).run(src)
	})
}
