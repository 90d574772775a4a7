package rtpsession

import (
	"time"

	"github.com/pion/rtcp"
)

// RFC 3550 Appendix A.1 constants.
const (
	maxDropout    = 3000
	maxMisorder   = 100
	minSequential = 2
	seqMod        = 1 << 16
)

// recvStats is the reception state for the one remote source (RFC 3550 §6.4.1,
// Appendix A.1, A.3 and A.8). It is guarded by the session mutex.
type recvStats struct {
	ssrc          uint32
	valid         bool // a source has been seen
	maxSeq        uint16
	cycles        uint32 // shifted count of seq number cycles
	baseSeq       uint32
	badSeq        uint32
	probation     int
	received      uint32
	expectedPrior uint32
	receivedPrior uint32
	transit       int64
	haveTransit   bool
	jitter        float64 // in timestamp units, J(i) of §6.4.1
	clockRate     uint32

	// From the last SR of this source: middle 32 bits of its NTP timestamp and when it
	// arrived (for LSR/DLSR).
	lastSR     uint32
	lastSRTime time.Time
}

func (s *recvStats) reset(ssrc uint32, seq uint16) {
	*s = recvStats{ssrc: ssrc, valid: true, clockRate: s.clockRate, probation: minSequential}
	s.initSeq(seq)
	s.maxSeq = seq - 1
}

func (s *recvStats) initSeq(seq uint16) {
	s.baseSeq = uint32(seq)
	s.maxSeq = seq
	s.badSeq = seqMod + 1 // so seq == badSeq is false
	s.cycles = 0
	s.received = 0
	s.receivedPrior = 0
	s.expectedPrior = 0
}

// updateSeq is RFC 3550 A.1 update_seq: it reports whether the packet counts as valid.
func (s *recvStats) updateSeq(seq uint16) bool {
	udelta := seq - s.maxSeq
	if s.probation > 0 {
		// Source is not valid until minSequential packets in sequence have arrived.
		if seq == s.maxSeq+1 {
			s.probation--
			s.maxSeq = seq
			if s.probation == 0 {
				s.initSeq(seq)
				s.received++
				return true
			}
		} else {
			s.probation = minSequential - 1
			s.maxSeq = seq
		}
		return false
	}
	switch {
	case udelta < maxDropout:
		// In order, with permissible gap.
		if seq < s.maxSeq {
			s.cycles += seqMod
		}
		s.maxSeq = seq
	case udelta <= seqMod-maxMisorder:
		// The sequence number made a very large jump.
		if uint32(seq) == s.badSeq {
			// Two sequential packets: assume the other side restarted without telling us.
			s.initSeq(seq)
		} else {
			s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return false
		}
	default:
		// Duplicate or reordered packet.
	}
	s.received++
	return true
}

// updateJitter is RFC 3550 A.8 with arrival expressed in timestamp units.
func (s *recvStats) updateJitter(ts uint32, arrival time.Time) {
	if s.clockRate == 0 {
		return
	}
	arr := arrival.UnixNano() * int64(s.clockRate) / int64(time.Second)
	transit := arr - int64(ts)
	if s.haveTransit {
		d := transit - s.transit
		// Timestamps wrap at 2^32: the difference of two transits is small unless the
		// wrap fell between them.
		d = int64(int32(d))
		if d < 0 {
			d = -d
		}
		s.jitter += (float64(d) - s.jitter) / 16
	}
	s.transit = transit
	s.haveTransit = true
}

// extMax is the extended highest sequence number received.
func (s *recvStats) extMax() uint32 { return s.cycles + uint32(s.maxSeq) }

// report builds the reception report block and advances the interval counters
// (RFC 3550 A.3).
func (s *recvStats) report(now time.Time) rtcp.ReceptionReport {
	extMax := s.extMax()
	expected := extMax - s.baseSeq + 1
	lost := int64(expected) - int64(s.received)
	// Cumulative lost is a signed 24-bit field; duplicates can make it negative, which
	// pion's marshaller cannot carry, so it is clamped to 0 (RFC 3550 §6.4.1 allows
	// clamping at the field's limits).
	if lost < 0 {
		lost = 0
	}
	if lost > 0x7fffff {
		lost = 0x7fffff
	}
	expectedInterval := expected - s.expectedPrior
	s.expectedPrior = expected
	receivedInterval := s.received - s.receivedPrior
	s.receivedPrior = s.received
	lostInterval := int64(expectedInterval) - int64(receivedInterval)
	var fraction uint8
	if expectedInterval != 0 && lostInterval > 0 {
		fraction = uint8((lostInterval << 8) / int64(expectedInterval))
	}
	rr := rtcp.ReceptionReport{
		SSRC:               s.ssrc,
		FractionLost:       fraction,
		TotalLost:          uint32(lost),
		LastSequenceNumber: extMax,
		Jitter:             uint32(s.jitter),
	}
	if !s.lastSRTime.IsZero() {
		rr.LastSenderReport = s.lastSR
		// DLSR in units of 1/65536 s (§6.4.1).
		rr.Delay = uint32(now.Sub(s.lastSRTime) * 65536 / time.Second)
	}
	return rr
}
