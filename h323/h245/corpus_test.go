package h245_test

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/h323/tpkt"
)

func ptr[T any](v T) *T { return &v }

var (
	ourRTP  = netip.MustParseAddrPort("192.0.2.10:5004")
	ourRTCP = netip.MustParseAddrPort("192.0.2.10:5005")
)

// h264Main is the H.264 capability the gateway offers: High and Baseline
// up to level 4 with 1080p30 custom limits, 3 Mbit/s.
func h264Main() h245.H264Capability {
	return h245.H264Capability{Profile: h245.H264ProfileBaseline | h245.H264ProfileHigh, Level: h245.H264Level4,
		MaxBitRate: 30000, CustomMaxMBPS: 490, CustomMaxFS: 32, MaxStaticMBPS: 490}
}

// h239TCS is our TerminalCapabilitySet: G.722, G.711 µ/A-law, H.264,
// H.239 content (extended video, H.264) and the H.239 control capability.
func h239TCS() *h245.MultimediaSystemControlMessage {
	content := h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31, MaxBitRate: 10000}
	caps := []h245.Capability{
		{ReceiveAudioCapability: &h245.AudioCapability{G72264k: ptr(int64(60))}},
		{ReceiveAudioCapability: &h245.AudioCapability{G711Ulaw64k: ptr(int64(60))}},
		{ReceiveAudioCapability: &h245.AudioCapability{G711Alaw64k: ptr(int64(60))}},
		{ReceiveVideoCapability: ptr(h264Main().VideoCapability())},
		{ReceiveVideoCapability: ptr(h239.ExtendedVideo(h239.RolePresentation, content.VideoCapability()))},
		h239.ControlCapability(),
		{ReceiveAndTransmitUserInputCapability: &h245.UserInputCapability{BasicString: &struct{}{}}},
		{ReceiveAndTransmitUserInputCapability: &h245.UserInputCapability{Dtmf: &struct{}{}}},
	}
	return h245.NewTerminalCapabilitySet(1, caps, [][]int{{0, 1, 2}, {3}, {4}, {5}, {6, 7}})
}

func channel(t testing.TB, c h245.Channel) *h245.MultimediaSystemControlMessage {
	t.Helper()
	olc, err := c.OpenLogicalChannel()
	if err != nil {
		t.Fatal(err)
	}
	return h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc})
}

