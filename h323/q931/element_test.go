package q931

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestElementCodecs(t *testing.T) {
	cases := []struct {
		name     string
		id       ElementID
		contents string
		want     Element
	}{
		{"bearer-speech-h221", IDBearerCapability, "80 90 a5", &BearerCapability{InformationCapability: CapabilitySpeech, InformationRate: TransferRate64k, Layer1Protocol: Layer1H221}},
		{"bearer-3k1-g711u", IDBearerCapability, "90 90 a2", &BearerCapability{InformationCapability: CapabilityAudio3k1, InformationRate: TransferRate64k, Layer1Protocol: Layer1G711Mu}},
		{"bearer-packet-mode", IDBearerCapability, "88 c0 a5", &BearerCapability{InformationCapability: CapabilityUnrestrictedDigital, TransferMode: TransferModePacket, Layer1Protocol: Layer1H221}},
		{"bearer-multirate-6x64", IDBearerCapability, "88 98 86 a5", &BearerCapability{InformationCapability: CapabilityUnrestrictedDigital, InformationRate: TransferRateMulti, RateMultiplier: 6, Layer1Protocol: Layer1H221}},
		{"bearer-no-octet5", IDBearerCapability, "88 90", &BearerCapability{InformationCapability: CapabilityUnrestrictedDigital, InformationRate: TransferRate64k}},
		{"bearer-octet5a-kept", IDBearerCapability, "88 90 21 8f", &BearerCapability{InformationCapability: CapabilityUnrestrictedDigital, InformationRate: TransferRate64k, Layer1Protocol: 1, Layer1Extended: true, Rest: []byte{0x8f}}},
		{"cause-normal-clearing", IDCause, "80 90", &Cause{Value: CauseNormalClearing}},
		{"cause-busy-public-remote", IDCause, "84 91", &Cause{Location: LocationPublicRemote, Value: CauseUserBusy}},
		{"cause-with-recommendation", IDCause, "02 80 9f", &Cause{Location: LocationPublicLocal, HasRecommendation: true, Value: CauseNormalUnspecified}},
		{"cause-with-diagnostics", IDCause, "82 e6 7e 00", &Cause{Location: LocationPublicLocal, Value: CauseRecoveryOnTimerExpiry, Diagnostics: []byte{0x7e, 0}}},
		{"calling-subscriber-e164", IDCallingPartyNumber, "c1 35 32 39", &CallingPartyNumber{PartyNumber{TypeOfNumber: NumberTypeSubscriber, NumberingPlan: PlanE164, Digits: "529"}}},
		{"calling-with-presentation", IDCallingPartyNumber, "01 80 31 37", &CallingPartyNumber{PartyNumber{NumberingPlan: PlanE164, HasPresentation: true, Digits: "17"}}},
		{"calling-restricted-network", IDCallingPartyNumber, "21 a3 35", &CallingPartyNumber{PartyNumber{TypeOfNumber: NumberTypeNational, NumberingPlan: PlanE164, HasPresentation: true, Presentation: PresentationRestricted, Screening: ScreeningNetwork, Digits: "5"}}},
		{"called-unknown-plan", IDCalledPartyNumber, "80 39 39", &CalledPartyNumber{PartyNumber{Digits: "99"}}},
		{"called-empty-digits", IDCalledPartyNumber, "a1", &CalledPartyNumber{PartyNumber{TypeOfNumber: NumberTypeNational, NumberingPlan: PlanE164, Digits: ""}}},
		{"display", IDDisplay, "52 6f 6f 6d 00", &Display{Text: "Room\x00"}},
		{"display-utf8-kept", IDDisplay, "53 61 6c 61 20 c3 a9", &Display{Text: "Sala é"}},
		{"bearer-layer2-without-octet5", IDBearerCapability, "88 90 42", &BearerCapability{InformationCapability: CapabilityUnrestrictedDigital, InformationRate: TransferRate64k, Rest: []byte{0x42}}},
		{"keypad", IDKeypad, "31 32 23", &Keypad{Digits: "12#"}},
		{"signal-ringback", IDSignal, "01", &Signal{Value: SignalRingBack}},
		{"progress-inband", IDProgressIndicator, "80 88", &ProgressIndicator{Description: ProgressInbandAvailable}},
		{"progress-dest-not-isdn-remote", IDProgressIndicator, "84 82", &ProgressIndicator{Location: LocationPublicRemote, Description: ProgressDestNotISDN}},
		{"facility-verbatim", IDFacility, "91 a1 03 02 01 01", &FacilityElement{Data: []byte{0x91, 0xa1, 3, 2, 1, 1}}},
		{"notification-suspended", IDNotificationInd, "80", &NotificationIndicator{Description: NotifyUserSuspended}},
		{"notification-extended", IDNotificationInd, "79 01 02", &NotificationIndicator{Description: 0x79, Extended: true, Rest: []byte{1, 2}}},
		{"channel-any", IDChannelID, "83", &ChannelIdentification{Selection: 3}},
		{"channel-pri-exclusive", IDChannelID, "a9 83 81", &ChannelIdentification{PrimaryRate: true, Exclusive: true, Selection: 1, Rest: []byte{0x83, 0x81}}},
		{"datetime-full", IDDateTime, "1a 0b 1b 09 05 3b", &DateTime{Year: 26, Month: 11, Day: 27, Hour: 9, Minute: 5, Second: 59, Octets: 6}},
		{"datetime-date-only", IDDateTime, "63 01 1f", &DateTime{Year: 99, Month: 1, Day: 31, Octets: 3}},
		{"user-user-h225", IDUserUser, "05 20 a8 06", &UserUser{Protocol: UserUserProtocolX208, Data: []byte{0x20, 0xa8, 0x06}}},
		{"call-state-active", IDCallState, "0a", &CallState{State: 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := unhex(t, c.contents)
			got, known, err := DecodeElement(IE{ID: c.id, Contents: in})
			if err != nil || !known {
				t.Fatalf("DecodeElement: known=%v err=%v", known, err)
			}
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v\nwant %#v", got, c.want)
			}
			if got.ElementID() != c.id {
				t.Fatalf("ElementID %#x", got.ElementID())
			}
			out, err := got.MarshalContents()
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("MarshalContents = %x, %v; want %x", out, err, in)
			}
		})
	}
}

