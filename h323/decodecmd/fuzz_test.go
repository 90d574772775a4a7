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

// FuzzDecodeCaptureDefault is FuzzDecodeCapture with the real H.225.0 and
// H.245 decoders (Default), seeded with a Setup carrying tunnelled H.245
// and fastStart, so that the ASN.1 adapters and Embedded see mutated PDUs.
func FuzzDecodeCaptureDefault(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(capturesDir, "ndpi__h323.pcap")); err == nil {
		f.Add(b)
	}
	f.Add(tunnelledCapture(f))
	f.Fuzz(func(t *testing.T, in []byte) {
		src, err := openCapture(bytes.NewReader(in))
		if err != nil {
			return
		}
		_ = newDecoder(Default(), newWriter(io.Discard, true)).run(src)
	})
}
