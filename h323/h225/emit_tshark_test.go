package h225_test

import (
	"encoding/binary"
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

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
)

func ptr[T any](v T) *T { return &v }

var (
	h225v7 = h225.ProtocolIdentifier{0, 0, 8, 2250, 0, 7}
	h245v7 = h245.ObjectIdentifier{0, 0, 8, 245, 0, 7}
	local  = []byte{192, 0, 2, 10}
)

func sampleGRQ() *h225.RasMessage {
	return &h225.RasMessage{GatekeeperRequest: &h225.GatekeeperRequest{
		RequestSeqNum:      1,
		ProtocolIdentifier: h225v7,
		RasAddress:         h225.TransportAddress{IpAddress: &h225.TransportAddressIpAddress{Ip: local, Port: 1719}},
		EndpointType:       h225.EndpointType{Terminal: &h225.TerminalInfo{}},
		EndpointAlias:      []h225.AliasAddress{{H323ID: ptr("Room 1")}, {DialledDigits: ptr("1234#")}},
	}}
}

func sampleRRQ() *h225.RasMessage {
	addr := h225.TransportAddress{IpAddress: &h225.TransportAddressIpAddress{Ip: local, Port: 1720}}
	return &h225.RasMessage{RegistrationRequest: &h225.RegistrationRequest{
		RequestSeqNum:      2,
		ProtocolIdentifier: h225v7,
		CallSignalAddress:  []h225.TransportAddress{addr},
		RasAddress:         []h225.TransportAddress{{IpAddress: &h225.TransportAddressIpAddress{Ip: local, Port: 1719}}},
		TerminalType:       h225.EndpointType{Terminal: &h225.TerminalInfo{}, Mc: false},
		TerminalAlias:      []h225.AliasAddress{{H323ID: ptr("room")}},
		EndpointVendor:     h225.VendorIdentifier{Vendor: h225.H221NonStandard{T35CountryCode: 181, ManufacturerCode: 1}},
		KeepAlive:          ptr(false),
		WillSupplyUUIEs:    ptr(false),
		MaintainConnection: ptr(true),
		FeatureSet: &h225.FeatureSet{ReplacementFeatureSet: false,
			SupportedFeatures: []h225.FeatureDescriptor{{Id: h225.GenericIdentifier{Standard: ptr(int64(18))}}}},
	}}
}

func sampleOLC(t testing.TB) []byte {
	olc := h245.OpenLogicalChannel{
		ForwardLogicalChannelNumber: 1,
		ForwardLogicalChannelParameters: h245.OpenLogicalChannelForwardLogicalChannelParameters{
			DataType: h245.DataType{AudioData: &h245.AudioCapability{G711Ulaw64k: ptr(int64(20))}},
			MultiplexParameters: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{
				H2250LogicalChannelParameters: &h245.H2250LogicalChannelParameters{
					SessionID: 1,
					MediaControlChannel: &h245.TransportAddress{UnicastAddress: &h245.UnicastAddress{
						IPAddress: &h245.UnicastAddressIPAddress{Network: local, TsapIdentifier: 3001}}},
				}},
		},
	}
	b, err := olc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleTCS(t testing.TB) []byte {
	m := h245.MultimediaSystemControlMessage{Request: &h245.RequestMessage{TerminalCapabilitySet: &h245.TerminalCapabilitySet{
		SequenceNumber:     1,
		ProtocolIdentifier: h245v7,
		CapabilityTable: []h245.CapabilityTableEntry{{CapabilityTableEntryNumber: 1,
			Capability: &h245.Capability{ReceiveAudioCapability: &h245.AudioCapability{G711Ulaw64k: ptr(int64(60))}}}},
		CapabilityDescriptors: []h245.CapabilityDescriptor{{CapabilityDescriptorNumber: 0,
			SimultaneousCapabilities: []h245.AlternativeCapabilitySet{{1}}}},
	}}}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleSetup(t testing.TB) *h225.H323UserInformation {
	guid := h225.GloballyUniqueID("0123456789abcdef")
	return &h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: h225.H323UUPDUH323MessageBody{Setup: &h225.SetupUUIE{
			ProtocolIdentifier:  h225v7,
			SourceAddress:       []h225.AliasAddress{{H323ID: ptr("room")}},
			SourceInfo:          h225.EndpointType{Terminal: &h225.TerminalInfo{}},
			DestinationAddress:  []h225.AliasAddress{{DialledDigits: ptr("123456789")}},
			ConferenceID:        guid,
			ConferenceGoal:      h225.SetupUUIEConferenceGoal{Create: &struct{}{}},
			CallType:            h225.CallType{PointToPoint: &struct{}{}},
			CallIdentifier:      &h225.CallIdentifier{Guid: guid},
			FastStart:           [][]byte{sampleOLC(t)},
			MediaWaitForConnect: ptr(false),
			CanOverlapSend:      ptr(false),
			MultipleCalls:       ptr(false),
			MaintainConnection:  ptr(false),
		}},
		H245Tunnelling: ptr(true),
		H245Control:    [][]byte{sampleTCS(t)},
	}}
}