func TestElementDecodeErrors(t *testing.T) {
	cases := []struct {
		name     string
		id       ElementID
		contents string
	}{
		{"bearer-one-octet", IDBearerCapability, "80"},
		{"bearer-octet3a", IDBearerCapability, "00 90"},
		{"bearer-multirate-missing", IDBearerCapability, "88 98"},
		{"bearer-layer1-reserved-0", IDBearerCapability, "88 90 a0"},
		{"cause-one-octet", IDCause, "80"},
		{"cause-value-missing", IDCause, "02 80"},
		{"cause-octet4a", IDCause, "80 10 00"},
		{"calling-empty", IDCallingPartyNumber, ""},
		{"calling-3a-missing", IDCallingPartyNumber, "01"},
		{"called-non-ia5", IDCalledPartyNumber, "81 b1"},
		{"signal-two-octets", IDSignal, "01 02"},
		{"progress-one-octet", IDProgressIndicator, "80"},
		{"notification-empty", IDNotificationInd, ""},
		{"channel-empty", IDChannelID, ""},
		{"channel-spare-bit", IDChannelID, "93"},
		{"datetime-short", IDDateTime, "1a 0b"},
		{"datetime-month-13", IDDateTime, "1a 0d 01"},
		{"user-user-empty", IDUserUser, ""},
		{"call-state-empty", IDCallState, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, known, err := DecodeElement(IE{ID: c.id, Contents: unhex(t, c.contents)})
			if !known || err == nil {
				t.Fatalf("known=%v err=%v, want an error", known, err)
			}
		})
	}
}

