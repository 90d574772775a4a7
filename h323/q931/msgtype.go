package q931

import "fmt"

// ProtocolDiscriminator is the Q.931 protocol discriminator (§4.2).
const ProtocolDiscriminator = 0x08

// MessageType is the message type octet (Q.931 §4.4, Table 4-2).
type MessageType uint8

// Message types. H.225.0 §7.3 uses the first block; the rest are listed so
// that they print by name.
const (
	Alerting        MessageType = 0x01
	CallProceeding  MessageType = 0x02
	Progress        MessageType = 0x03
	Setup           MessageType = 0x05
	Connect         MessageType = 0x07
	ConnectAck      MessageType = 0x0F
	SetupAck        MessageType = 0x0D
	UserInformation MessageType = 0x20
	Disconnect      MessageType = 0x45
	Restart         MessageType = 0x46
	Release         MessageType = 0x4D
	RestartAck      MessageType = 0x4E
	ReleaseComplete MessageType = 0x5A
	Segment         MessageType = 0x60
	Facility        MessageType = 0x62
	Notify          MessageType = 0x6E
	StatusInquiry   MessageType = 0x75
	CongestionCtrl  MessageType = 0x79
	Information     MessageType = 0x7B
	Status          MessageType = 0x7D
)

func messageTypeName(t MessageType) (string, bool) {
	switch t {
	case Alerting:
		return "Alerting", true
	case CallProceeding:
		return "CallProceeding", true
	case Progress:
		return "Progress", true
	case Setup:
		return "Setup", true
	case Connect:
		return "Connect", true
	case ConnectAck:
		return "ConnectAck", true
	case SetupAck:
		return "SetupAck", true
	case UserInformation:
		return "UserInformation", true
	case Disconnect:
		return "Disconnect", true
	case Restart:
		return "Restart", true
	case Release:
		return "Release", true
	case RestartAck:
		return "RestartAck", true
	case ReleaseComplete:
		return "ReleaseComplete", true
	case Segment:
		return "Segment", true
	case Facility:
		return "Facility", true
	case Notify:
		return "Notify", true
	case StatusInquiry:
		return "StatusInquiry", true
	case CongestionCtrl:
		return "CongestionControl", true
	case Information:
		return "Information", true
	case Status:
		return "Status", true
	}
	return "", false
}

// Known reports whether t is a message type of Q.931 Table 4-2.
func (t MessageType) Known() bool {
	_, ok := messageTypeName(t)
	return ok
}

// String returns the Q.931 name in Go spelling, e.g. "CallProceeding",
// or "MessageType(0x..)" for unknown codes.
func (t MessageType) String() string {
	if s, ok := messageTypeName(t); ok {
		return s
	}
	return fmt.Sprintf("MessageType(%#02x)", uint8(t))
}
