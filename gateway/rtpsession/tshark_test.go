package rtpsession

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// writeUDPPcap writes each datagram as an IPv4/UDP packet from 127.0.0.1 to
// 127.0.0.2, both on port, with text2pcap (package wireshark-common, next to tshark).
func writeUDPPcap(t *testing.T, path string, port uint16, dgrams [][]byte) {
	t.Helper()
	var dump strings.Builder
	for _, d := range dgrams {
		fmt.Fprintf(&dump, "000000 % x\n", d)
	}
	txt := path + ".txt"
	if err := os.WriteFile(txt, []byte(dump.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := strconv.Itoa(int(port))
	if out, err := exec.Command("text2pcap", "-q", "-4", "127.0.0.1,127.0.0.2", "-u", p+","+p, txt, path).CombinedOutput(); err != nil {
		t.Fatalf("text2pcap: %v %s", err, out)
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