func olcAck(t testing.TB, n, session int64) *h245.MultimediaSystemControlMessage {
	t.Helper()
	m, err := h245.NewOpenLogicalChannelAck(n, session, ourRTP, ourRTCP)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func h239Msg(t testing.TB, m h239.Message) *h245.MultimediaSystemControlMessage {
	t.Helper()
	out, err := m.MultimediaSystemControlMessage()
	if err != nil {
		t.Fatal(err)
	}
	return &out
}

// corpusEntry is a message and tshark's Info column for it (tshark 4.0
// names the H.239 sub-message, then the H.245 alternative).
type corpusEntry struct {
	msg  *h245.MultimediaSystemControlMessage
	info string
}

// corpus lists every H.245 message the call layer sends.
func corpus(t testing.TB) []corpusEntry {
	audio := h245.Channel{Number: 1, SessionID: 1, Audio: true, RTCP: ourRTCP,
		DataType: h245.DataType{AudioData: &h245.AudioCapability{G711Ulaw64k: ptr(int64(20))}}}
	g722 := h245.Channel{Number: 4, SessionID: 1, Audio: true, RTCP: ourRTCP,
		DataType: h245.DataType{AudioData: &h245.AudioCapability{G72264k: ptr(int64(20))}}}
	video := h245.Channel{Number: 2, SessionID: 2, RTCP: ourRTCP, PayloadType: 109,
		DataType: h245.DataType{VideoData: ptr(h264Main().VideoCapability())}}
	contentCap := h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31, MaxBitRate: 10000}
	content := h245.Channel{Number: 3, SessionID: 32, RTCP: ourRTCP, PayloadType: 109,
		DataType: h245.DataType{VideoData: ptr(h239.ExtendedVideo(h239.RolePresentation, contentCap.VideoCapability()))}}
	return []corpusEntry{
		{h239TCS(), "terminalCapabilitySet"},
		{h245.NewTerminalCapabilitySetAck(1), "terminalCapabilitySetAck"},
		{h245.NewMasterSlaveDetermination(60, 0x5a5a5a), "masterSlaveDetermination"},
		{h245.NewMasterSlaveDeterminationAck(false), "masterSlaveDeterminationAck"},
		{channel(t, audio), "openLogicalChannel (g711U)"},
		{channel(t, g722), "openLogicalChannel (g722-64k)"},
		{channel(t, video), "openLogicalChannel (genericVideoCapability)"},
		{channel(t, content), "openLogicalChannel (extendedVideoCapability)"},
		{olcAck(t, 1, 1), "openLogicalChannelAck"},
		{olcAck(t, 2, 2), "openLogicalChannelAck"},
		{olcAck(t, 3, 32), "openLogicalChannelAck"},
		{h245.NewCloseLogicalChannel(3), "closeLogicalChannel"},
		{h245.NewUserInputAlphanumeric("1234#"), "userInput"},
		{h245.NewUserInputSignal('5', 200), "userInput"},
		{h245.NewVideoFastUpdatePicture(2), "miscellaneousCommand"},
		{h245.NewFlowControlCommand(2, 15000), "flowControlCommand"},
		{h239Msg(t, h239.Message{Kind: h239.PresentationTokenRequest, TerminalLabel: 0, ChannelID: 3, SymmetryBreaking: 17}), "presentationTokenRequestgenericRequest"},
		{h239Msg(t, h239.Message{Kind: h239.PresentationTokenResponse, Acknowledge: true, TerminalLabel: 0, ChannelID: 3}), "presentationTokenResponsegenericResponse"},
		{h239Msg(t, h239.Message{Kind: h239.PresentationTokenRelease, TerminalLabel: 0, ChannelID: 3}), "presentationTokenReleasegenericCommand"},
		{h239Msg(t, h239.Message{Kind: h239.PresentationTokenIndicateOwner, TerminalLabel: 0, ChannelID: 3}), "presentationTokenIndicateOwnergenericIndication"},
		{h239Msg(t, h239.Message{Kind: h239.FlowControlReleaseRequest, ChannelID: 3, BitRate: 10000}), "flowControlReleaseRequestgenericRequest"},
		{h239Msg(t, h239.Message{Kind: h239.FlowControlReleaseResponse, Acknowledge: true, ChannelID: 3}), "flowControlReleaseResponsegenericResponse"},
	}
}

// TestCorpusDissectsCleanly writes every message of the corpus in a TPKT
// on a TCP connection and checks that tshark decodes each as H.245 with
// the expected message, with no malformed packet and no expert warning
// or error. Each message also survives our own round trip.
func TestCorpusDissectsCleanly(t *testing.T) {
	a, b := netip.MustParseAddrPort("192.0.2.10:41000"), netip.MustParseAddrPort("192.0.2.20:30000")
	c := pdutest.NewCapture()
	want := map[int]string{}
	for i, e := range corpus(t) {
		pdu, err := e.msg.Marshal()
		if err != nil {
			t.Fatalf("message %d (%s): %v", i, e.info, err)
		}
		var back h245.MultimediaSystemControlMessage
		if err := back.Unmarshal(pdu); err != nil {
			t.Fatalf("message %d (%s) does not decode: %v", i, e.info, err)
		}
		frame, err := (&tpkt.Packet{Payload: pdu}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		src, dst := a, b
		if i%2 == 1 {
			src, dst = b, a
		}
		want[c.TCP(t, src, dst, frame)] = e.info
	}
	path := filepath.Join(t.TempDir(), "h245-corpus.pcap")
	c.Write(t, path)
	rows := pdutest.Tshark(t, path, "-d", "tcp.port==30000,h245")
	seen := 0
	for _, r := range rows {
		t.Logf("%d %q %s", r.Frame, r.Severities, r.Info)
		if r.Malformed || r.ExpertErrorOrWarning() {
			t.Errorf("frame %d: malformed %v expert %q: %s", r.Frame, r.Malformed, r.Severities, r.Info)
		}
		w, ok := want[r.Frame]
		if !ok {
			continue
		}
		seen++
		if strings.TrimSpace(r.Info) != w {
			t.Errorf("frame %d: tshark says %q, want %s", r.Frame, r.Info, w)
		}
	}
	if seen != len(want) {
		t.Errorf("tshark showed %d of %d messages", seen, len(want))
	}
}
