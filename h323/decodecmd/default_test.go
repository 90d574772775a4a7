package decodecmd

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
)

// captureWant is what Main prints for a shared capture with --roundtrip:
// "frame protocol message" per line, the exit status, and the frames that
// must fail with the given error substring.
var captureWant = []struct {
	file string
	want string
	rc   int
	bad  map[int]string
}{
	{"ndpi__h323.pcap",
		"6 q931 setup|10 q931 callProceeding|14 q931 alerting|18 q931 connect|" +
			"25 h245 terminalCapabilitySet|27 h245 masterSlaveDetermination|29 h245 terminalCapabilitySet|" +
			"30 h245 masterSlaveDetermination|32 h245 terminalCapabilitySetAck|32 h245 masterSlaveDeterminationAck|" +
			"34 h245 terminalCapabilitySetAck|36 h245 masterSlaveDeterminationAck|38 h245 openLogicalChannel|" +
			"39 h245 openLogicalChannel|41 h245 openLogicalChannelAck|42 h245 openLogicalChannelAck|" +
			"47 q931 setup|50 q931 alerting|59 h225ras |60 h225ras gatekeeperConfirm|61 h225ras registrationRequest|" +
			"62 h225ras registrationConfirm|63 h225ras admissionRequest|64 h225ras admissionConfirm|65 q931 setup|" +
			"66 q931 releaseComplete|67 h225ras infoRequest|68 h225ras infoRequest|69 h225ras disengageRequest|" +
			"70 h225ras disengageRequest|71 h225ras registrationRequest|72 h225ras registrationConfirm|" +
			"73 h225ras registrationRequest|74 h225ras registrationConfirm|75 h225ras registrationRequest",
		1,
		// The two frames Wireshark 4.0 calls malformed fail here too, at the
		// component where Wireshark stops:
		map[int]string{
			// GRQ whose integrity iso9797 OBJECT IDENTIFIER has length 0,
			// below the minimum of 1 octet (Wireshark: "unexpected length").
			59: "gatekeeperRequest: integrity: iso9797: per: syntax error",
			// Setup whose additionalSourceAddresses AliasAddress CHOICE index
			// is a normally small number with an impossible length
			// (Wireshark: "too long integer"). The Q.931 layer still decodes,
			// so the message keeps its Q.931 name.
			65: "h323UserInformation: H323-UserInformation: h323-uu-pdu: h323-message-body: setup: additionalSourceAddresses: address: per: syntax error",
		}},
	{"wswiki__rtp_example.raw.gz",
		"4 q931 setup|6 q931 callProceeding|8 q931 alerting|10 q931 connect|15 h245 terminalCapabilitySet|" +
			"17 h245 masterSlaveDetermination|19 h245 terminalCapabilitySet|20 h245 masterSlaveDetermination|" +
			"22 h245 terminalCapabilitySetAck|22 h245 masterSlaveDeterminationAck|24 h245 terminalCapabilitySetAck|" +
			"26 h245 masterSlaveDeterminationAck|28 h245 openLogicalChannel|29 h245 openLogicalChannel|" +
			"31 h245 openLogicalChannelAck|32 h245 openLogicalChannelAck",
		0, nil},
	{"wswiki__SIP_CALL_RTP_G711.pcap",
		"135 h225ras registrationRequest|136 h225ras registrationReject|137 h225ras registrationRequest|" +
			"140 h225ras registrationConfirm|269 h225ras gatekeeperRequest|270 h225ras gatekeeperConfirm|" +
			"273 h225ras registrationRequest|279 h225ras registrationReject|390 h225ras registrationRequest|" +
			"391 h225ras registrationReject|392 h225ras registrationRequest|395 h225ras registrationConfirm|" +
			"1990 h225ras registrationRequest|1991 h225ras registrationReject|1992 h225ras registrationRequest|" +
			"1995 h225ras registrationConfirm|2445 h225ras registrationRequest|2446 h225ras registrationReject|" +
			"2447 h225ras registrationRequest|2452 h225ras registrationConfirm|4054 h225ras registrationRequest|" +
			"4059 h225ras registrationReject|4062 h225ras registrationRequest|4067 h225ras registrationConfirm",
		0, nil},
}

