package decodecmd

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

// synthPacket is one packet of a synthetic capture.
type synthPacket struct {
	src, dst netip.AddrPort
	udp      bool
	seq      uint32
	syn      bool
	payload  []byte
}

// ipPacket serialises the IP and transport layers of p.
func ipPacket(t testing.TB, p synthPacket) []byte {
	t.Helper()
	var ip interface {
		gopacket.NetworkLayer
		gopacket.SerializableLayer
	}
	if p.src.Addr().Is4() {
		ip = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IP(p.src.Addr().AsSlice()), DstIP: net.IP(p.dst.Addr().AsSlice())}
		if p.udp {
			ip.(*layers.IPv4).Protocol = layers.IPProtocolUDP
		}
	} else {
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.IP(p.src.Addr().AsSlice()), DstIP: net.IP(p.dst.Addr().AsSlice())}
		if p.udp {
			ip.(*layers.IPv6).NextHeader = layers.IPProtocolUDP
		}
	}
	var tl interface {
		gopacket.SerializableLayer
		SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
	}
	if p.udp {
		tl = &layers.UDP{SrcPort: layers.UDPPort(p.src.Port()), DstPort: layers.UDPPort(p.dst.Port())}
	} else {
		tl = &layers.TCP{SrcPort: layers.TCPPort(p.src.Port()), DstPort: layers.TCPPort(p.dst.Port()),
			Seq: p.seq, SYN: p.syn, ACK: !p.syn, PSH: len(p.payload) > 0, Window: 65535}
	}
	if err := tl.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tl, gopacket.Payload(p.payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// linkFrame prepends the link-layer header for lt.
func linkFrame(t testing.TB, lt layers.LinkType, ip []byte) []byte {
	t.Helper()
	v6 := ip[0]>>4 == 6
	etherType := uint16(layers.EthernetTypeIPv4)
	if v6 {
		etherType = uint16(layers.EthernetTypeIPv6)
	}
	var hdr []byte
	switch lt {
	case layers.LinkTypeEthernet:
		hdr = make([]byte, 14)
		copy(hdr, []byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2})
		binary.BigEndian.PutUint16(hdr[12:], etherType)
	case layers.LinkTypeLinuxSLL:
		hdr = make([]byte, 16)
		binary.BigEndian.PutUint16(hdr[2:], 772) // ARPHRD_LOOPBACK
		binary.BigEndian.PutUint16(hdr[4:], 6)
		binary.BigEndian.PutUint16(hdr[14:], etherType)
	case layers.LinkTypeNull: // host order: little-endian here
		hdr = make([]byte, 4)
		family := uint32(2)
		if v6 {
			family = 30
		}
		binary.LittleEndian.PutUint32(hdr, family)
	case layers.LinkTypeLoop: // network order
		hdr = make([]byte, 4)
		family := uint32(2)
		if v6 {
			family = 24
		}
		binary.BigEndian.PutUint32(hdr, family)
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
	default:
		t.Fatalf("no link header for %v", lt)
	}
	return append(hdr, ip...)
}

// writeCapture writes pkts as a pcap (or pcapng) file, optionally gzipped,
// into a temporary directory and returns its path.
func writeCapture(t testing.TB, lt layers.LinkType, ng, gz bool, pkts []synthPacket) string {
	t.Helper()
	var buf bytes.Buffer
	var writePacket func(ci gopacket.CaptureInfo, data []byte) error
	var flush func() error
	if ng {
		w, err := pcapgo.NewNgWriter(&buf, lt)
		if err != nil {
			t.Fatal(err)
		}
		writePacket, flush = w.WritePacket, w.Flush
	} else {
		w := pcapgo.NewWriter(&buf)
		if err := w.WriteFileHeader(65535, lt); err != nil {
			t.Fatal(err)
		}
		writePacket, flush = w.WritePacket, func() error { return nil }
	}
	ts := time.Unix(1_700_000_000, 0)
	for i, p := range pkts {
		data := linkFrame(t, lt, ipPacket(t, p))
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(data), Length: len(data)}
		if err := writePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if gz {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		if _, err := zw.Write(out); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		out = zb.Bytes()
	}
	path := filepath.Join(t.TempDir(), "synth.cap")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// frameBytes returns payload wrapped in a TPKT.
func frameBytes(t testing.TB, payload []byte) []byte {
	t.Helper()
	p := tpkt.Packet{Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// enc marshals Q.931 messages in tests: enc{t}.q931(q931.NewSetup(...)).
type enc struct{ t testing.TB }

func (e enc) q931(m *q931.Message, err error) []byte {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}
