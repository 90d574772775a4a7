package h225

import (
	"crypto/rand"
	"fmt"
)

// Builders for the call signalling messages the call layer sends
// (H.225.0 §7.3–7.4, H.323 §8.1): one Call value holds what every message
// of the call repeats, each method returns the H323-UserInformation of one
// Q.931 message.

// ProtocolVersion is the H.225.0 version we announce (v7, 12/2009).
const ProtocolVersion = 7

// NewProtocolIdentifier returns the H.225.0 protocolIdentifier
// 0.0.8.2250.0.ProtocolVersion.
func NewProtocolIdentifier() ProtocolIdentifier {
	return ProtocolIdentifier{0, 0, 8, 2250, 0, ProtocolVersion}
}

// NewGUID returns a random 16-octet GloballyUniqueID (H.225.0 §7.6) for a
// call or conference identifier.
func NewGUID() (GloballyUniqueID, error) {
	g := make(GloballyUniqueID, 16)
	if _, err := rand.Read(g); err != nil {
		return nil, fmt.Errorf("h225: random GUID: %w", err)
	}
	return g, nil
}

// Call is the state shared by the messages of one call.
type Call struct {
	// CallID identifies the call end to end (callIdentifier).
	CallID GloballyUniqueID
	// ConferenceID is the conferenceID (usually equal to CallID for a
	// point-to-point call).
	ConferenceID ConferenceIdentifier
	// Endpoint describes us: sourceInfo of Setup, destinationInfo of
	// responses. The zero value is sent as a terminal.
	Endpoint EndpointType
	// H245Address, when set, offers a separate H.245 channel.
	H245Address *TransportAddress
	// Tunnelling announces H.245 tunnelling (h245Tunnelling) in every
	// message; H245 holds the messages to tunnel in the next one.
	Tunnelling bool
	H245       [][]byte
	// MaintainConnection asks to keep the TCP connection after release.
	MaintainConnection bool
}

func (c *Call) endpoint() EndpointType {
	e := c.Endpoint
	if e.Vendor == nil && e.Gatekeeper == nil && e.Gateway == nil && e.Mcu == nil && e.Terminal == nil {
		e.Terminal = &TerminalInfo{}
	}
	return e
}

func (c *Call) callIdentifier() *CallIdentifier { return &CallIdentifier{Guid: c.CallID} }

// wrap puts a message body in an H323-UserInformation with the tunnelling
// fields; the pending tunnelled H.245 messages are consumed.
func (c *Call) wrap(body H323UUPDUH323MessageBody) *H323UserInformation {
	tunnelling := c.Tunnelling
	ui := &H323UserInformation{H323UuPdu: H323UUPDU{H323MessageBody: body, H245Tunnelling: &tunnelling}}
	if c.Tunnelling && len(c.H245) > 0 {
		ui.H323UuPdu.H245Control, c.H245 = c.H245, nil
	}
	return ui
}

// Setup builds a Setup UUIE from src to dst, optionally with fastStart
// OpenLogicalChannel proposals (H.245-encoded).
func (c *Call) Setup(src, dst []AliasAddress, destCallSignal, srcCallSignal *TransportAddress, fastStart [][]byte) *H323UserInformation {
	f := false
	mc := c.MaintainConnection
	return c.wrap(H323UUPDUH323MessageBody{Setup: &SetupUUIE{
		ProtocolIdentifier:      NewProtocolIdentifier(),
		H245Address:             c.H245Address,
		SourceAddress:           src,
		SourceInfo:              c.endpoint(),
		DestinationAddress:      dst,
		DestCallSignalAddress:   destCallSignal,
		ConferenceID:            c.ConferenceID,
		ConferenceGoal:          SetupUUIEConferenceGoal{Create: &struct{}{}},
		CallType:                CallType{PointToPoint: &struct{}{}},
		SourceCallSignalAddress: srcCallSignal,
		CallIdentifier:          c.callIdentifier(),
		FastStart:               fastStart,
		MediaWaitForConnect:     &f,
		CanOverlapSend:          &f,
		MultipleCalls:           &f,
		MaintainConnection:      &mc,
	}})
}

// CallProceeding builds a CallProceeding UUIE, optionally accepting
// fastStart channels.
func (c *Call) CallProceeding(fastStart [][]byte) *H323UserInformation {
	f, mc := false, c.MaintainConnection
	return c.wrap(H323UUPDUH323MessageBody{CallProceeding: &CallProceedingUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		DestinationInfo:    c.endpoint(),
		H245Address:        c.H245Address,
		CallIdentifier:     c.callIdentifier(),
		FastStart:          fastStart,
		MultipleCalls:      &f,
		MaintainConnection: &mc,
	}})
}

// Alerting builds an Alerting UUIE.
func (c *Call) Alerting(fastStart [][]byte) *H323UserInformation {
	f, mc := false, c.MaintainConnection
	return c.wrap(H323UUPDUH323MessageBody{Alerting: &AlertingUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		DestinationInfo:    c.endpoint(),
		H245Address:        c.H245Address,
		CallIdentifier:     c.callIdentifier(),
		FastStart:          fastStart,
		MultipleCalls:      &f,
		MaintainConnection: &mc,
	}})
}

// Connect builds a Connect UUIE.
func (c *Call) Connect(fastStart [][]byte) *H323UserInformation {
	f, mc := false, c.MaintainConnection
	return c.wrap(H323UUPDUH323MessageBody{Connect: &ConnectUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		H245Address:        c.H245Address,
		DestinationInfo:    c.endpoint(),
		ConferenceID:       c.ConferenceID,
		CallIdentifier:     c.callIdentifier(),
		FastStart:          fastStart,
		MultipleCalls:      &f,
		MaintainConnection: &mc,
	}})
}

// Facility builds a Facility UUIE with the given reason, e.g.
// FacilityReason{StartH245: &struct{}{}} with H245Address set, or
// undefinedReason to carry tunnelled H.245 only.
func (c *Call) Facility(reason FacilityReason) *H323UserInformation {
	f, mc := false, c.MaintainConnection
	return c.wrap(H323UUPDUH323MessageBody{Facility: &FacilityUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		ConferenceID:       c.ConferenceID,
		Reason:             reason,
		CallIdentifier:     c.callIdentifier(),
		H245Address:        c.H245Address,
		MultipleCalls:      &f,
		MaintainConnection: &mc,
	}})
}

// ReleaseComplete builds a ReleaseComplete UUIE; reason may be nil (the
// Q.931 cause then says why).
func (c *Call) ReleaseComplete(reason *ReleaseCompleteReason) *H323UserInformation {
	return c.wrap(H323UUPDUH323MessageBody{ReleaseComplete: &ReleaseCompleteUUIE{
		ProtocolIdentifier: NewProtocolIdentifier(),
		Reason:             reason,
		CallIdentifier:     c.callIdentifier(),
	}})
}
