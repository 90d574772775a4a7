package rtpsession

import (
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// Traffic is one direction of a stream as far as the session knows it: packets
// counted here, loss and jitter from RFC 3550 reception statistics — our own for what
// we receive, the peer's latest report block for what we send.
type Traffic struct {
	Packets  uint64
	Lost     int64
	JitterMs float64
}

// Snapshot is the session's addresses and traffic, for per-call network diagnostics.
type Snapshot struct {
	Latch LatchMode
	// Signalled is the RTP address the call's signalling named; Source where RTP is
	// accepted from (the signalled address, or one learnt by latching); Remote where
	// we send.
	Signalled, Source, Remote netip.AddrPort
	// Latched: RTP from the call's source has arrived.
	Latched bool
	RX, TX  Traffic
	Counters
}

// Snapshot returns the session's addresses and traffic now.
func (s *Session) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Latch: s.cfg.Latch, Signalled: s.signalled, Source: s.src, Remote: s.remote, Latched: s.latched,
		Counters: s.counters}
	snap.RX.Packets = s.counters.AcceptedRTP
	if r := &s.recv; r.valid {
		expected := int64(r.extMax()) - int64(r.baseSeq) + 1
		snap.RX.Lost = max(expected-int64(r.received), 0)
		if r.clockRate > 0 {
			snap.RX.JitterMs = r.jitter / float64(r.clockRate) * 1000
		}
	}
	snap.TX.Packets = uint64(s.sentPackets)
	if s.havePeerRR {
		snap.TX.Lost = int64(s.peerRR.TotalLost)
		if s.cfg.ClockRate > 0 {
			snap.TX.JitterMs = float64(s.peerRR.Jitter) / float64(s.cfg.ClockRate) * 1000
		}
	}
	return snap
}

// peerReportLocked keeps the peer's report block about our SSRC from an SR or RR
// (s.mu held).
func (s *Session) peerReportLocked(p rtcp.Packet) {
	var reports []rtcp.ReceptionReport
	switch p := p.(type) {
	case *rtcp.SenderReport:
		reports = p.Reports
	case *rtcp.ReceiverReport:
		reports = p.Reports
	}
	for _, r := range reports {
		if r.SSRC == s.ssrc {
			s.peerRR, s.havePeerRR = r, true
		}
	}
}

// idleLocked reports whether the keep-alive is due: nothing sent for Keepalive
// (counted from New when nothing was ever sent), sending on, a remote known (s.mu held).
func (s *Session) idleLocked(now time.Time) bool {
	if s.cfg.Keepalive <= 0 || s.cfg.OnIdle == nil || s.paused || !s.remote.IsValid() {
		return false
	}
	last := s.lastSentTime
	if last.IsZero() {
		last = s.started
	}
	return now.Sub(last) >= s.cfg.Keepalive
}
