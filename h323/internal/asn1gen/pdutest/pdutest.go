// Package pdutest extracts H.225.0 RAS, H.225.0 call signalling (the Q.931
// User-user information element) and H.245 PDUs from packet captures, for
// the conformance, benchmark and fuzz tests of the generated packages.
//
// It is deliberately small and test-only: TCP streams are reassembled in
// capture order (retransmitted and keep-alive bytes are dropped), then split
// into TPKT packets (RFC 1006); port 1720 streams are Q.931 (ITU-T Q.931
// §4; H.225.0), other TPKT streams are H.245; UDP port 1719 payloads
// (and 1718, gatekeeper discovery) are RAS messages.
package pdutest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Kind says what a PDU is.
type Kind string

// PDU kinds.
const (
	RAS  Kind = "ras"  // RasMessage, UDP 1719 (or 1718)
	UUIE Kind = "uuie" // H323-UserInformation from a Q.931 User-user IE
	H245 Kind = "h245" // MultimediaSystemControlMessage in a TPKT
)

// PDU is one extracted message. Frame is the 1-based capture frame that
// completed it (Wireshark's numbering).
type PDU struct {
	Frame int
	Kind  Kind
	Data  []byte
	// Q931Type is the Q.931 message type for UUIE PDUs.
	Q931Type byte
}

func (p PDU) String() string { return fmt.Sprintf("frame %d %s", p.Frame, p.Kind) }

// SharedDir returns the directory ../shared/<sub> next to the repository
// root (the first parent of the working directory holding go.mod), or
// skips the test when it is absent: CI clones the repository with shared/
// beside it.
func SharedDir(tb testing.TB, sub string) string {
	tb.Helper()
	dir, err := findShared(sub)
	if err != nil {
		tb.Skipf("conformance data not available: %v", err)
	}
	return dir
}

func findShared(sub string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared", sub)
	if _, err := os.Stat(shared); err != nil {
		return "", err
	}
	return shared, nil
}

// Captures lists the capture files with H.323 traffic.
var Captures = []string{"ndpi__h323.pcap", "wswiki__rtp_example.raw.gz", "wswiki__SIP_CALL_RTP_G711.pcap"}

// Seeds returns the PDUs of kind k from all Captures, for fuzz corpora and
// benchmarks; it returns nil when the captures are not available.
func Seeds(tb testing.TB, k Kind) [][]byte {
	tb.Helper()
	dir, err := findShared("captures")
	if err != nil {
		tb.Logf("no capture seeds: %v", err)
		return nil
	}
	var out [][]byte
	for _, f := range Captures {
		pdus, err := Extract(filepath.Join(dir, f))
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		for _, p := range pdus {
			if p.Kind == k {
				out = append(out, p.Data)
			}
		}
	}
	return out
}

// Frame returns the first PDU of frame n of capture file, or skips.
func Frame(tb testing.TB, file string, n int) PDU {
	tb.Helper()
	pdus, err := Extract(filepath.Join(SharedDir(tb, "captures"), file))
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range pdus {
		if p.Frame == n {
			return p
		}
	}
	tb.Fatalf("%s: no PDU in frame %d", file, n)
	return PDU{}
}

// Extract reads a pcap file (optionally gzip-compressed) and returns its
// H.323 PDUs in capture order.
func Extract(path string) ([]PDU, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, err
	}
	x := &extractor{flows: map[string]*flow{}}
	for frame := 1; ; frame++ {
		data, _, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", frame, err)
		}
		x.packet(frame, gopacket.NewPacket(data, pr.LinkType(), gopacket.Default))
	}
	return x.out, nil
}

type flow struct {
	next   uint32 // sequence number of buf's end
	synced bool
	broken bool
	buf    []byte
}

type extractor struct {
	flows map[string]*flow
	out   []PDU
}

