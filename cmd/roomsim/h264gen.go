package main

import (
	"fmt"
	"os"

	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/h264/synth"
)

// packetize turns access units into RTP payloads (packetization-mode 1).
func packetize(aus [][][]byte) ([][][]byte, error) {
	p := &h264.Packetizer{Mode: 1, MTU: h264.DefaultMTU}
	frames := make([][][]byte, 0, len(aus))
	for i, au := range aus {
		pl, err := p.Packetize(au, nil)
		if err != nil {
			return nil, fmt.Errorf("access unit %d: %w", i, err)
		}
		if len(pl) > 0 {
			frames = append(frames, pl)
		}
	}
	return frames, nil
}

// videoFrames returns the RTP payloads to replay: of the Annex B file path (x264
// aud=1: an access unit delimiter before each access unit), or of a generated
// 176×144 stream (an IDR a second at fps) when path is "gen".
func videoFrames(path string, fps int) ([][][]byte, error) {
	if path == "gen" {
		return packetize(synth.Stream(176, 144, 2, max(fps, 1)))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var aus [][][]byte
	var cur [][]byte
	for _, nal := range h264.SplitAnnexB(b) {
		if h264.NALType(nal) == h264.NALAUD {
			if len(cur) > 0 {
				aus = append(aus, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, nal)
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	if len(aus) == 0 {
		return nil, fmt.Errorf("%s: no H.264 access units", path)
	}
	if !h264.IsKeyframe(aus[0]) {
		return nil, fmt.Errorf("%s: does not start with an IDR picture", path)
	}
	return packetize(aus)
}
