package pdutest

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Capture builds a synthetic Ethernet/IPv4 capture for the "everything we
// encode is accepted by tshark" tests: TCP connections open with a
// three-way handshake and carry data with consistent sequence and
// acknowledgement numbers; IP, TCP and UDP checksums are computed.
type Capture struct {
	frames [][]byte
	conns  map[[2]netip.AddrPort]*tcpConn
}

type tcpConn struct {
	seq, ack uint32 // next sequence number of each direction
}

// NewCapture returns an empty capture.
func NewCapture() *Capture { return &Capture{conns: map[[2]netip.AddrPort]*tcpConn{}} }

// TCP appends payload as one segment from src to dst, preceded by a
// handshake the first time the pair is seen (src is then the client). It
// returns the 1-based frame number of the data segment.
func (c *Capture) TCP(tb testing.TB, src, dst netip.AddrPort, payload []byte) int {
	tb.Helper()
	conn, fwd := c.conns[[2]netip.AddrPort{src, dst}], true
	if conn == nil {
		if conn = c.conns[[2]netip.AddrPort{dst, src}]; conn != nil {
			fwd = false
		}
	}
	if conn == nil {
		conn = &tcpConn{seq: 1000, ack: 50000}
		c.conns[[2]netip.AddrPort{src, dst}] = conn
		c.tcpSegment(tb, src, dst, conn.seq, 0, true, false, nil)
		c.tcpSegment(tb, dst, src, conn.ack, conn.seq+1, true, true, nil)
		conn.seq++
		conn.ack++
		c.tcpSegment(tb, src, dst, conn.seq, conn.ack, false, true, nil)
	}
	mySeq, peerSeq := &conn.seq, &conn.ack
	if !fwd {
		mySeq, peerSeq = &conn.ack, &conn.seq
	}
	c.tcpSegment(tb, src, dst, *mySeq, *peerSeq, false, true, payload)
	*mySeq += uint32(len(payload))
	return len(c.frames)
}

// UDP appends a datagram and returns its frame number.
func (c *Capture) UDP(tb testing.TB, src, dst netip.AddrPort, payload []byte) int {
	tb.Helper()
	ip := ipv4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	c.add(tb, ip, u, payload)
	return len(c.frames)
}

func ipv4(src, dst netip.AddrPort, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, Flags: layers.IPv4DontFragment,
		SrcIP: net.IP(src.Addr().AsSlice()), DstIP: net.IP(dst.Addr().AsSlice())}
}

func (c *Capture) tcpSegment(tb testing.TB, src, dst netip.AddrPort, seq, ack uint32, syn, hasAck bool, payload []byte) {
	tb.Helper()
	ip := ipv4(src, dst, layers.IPProtocolTCP)
	t := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seq, Ack: ack, SYN: syn, ACK: hasAck, PSH: len(payload) > 0, Window: 65535}
	if err := t.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	c.add(tb, ip, t, payload)
}

func (c *Capture) add(tb testing.TB, ip *layers.IPv4, l4 gopacket.SerializableLayer, payload []byte) {
	tb.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, l4, gopacket.Payload(payload)); err != nil {
		tb.Fatal(err)
	}
	c.frames = append(c.frames, append([]byte(nil), buf.Bytes()...))
}

// Write saves the capture as a pcap file.
func (c *Capture) Write(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	for i, fr := range c.frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1_700_000_000, int64(i)*1_000_000), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TsharkRow is one frame of Tshark's output.
type TsharkRow struct {
	Frame     int
	Malformed bool
	// Severities lists the expert info severities (comma separated
	// numbers as tshark prints them: 2097152 chat, 4194304 note, 6291456
	// warning, 8388608 error).
	Severities string
	// Info is the Info column, which names the decoded messages.
	Info string
}

// ExpertErrorOrWarning reports an expert warning or error on the frame.
func (r TsharkRow) ExpertErrorOrWarning() bool {
	for _, s := range strings.Split(r.Severities, ",") {
		if s == "6291456" || s == "8388608" {
			return true
		}
	}
	return false
}

// Tshark dissects path with tshark (extra arguments such as
// "-d", "tcp.port==30000,h245" come first) and returns one row per frame.
// It skips the test when tshark is not installed.
func Tshark(tb testing.TB, path string, extra ...string) []TsharkRow {
	tb.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		tb.Skip("tshark not installed")
	}
	args := append([]string{"-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"}, extra...)
	args = append(args, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.col.Info")
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		tb.Fatalf("tshark %v: %v", args, err)
	}
	var rows []TsharkRow
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.SplitN(line, "|", 4)
		if len(f) != 4 {
			tb.Fatalf("tshark line %q", line)
		}
		var n int
		for _, d := range f[0] {
			n = n*10 + int(d-'0')
		}
		rows = append(rows, TsharkRow{Frame: n, Malformed: f[1] != "", Severities: f[2], Info: f[3]})
	}
	return rows
}
