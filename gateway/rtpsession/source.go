package rtpsession

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"time"
)

// Which packets belong to the call (issue 11, "media belongs to the call").
//
// A media port is reachable by anyone who can send UDP to the gateway, so a datagram's
// arrival proves nothing. The session accepts RTP and RTCP only from the call's source:
//
//   - The address signalled in SDP (or H.245) is accepted from its first packet: it came
//     in the call's own signalling.
//   - Any other source is a candidate that the latch mode allows or not (LatchOff: never,
//     LatchSignalledIP: the signalled IP with another port, or the IP the call's
//     signalling came from — a NAT that leaves the room's private address in SDP
//     sends its media from there; LatchAny: any address). A
//     candidate is learnt only after a probation of Config.Probation consecutive
//     in-sequence packets from one address with one SSRC (the idea of RFC 3550 A.1's
//     MIN_SEQUENTIAL applied to addresses). Before any RTP was accepted that is how a
//     room system behind a port-rewriting NAT is found; afterwards the source moves only
//     when the candidate continues the current stream — same SSRC, sequence numbers
//     just ahead of the last accepted one — as a NAT rebinding does. Neither an SSRC
//     match alone nor any RTCP packet moves it; there is no "the source went quiet,
//     take whoever talks next" rule (an attacker would be heard as the room).
//   - RTCP is accepted from the RTCP address we send to (signalled, or learnt from
//     accepted RTCP) and from the IP of the accepted RTP source (a NAT maps RTCP to a
//     port of its own). An RTCP BYE ends the call only when it names the SSRC whose RTP
//     we accept (RFC 3550 §6.6: BYE says which sources leave).
//
// Everything else is dropped before it reaches statistics, the media timer, the jitter
// buffer or the DTMF receiver, and counted; the session logs the counts at most once per
// dropLogEvery, never a line per packet.

// DefaultProbation is the number of consecutive in-sequence packets a new RTP source
// must send, from one address with one SSRC, before it is accepted.
const DefaultProbation = 4

// rebindWindow bounds how far ahead of the last accepted sequence number a NAT
// rebinding's packets may be (about 10 s of 20 ms audio): the packets of the probation
// and those lost while the NAT moved.
const rebindWindow = 512

// dropLogEvery is the shortest interval between two log lines about dropped packets.
const dropLogEvery = 10 * time.Second

// Counters count what arrived on the session's sockets, for logs and tests.
type Counters struct {
	AcceptedRTP  uint64
	DroppedRTP   uint64 // RTP from a source that is not (yet) accepted, probation included
	ProbationRTP uint64 // of DroppedRTP: packets of a source on probation
	AcceptedRTCP uint64
	DroppedRTCP  uint64 // RTCP from a source that is not accepted
	IgnoredBYE   uint64 // BYE from the call's source that does not name the peer's SSRC
	Learnt       uint64 // times an RTP source was learnt by probation (first or rebinding)
	SRTPFailures uint64 // SRTP/SRTCP packets that did not authenticate under the peer's key
	// LastDropped is the source of the latest dropped packet.
	LastDropped netip.AddrPort
}

func (c Counters) dropped() uint64 {
	return c.DroppedRTP + c.DroppedRTCP + c.IgnoredBYE + c.SRTPFailures
}

// candidate is an RTP source on probation.
type candidate struct {
	src   netip.AddrPort
	ssrc  uint32
	seq   uint16 // last sequence number seen from it
	count int    // consecutive in-sequence packets
}

// Counters returns the session's packet counters.
func (s *Session) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// Source is the address RTP is accepted from (the signalled one until another is
// learnt; zero when neither).
func (s *Session) Source() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src
}

// rtpHeader reads what the source rules need from an RTP datagram without parsing it
// whole (and without allocating): ok is false for anything that is not RTP version 2.
func rtpHeader(b []byte) (ssrc uint32, seq uint16, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint16(b[2:4]), true
}

// mayLearn reports whether the latch mode lets src become the RTP source (after
// probation). With no signalled address (offer-less INVITE before the answer) any
// source may, after probation: there is nothing else to go by.
func (s *Session) mayLearn(src netip.AddrPort) bool {
	if !s.signalled.IsValid() {
		return true
	}
	switch s.cfg.Latch {
	case LatchAny:
		return true
	case LatchSignalledIP:
		return src.Addr() == s.signalled.Addr() || s.cfg.SignallingIP.IsValid() && src.Addr() == s.cfg.SignallingIP.Unmap()
	}
	return false
}

