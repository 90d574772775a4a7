package h264

import (
	"errors"
	"fmt"
)

// Depacketizer errors. Packets that cause them are dropped; the stream
// continues. errors.Is works on the wrapped values.
var (
	ErrShortPacket    = errors.New("h264: packet too short")
	ErrUnsupported    = errors.New("h264: unsupported packet type")
	ErrBadSTAPA       = errors.New("h264: malformed STAP-A")
	ErrBadFUA         = errors.New("h264: malformed FU-A")
	ErrBrokenFragment = errors.New("h264: FU-A sequence broken")
	ErrTooLarge       = errors.New("h264: NAL unit or access unit too large")
	ErrOutOfOrder     = errors.New("h264: packet out of order or duplicate")
)

// DepacketizerConfig bounds memory use. Zero fields take the defaults.
type DepacketizerConfig struct {
	MaxNALSize    int // default 4 MiB (an I frame at 1080p fits easily)
	MaxAccessUnit int // total bytes of one access unit, default 8 MiB
	MaxNALs       int // NAL units in one access unit, default 1024
}

// AccessUnit is one coded picture (RFC 6184 §5.1: packets of an access unit
// share a timestamp, the last one carries the marker bit).
type AccessUnit struct {
	Timestamp uint32
	NALs      [][]byte
	// Complete is false if packets were lost inside this access unit: some
	// NAL units are missing. A decoder may still show it; a forwarder that
	// cannot conceal should drop it and wait for a keyframe.
	Complete bool
}

// Keyframe reports whether the access unit holds an IDR slice.
func (au *AccessUnit) Keyframe() bool { return IsKeyframe(au.NALs) }

// Depacketizer reassembles RFC 6184 packetization-mode 0/1 payloads. Feed it
// packets in sequence order (after a jitter buffer or reorder stage); a gap
// in sequence numbers is treated as loss.
type Depacketizer struct {
	cfg DepacketizerConfig

	haveSeq bool
	lastSeq uint16

	auActive bool
	auTS     uint32
	auNALs   [][]byte
	auBytes  int
	auBroken bool

	fuActive bool
	fuBuf    []byte

	out []*AccessUnit // reused result slice

	needKey   bool // lost data: decoders are out of sync until an IDR
	keyReq    bool // edge-triggered request, see TakeKeyframeRequest
	lostCount int
}

// NewDepacketizer returns a Depacketizer. It starts needing a keyframe, as
// a decoder joining mid-stream does.
func NewDepacketizer(cfg DepacketizerConfig) *Depacketizer {
	if cfg.MaxNALSize <= 0 {
		cfg.MaxNALSize = 4 << 20
	}
	if cfg.MaxAccessUnit <= 0 {
		cfg.MaxAccessUnit = 8 << 20
	}
	if cfg.MaxNALs <= 0 {
		cfg.MaxNALs = 1024
	}
	return &Depacketizer{cfg: cfg, needKey: true, keyReq: true}
}

// Reset forgets all state, for a new SSRC or after a re-INVITE: the next
// packet starts a new sequence and a keyframe is needed again.
func (d *Depacketizer) Reset() {
	*d = Depacketizer{cfg: d.cfg, fuBuf: d.fuBuf[:0], needKey: true, keyReq: true}
}

// NeedKeyframe reports whether data was lost (or the stream just started)
// and no complete IDR access unit has been seen since.
func (d *Depacketizer) NeedKeyframe() bool { return d.needKey }

// TakeKeyframeRequest returns true once per loss event: the caller sends a
// PLI/FIR or videoFastUpdatePicture then, not for every broken packet.
func (d *Depacketizer) TakeKeyframeRequest() bool {
	r := d.keyReq
	d.keyReq = false
	return r
}

// Lost is the number of sequence gaps and broken fragments seen.
func (d *Depacketizer) Lost() int { return d.lostCount }

// Push consumes one RTP packet and returns the access units it completes:
// usually none or one (marker bit), two when a new timestamp shows that the
// previous access unit's marker was lost and this packet has the marker.
// The returned slice is reused by the next Push; the access units and their
// NAL units are fresh copies owned by the caller. An error means this packet
// (or the fragmented NAL unit it belonged to) was dropped; access units may
// still be returned with it.
func (d *Depacketizer) Push(seq uint16, timestamp uint32, marker bool, payload []byte) (aus []*AccessUnit, err error) {
	aus = d.out[:0]
	defer func() { d.out = aus[:0] }()
	if d.haveSeq {
		diff := int16(seq - d.lastSeq)
		if diff <= 0 {
			return aus, fmt.Errorf("%w: seq %d after %d", ErrOutOfOrder, seq, d.lastSeq)
		}
		if diff > 1 {
			d.loss()
		}
	}
	d.haveSeq, d.lastSeq = true, seq

	if d.auActive && timestamp != d.auTS {
		// The marker of the previous access unit was lost.
		d.auBroken = true
		if au := d.flush(); au != nil {
			aus = append(aus, au)
		}
	}
	if !d.auActive {
		d.auActive, d.auTS = true, timestamp
	}
	err = d.parse(payload)
	if marker {
		if d.fuActive { // the access unit ends inside a fragment
			d.dropFU()
		}
		if au := d.flush(); au != nil {
			aus = append(aus, au)
		}
	}
	return aus, err
}

func (d *Depacketizer) loss() {
	d.lostCount++
	d.auBroken = true
	if d.fuActive {
		d.dropFU()
	}
	d.needKey = true
	d.keyReq = true
}

