package h225_test

import (
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/tpkt"
)

var (
	gwSignal = netip.MustParseAddrPort("192.0.2.10:1720")
	gwRAS    = netip.MustParseAddrPort("192.0.2.10:1719")
	roomSig  = netip.MustParseAddrPort("192.0.2.20:1720")
	roomRAS  = netip.MustParseAddrPort("192.0.2.20:1719")
)

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func marshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpusCall returns the Call shared by the corpus messages.
func corpusCall(t testing.TB) *h225.Call {
	guid := h225.GloballyUniqueID("roomgate-call-01")
	return &h225.Call{
		CallID: guid, ConferenceID: guid, Tunnelling: true,
		Endpoint: h225.EndpointType{Gateway: &h225.GatewayInfo{}, Vendor: &h225.VendorIdentifier{
			Vendor:    h225.H221NonStandard{T35CountryCode: 181, ManufacturerCode: 0x5247},
			ProductId: []byte("roomgate"), VersionId: []byte("0.1")}},
	}
}

// fastStart returns OLC proposals: G.711 µ-law audio and H.264 video.
func fastStart(t testing.TB) [][]byte {
	rtcp := netip.MustParseAddrPort("192.0.2.10:5005")
	h264 := h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31, MaxBitRate: 20000}
	var out [][]byte
	for _, c := range []h245.Channel{
		{Number: 1, SessionID: 1, Audio: true, RTCP: rtcp, DataType: h245.DataType{AudioData: &h245.AudioCapability{G711Ulaw64k: ptrTo(int64(20))}}},
		{Number: 2, SessionID: 2, RTCP: rtcp, PayloadType: 109, DataType: h245.DataType{VideoData: ptrTo(h264.VideoCapability())}},
	} {
		olc := must[h245.OpenLogicalChannel](t)(c.OpenLogicalChannel())
		out = append(out, marshal(t, &olc))
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

func tunnelled(t testing.TB, ms ...*h245.MultimediaSystemControlMessage) [][]byte {
	var out [][]byte
	for _, m := range ms {
		out = append(out, marshal(t, m))
	}
	return out
}

// signalling returns the Q.931 messages of a call, each in a TPKT, with
// the tshark Info column expected for it.
func signalling(t testing.TB) (pdus [][]byte, info []string, fromGateway []bool) {
	call := corpusCall(t)
	room := must[h225.AliasAddress](t)(h225.H323IDAlias("Room 1"))
	gw := must[h225.AliasAddress](t)(h225.H323IDAlias("roomgate"))
	num := must[h225.AliasAddress](t)(h225.DialledDigitsAlias("123456789"))
	url := must[h225.AliasAddress](t)(h225.URLAlias("h323:123456789@meet.example.com"))
	dst := h225.MustTransportAddress(roomSig)
	src := h225.MustTransportAddress(gwSignal)
	tcs := h245.NewTerminalCapabilitySet(1, []h245.Capability{
		{ReceiveAudioCapability: &h245.AudioCapability{G711Ulaw64k: ptrTo(int64(60))}}}, [][]int{{0}})
	cr := q931.NewCallReference(0x0042, false)
	crr := q931.NewCallReference(0x0042, true)
	q := must[*q931.Message](t)
	add := func(m *q931.Message, want string, gwSide bool) {
		t.Helper()
		pdus = append(pdus, marshal(t, &tpkt.Packet{Payload: marshal(t, m)}))
		info, fromGateway = append(info, want), append(fromGateway, gwSide)
	}

	call.H245 = tunnelled(t, tcs, h245.NewMasterSlaveDetermination(60, 12345))
	setup := call.Setup([]h225.AliasAddress{gw}, []h225.AliasAddress{num, url, room}, &dst, &src, fastStart(t))
	add(q(q931.NewSetup(cr, marshal(t, setup),
		q931.CalledPartyNumber{PartyNumber: q931.PartyNumber{NumberingPlan: q931.PlanE164, Digits: "123456789"}})),
		// tshark names a repeated message once in Info; the
		// channel numbers below show both fastStart proposals.
		"CS: setup OpenLogicalChannel terminalCapabilitySet masterSlaveDetermination", true)

	answer := *call
	answer.Endpoint = h225.EndpointType{Terminal: &h225.TerminalInfo{}}
	add(q(q931.NewCallProceeding(crr, marshal(t, answer.CallProceeding(nil)))), "CS: callProceeding", false)
	add(q(q931.NewAlerting(crr, marshal(t, answer.Alerting(nil)))), "CS: alerting", false)
	answer.H245 = tunnelled(t, h245.NewTerminalCapabilitySetAck(1), h245.NewMasterSlaveDeterminationAck(true))
	add(q(q931.NewConnect(crr, marshal(t, answer.Connect(fastStart(t)[:1])))),
		"CS: connect OpenLogicalChannel terminalCapabilitySetAck masterSlaveDeterminationAck", false)
	call.H245 = tunnelled(t, h245.NewVideoFastUpdatePicture(2))
	add(q(q931.NewFacility(cr, marshal(t, call.Facility(h225.FacilityReason{UndefinedReason: &struct{}{}})))),
		"CS: facility miscellaneousCommand", true)
	call.H245Address = ptrTo(h225.MustTransportAddress(netip.MustParseAddrPort("192.0.2.10:30000")))
	add(q(q931.NewFacility(cr, marshal(t, call.Facility(h225.FacilityReason{StartH245: &struct{}{}})))), "CS: facility", true)
	add(q(q931.NewReleaseComplete(cr, q931.CauseNormalClearing,
		marshal(t, call.ReleaseComplete(&h225.ReleaseCompleteReason{UndefinedReason: &struct{}{}})))), "CS: releaseComplete", true)
	return pdus, info, fromGateway
}

// ras returns the RAS exchange of a room system with our gatekeeper and
// of our gateway with an external one.
func ras(t testing.TB) (pdus [][]byte, info []string, fromEndpoint []bool) {
	room := must[h225.AliasAddress](t)(h225.H323IDAlias("Room 1"))
	e164 := must[h225.AliasAddress](t)(h225.DialledDigitsAlias("4711"))
	mail := must[h225.AliasAddress](t)(h225.EmailAlias("room1@example.com"))
	tid := must[h225.AliasAddress](t)(h225.TransportAlias(roomSig))
	ep := &h225.RASEndpoint{
		RAS: h225.MustTransportAddress(roomRAS), CallSignal: h225.MustTransportAddress(roomSig),
		Vendor:  h225.VendorIdentifier{Vendor: h225.H221NonStandard{T35CountryCode: 181, ManufacturerCode: 0x2222}},
		Aliases: []h225.AliasAddress{room, e164, mail, tid},
	}
	gk := &h225.Gatekeeper{RAS: h225.MustTransportAddress(gwRAS), ID: "roomgate-gk"}
	call := corpusCall(t)
	meeting := must[h225.AliasAddress](t)(h225.DialledDigitsAlias("123456789"))
	add := func(m *h225.RasMessage, want string, fromEP bool) {
		pdus = append(pdus, marshal(t, m))
		info, fromEndpoint = append(info, want), append(fromEndpoint, fromEP)
	}
	add(ep.GatekeeperRequest(1), "RAS: gatekeeperRequest", true)
	add(gk.GatekeeperConfirm(1), "RAS: gatekeeperConfirm", false)
	add(ep.RegistrationRequest(2, false, 300), "RAS: registrationRequest", true)
	add(gk.RegistrationConfirm(2, []h225.TransportAddress{ep.CallSignal}, ep.Aliases, "ep-0001", 300), "RAS: registrationConfirm", false)
	ep.ID = "ep-0001"
	add(ep.RegistrationRequest(3, true, 300), "RAS: registrationRequest", true)
	add(ep.AdmissionRequest(4, 0x42, call, []h225.AliasAddress{meeting}, false, 7680), "RAS: admissionRequest", true)
	add(gk.AdmissionConfirm(4, 7680, h225.MustTransportAddress(gwSignal)), "RAS: admissionConfirm", false)
	add(ep.LocationRequest(5, []h225.AliasAddress{meeting}), "RAS: locationRequest", true)
	add(gk.LocationConfirm(5, h225.MustTransportAddress(gwSignal), gk.RAS), "RAS: locationConfirm", false)
	add(gk.InfoRequest(6, 0x42, call), "RAS: infoRequest", false)
	add(ep.InfoRequestResponse(6, false), "RAS: infoRequestResponse", true)
	add(ep.DisengageRequest(7, 0x42, call, false), "RAS: disengageRequest", true)
	add(gk.DisengageConfirm(7), "RAS: disengageConfirm", false)
	add(ep.UnregistrationRequest(8), "RAS: unregistrationRequest", true)
	add(gk.UnregistrationConfirm(8), "RAS: unregistrationConfirm", false)
	return pdus, info, fromEndpoint
}

// TestCorpusDissectsCleanly writes the call signalling (Q.931 + UUIE in
// TPKT on TCP 1720) and RAS (UDP 1719) messages the call layer sends into
// a capture and checks that tshark decodes every one with the expected
// messages, no malformed packet and no expert warning or error.
func TestCorpusDissectsCleanly(t *testing.T) {
	c := pdutest.NewCapture()
	want := map[int]string{}
	sig, sigInfo, fromGW := signalling(t)
	// The gateway calls out: it is the client of the connection to 1720.
	gwCli := netip.MustParseAddrPort("192.0.2.10:40000")
	for i, p := range sig {
		src, dst := roomSig, gwCli
		if fromGW[i] {
			src, dst = gwCli, roomSig
		}
		want[c.TCP(t, src, dst, p)] = sigInfo[i]
	}
	rasPDUs, rasInfo, fromEP := ras(t)
	for i, p := range rasPDUs {
		src, dst := gwRAS, roomRAS
		if fromEP[i] {
			src, dst = roomRAS, gwRAS
		}
		want[c.UDP(t, src, dst, p)] = rasInfo[i]
	}
	path := filepath.Join(t.TempDir(), "h225-corpus.pcap")
	c.Write(t, path)
	seen := 0
	for _, r := range pdutest.Tshark(t, path) {
		t.Logf("%d %q %s", r.Frame, r.Severities, r.Info)
		if r.Malformed || r.ExpertErrorOrWarning() {
			t.Errorf("frame %d: malformed %v expert %q: %s", r.Frame, r.Malformed, r.Severities, r.Info)
		}
		w, ok := want[r.Frame]
		if !ok {
			continue
		}
		seen++
		if got := strings.TrimSpace(r.Info); got != w {
			t.Errorf("frame %d: tshark says %q, want %q", r.Frame, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("tshark showed %d of %d messages", seen, len(want))
	}
	// Values tshark reads back from the Setup (frame 4): both fastStart
	// channels, the aliases and the H.264 profile/level of the video one.
	out, err := exec.Command("tshark", "-r", path, "-Y", "frame.number==4", "-T", "fields", "-E", "separator=|",
		"-E", "occurrence=a", "-E", "aggregator=;", "-e", "h245.forwardLogicalChannelNumber", "-e", "h225.dialledDigits",
		"-e", "h225.h323_ID", "-e", "h225.url_ID", "-e", "h264.par_profile", "-e", "h245.unsignedMin").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "1;2|123456789|roomgate;Room 1|h323:123456789@meet.example.com|0x40|71"; got != want {
		t.Errorf("tshark fields of the Setup: %q, want %q", got, want)
	}
}
