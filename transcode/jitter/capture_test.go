package jitter

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/pion/rtp"
)

type captured struct {
	at  time.Time
	pkt rtp.Packet
}

// readRTP returns the RTP packets of one SSRC sent from or to port (the
// capture also holds a media relay's second leg of each stream), with their
// capture times as arrival times.
func readRTP(t *testing.T, name string, ssrc uint32, port layers.UDPPort, fromPort bool) []captured {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "captures", name)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("capture not available (%v): ../shared/captures is beside the repo in CI", err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []captured
	for p := range gopacket.NewPacketSource(r, r.LinkType()).Packets() {
		if p.Layer(layers.LayerTypeICMPv4) != nil {
			continue // port unreachable quoting our packet
		}
		udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || len(udp.Payload) < 12 || udp.Payload[0]>>6 != 2 {
			continue
		}
		if (fromPort && udp.SrcPort != port) || (!fromPort && udp.DstPort != port) {
			continue
		}
		var rp rtp.Packet
		if rp.Unmarshal(udp.Payload) != nil || rp.SSRC != ssrc {
			continue
		}
		out = append(out, captured{p.Metadata().Timestamp, rp})
	}
	return out
}

// TestRealG711Streams replays the two directions of a real SIP G.711 call
// (Wireshark sample capture; tshark reports 0 lost packets) with their
// captured arrival times.
func TestRealG711Streams(t *testing.T) {
	tests := []struct {
		name     string
		ssrc     uint32
		port     layers.UDPPort
		fromPort bool
		pkts     int
	}{
		{"steady 20 ms stream", 0x58F33DEA, 8000, false, 891},
		{"stream with silence suppression and 5.8 s gap", 0xD2BD4E3E, 8000, true, 548},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkts := readRTP(t, "wswiki__SIP_CALL_RTP_G711.pcap", tc.ssrc, tc.port, tc.fromPort)
			if len(pkts) != tc.pkts {
				t.Fatalf("%d packets in capture, want %d", len(pkts), tc.pkts)
			}
			b := New(Config{ClockRate: 8000})
			now := pkts[0].at
			end := pkts[len(pkts)-1].at.Add(time.Second)
			i := 0
			for ; now.Before(end); now = now.Add(20 * time.Millisecond) {
				for ; i < len(pkts) && !pkts[i].at.After(now); i++ {
					p := pkts[i].pkt
					if err := b.Push(Packet{SSRC: p.SSRC, Seq: p.SequenceNumber, Timestamp: p.Timestamp, Payload: p.Payload}, pkts[i].at); err != nil {
						t.Errorf("packet %d: %v", p.SequenceNumber, err)
					}
				}
				b.Pop(now)
			}
			st := b.Stats()
			t.Logf("stats %+v, final target %v, jitter %v", st, b.TargetDelay(), b.Jitter())
			// Nothing is lost, late or resynchronized; packets are either
			// played or skipped to cut latency after a burst.
			if st.Played+st.Skipped != tc.pkts || st.Lost != 0 || st.Late != 0 || st.Duplicates != 0 || st.Resyncs != 0 || st.Overflow != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}
