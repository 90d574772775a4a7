package per

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// encodeGRQ builds an H.225.0 RasMessage gatekeeperRequest by hand from
// the ASN.1 in ../shared/asn1/H323-MESSAGES.asn, exercising CHOICE indexes
// (root and extension), OPTIONAL preambles, constrained INTEGER, OBJECT
// IDENTIFIER, fixed OCTET STRING, BMPString, dialedDigits and an open type.
func encodeGRQ(t testing.TB) []byte {
	e := NewEncoder()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.PutChoiceIndex(0, 25, true)) // RasMessage.gatekeeperRequest
	e.PutBit(false)                     // GatekeeperRequest extension bit
	e.PutBits(0b0101, 4)                // nonStandardData, gatekeeperIdentifier, callServices, endpointAlias
	must(e.PutInteger(1234, rng(1, 65535)))
	must(e.PutObjectIdentifier([]uint32{0, 0, 8, 2250, 0, 4}))
	must(e.PutChoiceIndex(0, 7, true)) // TransportAddress.ipAddress
	must(e.PutOctetString([]byte{127, 0, 0, 1}, sz(4, 4)))
	must(e.PutInteger(1719, u16))
	e.PutBit(false)        // EndpointType extension bit
	e.PutBits(0b000001, 6) // only terminal present
	e.PutBits(0b00, 2)     // TerminalInfo: extension bit, nonStandardData
	e.PutBits(0b00, 2)     // mc, undefinedNode
	must(e.PutBMPString(BMPFromString("GK-roomgate"), sz(1, 128), nil))
	must(e.PutSequenceOf(3, SizeRange{}, func(i int) error {
		switch i {
		case 0:
			must(e.PutChoiceIndex(0, 2, true))
			return e.PutKnownString("1234#", IA5String, sz(1, 128), dialedDigits)
		case 1:
			must(e.PutChoiceIndex(1, 2, true))
			return e.PutBMPString(BMPFromString("Room Ä"), sz(1, 256), nil)
		default:
			must(e.PutChoiceIndex(2, 2, true)) // url-ID, extension alternative 0
			return e.PutOpenTypeFunc(func(e *Encoder) error {
				return e.PutKnownString("h323:room@example.com", IA5String, sz(1, 512), nil)
			})
		}
	}))
	return e.Bytes()
}

// rawIPv4UDPPcap wraps payload in a one-packet pcap (LINKTYPE_RAW) from
// 127.0.0.1:port to 127.0.0.1:port.
func rawIPv4UDPPcap(payload []byte, port uint16) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 101) // LINKTYPE_RAW
	b.Write(hdr)
	pkt := make([]byte, 28+len(payload))
	ip := pkt[:20]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(len(pkt)))
	copy(ip[12:], []byte{127, 0, 0, 1})
	copy(ip[16:], []byte{127, 0, 0, 1})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := pkt[20:28]
	binary.BigEndian.PutUint16(udp[0:], port)
	binary.BigEndian.PutUint16(udp[2:], port)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	copy(pkt[28:], payload)
	rec := make([]byte, 16)
	le.PutUint32(rec[0:], 1700000000)
	le.PutUint32(rec[8:], uint32(len(pkt)))
	le.PutUint32(rec[12:], uint32(len(pkt)))
	b.Write(rec)
	b.Write(pkt)
	return b.Bytes()
}

// TestTshark_H225GatekeeperRequest has tshark, an independent PER decoder,
// dissect a RAS message built with this package.
func TestTshark_H225GatekeeperRequest(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test installs it)")
	}
	path := filepath.Join(t.TempDir(), "grq.pcap")
	if err := os.WriteFile(path, rawIPv4UDPPcap(encodeGRQ(t), 1719), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-n", "-r", path, "-V", "-O", "h225").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"gatekeeperRequest",
		"requestSeqNum: 1234",
		"protocolIdentifier: 0.0.8.2250.0.4",
		"ip: 127.0.0.1",
		"port: 1719",
		"        terminal\n",
		"mc: False",
		"undefinedNode: False",
		"gatekeeperIdentifier: GK-roomgate",
		"dialledDigits: 1234#",
		"h323-ID: Room Ä",
		"url-ID: h323:room@example.com",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("tshark output lacks %q", want)
		}
	}
	if strings.Contains(text, "Malformed") || strings.Contains(text, "Expert Info") {
		t.Errorf("tshark reports problems")
	}
	if t.Failed() {
		t.Logf("tshark output:\n%s", text)
	}
}
