package rtpsession

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// ntpEpochOffset is the number of seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix).
const ntpEpochOffset = 2208988800

// ntpTime is t as a 64-bit NTP timestamp (RFC 3550 §4).
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

func (s *Session) rtcpLoop() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, src, err := s.cfg.RTCP.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if s.isClosed() {
				return
			}
			s.log.Debug("rtcp read", "err", err)
			continue
		}
		s.handleProtectedRTCP(buf[:n], unmap(src))
	}
}

// handleProtectedRTCP authenticates and decrypts SRTCP (RFC 3711 §3.4) when the session
// is keyed, then handles the plain compound packet.
func (s *Session) handleProtectedRTCP(b []byte, src netip.AddrPort) {
	if s.srtp == nil {
		s.handleRTCP(b, src)
		return
	}
	if err := s.srtp.unprotectRTCP(b, func(plain []byte) error {
		s.handleRTCP(plain, src)
		return nil
	}); err != nil {
		s.srtpFailed(src)
	}
}

// handleRTCP parses one compound packet from the call's source and surfaces what the
// call layer acts on; RTCP from elsewhere is dropped and counted (source.go).
func (s *Session) handleRTCP(b []byte, src netip.AddrPort) {
	s.mu.Lock()
	if !s.acceptRTCPLocked(src) {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		s.log.Debug("dropping bad rtcp", "src", src, "err", err)
		return
	}
	now := s.now()
	s.mu.Lock()
	if s.cfg.Latch != LatchOff && src != s.remoteRTCP && s.src.IsValid() && src.Addr() == s.src.Addr() {
		// Symmetric RTCP: ours goes where the peer's comes from, on its RTP source's IP
		// only (never to another address because some RTCP came from there).
		s.remoteRTCP = src
		s.rtcpLatched = true
	}
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok && s.recv.valid && sr.SSRC == s.recv.ssrc {
			s.recv.lastSR = uint32(sr.NTPTime >> 16)
			s.recv.lastSRTime = now
		}
		s.peerReportLocked(p)
	}
	byeOK := false
	for _, p := range pkts {
		if bye, ok := p.(*rtcp.Goodbye); ok {
			byeOK = s.byeFromPeerLocked(bye.Sources)
		}
	}
	s.mu.Unlock()
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport, *rtcp.ReceiverReport:
			if s.cfg.OnReport != nil {
				s.cfg.OnReport(p)
			}
		case *rtcp.Goodbye:
			if !byeOK {
				s.log.Debug("rtcp bye ignored: it does not name the peer's ssrc", "ssrcs", p.Sources, "src", src)
				continue
			}
			s.log.Info("rtcp bye", "ssrcs", p.Sources, "reason", p.Reason)
			if s.cfg.OnBYE != nil {
				s.cfg.OnBYE(p.Sources, p.Reason)
			}
		case *rtcp.PictureLossIndication:
			if s.cfg.OnKeyframeRequest != nil {
				s.cfg.OnKeyframeRequest(KeyframeRequest{Sender: p.SenderSSRC})
			}
		case *rtcp.FullIntraRequest:
			for _, e := range p.FIR {
				if e.SSRC != s.ssrc {
					continue // a FIR entry for another of the peer's sources
				}
				if s.cfg.OnKeyframeRequest != nil {
					s.cfg.OnKeyframeRequest(KeyframeRequest{FIR: true, SeqNr: e.SequenceNumber, Sender: p.SenderSSRC})
				}
			}
		case *rtcp.TransportLayerNack:
			if s.cfg.OnNACK != nil {
				s.cfg.OnNACK(p)
			}
		}
	}
}

// report builds the SR or RR that starts every compound packet (RFC 3550 §6.1): an SR
// when we sent RTP since the last report, otherwise an RR, with a reception report
// block once the peer's source is valid. Called with s.mu held.
func (s *Session) reportLocked(now time.Time, advance bool) rtcp.Packet {
	var blocks []rtcp.ReceptionReport
	if s.recv.valid && s.recv.probation == 0 {
		if advance {
			blocks = append(blocks, s.recv.report(now))
		} else {
			c := s.recv
			blocks = append(blocks, c.report(now))
		}
	}
	if s.sentSince {
		if advance {
			s.sentSince = false
		}
		// The RTP timestamp corresponding to the NTP time, extrapolated from the last
		// packet sent (§6.4.1).
		rtpTS := s.lastSentTS + uint32(now.Sub(s.lastSentTime)*time.Duration(s.cfg.ClockRate)/time.Second)
		return &rtcp.SenderReport{
			SSRC:        s.ssrc,
			NTPTime:     ntpTime(now),
			RTPTime:     rtpTS,
			PacketCount: s.sentPackets,
			OctetCount:  s.sentOctets,
			Reports:     blocks,
		}
	}
	return &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
}

func (s *Session) sdes() *rtcp.SourceDescription {
	return &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: s.ssrc,
		Items:  []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: s.cfg.CNAME}},
	}}}
}

// SendReport sends an SR or RR now (the timer sends them every RTCPInterval).
func (s *Session) SendReport() error {
	return s.sendCompound(true)
}

// SendPLI asks the peer for a keyframe with a Picture Loss Indication (RFC 4585 §6.3.1).
func (s *Session) SendPLI() error {
	s.mu.Lock()
	media := s.recv.ssrc
	s.mu.Unlock()
	return s.sendCompound(false, &rtcp.PictureLossIndication{SenderSSRC: s.ssrc, MediaSSRC: media})
}

// SendFIR asks the peer for a keyframe with a Full Intra Request (RFC 5104 §4.3.1);
// seq is the command sequence number, incremented by the caller for each new request.
func (s *Session) SendFIR(seq uint8) error {
	s.mu.Lock()
	media := s.recv.ssrc
	s.mu.Unlock()
	// The media source SSRC field of a FIR is unused and set to 0 (RFC 5104 §4.3.1.2).
	return s.sendCompound(false, &rtcp.FullIntraRequest{SenderSSRC: s.ssrc, FIR: []rtcp.FIREntry{{SSRC: media, SequenceNumber: seq}}})
}

// sendCompound sends report + SDES + extra as one compound packet. Feedback messages
// ride in full compound packets (RFC 4585 §3.1) since room systems predate RFC 5506.
// advance says whether this is a regular report that starts a new loss interval.
func (s *Session) sendCompound(advance bool, extra ...rtcp.Packet) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	pkts := append([]rtcp.Packet{s.reportLocked(s.now(), advance), s.sdes()}, extra...)
	dst := s.remoteRTCP
	s.mu.Unlock()
	return s.writeRTCP(dst, pkts)
}

// sendRTCP sends p after an RR/SR and SDES (used for BYE on Close).
func (s *Session) sendRTCP(p rtcp.Packet) error {
	return s.sendCompound(false, p)
}

func (s *Session) writeRTCP(dst netip.AddrPort, pkts []rtcp.Packet) error {
	if !dst.IsValid() {
		return ErrNoRemote
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return fmt.Errorf("marshal rtcp: %w", err)
	}
	write := func(b []byte) error {
		_, err := s.cfg.RTCP.WriteToUDPAddrPort(b, dst)
		return err
	}
	if s.srtp != nil {
		err = s.srtp.protectRTCP(b, write)
	} else {
		err = write(b)
	}
	if err != nil {
		if s.isClosed() {
			return errors.Join(ErrClosed, err)
		}
		return fmt.Errorf("write rtcp to %s: %w", dst, err)
	}
	return nil
}