func (d *Depacketizer) dropFU() {
	d.fuActive = false
	d.fuBuf = d.fuBuf[:0]
	d.auBroken = true
	d.needKey = true
	d.keyReq = true
}

// flush ends the current access unit.
func (d *Depacketizer) flush() *AccessUnit {
	if !d.auActive {
		return nil
	}
	au := &AccessUnit{Timestamp: d.auTS, NALs: d.auNALs, Complete: !d.auBroken}
	d.auActive, d.auNALs, d.auBytes, d.auBroken = false, nil, 0, false
	if len(au.NALs) == 0 {
		return nil
	}
	if au.Complete && au.Keyframe() {
		d.needKey = false
	}
	return au
}

func (d *Depacketizer) addNAL(nal []byte) error {
	if len(nal) == 0 {
		return nil
	}
	if len(d.auNALs) >= d.cfg.MaxNALs || d.auBytes+len(nal) > d.cfg.MaxAccessUnit {
		d.auBroken = true
		return fmt.Errorf("%w: access unit over %d NALs or %d bytes", ErrTooLarge, d.cfg.MaxNALs, d.cfg.MaxAccessUnit)
	}
	d.auNALs = append(d.auNALs, append([]byte(nil), nal...))
	d.auBytes += len(nal)
	return nil
}

// parse handles one payload (RFC 6184 §5.6–5.8).
func (d *Depacketizer) parse(p []byte) error {
	if len(p) < 1 {
		return ErrShortPacket
	}
	t := p[0] & nalTypeMask
	if t != NALFUA && d.fuActive {
		// A fragmented NAL unit must be finished before anything else.
		d.lostCount++
		d.dropFU()
	}
	switch {
	case t >= 1 && t <= 23:
		return d.addNAL(p)
	case t == NALSTAPA:
		return d.parseSTAPA(p)
	case t == NALFUA:
		return d.parseFUA(p)
	case t == NALSTAPB, t == NALMTAP16, t == NALMTAP24, t == NALFUB:
		return fmt.Errorf("%w: type %d needs interleaved mode", ErrUnsupported, t)
	}
	return fmt.Errorf("%w: type %d", ErrUnsupported, t)
}

// parseSTAPA splits a single-time aggregation packet:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|STAP-A NAL HDR |         NALU 1 Size           | NALU 1 HDR    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         NALU 1 Data                           |
//	:                                                               :
//	+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|               | NALU 2 Size                   | NALU 2 HDR    |
//
// The whole packet is validated before any NAL unit is taken from it.
func (d *Depacketizer) parseSTAPA(p []byte) error {
	rest := p[1:]
	if len(rest) == 0 {
		return fmt.Errorf("%w: empty", ErrBadSTAPA)
	}
	count := 0
	for r := rest; len(r) > 0; count++ {
		if len(r) < 2 {
			return fmt.Errorf("%w: truncated size field", ErrBadSTAPA)
		}
		n := int(r[0])<<8 | int(r[1])
		if n == 0 {
			return fmt.Errorf("%w: zero-length NAL unit", ErrBadSTAPA)
		}
		if 2+n > len(r) {
			return fmt.Errorf("%w: NAL unit of %d bytes, %d left", ErrBadSTAPA, n, len(r)-2)
		}
		r = r[2+n:]
	}
	for r := rest; len(r) > 0; {
		n := int(r[0])<<8 | int(r[1])
		if err := d.addNAL(r[2 : 2+n]); err != nil {
			return err
		}
		r = r[2+n:]
	}
	return nil
}

// parseFUA reassembles fragmentation units (§5.8):
//
//	+---------------+---------------+
//	|0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|F|NRI|  Type   |S|E|R|  Type   |
//	+---------------+---------------+
//	 FU indicator    FU header
//
// The NAL header is rebuilt from the indicator's F and NRI and the FU
// header's type. A fragment without its start, or a gap inside the
// sequence, drops the whole NAL unit.
func (d *Depacketizer) parseFUA(p []byte) error {
	if len(p) < 2 {
		return fmt.Errorf("%w: %d bytes", ErrShortPacket, len(p))
	}
	start, end := p[1]&0x80 != 0, p[1]&0x40 != 0
	if start && end {
		// §5.8: "the Start bit and End bit MUST NOT both be set".
		if d.fuActive {
			d.dropFU()
		}
		return fmt.Errorf("%w: start and end bits both set", ErrBadFUA)
	}
	hdr := p[0]&(nalFBit|nalNRIMask) | p[1]&nalTypeMask
	if start {
		if d.fuActive { // the previous fragment never ended
			d.lostCount++
			d.dropFU()
		}
		d.fuActive = true
		d.fuBuf = append(d.fuBuf[:0], hdr)
	} else if !d.fuActive {
		d.auBroken = true
		d.needKey, d.keyReq = true, true
		return fmt.Errorf("%w: fragment without start", ErrBrokenFragment)
	} else if was := d.fuBuf[0]; was != hdr {
		d.lostCount++
		d.dropFU()
		return fmt.Errorf("%w: fragment header %#x differs from %#x", ErrBrokenFragment, hdr, was)
	}
	if len(d.fuBuf)+len(p)-2 > d.cfg.MaxNALSize {
		d.dropFU()
		return fmt.Errorf("%w: fragmented NAL unit over %d bytes", ErrTooLarge, d.cfg.MaxNALSize)
	}
	d.fuBuf = append(d.fuBuf, p[2:]...)
	if end {
		d.fuActive = false
		return d.addNAL(d.fuBuf)
	}
	return nil
}
