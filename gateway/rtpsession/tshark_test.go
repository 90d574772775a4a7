package rtpsession

import (
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// writeUDPPcap writes each datagram as an IPv4/UDP packet (LINKTYPE_RAW) from
// 127.0.0.1:40001 to 127.0.0.2:port.
func writeUDPPcap(t *testing.T, path string, port uint16, dgrams [][]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	for _, b := range dgrams {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(127, 0, 0, 1), DstIP: net.IPv4(127, 0, 0, 2)}
		u := &layers.UDP{SrcPort: 40001, DstPort: layers.UDPPort(port)}
		_ = u.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, u, gopacket.Payload(b)); err != nil {
			t.Fatal(err)
		}
		ts = ts.Add(time.Millisecond)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// sentCompounds has a session send n rounds of report, PLI, FIR (after RTP, so the
// reports are SRs) and returns the datagrams its peer received.
func sentCompounds(t *testing.T, n int, mod func(*Config)) [][]byte {
	t.Helper()
	h := newHarness(t, mod)
	var out [][]byte
	for i := range n {
		if err := h.s.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i), Timestamp: uint32(i) * 3000}, Payload: make([]byte, 100)}); err != nil {
			t.Fatal(err)
		}
		readPacket(t, h.p.rtp)
		for _, send := range []func() error{h.s.SendReport, h.s.SendPLI, func() error { return h.s.SendFIR(uint8(i)) }} {
			if err := send(); err != nil {
				t.Fatal(err)
			}
			out = append(out, readPacket(t, h.p.rtcp))
		}
	}
	return out
}

// TestTsharkRTCPCompounds has tshark dissect, as RTCP, every compound packet a
// session sends (SR + SDES, RR + SDES + PLI, RR + SDES + FIR), plain and, for an
// SRTP session, after SRTCP decryption with the key the peer holds: zero malformed
// packets, zero expert errors, each one RTCP with the feedback it carries.
//
// An e2e capture once showed one "Sender Report, Payload-specific Feedback,
// Unknown [Malformed]" packet: that is SRTCP (best-effort SRTP on RTP/AVP, as the
// Tandberg offer asks) dissected as plain RTCP through the conversation tshark
// learns from the SDP. The encrypted part after the plaintext SR header reads as
// random RTCP headers, malformed in about 7 % of packets, sometimes as exactly that
// PSFB + Unknown; the plaintext under it, checked here, is clean.
func TestTsharkRTCPCompounds(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (make test installs it)")
	}
	local, remote := make([]byte, 30), make([]byte, 30)
	_, _ = rand.Read(local)
	_, _ = rand.Read(remote)
	for _, c := range []struct {
		name string
		mod  func(*Config)
	}{
		{"plain", nil},
		{"srtcp", func(c *Config) { c.SRTP = &SRTPConfig{LocalKey: local, RemoteKey: remote} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dgrams := sentCompounds(t, 50, c.mod)
			if c.mod != nil {
				dgrams = decryptSRTCP(t, local, dgrams)
			}
			path := filepath.Join(t.TempDir(), "rtcp.pcap")
			writeUDPPcap(t, path, 5001, dgrams)
			out, err := exec.Command("tshark", "-n", "-r", path, "-d", "udp.port==5001,rtcp",
				"-T", "fields", "-e", "_ws.col.Info", "-e", "_ws.malformed", "-e", "_ws.expert.severity").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			if len(lines) != len(dgrams) {
				t.Fatalf("tshark printed %d lines for %d packets", len(lines), len(dgrams))
			}
			for i, l := range lines {
				f := strings.Split(l, "\t")
				want := []string{"Sender Report   Source description", "Receiver Report   Source description   Payload-specific Feedback   PLI",
					"Receiver Report   Source description   Payload-specific Feedback   FIR"}[i%3]
				if strings.TrimSpace(f[0]) != want {
					t.Errorf("packet %d: %q, want %q", i+1, strings.TrimSpace(f[0]), want)
				}
				// _ws.expert.severity 8388608 is error.
				if len(f) > 1 && f[1] != "" || len(f) > 2 && strings.Contains(f[2], "8388608") {
					t.Errorf("packet %d malformed or with expert errors: %q", i+1, l)
				}
			}
		})
	}
}

// decryptSRTCP unprotects the datagrams with key (master key || salt), as the peer does.
func decryptSRTCP(t *testing.T, key []byte, dgrams [][]byte) [][]byte {
	t.Helper()
	ctx, err := srtp.CreateContext(key[:srtpKeyLen], key[srtpKeyLen:], srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, 0, len(dgrams))
	for i, d := range dgrams {
		p, err := ctx.DecryptRTCP(nil, d, nil)
		if err != nil {
			t.Fatalf("SRTCP packet %d does not decrypt: %v", i+1, err)
		}
		out = append(out, p)
	}
	return out
}