// TestMainOnCaptures runs Main (the Default decoders) with --roundtrip on
// the shared captures: every message decodes and re-encodes byte for
// byte, except the two malformed frames of ndpi__h323.pcap.
func TestMainOnCaptures(t *testing.T) {
	for _, c := range captureWant {
		t.Run(c.file, func(t *testing.T) {
			path := capturePath(t, c.file)
			var stdout, stderr bytes.Buffer
			rc := Main([]string{"--roundtrip", path}, &stdout, &stderr)
			recs := parseRecords(t, stdout.Bytes())
			if rc != c.rc {
				t.Errorf("exit %d, want %d (%s)", rc, c.rc, stderr.String())
			}
			var got []string
			failed := map[int]bool{}
			for _, r := range recs {
				got = append(got, fmt.Sprintf("%d %s %s", r.Frame, r.Protocol, r.Message))
				if r.Roundtrip == nil {
					t.Errorf("frame %d %s: no roundtrip verdict", r.Frame, r.Message)
					continue
				}
				want, bad := c.bad[r.Frame]
				switch {
				case bad:
					failed[r.Frame] = true
					if *r.Roundtrip || !strings.Contains(r.Error, want) {
						t.Errorf("frame %d: roundtrip %v error %q, want failure %q", r.Frame, *r.Roundtrip, r.Error, want)
					}
				case !*r.Roundtrip || r.Error != "":
					t.Errorf("frame %d %s: roundtrip %v error %q", r.Frame, r.Message, *r.Roundtrip, r.Error)
				case len(r.Body) < 20 || bytes.Contains(r.Body, []byte(`"hex"`)):
					t.Errorf("frame %d %s: body not decoded: %s", r.Frame, r.Message, r.Body)
				}
			}
			if g := strings.Join(got, "|"); g != c.want {
				t.Errorf("messages differ\n got %s\nwant %s", g, c.want)
			}
			if len(failed) != len(c.bad) {
				t.Errorf("failed frames %v, want exactly %d", failed, len(c.bad))
			}
			if c.rc == 1 && !strings.Contains(stderr.String(), fmt.Sprintf("%d of %d messages failed", len(c.bad), len(recs))) {
				t.Errorf("stderr %q", stderr.String())
			}
		})
	}
}

// TestDefaultBodies checks that bodies are JSON with the ASN.1 field names
// and that the H.245 name is the inner alternative.
func TestDefaultBodies(t *testing.T) {
	path := capturePath(t, "ndpi__h323.pcap")
	_, recs, _ := run(t, Default(), path)
	want := map[string]string{
		"6 setup":                  `"h323-uu-pdu":{"h323-message-body":{"setup":{"protocolIdentifier":"0.0.8.2250.0.4","sourceAddress":[{"h323-ID":"m.jemec"}]`,
		"29 terminalCapabilitySet": `{"request":{"terminalCapabilitySet":{"sequenceNumber":`,
		"61 registrationRequest":   `{"registrationRequest":{"requestSeqNum":`,
		"41 openLogicalChannelAck": `{"response":{"openLogicalChannelAck":{"forwardLogicalChannelNumber":`,
	}
	for _, r := range recs {
		key := fmt.Sprintf("%d %s", r.Frame, r.Message)
		if w, ok := want[key]; ok {
			if !bytes.Contains(r.Body, []byte(w)) {
				t.Errorf("%s: body lacks %s:\n%s", key, w, r.Body)
			}
			delete(want, key)
		}
	}
	if len(want) > 0 {
		t.Errorf("messages not seen: %v", want)
	}
}

func ptr[T any](v T) *T { return &v }

