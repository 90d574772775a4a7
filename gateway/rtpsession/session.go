// Package rtpsession runs one RTP media stream of a room-system call over an RTP/RTCP
// UDP socket pair (RFC 3550): it sends and receives RTP packets, keeps reception
// statistics, sends sender and receiver reports, surfaces the peer's RTCP (BYE,
// keyframe requests per RFC 4585 PLI and RFC 5104 FIR, NACK), and notices when media
// stops.
//
// Room systems sit behind NATs and firewalls that rewrite their source ports, so the
// session does symmetric RTP (RFC 4961 behaviour, "latching"): packets go back to the
// address the accepted RTP comes from rather than to the one signalled in SDP or H.245.
// Which sources are accepted at all is in source.go: the signalled address at once,
// another one only as the latch mode (the seam for the NAT profiles) allows and after a
// probation; packets from elsewhere are dropped and counted. RTCP multiplexed on the
// RTP port (RFC 5761) is recognised by its packet type.
package rtpsession

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// Defaults of Config.
const (
	DefaultRTCPInterval = 5 * time.Second
	DefaultMediaTimeout = 30 * time.Second
	// tickPeriod is how often the session checks for reports due and media timeout.
	tickPeriod = 500 * time.Millisecond
)

// LatchMode says which sources other than the signalled address may become the call's
// media source (after probation, source.go), and so where RTP and RTCP are sent.
type LatchMode int

const (
	// LatchAny learns any source (for endpoints behind a NAT that rewrites addresses
	// without fixing SDP).
	LatchAny LatchMode = iota
	// LatchSignalledIP learns only sources whose IP equals the signalled IP (the port
	// may change, as with a port-rewriting NAT).
	LatchSignalledIP
	// LatchOff accepts only the signalled address and always sends there.
	LatchOff
	// LatchSignalled accepts RTP only from the exact signalled address and sends there,
	// like LatchOff, but learns where the peer's RTCP comes from (a NAT that keeps the
	// RTP mapping may still move RTCP) — the NAT profiles' "signalled".
	LatchSignalled
)

// String is the mode's name in the configuration (nat.profiles[].latch, media.latch).
func (m LatchMode) String() string {
	switch m {
	case LatchAny:
		return "any"
	case LatchSignalledIP:
		return "signalled_ip"
	case LatchOff:
		return "off"
	case LatchSignalled:
		return "signalled"
	}
	return "unknown"
}

// KeyframeRequest is a PLI (RFC 4585 §6.3.1) or FIR (RFC 5104 §4.3.1) from the peer.
type KeyframeRequest struct {
	FIR    bool  // false: PLI
	SeqNr  uint8 // FIR command sequence number
	Sender uint32
}

// Errors.
var (
	ErrClosed   = errors.New("rtp session closed")
	ErrNoRemote = errors.New("rtp session has no remote address yet")
)