// q931Setup wraps a UUIE in a Q.931 Setup with a bearer capability and the
// User-user IE (protocol discriminator 0x05, H.225.0), in a TPKT.
func q931Setup(uuie []byte) []byte {
	m := []byte{0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x88, 0x90, 0xa5, 0x7e}
	m = binary.BigEndian.AppendUint16(m, uint16(len(uuie)+1))
	m = append(m, 0x05)
	m = append(m, uuie...)
	return append(binary.BigEndian.AppendUint16([]byte{3, 0}, uint16(len(m)+4)), m...)
}

func writePcap(t *testing.T, path string, frames [][]byte) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1_700_000_000+int64(i), 0), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
}

func frame(t *testing.T, tcp bool, sport, dport int, payload []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.IP(local), DstIP: net.IP{192, 0, 2, 20}}
	var l4 gopacket.SerializableLayer
	if tcp {
		ip.Protocol = layers.IPProtocolTCP
		tl := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1, Ack: 1, ACK: true, PSH: true, Window: 65535}
		tl.SetNetworkLayerForChecksum(ip)
		l4 = tl
	} else {
		ip.Protocol = layers.IPProtocolUDP
		ul := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		ul.SetNetworkLayerForChecksum(ip)
		l4 = ul
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncodedMessagesDissectCleanly writes messages built with the Go types
// to a capture and checks that tshark dissects them without malformed
// packets or expert errors and reads back the values we put in.
func TestEncodedMessagesDissectCleanly(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	var frames [][]byte
	for _, m := range []*h225.RasMessage{sampleGRQ(), sampleRRQ()} {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame(t, false, 1719, 1719, b))
	}
	uu, err := sampleSetup(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, frame(t, true, 40000, 1720, q931Setup(uu)))
	path := filepath.Join(t.TempDir(), "emitted.pcap")
	writePcap(t, path, frames)

	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-E", "separator=|", "-E", "aggregator=;",
		"-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "h225.RasMessage",
		"-e", "h225.h323_message_body", "-e", "h225.dialledDigits", "-e", "h225.h323_ID",
		"-e", "h245.g711Ulaw64k", "-e", "h245.tsapIdentifier", "-e", "h225.standard").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	want := []string{
		"1|||0||1234#|Room 1|||",
		"2|||3|||room|||18",
		"3||||0|123456789|room|20;60|3001|",
	}
	t.Logf("tshark:\n%s", out)
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := range want {
		if i >= len(got) {
			t.Errorf("frame %d missing", i+1)
			continue
		}
		// Severities below warning (chat/note) are fine.
		fields := strings.Split(got[i], "|")
		if len(fields) != 10 {
			t.Errorf("frame %d: unexpected tshark line %q", i+1, got[i])
			continue
		}
		for _, sev := range strings.Split(fields[2], ";") {
			if sev == "6291456" || sev == "8388608" {
				t.Errorf("frame %d: expert warning or error (%s)", i+1, got[i])
			}
		}
		fields[2] = ""
		if g := strings.Join(fields, "|"); g != want[i] {
			t.Errorf("frame %d: tshark says %q, want %q", i+1, g, want[i])
		}
	}
}