// tunnelledSetup is a Setup UUIE with a tunnelled TCS and MSD, a fastStart
// OLC proposal and, when broken is set, a fastStart element that is not
// an OpenLogicalChannel.
func tunnelledSetup(t testing.TB, broken bool) []byte {
	t.Helper()
	tcs := h245.MultimediaSystemControlMessage{Request: &h245.RequestMessage{TerminalCapabilitySet: &h245.TerminalCapabilitySet{
		SequenceNumber: 1, ProtocolIdentifier: h245.ObjectIdentifier{0, 0, 8, 245, 0, 13},
	}}}
	msd := h245.MultimediaSystemControlMessage{Request: &h245.RequestMessage{MasterSlaveDetermination: &h245.MasterSlaveDetermination{
		TerminalType: 60, StatusDeterminationNumber: 12345,
	}}}
	olc := h245.OpenLogicalChannel{ForwardLogicalChannelNumber: 1,
		ForwardLogicalChannelParameters: h245.OpenLogicalChannelForwardLogicalChannelParameters{
			DataType: h245.DataType{AudioData: &h245.AudioCapability{G711Alaw64k: ptr(int64(20))}},
			MultiplexParameters: h245.OpenLogicalChannelForwardLogicalChannelParametersMultiplexParameters{
				H2250LogicalChannelParameters: &h245.H2250LogicalChannelParameters{SessionID: 1}},
		}}
	var ctl, fs [][]byte
	for _, m := range []*h245.MultimediaSystemControlMessage{&tcs, &msd} {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ctl = append(ctl, b)
	}
	b, err := olc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fs = append(fs, b)
	if broken {
		fs = append(fs, []byte{0xff})
	}
	guid := h225.GloballyUniqueID("0123456789abcdef")
	ui := h225.H323UserInformation{H323UuPdu: h225.H323UUPDU{
		H323MessageBody: h225.H323UUPDUH323MessageBody{Setup: &h225.SetupUUIE{
			ProtocolIdentifier:  h225.ProtocolIdentifier{0, 0, 8, 2250, 0, 7},
			SourceInfo:          h225.EndpointType{Terminal: &h225.TerminalInfo{}},
			ConferenceID:        guid,
			ConferenceGoal:      h225.SetupUUIEConferenceGoal{Create: &struct{}{}},
			CallType:            h225.CallType{PointToPoint: &struct{}{}},
			CallIdentifier:      &h225.CallIdentifier{Guid: guid},
			FastStart:           fs,
			MediaWaitForConnect: ptr(false), CanOverlapSend: ptr(false),
			MultipleCalls: ptr(false), MaintainConnection: ptr(false),
		}},
		H245Tunnelling: ptr(true),
		H245Control:    ctl,
	}}
	out, err := ui.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEmbeddedH245 checks that tunnelled H.245 and fastStart proposals are
// printed as messages of their own, with the Q.931 message's frame.
func TestEmbeddedH245(t *testing.T) {
	cases := []struct {
		name   string
		broken bool
		want   []string
		rc     int
	}{
		{"tunnelled-and-faststart", false, []string{
			"2 q931 setup  true", "2 h245 terminalCapabilitySet h245Control true",
			"2 h245 masterSlaveDetermination h245Control true", "2 h245 openLogicalChannel fastStart true"}, 0},
		{"undecodable-faststart-element", true, []string{
			"2 q931 setup  true", "2 h245 terminalCapabilitySet h245Control true",
			"2 h245 masterSlaveDetermination h245Control true", "2 h245 openLogicalChannel fastStart true",
			"2 h245  fastStart false"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := tunnelledCapturePath(t, c.broken)
			rc, recs, stderr := run(t, Default(), "--roundtrip", path)
			if rc != c.rc {
				t.Errorf("exit %d, want %d (%s)", rc, c.rc, stderr)
			}
			var got []string
			for _, r := range recs {
				got = append(got, fmt.Sprintf("%d %s %s %s %v", r.Frame, r.Protocol, r.Message, r.Via, r.Roundtrip != nil && *r.Roundtrip))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
			if !bytes.Contains(recs[3].Body, []byte(`"dataType":{"audioData":{"g711Alaw64k":20}}`)) {
				t.Errorf("fastStart body: %s", recs[3].Body)
			}
			if c.broken && (recs[4].Error == "" || !bytes.Contains(recs[4].Body, []byte(`"hex":"ff"`))) {
				t.Errorf("broken element: error %q body %s", recs[4].Error, recs[4].Body)
			}
		})
	}
}

// tunnelledCapturePath writes a capture of a TCP handshake packet and a
// Setup made by tunnelledSetup (frame 2).
func tunnelledCapturePath(t testing.TB, broken bool) string {
	a, b := netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:1720")
	setup := frameBytes(t, enc{t}.q931(q931.NewSetup(q931.NewCallReference(7, false), tunnelledSetup(t, broken))))
	return writeCapture(t, layers.LinkTypeEthernet, false, false, []synthPacket{
		{src: a, dst: b, seq: 10, syn: true},
		{src: a, dst: b, seq: 11, payload: setup},
	})
}

// tunnelledCapture returns the octets of tunnelledCapturePath's file.
func tunnelledCapture(t testing.TB) []byte {
	b, err := os.ReadFile(tunnelledCapturePath(t, false))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
