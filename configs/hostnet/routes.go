package hostnet

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Route flags of linux/route.h.
const (
	rtfUp     = 0x0001
	rtfReject = 0x0200
)

// maxRouteLines bounds how much of a route table is read.
const maxRouteLines = 100000

// DefaultRoute4 returns the interface of the IPv4 default route with the lowest
// metric in a /proc/net/route table ("" when there is none). Lines that do not
// parse are skipped.
//
//	Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
//	eth0  00000000    0102A8C0 0003 0      0   100    00000000 0 0 0
func DefaultRoute4(r io.Reader) string {
	return bestDefault(r, func(f []string) (string, int64, bool) {
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			return "", 0, false
		}
		return f[0], hexField(f[3]), true
	}, func(f []string) int64 { return decField(f[6]) })
}

// DefaultRoute6 returns the interface of the IPv6 default route (::/0) with the
// lowest metric in a /proc/net/ipv6_route table ("" when there is none); the kernel's
// reject routes on lo do not count.
//
//	dest(32 hex) plen src splen nexthop metric refcnt use flags iface
func DefaultRoute6(r io.Reader) string {
	return bestDefault(r, func(f []string) (string, int64, bool) {
		if len(f) < 10 || f[0] != strings.Repeat("0", 32) || f[1] != "00" {
			return "", 0, false
		}
		return f[9], hexField(f[8]), true
	}, func(f []string) int64 { return hexField(f[5]) })
}

func bestDefault(r io.Reader, parse func([]string) (string, int64, bool), metric func([]string) int64) string {
	sc := bufio.NewScanner(r)
	best, bestMetric := "", int64(-1)
	for n := 0; sc.Scan() && n < maxRouteLines; n++ {
		f := strings.Fields(sc.Text())
		iface, flags, ok := parse(f)
		if !ok || flags < 0 || flags&rtfUp == 0 || flags&rtfReject != 0 || iface == "" {
			continue
		}
		m := metric(f)
		if m < 0 {
			continue
		}
		if best == "" || m < bestMetric {
			best, bestMetric = iface, m
		}
	}
	return best
}

func hexField(s string) int64 {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return -1
	}
	return int64(v)
}

func decField(s string) int64 {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return -1
	}
	return int64(v)
}