func (x *extractor) packet(frame int, p gopacket.Packet) {
	var src, dst string
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		src, dst = ip.SrcIP.String(), ip.DstIP.String()
	case *layers.IPv6:
		src, dst = ip.SrcIP.String(), ip.DstIP.String()
	default:
		return
	}
	switch tl := p.TransportLayer().(type) {
	case *layers.UDP:
		// 1719: RAS; 1718: multicast gatekeeper discovery.
		ras := tl.SrcPort == 1719 || tl.DstPort == 1719 || tl.SrcPort == 1718 || tl.DstPort == 1718
		if ras && len(tl.Payload) > 0 {
			x.out = append(x.out, PDU{Frame: frame, Kind: RAS, Data: bytes.Clone(tl.Payload)})
		}
	case *layers.TCP:
		key := fmt.Sprintf("%s:%d>%s:%d", src, tl.SrcPort, dst, tl.DstPort)
		fl := x.flows[key]
		if fl == nil {
			fl = &flow{}
			x.flows[key] = fl
		}
		if tl.SYN {
			fl.next, fl.synced, fl.buf, fl.broken = tl.Seq+1, true, nil, false
			return
		}
		if len(tl.Payload) == 0 || fl.broken {
			return
		}
		if !fl.synced {
			fl.next, fl.synced = tl.Seq, true
		}
		start := int32(tl.Seq - fl.next) // relative to the end of the stream so far
		end := start + int32(len(tl.Payload))
		switch {
		case end <= 0:
			return // retransmission or keep-alive probe
		case start > 0:
			fl.broken = true // a gap: give up on this stream
			return
		}
		fl.buf = append(fl.buf, tl.Payload[-start:]...)
		fl.next = tl.Seq + uint32(len(tl.Payload))
		cs := tl.SrcPort == 1720 || tl.DstPort == 1720
		for len(fl.buf) >= 4 {
			if fl.buf[0] != 3 {
				fl.broken = true
				return
			}
			n := int(binary.BigEndian.Uint16(fl.buf[2:4]))
			if n < 4 {
				fl.broken = true
				return
			}
			if len(fl.buf) < n {
				break
			}
			payload := bytes.Clone(fl.buf[4:n])
			fl.buf = fl.buf[n:]
			if len(payload) == 0 {
				continue // TPKT keep-alive
			}
			if !cs {
				x.out = append(x.out, PDU{Frame: frame, Kind: H245, Data: payload})
				continue
			}
			if uu, mt, err := UserUser(payload); err == nil && uu != nil {
				x.out = append(x.out, PDU{Frame: frame, Kind: UUIE, Data: uu, Q931Type: mt})
			}
		}
	}
}

// UserUser returns the H323-UserInformation octets of the User-user
// information element (0x7E, 2-octet length, protocol discriminator 0x05)
// of a Q.931 message, and the message type. It returns nil octets when
// the message has no User-user IE.
func UserUser(m []byte) ([]byte, byte, error) {
	if len(m) < 3 || m[0] != 0x08 {
		return nil, 0, errors.New("not a Q.931 message")
	}
	crl := int(m[1] & 0x0f)
	i := 2 + crl
	if i >= len(m) {
		return nil, 0, errors.New("truncated Q.931 header")
	}
	mt := m[i]
	i++
	for i < len(m) {
		id := m[i]
		switch {
		case id&0x80 != 0: // single-octet IE
			i++
		case id == 0x7e:
			if i+3 > len(m) {
				return nil, mt, errors.New("truncated User-user IE")
			}
			n := int(binary.BigEndian.Uint16(m[i+1 : i+3]))
			if i+3+n > len(m) || n < 1 {
				return nil, mt, errors.New("User-user IE overruns the message")
			}
			body := m[i+3 : i+3+n]
			if body[0] != 0x05 {
				return nil, mt, fmt.Errorf("User-user protocol discriminator %#x, want 0x05", body[0])
			}
			return body[1:], mt, nil
		default:
			if i+2 > len(m) || i+2+int(m[i+1]) > len(m) {
				return nil, mt, errors.New("IE overruns the message")
			}
			i += 2 + int(m[i+1])
		}
	}
	return nil, mt, nil
}
