package bridge

import (
	"bytes"

	"github.com/roomgate/roomgate/transcode/h264/synth"
)

// testFrames makes n IDR access units (SPS, PPS, IDR slice) of a w×h constrained
// baseline level 3.1 stream (profile-level-id 42e01f), Annex B with 4-byte start
// codes: a real, decodable H.264 stream with no encoder behind it (transcode/h264/synth).
// Each frame is a different gradient.
func testFrames(n, w, h int) [][]byte {
	aus := synth.Stream(w, h, n, 1)
	frames := make([][]byte, len(aus))
	for i, au := range aus {
		for _, nal := range au {
			frames[i] = append(append(frames[i], 0, 0, 0, 1), nal...)
		}
	}
	return frames
}

// splitNALs splits an Annex B stream at its 4-byte start codes.
func splitNALs(b []byte) [][]byte {
	var out [][]byte
	for _, p := range bytes.Split(b, []byte{0, 0, 0, 1}) {
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}
