package main

import (
	"bufio"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/transcode/h264"
)

// keyframeEvery bounds the receiver's keyframe requests (PLI) while it cannot
// decode.
const keyframeEvery = 500 * time.Millisecond

// contentIdle is how long the content stream must be silent before the
// receiver counts it as stopped ("content: rx stopped") and the next packet
// as the start of a new presentation.
const contentIdle = 2 * time.Second

// contentRx is what arrives on a call's content stream: H.264 access units,
// checked for decodability, in presentations ("sessions": content resuming
// after contentIdle without a packet, or from a new SSRC). A frame is
// decodable when it is complete and follows, without a gap or a broken
// access unit, an IDR access unit for which this session's SPS (parsed) and
// PPS arrived. With a dump file the decodable frames are written to it in
// Annex B, for a real decoder to check (ffmpeg -i FILE).
type contentRx struct {
	mu sync.Mutex
	dp *h264.Depacketizer

	packets, frames, keyframes, decodable int
	width, height                         int // the largest picture an SPS announced
	everSPS, everPPS                      bool

	sessions  int
	ssrc      uint32
	last      time.Time // the last packet; zero before the first and after "rx stopped"
	sps, pps  bool      // seen in this session
	chain     bool      // decodable from here: an IDR with SPS and PPS, nothing lost since
	firstDone bool      // this session's first decodable frame was reported
	lastPLI   time.Time // the last keyframe request

	dump    *os.File
	dumpW   *bufio.Writer
	dumpErr error
	scratch []byte
}

func newContentRx(dump string) (*contentRx, error) {
	r := &contentRx{dp: newContentDepacketizer()}
	if dump != "" {
		f, err := os.Create(dump)
		if err != nil {
			return nil, fmt.Errorf("-content-dump: %w", err)
		}
		r.dump, r.dumpW = f, bufio.NewWriter(f)
	}
	return r, nil
}

func newContentDepacketizer() *h264.Depacketizer {
	return h264.NewDepacketizer(h264.DepacketizerConfig{MaxNALSize: 1 << 20, MaxAccessUnit: 2 << 20, MaxNALs: 256})
}

// packet takes one content RTP packet received at now; it returns true when
// it completed the session's first decodable frame.
func (r *contentRx) packet(p *rtp.Packet, now time.Time) (first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.packets++
	if r.last.IsZero() || now.Sub(r.last) >= contentIdle || p.SSRC != r.ssrc {
		r.sessions++
		r.ssrc = p.SSRC
		r.dp.Reset()
		r.sps, r.pps, r.chain, r.firstDone = false, false, false, false
	}
	r.last = now
	aus, _ := r.dp.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
	for _, au := range aus {
		if r.accessUnit(au) && !r.firstDone {
			r.firstDone = true
			first = true
		}
	}
	return first
}

// accessUnit counts one access unit and reports whether it is decodable.
func (r *contentRx) accessUnit(au *h264.AccessUnit) bool {
	if !au.Complete {
		r.chain = false
		return false
	}
	r.frames++
	for _, n := range au.NALs {
		switch h264.NALType(n) {
		case h264.NALSPS:
			sps, err := h264.ParseSPS(n)
			if err != nil {
				continue
			}
			r.sps, r.everSPS = true, true
			if sps.Width*sps.Height > r.width*r.height {
				r.width, r.height = sps.Width, sps.Height
			}
		case h264.NALPPS:
			r.pps, r.everPPS = true, true
		}
	}
	if au.Keyframe() {
		r.keyframes++
		if r.sps && r.pps {
			r.chain = true
		}
	}
	if !r.chain {
		return false
	}
	r.decodable++
	r.write(au.NALs)
	return true
}

func (r *contentRx) write(nals [][]byte) {
	if r.dumpW == nil || r.dumpErr != nil {
		return
	}
	r.scratch = h264.AppendAnnexB(r.scratch[:0], nals)
	_, r.dumpErr = r.dumpW.Write(r.scratch)
}

// keyframeWanted reports whether to ask the sender for a keyframe now: content
// arrives but cannot be decoded (no IDR with parameter sets yet, or a loss
// since), and the last request is keyframeEvery ago. It returns the SSRC to
// ask.
func (r *contentRx) keyframeWanted(now time.Time) (uint32, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last.IsZero() || r.chain || now.Sub(r.lastPLI) < keyframeEvery {
		return 0, false
	}
	r.lastPLI = now
	return r.ssrc, true
}

// idle reports, once per session, that no content arrived for contentIdle.
func (r *contentRx) idle(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last.IsZero() || now.Sub(r.last) < contentIdle {
		return false
	}
	r.last = time.Time{}
	return true
}

func (r *contentRx) decodableFrames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.decodable
}

// close flushes and closes the dump file.
func (r *contentRx) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dump == nil {
		return nil
	}
	err := r.dumpErr
	if e := r.dumpW.Flush(); err == nil {
		err = e
	}
	if e := r.dump.Close(); err == nil {
		err = e
	}
	r.dump = nil
	return err
}

// fill puts the receive counters into the content report.
func (r *contentRx) fill(c *contentReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.RxPackets = uint64(r.packets)
	c.RxFrames, c.RxKeyframes, c.RxDecodable = r.frames, r.keyframes, r.decodable
	c.RxWidth, c.RxHeight = r.width, r.height
	c.RxSPS, c.RxPPS, c.RxSessions = r.everSPS, r.everPPS, r.sessions
}
