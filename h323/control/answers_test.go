package control

import (
	"slices"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/per"
)

// TestAnswers: what the session answers to requests and commands it only
// acknowledges, declines or does not know (H.245 §8.7, §8.9, functionNot*).
func TestAnswers(t *testing.T) {
	tests := []struct {
		name string
		in   *h245.MultimediaSystemControlMessage
		want []string
	}{
		{"roundTripDelayRequest->response", h245.Request(h245.RequestMessage{RoundTripDelayRequest: &h245.RoundTripDelayRequest{SequenceNumber: 9}}),
			[]string{"roundTripDelayResponse"}},
		{"requestMode->reject", h245.Request(h245.RequestMessage{RequestMode: &h245.RequestMode{SequenceNumber: 3, RequestedModes: []h245.ModeDescription{{{Type: h245.ModeElementType{AudioMode: &h245.AudioMode{G711Ulaw64k: &struct{}{}}}}}}}}),
			[]string{"requestModeReject"}},
		{"maintenanceLoopRequest->reject", h245.Request(h245.RequestMessage{MaintenanceLoopRequest: &h245.MaintenanceLoopRequest{
			Type: h245.MaintenanceLoopRequestType{SystemLoop: &struct{}{}}}}), []string{"maintenanceLoopReject"}},
		{"genericRequest->functionNotSupported", h245.Request(h245.RequestMessage{GenericRequest: &h245.GenericMessage{
			MessageIdentifier: h245.StandardIdentifier(0, 0, 8, 241, 0, 0, 1)}}), []string{"functionNotSupported"}},
		{"genericRequest(H.239 without subMessage)->functionNotUnderstood", h245.Request(h245.RequestMessage{GenericRequest: &h245.GenericMessage{
			MessageIdentifier: h245.StandardIdentifier(0, 0, 8, 239, 2)}}), []string{"functionNotUnderstood"}},
		{"genericRequest(flowControlReleaseRequest)->response", h245.Request(h245.RequestMessage{GenericRequest: &h245.GenericMessage{
			MessageIdentifier: h245.StandardIdentifier(0, 0, 8, 239, 2), SubMessageIdentifier: new(int64(1)),
			MessageContent: []h245.GenericParameter{h245.ParamUnsignedMin(42, 3), h245.ParamUnsigned32Min(41, 5000)}}}),
			[]string{"genericResponse"}},
		{"unknown request->functionNotUnderstood", h245.Request(h245.RequestMessage{UnknownAlternative: &per.RawExtension{Index: 40, Data: []byte{0}}}),
			[]string{"functionNotUnderstood"}},
		{"unknown command->functionNotUnderstood", h245.Command(h245.CommandMessage{UnknownAlternative: &per.RawExtension{Index: 40, Data: []byte{0}}}),
			[]string{"functionNotUnderstood"}},
		{"unknown response->nothing", h245.Response(h245.ResponseMessage{UnknownAlternative: &per.RawExtension{Index: 40, Data: []byte{0}}}), nil},
		{"functionNotUnderstood indication->nothing", h245.Indication(h245.IndicationMessage{FunctionNotUnderstood: &h245.FunctionNotUnderstood{
			Request: &h245.RequestMessage{UnknownAlternative: &per.RawExtension{Index: 40, Data: []byte{0}}}}}), nil},
		{"endSessionCommand->endSessionCommand", h245.Command(h245.CommandMessage{EndSessionCommand: &h245.EndSessionCommand{Disconnect: &struct{}{}}}),
			[]string{"endSessionCommand"}},
		{"sendTerminalCapabilitySet->terminalCapabilitySet", h245.Command(h245.CommandMessage{SendTerminalCapabilitySet: &h245.SendTerminalCapabilitySet{GenericRequest: &struct{}{}}}),
			[]string{"terminalCapabilitySet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ready(t, true, Quirks{})
			s.Handle(t0, roundTrip(t, tt.in))
			var sent []string
			for _, o := range s.Drain(nil) {
				if o.Msg != nil {
					sent = append(sent, msgName(o.Msg))
				}
			}
			if !slices.Equal(sent, tt.want) {
				t.Errorf("sent %v, want %v", sent, tt.want)
			}
		})
	}
}