// Config describes one stream. RTP and RTCP are required; the session owns them from
// New on and closes them in Close.
type Config struct {
	RTP, RTCP *net.UDPConn
	// Remote is the RTP address signalled by the peer; it may be zero when unknown
	// (offer-less INVITE) and the session then waits for latching or SetRemote.
	Remote netip.AddrPort
	// RemoteRTCP is the signalled RTCP address (SDP a=rtcp); zero means Remote's port+1.
	RemoteRTCP netip.AddrPort
	Latch      LatchMode
	// ClockRate of the RTP timestamps (8000 for G.711/G.722, 48000 Opus, 90000 video),
	// needed for jitter and SR timestamps.
	ClockRate uint32
	// SSRC of what we send; zero picks a random one. WriteRTP stamps it on packets.
	SSRC  uint32
	CNAME string
	// RTCPInterval between reports (randomised by ±50% per RFC 3550 §6.3.5);
	// zero means DefaultRTCPInterval.
	RTCPInterval time.Duration
	// MediaTimeout is how long without accepted RTP before OnTimeout fires; zero means
	// DefaultMediaTimeout, negative disables the check.
	MediaTimeout time.Duration
	// Probation is how many consecutive in-sequence packets a source other than the
	// signalled one must send before it is accepted; zero means DefaultProbation.
	Probation int
	// SignallingIP is the address the call's signalling came from. LatchSignalledIP
	// learns (after probation) media from it as from the signalled IP: a room system
	// behind a NAT that writes its private address into SDP sends its media from the
	// same public address as its SIP or H.225.
	SignallingIP netip.Addr

	// Now and Tick replace the wall clock in tests: Now stamps arrivals and reports,
	// each value on Tick runs the periodic checks. Nil means time.Now and a ticker.
	Now  func() time.Time
	Tick <-chan time.Time

	Log *slog.Logger

	// SRTP, when set, protects the stream (RFC 3711, keys from SDES): what does not
	// authenticate under the peer's key is dropped before any other check, so an
	// outside sender can neither inject nor move the stream, and nothing is sent in
	// the clear.
	SRTP *SRTPConfig

	// Callbacks run on the session's RTCP goroutine (or the ReadRTP caller for
	// multiplexed RTCP) and must not block. They see only RTCP from the call's source;
	// OnBYE only a BYE that names the peer's SSRC.
	OnBYE             func(ssrcs []uint32, reason string)
	OnKeyframeRequest func(KeyframeRequest)
	OnNACK            func(*rtcp.TransportLayerNack)
	// OnReport sees every incoming SR and RR.
	OnReport func(rtcp.Packet)
	// Keepalive > 0 calls OnIdle (on the session's timer goroutine; it must not block)
	// when nothing was sent to the peer for that long — while the meeting shows the
	// room system nothing, say — so that the stream's owner sends a packet the peer
	// discards and the NAT in front of the peer keeps the binding our media needs
	// (the idea of RFC 6263). Not while sending is paused (hold) or no remote is known.
	Keepalive time.Duration
	OnIdle    func()
	// OnTimeout fires once when no accepted RTP arrived for MediaTimeout (measured from
	// New when none ever arrived); it fires again only after RTP resumed and stopped
	// again. Dropped packets do not keep a call alive.
	OnTimeout func(lastPacket time.Time)
}

// Session is one running RTP stream.
type Session struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	ssrc     uint32
	interval time.Duration

	probation int

	mu            sync.Mutex
	remote        netip.AddrPort // current RTP destination
	remoteRTCP    netip.AddrPort // current RTCP destination
	rtcpLatched   bool           // remoteRTCP came from received RTCP
	src           netip.AddrPort // RTP is accepted from here (source.go)
	latched       bool           // RTP has been accepted (recv is the peer's stream)
	cand          candidate      // a source on probation
	signalled     netip.AddrPort
	signalledRTCP netip.AddrPort
	counters      Counters
	peerRR        rtcp.ReceptionReport // the peer's latest report block about our stream
	havePeerRR    bool
	logged        Counters  // as of the last log line about drops
	loggedAt      time.Time // when that line was written
	recv          recvStats
	lastRTP       time.Time
	started       time.Time
	timedOut      bool
	nextReport    time.Time
	sentPackets   uint32
	sentOctets    uint32
	sentSince     bool // RTP sent since the previous report: send SR
	lastSentTS    uint32
	lastSentTime  time.Time
	paused        bool // SetSending(false): WriteRTP sends nothing
	closed        bool
	rtpBuf        []byte             // WriteRTP's marshal buffer, under mu
	readBuf       []byte             // ReadRTP's and DrainRTP's, used by their one caller
	pkt           rtp.Packet         // DrainRTP's packet, aliasing readBuf (or the SRTP plaintext)
	srtp          *srtpContexts      // nil for plain RTP
	plain         []byte             // the reader's last SRTP plaintext (the receiving context's buffer)
	keepPlainF    func([]byte) error // s.keepPlain, made once: a method value per packet allocates
	sendRTPF      func([]byte) error // s.sendRTP, likewise
	sendDst       netip.AddrPort     // where sendRTP sends (under mu)
	raw           syscall.RawConn    // the RTP socket, for DrainRTP
	rawErr        error              // why raw is nil
	oob           []byte             // DrainRTP's control-message buffer
	rx            *recvState         // DrainRTP's recvmsg arguments
	drainFD       func(fd uintptr) bool
	drainF        func(*rtp.Packet, netip.AddrPort, time.Time) // DrainRTP's f while it runs
	drainErr      unix.Errno

	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New starts the session's RTCP reader and timer goroutines.
