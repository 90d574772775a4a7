package q931

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// capturesDir is ../shared/captures relative to the repository root; this
// package sits two levels below it.
var capturesDir = filepath.Join("..", "..", "..", "shared", "captures")

// captureMessages returns the Q.931 messages found in TPKT frames that sit
// wholly inside one TCP segment of the capture (good enough for seeds and
// table data; decodecmd does real reassembly). Retransmitted duplicates
// are skipped.
func captureMessages(t testing.TB, name string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(capturesDir, name))
	if os.IsNotExist(err) {
		t.Skipf("capture %s not present (../shared/captures absent): %v", name, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(raw)
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		if r, err = gzip.NewReader(r); err != nil {
			t.Fatal(err)
		}
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	seen := map[string]bool{}
	for {
		data, _, err := pr.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.NoCopy)
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		p := tcp.Payload
		for len(p) >= 5 && p[0] == 3 && p[1] == 0 {
			n := int(p[2])<<8 | int(p[3])
			if n < 5 || n > len(p) {
				break
			}
			if msg := p[4:n]; msg[0] == ProtocolDiscriminator && !seen[string(msg)] {
				seen[string(msg)] = true
				out = append(out, bytes.Clone(msg))
			}
			p = p[n:]
		}
	}
	return out
}

// TestCaptureRoundTrip checks that every Q.931 message of the captures
// survives Unmarshal → Marshal byte for byte and that every known element
// decodes.
func TestCaptureRoundTrip(t *testing.T) {
	for _, name := range []string{"ndpi__h323.pcap", "wswiki__rtp_example.raw.gz"} {
		t.Run(name, func(t *testing.T) {
			msgs := captureMessages(t, name)
			if len(msgs) < 4 {
				t.Fatalf("found only %d Q.931 messages", len(msgs))
			}
			for i, in := range msgs {
				var m Message
				if _, err := m.Unmarshal(in); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if !m.Type.Known() {
					t.Errorf("message %d: unknown type %v", i, m.Type)
				}
				out, err := m.Marshal()
				if err != nil || !bytes.Equal(out, in) {
					t.Fatalf("message %d: round trip %x, %v; want %x", i, out, err, in)
				}
				for _, ie := range m.IEs {
					if _, _, err := DecodeElement(ie); err != nil {
						t.Errorf("message %d (%v): %v", i, m.Type, err)
					}
				}
				if _, err := m.UserUser(); err != nil {
					t.Errorf("message %d (%v): user-user: %v", i, m.Type, err)
				}
			}
		})
	}
}