func TestElementMarshalErrors(t *testing.T) {
	cases := []struct {
		name string
		e    Element
	}{
		{"bearer-capability-6-bits", BearerCapability{InformationCapability: 0x20}},
		{"bearer-rest-looks-like-octet5", BearerCapability{Rest: []byte{0xa5}}},
		{"cause-value-128", Cause{Value: 128}},
		{"number-non-ia5", CalledPartyNumber{PartyNumber{Digits: "\xe9"}}},
		{"number-plan-16", CallingPartyNumber{PartyNumber{NumberingPlan: 16}}},
		{"keypad-non-ia5", Keypad{Digits: "é"}},
		{"progress-location-16", ProgressIndicator{Location: 16}},
		{"channel-selection-4", ChannelIdentification{Selection: 4}},
		{"datetime-hour-24", DateTime{Year: 1, Month: 1, Day: 1, Hour: 24, Octets: 4}},
		{"datetime-octets-2", DateTime{Octets: 2}},
		{"call-state-64", CallState{State: 64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.e.MarshalContents(); !errors.Is(err, errBadField) {
				t.Fatalf("err = %v, want errBadField", err)
			}
		})
	}
}

func TestStructuralErrors(t *testing.T) {
	cases := []struct {
		name     string
		id       ElementID
		contents string
	}{
		{"bearer-octet3a", IDBearerCapability, "00 90"},
		{"cause-octet3b", IDCause, "02 00 90"},
		{"cause-octet4a", IDCause, "80 10 00"},
		{"number-octet3b", IDCallingPartyNumber, "01 00 31"},
		{"progress-octet3a", IDProgressIndicator, "00 88"},
		{"channel-octet3-ext", IDChannelID, "03"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := DecodeElement(IE{ID: c.id, Contents: unhex(t, c.contents)})
			var se *StructuralError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StructuralError", err)
			}
		})
	}
}

func TestCauseNames(t *testing.T) {
	cases := []struct {
		v    CauseValue
		code uint8
		name string
	}{
		{CauseUnallocatedNumber, 1, "unallocated number"},
		{CauseNormalClearing, 16, "normal call clearing"},
		{CauseUserBusy, 17, "user busy"},
		{CauseNoUserResponding, 18, "no user responding"},
		{CauseNoAnswer, 19, "no answer from user"},
		{CauseCallRejected, 21, "call rejected"},
		{CauseNoCircuitAvailable, 34, "no circuit/channel available"},
		{CauseNetworkOutOfOrder, 38, "network out of order"},
		{CauseTemporaryFailure, 41, "temporary failure"},
		{CauseResourceUnavailable, 47, "resource unavailable, unspecified"},
		{CauseIncompatibleDestination, 88, "incompatible destination"},
		{CauseInterworkingUnspecified, 127, "interworking, unspecified"},
		{CauseValue(120), 120, "cause 120"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if uint8(c.v) != c.code || c.v.String() != c.name {
				t.Fatalf("%d %q", uint8(c.v), c.v.String())
			}
		})
	}
}

func TestAccessorAbsent(t *testing.T) {
	m, err := NewStatusInquiry(NewCallReference(3, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Cause(); !errors.Is(err, ErrAbsent) {
		t.Fatalf("Cause err = %v", err)
	}
	if _, err := m.UserUser(); !errors.Is(err, ErrAbsent) {
		t.Fatalf("UserUser err = %v", err)
	}
	// An element in another codeset is not the codeset 0 element.
	m.IEs = append(m.IEs, IE{ID: IDShift | 6}, IE{ID: IDCause, Contents: []byte{0x80, 0x90}})
	if _, err := m.Cause(); !errors.Is(err, ErrAbsent) {
		t.Fatalf("Cause in codeset 6 err = %v", err)
	}
}