func New(cfg Config) (*Session, error) {
	if cfg.RTP == nil || cfg.RTCP == nil {
		return nil, errors.New("rtp session: RTP and RTCP sockets are required")
	}
	if cfg.RTCPInterval <= 0 {
		cfg.RTCPInterval = DefaultRTCPInterval
	}
	if cfg.MediaTimeout == 0 {
		cfg.MediaTimeout = DefaultMediaTimeout
	}
	if cfg.Probation <= 0 {
		cfg.Probation = DefaultProbation
	}
	var sc *srtpContexts
	if cfg.SRTP != nil {
		var err error
		if sc, err = newSRTPContexts(*cfg.SRTP); err != nil {
			return nil, err
		}
	}
	s := &Session{
		srtp:      sc,
		probation: cfg.Probation,
		cfg:       cfg,
		log:       cfg.Log,
		now:       cfg.Now,
		ssrc:      cfg.SSRC,
		interval:  cfg.RTCPInterval,
		done:      make(chan struct{}),
		rtpBuf:    make([]byte, 1500),
		readBuf:   make([]byte, 4096), // larger than any MTU: no silent truncation
	}
	s.keepPlainF, s.sendRTPF = s.keepPlain, s.sendRTP
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for s.ssrc == 0 {
		s.ssrc = rand.Uint32()
	}
	if s.cfg.CNAME == "" {
		s.cfg.CNAME = fmt.Sprintf("roomgate-%08x", s.ssrc)
	}
	s.recv.clockRate = cfg.ClockRate
	s.prepareDrain()
	s.setRemoteLocked(cfg.Remote, cfg.RemoteRTCP)
	s.started = s.now()
	s.nextReport = s.started.Add(s.jittered())

	tick := cfg.Tick
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(tickPeriod)
		tick = ticker.C
	}
	s.wg.Add(2)
	go s.rtcpLoop()
	go s.timerLoop(tick, ticker)
	return s, nil
}

// SSRC is the SSRC of what we send.
func (s *Session) SSRC() uint32 { return s.ssrc }

// LocalRTP is the local RTP socket address.
func (s *Session) LocalRTP() netip.AddrPort {
	return s.cfg.RTP.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SetRemote changes the signalled addresses (re-INVITE, H.245 OLC ack). Latching
// starts over from them.
func (s *Session) SetRemote(rtpAddr, rtcpAddr netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setRemoteLocked(rtpAddr, rtcpAddr)
}

func (s *Session) setRemoteLocked(rtpAddr, rtcpAddr netip.AddrPort) {
	rtpAddr = unmap(rtpAddr)
	rtcpAddr = unmap(rtcpAddr)
	if !rtcpAddr.IsValid() && rtpAddr.IsValid() {
		rtcpAddr = netip.AddrPortFrom(rtpAddr.Addr(), rtpAddr.Port()+1)
	}
	if rtpAddr == s.signalled && rtpAddr.IsValid() && s.src.IsValid() {
		// A re-INVITE that keeps the address (hold, resume): the learnt source stays.
		return
	}
	s.signalled, s.signalledRTCP = rtpAddr, rtcpAddr
	s.src = rtpAddr
	s.cand = candidate{}
	s.rtcpLatched = false
	s.latched = false
	s.remote, s.remoteRTCP = rtpAddr, rtcpAddr
}

// Remote is where RTP goes now (the latched or signalled address).
func (s *Session) Remote() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// SetMediaTimeout changes the media timeout: the call layer turns it off (negative)
// while the peer holds the call (a=sendonly/inactive) and back on when it resumes.
// The silence is measured from now, not from before the change.
func (s *Session) SetMediaTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == 0 {
		d = DefaultMediaTimeout
	}
	s.cfg.MediaTimeout = d
	s.timedOut = false
	s.started = s.now()
	if !s.lastRTP.IsZero() {
		s.lastRTP = s.started
	}
}

