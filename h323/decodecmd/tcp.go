package decodecmd

import (
	"net/netip"

	"github.com/roomgate/roomgate/h323/tpkt"
)

// Limits that keep a hostile or broken capture from eating memory.
const (
	maxPendingSegments = 256
	maxPendingBytes    = 1 << 20
)

// flowKey identifies one direction of a TCP connection.
type flowKey struct{ src, dst netip.AddrPort }

// streamMode says what a direction carries once its first octets are seen.
type streamMode uint8

const (
	modeUnknown streamMode = iota
	modeTPKT
	modeOther // not TPKT, or lost sync: ignored from then on
)

type segment struct {
	seq  uint32
	data []byte
}

// halfStream reassembles one direction of a TCP connection by sequence
// number: duplicates and already-seen octets (retransmissions, keep-alive
// probes) are dropped, segments ahead of a gap wait until it is filled.
type halfStream struct {
	started bool
	synSeen bool
	isn     uint32
	next    uint32 // next expected sequence number
	buf     []byte // contiguous octets not yet cut into TPKTs
	pending []segment
	pendLen int
	mode    streamMode
	// kind is "q931" or "h245" once the first non-empty TPKT is seen.
	kind string
}

// seqDiff returns a-b in sequence space (RFC 9293 §3.4, modulo 2^32).
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// syn records the initial sequence number from a SYN. A retransmitted
// SYN (same ISN) changes nothing; a SYN with a new ISN is a new
// connection on the same addresses and starts afresh.
func (h *halfStream) syn(seq uint32) {
	if h.synSeen && h.isn == seq {
		return
	}
	*h = halfStream{started: true, synSeen: true, isn: seq, next: seq + 1}
}

// add feeds a segment and reports whether new contiguous octets arrived.
func (h *halfStream) add(seq uint32, data []byte) bool {
	if len(data) == 0 || h.mode == modeOther {
		return false
	}
	if !h.started {
		h.started = true
		h.next = seq
	}
	d := seqDiff(seq, h.next)
	if d > 0 {
		if len(h.pending) >= maxPendingSegments || h.pendLen+len(data) > maxPendingBytes {
			h.mode = modeOther // gap never filled: give up on this direction
			return false
		}
		h.pending = append(h.pending, segment{seq, append([]byte(nil), data...)})
		h.pendLen += len(data)
		return false
	}
	if int(-d) >= len(data) {
		return false // entirely old: retransmission or keep-alive probe
	}
	h.appendInOrder(data[-d:])
	h.drain()
	return true
}

func (h *halfStream) appendInOrder(data []byte) {
	h.buf = append(h.buf, data...)
	h.next += uint32(len(data))
}

// drain moves pending segments that now touch the stream into buf.
func (h *halfStream) drain() {
	for progress := true; progress; {
		progress = false
		kept := h.pending[:0]
		for _, s := range h.pending {
			d := seqDiff(s.seq, h.next)
			switch {
			case d > 0:
				kept = append(kept, s)
				continue
			case int(-d) < len(s.data):
				h.appendInOrder(s.data[-d:])
				progress = true
			}
			h.pendLen -= len(s.data)
		}
		h.pending = kept
	}
}

// frames cuts the complete TPKTs at the head of buf. It returns their
// payloads (copied) and, when the stream is not or no longer TPKT, the
// error that made it give up (nil for a stream that never looked like
// TPKT).
func (h *halfStream) frames() ([][]byte, error) {
	var out [][]byte
	for h.mode != modeOther && len(h.buf) >= tpkt.HeaderSize {
		var p tpkt.Packet
		n, err := p.Unmarshal(h.buf)
		if err != nil {
			if tpkt.IsBadFrame(err) {
				wasTPKT := h.mode == modeTPKT
				h.mode = modeOther
				h.buf = nil
				if wasTPKT {
					return out, err
				}
				return out, nil
			}
			break // incomplete: wait for more octets
		}
		h.mode = modeTPKT
		out = append(out, append([]byte{}, p.Payload...))
		h.buf = h.buf[n:]
	}
	if h.mode == modeOther {
		h.buf = nil
	} else if len(h.buf) == 0 {
		h.buf = nil // let the backing array go
	}
	return out, nil
}
