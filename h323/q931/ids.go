package q931

import "fmt"

// ElementID is an information element identifier (Q.931 §4.5, Table 4-3).
// Values with bit 8 set are single-octet elements; for type 1 elements
// (shift, congestion level, repeat indicator) the low four bits carry the
// element's value.
type ElementID uint8

// Variable-length elements of codeset 0.
const (
	IDSegmented          ElementID = 0x00
	IDBearerCapability   ElementID = 0x04
	IDCause              ElementID = 0x08
	IDCallIdentity       ElementID = 0x10
	IDCallState          ElementID = 0x14
	IDChannelID          ElementID = 0x18
	IDFacility           ElementID = 0x1C
	IDProgressIndicator  ElementID = 0x1E
	IDNetworkFacilities  ElementID = 0x20
	IDNotificationInd    ElementID = 0x27
	IDDisplay            ElementID = 0x28
	IDDateTime           ElementID = 0x29
	IDKeypad             ElementID = 0x2C
	IDSignal             ElementID = 0x34
	IDInformationRate    ElementID = 0x40
	IDConnectedNumber    ElementID = 0x4C
	IDCallingPartyNumber ElementID = 0x6C
	IDCallingSubaddress  ElementID = 0x6D
	IDCalledPartyNumber  ElementID = 0x70
	IDCalledSubaddress   ElementID = 0x71
	IDRedirectingNumber  ElementID = 0x74
	IDTransitNetworkSel  ElementID = 0x78
	IDRestartIndicator   ElementID = 0x79
	IDLowLayerCompat     ElementID = 0x7C
	IDHighLayerCompat    ElementID = 0x7D
	IDUserUser           ElementID = 0x7E
)

// Single-octet elements (§4.5.1). Shift, congestion level and repeat
// indicator are type 1: match them with ID&0xF0.
const (
	IDShift            ElementID = 0x90
	IDMoreData         ElementID = 0xA0
	IDSendingComplete  ElementID = 0xA1
	IDCongestionLevel  ElementID = 0xB0
	IDRepeatIndicator  ElementID = 0xD0
	shiftNonLockingBit ElementID = 0x08
)

// Name returns a lowerCamel name for the element as it appears in codeset
// 0 (e.g. "calledPartyNumber"), or "ie0x.." for unknown ones.
func (id ElementID) Name() string {
	if id&0x80 != 0 {
		switch {
		case id == IDMoreData:
			return "moreData"
		case id == IDSendingComplete:
			return "sendingComplete"
		case id&0xF0 == IDShift && id&shiftNonLockingBit != 0:
			return "nonLockingShift"
		case id&0xF0 == IDShift:
			return "lockingShift"
		case id&0xF0 == IDCongestionLevel:
			return "congestionLevel"
		case id&0xF0 == IDRepeatIndicator:
			return "repeatIndicator"
		}
		return fmt.Sprintf("ie%#02x", uint8(id))
	}
	switch id {
	case IDSegmented:
		return "segmentedMessage"
	case IDBearerCapability:
		return "bearerCapability"
	case IDCause:
		return "cause"
	case IDCallIdentity:
		return "callIdentity"
	case IDCallState:
		return "callState"
	case IDChannelID:
		return "channelIdentification"
	case IDFacility:
		return "facility"
	case IDProgressIndicator:
		return "progressIndicator"
	case IDNetworkFacilities:
		return "networkSpecificFacilities"
	case IDNotificationInd:
		return "notificationIndicator"
	case IDDisplay:
		return "display"
	case IDDateTime:
		return "dateTime"
	case IDKeypad:
		return "keypadFacility"
	case IDSignal:
		return "signal"
	case IDInformationRate:
		return "informationRate"
	case IDConnectedNumber:
		return "connectedNumber"
	case IDCallingPartyNumber:
		return "callingPartyNumber"
	case IDCallingSubaddress:
		return "callingPartySubaddress"
	case IDCalledPartyNumber:
		return "calledPartyNumber"
	case IDCalledSubaddress:
		return "calledPartySubaddress"
	case IDRedirectingNumber:
		return "redirectingNumber"
	case IDTransitNetworkSel:
		return "transitNetworkSelection"
	case IDRestartIndicator:
		return "restartIndicator"
	case IDLowLayerCompat:
		return "lowLayerCompatibility"
	case IDHighLayerCompat:
		return "highLayerCompatibility"
	case IDUserUser:
		return "userUser"
	}
	return fmt.Sprintf("ie%#02x", uint8(id))
}
