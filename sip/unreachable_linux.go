package sip

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// withICMPErrors asks the kernel to report ICMP errors on conn (IP_RECVERR, and
// IPV6_RECVERR on an IPv6 socket, which also carries IPv4-mapped errors) and wraps
// it so that they reach report instead of sipgo's reader.
func withICMPErrors(conn net.PacketConn, report func(*UnreachableError)) net.PacketConn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return conn
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	set := false
	_ = raw.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_RECVERR, 1) == nil {
			set = true
		}
		if unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_RECVERR, 1) == nil {
			set = true
		}
	})
	if !set {
		return conn
	}
	return &icmpConn{PacketConn: conn, raw: raw, report: report}
}

// drain reads the socket's error queue (MSG_ERRQUEUE, see ip(7) IP_RECVERR) and
// reports each ICMP unreachable error; it returns how many entries it read.
func (c *icmpConn) drain() int {
	var read int
	buf := make([]byte, 64) // the offending datagram's start; not used
	oob := make([]byte, 256)
	var errs []*UnreachableError
	// Control, not Read: WriteTo drains too, while the reader blocks holding the
	// read lock. MSG_DONTWAIT: an empty queue ends the drain.
	_ = c.raw.Control(func(fd uintptr) {
		for read < 64 { // the queue is bounded; so is one drain
			_, oobn, _, from, err := unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			if err != nil {
				return
			}
			read++
			if e := parseICMPError(oob[:oobn], from); e != nil {
				errs = append(errs, e)
			}
		}
	})
	for _, e := range errs {
		c.report(e)
	}
	return read
}

// parseICMPError reads one error-queue entry: the sock_extended_err in the
// IP_RECVERR / IPV6_RECVERR control message and, as the message's address, the
// destination of the datagram that caused it. Entries that are not an ICMP
// destination-unreachable error (local errors, path MTU) give nil.
func parseICMPError(oob []byte, from unix.Sockaddr) *UnreachableError {
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	for _, m := range cmsgs {
		v4 := m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR
		v6 := m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR
		if !v4 && !v6 || len(m.Data) < sizeofSockExtendedErr {
			continue
		}
		errno := syscall.Errno(binary.NativeEndian.Uint32(m.Data[0:4]))
		origin := m.Data[4]
		if origin != unix.SO_EE_ORIGIN_ICMP && origin != unix.SO_EE_ORIGIN_ICMP6 {
			continue
		}
		if errno != syscall.ECONNREFUSED && errno != syscall.EHOSTUNREACH && errno != syscall.ENETUNREACH && errno != syscall.EACCES {
			continue // e.g. EMSGSIZE (fragmentation needed): not a dead destination
		}
		e := &UnreachableError{Dest: sockaddrAddrPort(from), Err: errno}
		// SO_EE_OFFENDER: the reporting node's address follows the struct.
		e.From = sockaddrBytesAddr(m.Data[sizeofSockExtendedErr:])
		if !e.Dest.IsValid() {
			return nil
		}
		return e
	}
	return nil
}

// sizeofSockExtendedErr is the size of struct sock_extended_err (linux/errqueue.h).
const sizeofSockExtendedErr = int(unsafe.Sizeof(unix.SockExtendedErr{}))

func sockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// sockaddrBytesAddr reads the address of a raw struct sockaddr_in / sockaddr_in6.
func sockaddrBytesAddr(b []byte) netip.Addr {
	if len(b) < 2 {
		return netip.Addr{}
	}
	switch binary.NativeEndian.Uint16(b[0:2]) {
	case unix.AF_INET:
		if len(b) >= unix.SizeofSockaddrInet4 {
			return netip.AddrFrom4([4]byte(b[4:8]))
		}
	case unix.AF_INET6:
		if len(b) >= unix.SizeofSockaddrInet6 {
			return netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		}
	}
	return netip.Addr{}
}
