//go:build linux

package rtpsession

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unsafe"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// DrainRTP hands f every RTP packet of the call already waiting on the RTP socket
// (packets from elsewhere are dropped as in ReadRTP), without blocking, each with its source and the time the kernel received it (SO_TIMESTAMPNS),
// so that jitter and latency are measured as precisely as by a reader that waits for
// every packet. RTCP multiplexed on the RTP port is handled as in ReadRTP.
//
// It is for a path that a clock drives anyway — the audio of a call, every 20 ms: a
// goroutine blocked in ReadRTP costs a wake-up of the scheduler per packet (50 a second
// per call), a drain on the tick costs one extra non-blocking read. Use either DrainRTP
// or ReadRTP on a session, from one goroutine at a time. The packet and its payload
// are valid only until f returns (nothing is allocated per packet): f copies what it
// keeps. f runs while the socket is being read and must not call back into the
// session's reads.
func (s *Session) DrainRTP(f func(pkt *rtp.Packet, src netip.AddrPort, at time.Time)) error {
	if s.isClosed() {
		return ErrClosed
	}
	if s.raw == nil {
		return fmt.Errorf("read rtp: %w", s.rawErr)
	}
	var rerr error
	err := s.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, from, err := unix.Recvmsg(int(fd), s.readBuf, s.oob, unix.MSG_DONTWAIT)
			switch {
			case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EWOULDBLOCK):
				return true // drained; never wait for the poller
			case errors.Is(err, unix.EINTR):
				continue
			case err != nil:
				rerr = err
				return true
			}
			now := s.now()
			at := now
			if ts, ok := kernelTime(s.oob[:oobn]); ok {
				// One reading of the clock: the age is on the wall clock (the
				// kernel's), the result keeps now's monotonic reading. A test's fake
				// clock gives an age out of range: arrival is then now.
				if age := now.Sub(ts); age >= 0 && age < time.Second {
					at = now.Add(-age)
				}
			}
			src := unmap(sockaddrAddrPort(from))
			if pkt := s.datagram(s.readBuf[:n], src, at); pkt != nil {
				f(pkt, src, at)
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		if s.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("read rtp: %w", err)
	}
	return nil
}

// prepareDrain asks the kernel to time-stamp the RTP socket's datagrams (called by
// New: the kernel turns time-stamping on shortly after the first socket asks, so a
// call's first packets are already stamped when its path starts draining).
func (s *Session) prepareDrain() {
	raw, err := s.cfg.RTP.SyscallConn()
	if err != nil {
		s.rawErr = err
		return
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil {
		s.rawErr = err
		return
	}
	if serr != nil {
		s.log.Debug("no kernel receive timestamps: a drained packet arrives when it is read", "err", serr)
	}
	s.raw, s.oob = raw, make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))
}

// kernelTime finds the SCM_TIMESTAMPNS receive time in a datagram's control data
// (without allocating: it runs for every packet).
func kernelTime(oob []byte) (time.Time, bool) {
	for len(oob) > 0 {
		hdr, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return time.Time{}, false
		}
		if hdr.Level == unix.SOL_SOCKET && hdr.Type == unix.SCM_TIMESTAMPNS &&
			len(data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&data[0]))
			return time.Unix(ts.Unix()), true
		}
		oob = rest
	}
	return time.Time{}, false
}

func sockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}