// SetSending turns sending RTP on or off: off while the peer holds the stream (SDP
// sendonly/inactive from the peer, an empty H.245 capability set), where it must not
// receive media; WriteRTP then sends nothing. RTCP goes on.
func (s *Session) SetSending(on bool) {
	s.mu.Lock()
	s.paused = !on
	s.mu.Unlock()
}

// LastPacket is when the last RTP packet arrived (zero if none yet).
func (s *Session) LastPacket() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRTP
}

func unmap(a netip.AddrPort) netip.AddrPort {
	if !a.IsValid() {
		return a
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// ReadRTP blocks until an RTP packet of the call arrives and returns it with its
// source address. Packets that are not RTP version 2 or that come from a source the
// call does not accept (source.go) are dropped; RTCP multiplexed on the RTP port (RFC
// 5761 §4: packet types 192–223) is handled as if it came on the RTCP port. The
// returned packet owns its bytes. Call ReadRTP from one goroutine at a time.
func (s *Session) ReadRTP() (*rtp.Packet, netip.AddrPort, error) {
	buf := s.readBuf
	for {
		n, src, err := s.cfg.RTP.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.isClosed() {
				return nil, src, ErrClosed
			}
			return nil, src, fmt.Errorf("read rtp: %w", err)
		}
		src = unmap(src)
		if p := s.datagram(buf[:n], src, s.now()); p != nil {
			// The packet aliases the read (or SRTP) buffer: give the caller its own.
			return p.Clone(), src, nil
		}
	}
}

// datagram sorts what arrived on the RTP port at now: RTCP (multiplexed, RFC 5761 §4:
// packet types 192–223) is handled here; RTP of the call updates statistics and the
// media timer and is returned parsed into s.pkt, aliasing b; anything else (not RTP, or
// from a source the call does not accept) is dropped: nil. Nothing is allocated.
func (s *Session) datagram(b []byte, src netip.AddrPort, now time.Time) *rtp.Packet {
	if len(b) >= 2 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223 {
		s.handleProtectedRTCP(b, src)
		return nil
	}
	if s.srtp != nil {
		// Authenticate first: what the peer's key did not protect never reaches the
		// source rules, the statistics or the media.
		if err := s.srtp.unprotectRTP(b, s.keepPlainF); err != nil {
			s.srtpFailed(src)
			return nil
		}
		b = s.plain
	}
	ssrc, seq, ok := rtpHeader(b)
	if !ok {
		return nil
	}
	s.mu.Lock()
	if !s.acceptRTPLocked(src, ssrc, seq) {
		s.mu.Unlock()
		return nil
	}
	if err := s.pkt.Unmarshal(b); err != nil {
		s.mu.Unlock()
		return nil
	}
	s.receivedLocked(&s.pkt, now)
	s.mu.Unlock()
	return &s.pkt
}

// RekeyRemote takes a new key for what the peer sends (its re-INVITE changed it). Only
// a session that was made with SRTP can be re-keyed.
func (s *Session) RekeyRemote(c SRTPConfig) error {
	if s.srtp == nil {
		return errors.New("rtp session: not an SRTP session")
	}
	return s.srtp.rekeyRemote(c)
}

// keepPlain takes the SRTP plaintext of the packet being read (its bytes stay valid
// until the next read: the reader is the only user of the receiving context).
func (s *Session) keepPlain(b []byte) error {
	s.plain = b
	return nil
}

// sendRTP writes protected RTP to sendDst (WriteRTP's, under mu).
func (s *Session) sendRTP(b []byte) error {
	_, err := s.cfg.RTP.WriteToUDPAddrPort(b, s.sendDst)
	return err
}

// srtpFailed counts a packet that did not authenticate under the peer's key.
func (s *Session) srtpFailed(src netip.AddrPort) {
	s.mu.Lock()
	s.counters.SRTPFailures++
	s.counters.LastDropped = src
	s.mu.Unlock()
}

// receivedLocked updates statistics and the media timer for one accepted RTP packet.
func (s *Session) receivedLocked(pkt *rtp.Packet, now time.Time) {
	s.latched = true
	if !s.recv.valid || pkt.SSRC != s.recv.ssrc {
		s.recv.reset(pkt.SSRC, pkt.SequenceNumber)
	}
	if s.recv.updateSeq(pkt.SequenceNumber) {
		s.recv.updateJitter(pkt.Timestamp, now)
	}
	s.lastRTP = now
	s.timedOut = false
}

// WriteRTP sends pkt to the peer, stamped with our SSRC (the header is changed in place).
func (s *Session) WriteRTP(pkt *rtp.Packet) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.paused {
		s.mu.Unlock()
		return nil
	}
	dst := s.remote
	if !dst.IsValid() {
		s.mu.Unlock()
		return ErrNoRemote
	}
	pkt.SSRC = s.ssrc
	n := pkt.MarshalSize()
	if cap(s.rtpBuf) < n {
		s.rtpBuf = make([]byte, n)
	}
	b := s.rtpBuf[:n]
	if _, err := pkt.MarshalTo(b); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("marshal rtp: %w", err)
	}
	s.sentPackets++
	s.sentOctets += uint32(len(pkt.Payload))
	s.sentSince = true
	s.lastSentTS = pkt.Timestamp
	s.lastSentTime = s.now()
	// The write happens under the lock so the shared buffer is not reused meanwhile;
	// a UDP send does not block for long.
	var err error
	if s.srtp != nil {
		s.sendDst = dst
		err = s.srtp.protectRTP(b, s.sendRTPF)
	} else {
		_, err = s.cfg.RTP.WriteToUDPAddrPort(b, dst)
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write rtp to %s: %w", dst, err)
	}
	return nil
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// jittered is the report interval randomised to 0.5–1.5 times (RFC 3550 §6.3.5).
func (s *Session) jittered() time.Duration {
	return time.Duration(float64(s.interval) * (0.5 + rand.Float64()))
}

