//go:build linux

package rtpsession

import (
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
	s.drainF, s.drainErr = f, 0
	err := s.raw.Read(s.drainFD)
	s.drainF = nil
	if err == nil && s.drainErr != 0 {
		err = s.drainErr
	}
	if err != nil {
		if s.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("read rtp: %w", err)
	}
	return nil
}

// drainSocket reads the RTP socket until it is empty (raw.Read's callback, as the
// method value s.drainFD made once, so that a drain allocates nothing).
func (s *Session) drainSocket(fd uintptr) bool {
	for {
		n, oobn, src, errno := s.recvmsg(fd)
		switch errno {
		case 0:
		case unix.EAGAIN:
			return true // drained; never wait for the poller
		case unix.EINTR:
			continue
		default:
			s.drainErr = errno
			return true
		}
		now := s.now()
		at := now
		if ts, ok := kernelTime(s.oob[:oobn]); ok {
			// One reading of the clock: the age is on the wall clock (the kernel's),
			// the result keeps now's monotonic reading. A test's fake clock gives an
			// age out of range: arrival is then now.
			if age := now.Sub(ts); age >= 0 && age < time.Second {
				at = now.Add(-age)
			}
		}
		if pkt := s.datagram(s.readBuf[:n], src, at); pkt != nil {
			s.drainF(pkt, src, at)
		}
	}
}

// recvState is recvmsg(2)'s arguments, kept with the session: x/sys/unix.Recvmsg
// allocates the source address (and its own arguments) on every call.
type recvState struct {
	msg  unix.Msghdr
	iov  unix.Iovec
	from unix.RawSockaddrAny
}

// recvmsg reads one datagram into s.readBuf and its control data into s.oob without
// waiting.
func (s *Session) recvmsg(fd uintptr) (n, oobn int, from netip.AddrPort, errno unix.Errno) {
	r := s.rx
	r.iov.Base = &s.readBuf[0]
	r.iov.SetLen(len(s.readBuf))
	r.msg = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&r.from)), Namelen: unix.SizeofSockaddrAny, Iov: &r.iov, Control: &s.oob[0]}
	r.msg.SetIovlen(1)
	r.msg.SetControllen(len(s.oob))
	got, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), unix.MSG_DONTWAIT)
	if errno != 0 {
		return 0, 0, netip.AddrPort{}, errno
	}
	return int(got), int(r.msg.Controllen), unmap(rawAddrPort(&r.from)), 0
}

// rawAddrPort is the address of a sockaddr_in or sockaddr_in6 (port in network order).
func rawAddrPort(sa *unix.RawSockaddrAny) netip.AddrPort {
	switch sa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
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
	s.rx = &recvState{}
	s.drainFD = s.drainSocket
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
