package h264

import (
	"errors"
	"fmt"
)

// Why not pion's codecs.H264Payloader: it takes an Annex B stream (and so
// would split a NAL unit that happens to contain 00 00 01 in test data),
// only aggregates SPS+PPS with the following NAL and silently drops them if
// that STAP-A exceeds the MTU, always fragments (no packetization-mode 0),
// and drops the F bit in FU indicators. This Packetizer takes NAL units,
// supports both modes and says when a NAL unit cannot be sent.

// Packetizer errors.
var (
	ErrMode0TooBig = errors.New("h264: NAL unit larger than MTU in packetization-mode 0")
	ErrBadConfig   = errors.New("h264: invalid packetizer configuration")
	ErrEmptyNAL    = errors.New("h264: empty NAL unit")
)

// DefaultMTU is the payload size budget: RTP payload bytes per packet,
// leaving room for IP/UDP/RTP/SRTP headers under a 1500-byte path MTU.
const DefaultMTU = 1200

// Packetizer turns access units into RTP payloads (RFC 6184 §6.2/§6.3).
type Packetizer struct {
	// MTU is the largest payload produced (default DefaultMTU, minimum 64).
	MTU int
	// Mode is the packetization-mode: 0 (single NAL unit only) or 1
	// (non-interleaved: single NAL, STAP-A, FU-A).
	Mode int
	// NoSTAPA disables aggregation in mode 1. Some room systems mishandle
	// STAP-A; by default consecutive small NAL units (SPS, PPS, SEI, small
	// slices) share one packet.
	NoSTAPA bool
}

func (p *Packetizer) mtu() (int, error) {
	m := p.MTU
	if m == 0 {
		m = DefaultMTU
	}
	if m < 64 || m > 65535 {
		return 0, fmt.Errorf("%w: MTU %d", ErrBadConfig, m)
	}
	if p.Mode != 0 && p.Mode != 1 {
		return 0, fmt.Errorf("%w: packetization-mode %d", ErrBadConfig, p.Mode)
	}
	return m, nil
}

// Packetize appends the payloads for one access unit to dst and returns it;
// the caller sets the RTP marker bit on the last one (RFC 6184 §5.1) and
// gives them all the access unit's timestamp. Access unit delimiters and
// filler data are not sent. In mode 0 a NAL unit bigger than the MTU makes
// the whole access unit fail with ErrMode0TooBig: the sender must lower the
// slice size (or negotiate mode 1).
func (p *Packetizer) Packetize(nals [][]byte, dst [][]byte) ([][]byte, error) {
	mtu, err := p.mtu()
	if err != nil {
		return dst, err
	}
	first := len(dst)
	// One allocation for all payloads of the access unit: an upper bound
	// of payload bytes plus every header FU-A or STAP-A may add.
	total := 0
	for _, n := range nals {
		total += len(n) + 3 + 2*(len(n)/(mtu-2)+1)
	}
	w := &arena{buf: make([]byte, 0, total)}
	for i := 0; i < len(nals); i++ {
		nal := nals[i]
		if len(nal) == 0 {
			return dst[:first], ErrEmptyNAL
		}
		switch NALType(nal) {
		case NALAUD, NALFiller:
			continue
		}
		if len(nal) > mtu {
			if p.Mode == 0 {
				return dst[:first], fmt.Errorf("%w: %d > %d bytes (type %d)", ErrMode0TooBig, len(nal), mtu, NALType(nal))
			}
			dst = appendFUA(dst, w, nal, mtu)
			continue
		}
		if p.Mode == 1 && !p.NoSTAPA {
			if j := stapEnd(nals, i, mtu); j > i+1 {
				dst = append(dst, buildSTAPA(w, nals[i:j]))
				i = j - 1
				continue
			}
		}
		w.start()
		dst = append(dst, w.end(nal...))
	}
	return dst, nil
}

// arena hands out consecutive, capacity-capped slices of one buffer.
type arena struct {
	buf []byte
	at  int
}

func (a *arena) start() { a.at = len(a.buf) }

// end appends the last bytes of the current payload and returns it.
func (a *arena) end(b ...byte) []byte {
	a.buf = append(a.buf, b...)
	return a.buf[a.at:len(a.buf):len(a.buf)]
}

func (a *arena) add(b ...byte) { a.buf = append(a.buf, b...) }

// stapEnd returns the end (exclusive) of the run of NAL units starting at i
// that fits in one STAP-A of at most mtu bytes.
func stapEnd(nals [][]byte, i, mtu int) int {
	size := 1
	j := i
	for ; j < len(nals); j++ {
		n := nals[j]
		if t := NALType(n); t == NALAUD || t == NALFiller || len(n) == 0 {
			break
		}
		if size+2+len(n) > mtu {
			break
		}
		size += 2 + len(n)
	}
	return j
}

func buildSTAPA(w *arena, nals [][]byte) []byte {
	var f, nri byte
	for _, n := range nals {
		f |= n[0] & nalFBit
		nri = max(nri, n[0]&nalNRIMask) // §5.7.1: the highest NRI of all
	}
	w.start()
	w.add(f | nri | NALSTAPA)
	for _, n := range nals {
		w.add(byte(len(n)>>8), byte(len(n)))
		w.add(n...)
	}
	return w.end()
}

// appendFUA fragments nal into FU-A payloads of at most mtu bytes.
func appendFUA(dst [][]byte, w *arena, nal []byte, mtu int) [][]byte {
	ind := nal[0]&(nalFBit|nalNRIMask) | NALFUA
	typ := nal[0] & nalTypeMask
	body := nal[1:]
	chunk := mtu - 2
	for off := 0; off < len(body); off += chunk {
		end := min(off+chunk, len(body))
		h := typ
		if off == 0 {
			h |= 0x80
		}
		if end == len(body) {
			h |= 0x40
		}
		w.start()
		w.add(ind, h)
		dst = append(dst, w.end(body[off:end]...))
	}
	return dst
}
