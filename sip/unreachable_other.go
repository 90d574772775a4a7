//go:build !linux

package sip

import "net"

// withICMPErrors returns conn as is: reading ICMP errors of an unconnected UDP socket
// (IP_RECVERR) is Linux's; elsewhere a dead destination shows as Timer B's timeout.
func withICMPErrors(conn net.PacketConn, _ func(*UnreachableError)) net.PacketConn { return conn }

func (c *icmpConn) drain() int { return 0 }
