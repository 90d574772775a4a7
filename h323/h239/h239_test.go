package h239_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
)

func ids(ps []h245.GenericParameter) []int64 {
	var out []int64
	for i := range ps {
		out = append(out, ps[i].StandardID())
	}
	return out
}

// TestMessages builds every sub-message, checks the parameter order of
// H.239 Tables 10 to 14 and the H.245 alternative, and parses it back
// after a PER round trip.
func TestMessages(t *testing.T) {
	cases := []struct {
		name string
		in   h239.Message
		alt  string  // H.245 alternative
		ids  []int64 // parameters on the wire, in order
	}{
		{"flowControlReleaseRequest", h239.Message{Kind: h239.FlowControlReleaseRequest, ChannelID: 3, BitRate: 10000},
			"genericRequest", []int64{42, 41}},
		{"flowControlReleaseResponse-ack", h239.Message{Kind: h239.FlowControlReleaseResponse, Acknowledge: true, ChannelID: 3},
			"genericResponse", []int64{126, 42}},
		{"flowControlReleaseResponse-reject-with-bitrate", h239.Message{Kind: h239.FlowControlReleaseResponse, ChannelID: 3, BitRate: 5000},
			"genericResponse", []int64{127, 42, 41}},
		{"presentationTokenRequest", h239.Message{Kind: h239.PresentationTokenRequest, TerminalLabel: 0x0102, ChannelID: 5, SymmetryBreaking: 99},
			"genericRequest", []int64{44, 42, 43}},
		{"presentationTokenResponse-ack", h239.Message{Kind: h239.PresentationTokenResponse, Acknowledge: true, TerminalLabel: 1, ChannelID: 5},
			"genericResponse", []int64{126, 44, 42}},
		{"presentationTokenResponse-reject", h239.Message{Kind: h239.PresentationTokenResponse, TerminalLabel: 1, ChannelID: 5},
			"genericResponse", []int64{127, 44, 42}},
		{"presentationTokenRelease", h239.Message{Kind: h239.PresentationTokenRelease, TerminalLabel: 1, ChannelID: 5},
			"genericCommand", []int64{44, 42}},
		{"presentationTokenIndicateOwner", h239.Message{Kind: h239.PresentationTokenIndicateOwner, TerminalLabel: 1, ChannelID: 5},
			"genericIndication", []int64{44, 42}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := c.in.MultimediaSystemControlMessage()
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back h245.MultimediaSystemControlMessage
			if err := back.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			g, ok := h239.Find(&back)
			if !ok {
				t.Fatal("no H.239 message found")
			}
			var alt string
			switch {
			case back.Request != nil && back.Request.GenericRequest != nil:
				alt = "genericRequest"
			case back.Response != nil && back.Response.GenericResponse != nil:
				alt = "genericResponse"
			case back.Command != nil && back.Command.GenericCommand != nil:
				alt = "genericCommand"
			case back.Indication != nil && back.Indication.GenericIndication != nil:
				alt = "genericIndication"
			}
			if alt != c.alt {
				t.Errorf("alternative %s, want %s", alt, c.alt)
			}
			if got := ids(g.MessageContent); !reflect.DeepEqual(got, c.ids) {
				t.Errorf("parameters %v, want %v", got, c.ids)
			}
			got, err := h239.Parse(g)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.in {
				t.Errorf("parsed %+v, want %+v", got, c.in)
			}
			if got.Kind.String() != strings.SplitN(c.name, "-", 2)[0] {
				t.Errorf("Kind.String() = %s", got.Kind)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	req, _ := h239.Message{Kind: h239.PresentationTokenRequest, ChannelID: 3}.GenericMessage()
	missing := req
	missing.MessageContent = req.MessageContent[:1] // terminalLabel only
	wrongType := req
	wrongType.MessageContent = append([]h245.GenericParameter{}, req.MessageContent...)
	wrongType.MessageContent[1].ParameterValue = h245.ParameterValue{Logical: &struct{}{}}
	reordered := req
	reordered.MessageContent = []h245.GenericParameter{req.MessageContent[2], req.MessageContent[1], req.MessageContent[0]}
	resp, _ := h239.Message{Kind: h239.PresentationTokenResponse, Acknowledge: true, ChannelID: 3}.GenericMessage()
	both := resp
	both.MessageContent = append([]h245.GenericParameter{h245.ParamLogical(h239.ParamReject)}, resp.MessageContent...)
	// Polycom sends acknowledge as an integer instead of NULL.
	polycom := resp
	polycom.MessageContent = append([]h245.GenericParameter{h245.ParamUnsignedMin(h239.ParamAcknowledge, 0)}, resp.MessageContent[1:]...)
	unknownKind := req
	unknownKind.SubMessageIdentifier = new(int64)
	*unknownKind.SubMessageIdentifier = 9
	notH239 := req
	notH239.MessageIdentifier = h245.StandardIdentifier(0, 0, 8, 241, 0, 0, 1)
	cases := []struct {
		name string
		g    h245.GenericMessage
		want string
	}{
		{"any-order-accepted", reordered, ""},
		{"polycom-integer-acknowledge", polycom, ""},
		{"channelId-missing", missing, "parameter 42"},
		{"channelId-wrong-type", wrongType, "parameter 42"},
		{"ack-and-reject", both, "both"},
		{"unknown-submessage", unknownKind, "unknown subMessageIdentifier"},
		{"not-h239", notH239, "not an H.239"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := h239.Parse(&c.g)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if m.ChannelID != 3 {
					t.Fatalf("parsed %+v", m)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := (h239.Message{Kind: 0}).GenericMessage(); err == nil {
		t.Error("kind 0 built")
	}
}

func TestCapabilities(t *testing.T) {
	h264 := h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31}.VideoCapability()
	cases := []struct {
		name string
		role h239.Role
	}{
		{"presentation", h239.RolePresentation},
		{"live", h239.RoleLive},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tcs := h245.NewTerminalCapabilitySet(1, []h245.Capability{
				{ReceiveVideoCapability: ptr(h239.ExtendedVideo(c.role, h264))}, h239.ControlCapability()}, [][]int{{0}, {1}})
			b, err := tcs.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back h245.MultimediaSystemControlMessage
			if err := back.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			table := back.Request.TerminalCapabilitySet.CapabilityTable
			role, vs, err := h239.ParseExtendedVideo(table[0].Capability.ReceiveVideoCapability)
			if err != nil || role != c.role || len(vs) != 1 || !h245.IsH264(vs[0].GenericVideoCapability) {
				t.Fatalf("role %v videos %d err %v", role, len(vs), err)
			}
			if !h239.IsControlCapability(table[1].Capability) || h239.IsControlCapability(table[0].Capability) {
				t.Fatal("control capability not recognised")
			}
		})
	}
	if _, _, err := h239.ParseExtendedVideo(&h264); err == nil {
		t.Error("plain H.264 taken for extended video")
	}
}

func ptr[T any](v T) *T { return &v }
