package ras

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// seqTemplate encodes build(seq) and returns the bytes and the offset of
// the 16-bit requestSeqNum (seq-1 in aligned PER), so that each iteration
// sends a new request without encoding it.
func seqTemplate(b *testing.B, build func(seq int64) *h225.RasMessage) ([]byte, int) {
	x, y := pdutest.Encode(b, build(0x1111)), pdutest.Encode(b, build(0x2222))
	for i := 0; i+1 < len(x); i++ {
		if binary.BigEndian.Uint16(x[i:]) == 0x1110 && binary.BigEndian.Uint16(y[i:]) == 0x2221 && bytes.Equal(x[i+2:], y[i+2:]) {
			return x, i
		}
	}
	b.Fatal("requestSeqNum not found")
	return nil, 0
}

func benchGK(b *testing.B) *Gatekeeper {
	g, err := NewGatekeeper(Config{Listen: "127.0.0.1:0", CallSignal: []netip.AddrPort{gatewayCS}, OwnsAlias: ownsMeeting,
		Limits: Limits{RequestsPerSecond: 1e9, Burst: 1e9}})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	return g
}

type benchCase struct {
	name  string
	build func(ep *h225.RASEndpoint) func(seq int64) *h225.RasMessage
	want  func(*h225.RasMessage) bool
}

var benchCases = []benchCase{
	{"RRQ-RCF", func(ep *h225.RASEndpoint) func(int64) *h225.RasMessage {
		return func(seq int64) *h225.RasMessage { return ep.RegistrationRequest(seq, false, 60) }
	}, func(m *h225.RasMessage) bool { return m.RegistrationConfirm != nil }},
	{"ARQ-ACF", func(ep *h225.RASEndpoint) func(int64) *h225.RasMessage {
		return func(seq int64) *h225.RasMessage {
			return ep.AdmissionRequest(seq, 7, call(), []h225.AliasAddress{digits("123456789")}, false, 7680)
		}
	}, func(m *h225.RasMessage) bool { return m.AdmissionConfirm != nil }},
}

// BenchmarkHandle is the gatekeeper's cost per request without the
// socket: decode, rules, encode.
func BenchmarkHandle(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			g := benchGK(b)
			src := netip.MustParseAddrPort("127.0.0.1:1719")
			ep := endpoint("127.0.0.1", h323ID("room-a"), digits("1001"))
			rcf := decodeB(b, g.datagram(pdutest.Encode(b, ep.RegistrationRequest(1, false, 60)), src))
			ep.ID = rcf.RegistrationConfirm.EndpointIdentifier
			req, off := seqTemplate(b, c.build(ep))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				binary.BigEndian.PutUint16(req[off:], uint16(i%65000+2))
				reply := g.datagram(req, src)
				if reply == nil || i == 0 && !c.want(decodeB(b, reply)) {
					b.Fatal("unexpected answer")
				}
				g.flush()
			}
		})
	}
}

// BenchmarkLoopback is a request and its answer over UDP on 127.0.0.1.
func BenchmarkLoopback(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			g := benchGK(b)
			conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Minute))
			buf := make([]byte, maxDatagram)
			roundTrip := func(req []byte) []byte {
				if _, err := conn.WriteToUDPAddrPort(req, g.Addr()); err != nil {
					b.Fatal(err)
				}
				n, _, err := conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					b.Fatal(err)
				}
				return buf[:n]
			}
			ep := endpoint("127.0.0.1", h323ID("room-a"), digits("1001"))
			ep.CallSignal = ta("127.0.0.1:1721")
			ep.ID = decodeB(b, roundTrip(pdutest.Encode(b, ep.RegistrationRequest(1, false, 60)))).RegistrationConfirm.EndpointIdentifier
			req, off := seqTemplate(b, c.build(ep))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				binary.BigEndian.PutUint16(req[off:], uint16(i%65000+2))
				if i == 0 && !c.want(decodeB(b, roundTrip(req))) {
					b.Fatal("unexpected answer")
				} else if i > 0 {
					roundTrip(req)
				}
			}
		})
	}
}

func decodeB(b *testing.B, reply []byte) *h225.RasMessage {
	var m h225.RasMessage
	if err := m.Unmarshal(reply); err != nil {
		b.Fatal(err)
	}
	return &m
}