func (s *Session) timerLoop(tick <-chan time.Time, ticker *time.Ticker) {
	defer s.wg.Done()
	if ticker != nil {
		defer ticker.Stop()
	}
	for {
		select {
		case <-s.done:
			return
		case <-tick:
			s.onTick()
		}
	}
}

// onTick sends a report when due and checks the media timeout.
func (s *Session) onTick() {
	now := s.now()
	s.mu.Lock()
	due := !now.Before(s.nextReport)
	if due {
		s.nextReport = now.Add(s.jittered())
	}
	var fire bool
	var last time.Time
	if s.cfg.MediaTimeout > 0 && !s.timedOut {
		last = s.lastRTP
		ref := last
		if ref.IsZero() {
			ref = s.started
		}
		if now.Sub(ref) >= s.cfg.MediaTimeout {
			s.timedOut = true
			fire = true
		}
	}
	cur, prev, logDrops := s.dropLogLocked(now)
	idle := s.idleLocked(now)
	s.mu.Unlock()
	if idle {
		s.cfg.OnIdle()
	}
	if logDrops {
		s.logDrops(cur, prev, "media from outside the call dropped")
	}
	if due {
		if err := s.SendReport(); err != nil && !errors.Is(err, ErrNoRemote) {
			s.log.Debug("rtcp report not sent", "err", err)
		}
	}
	if fire {
		s.log.Info("rtp media timeout", "last_packet", last, "timeout", s.cfg.MediaTimeout)
		if s.cfg.OnTimeout != nil {
			s.cfg.OnTimeout(last)
		}
	}
}

// Close sends an RTCP BYE (RFC 3550 §6.6) when the peer is known, stops the goroutines,
// closes both sockets and waits. It is idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		_ = s.sendRTCP(&rtcp.Goodbye{Sources: []uint32{s.ssrc}})
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		s.cfg.RTP.Close()
		s.cfg.RTCP.Close()
		s.wg.Wait()
		s.mu.Lock()
		cur, prev := s.counters, s.logged
		s.mu.Unlock()
		if cur.dropped() > prev.dropped() {
			s.logDrops(cur, prev, "media from outside the call dropped (until the end of the call)")
		}
	})
	return nil
}