// acceptRTPLocked applies the source rules to one RTP packet (s.mu held). It reports
// whether the packet belongs to the call; it counts what it drops.
func (s *Session) acceptRTPLocked(src netip.AddrPort, ssrc uint32, seq uint16) bool {
	switch {
	case src == s.src && src.IsValid():
	case src == s.signalled && src.IsValid():
		// The call's signalling named this address: it takes the stream back at once
		// (a learnt source may have been wrong).
		s.moveLocked(src, ssrc, "signalled")
	case !s.mayLearn(src):
		s.dropRTPLocked(src)
		return false
	default:
		c := &s.cand
		if c.count > 0 && c.src == src && c.ssrc == ssrc && seq == c.seq+1 {
			c.count++
		} else {
			// A new candidate, or the old one broke its sequence: start over.
			*c = candidate{src: src, ssrc: ssrc, count: 1}
		}
		c.seq = seq
		if c.count < s.probation || (s.latched && !s.continuesLocked(ssrc, seq)) {
			s.counters.ProbationRTP++
			s.dropRTPLocked(src)
			return false
		}
		s.cand = candidate{}
		s.counters.Learnt++
		s.moveLocked(src, ssrc, "probation")
	}
	s.counters.AcceptedRTP++
	return true
}

// continuesLocked reports whether a packet of ssrc with seq continues the stream we
// accept: same SSRC, a sequence number a little ahead of the last one (a NAT rebinding).
func (s *Session) continuesLocked(ssrc uint32, seq uint16) bool {
	d := seq - s.recv.maxSeq
	return s.recv.valid && ssrc == s.recv.ssrc && d > 0 && d <= rebindWindow
}

// moveLocked makes src the accepted RTP source; sending follows it unless latching
// is off.
func (s *Session) moveLocked(src netip.AddrPort, ssrc uint32, why string) {
	if src == s.src {
		return
	}
	s.log.Info("rtp source accepted", "from", s.src, "to", src, "ssrc", ssrc, "by", why)
	s.src = src
	if s.cfg.Latch == LatchOff || src == s.remote {
		return
	}
	if src == s.signalled {
		s.remote, s.remoteRTCP, s.rtcpLatched = s.signalled, s.signalledRTCP, false
		return
	}
	if !s.rtcpLatched || s.remoteRTCP.Addr() != src.Addr() {
		// Until the peer's RTCP arrives itself, send ours beside its RTP source.
		s.remoteRTCP = netip.AddrPortFrom(src.Addr(), src.Port()+1)
		s.rtcpLatched = false
	}
	s.remote = src
}

// acceptRTCPLocked reports whether an RTCP packet from src belongs to the call
// (s.mu held): from the RTCP address we send to, or from the IP of the RTP source.
func (s *Session) acceptRTCPLocked(src netip.AddrPort) bool {
	if (src.IsValid() && src == s.remoteRTCP) || (s.src.IsValid() && src.Addr() == s.src.Addr()) {
		s.counters.AcceptedRTCP++
		return true
	}
	s.counters.DroppedRTCP++
	s.counters.LastDropped = src
	return false
}

// byeFromPeerLocked reports whether a BYE's sources name the SSRC we receive RTP from.
func (s *Session) byeFromPeerLocked(sources []uint32) bool {
	if s.recv.valid && slices.Contains(sources, s.recv.ssrc) {
		return true
	}
	s.counters.IgnoredBYE++
	return false
}

func (s *Session) dropRTPLocked(src netip.AddrPort) {
	s.counters.DroppedRTP++
	s.counters.LastDropped = src
}

// dropLogLocked returns the counters to log when packets were dropped since the last
// line and dropLogEvery has passed (s.mu held); ok false: nothing to log now.
func (s *Session) dropLogLocked(now time.Time) (cur, prev Counters, ok bool) {
	if s.counters.dropped() == s.logged.dropped() || now.Sub(s.loggedAt) < dropLogEvery {
		return Counters{}, Counters{}, false
	}
	prev, s.logged, s.loggedAt = s.logged, s.counters, now
	return s.counters, prev, true
}

// logDrops writes one aggregated line about dropped packets.
func (s *Session) logDrops(cur, prev Counters, msg string) {
	s.log.Warn(msg,
		"dropped_rtp", cur.DroppedRTP-prev.DroppedRTP, "dropped_rtcp", cur.DroppedRTCP-prev.DroppedRTCP,
		"ignored_bye", cur.IgnoredBYE-prev.IgnoredBYE, "probation_rtp", cur.ProbationRTP-prev.ProbationRTP,
		"srtp_failures", cur.SRTPFailures-prev.SRTPFailures,
		"total_dropped", cur.dropped(), "last_source", cur.LastDropped, "source", s.src)
}
