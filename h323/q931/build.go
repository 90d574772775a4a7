package q931

import "fmt"

// DefaultBearerCapability is the bearer capability an H.323 endpoint puts
// in SETUP (H.225.0 §7.2.2.2 / Table 7-4 for video calls): ITU-T coding,
// unrestricted digital information, circuit mode, 64 kbit/s, layer 1
// H.221 and H.242.
func DefaultBearerCapability() BearerCapability {
	return BearerCapability{
		InformationCapability: CapabilityUnrestrictedDigital,
		TransferMode:          TransferModeCircuit,
		InformationRate:       TransferRate64k,
		Layer1Protocol:        Layer1H221,
	}
}

// New returns a message of type t with the given elements, each placed in
// ascending identifier order (Q.931 §4.5.1); a later element with the
// same identifier replaces an earlier one.
func New(t MessageType, cr CallReference, elems ...Element) (*Message, error) {
	if err := cr.validate(); err != nil {
		return nil, err
	}
	if t&0x80 != 0 {
		return nil, fmt.Errorf("%w: %#02x", errBadMessageType, uint8(t))
	}
	m := &Message{CallRef: cr, Type: t}
	for _, e := range elems {
		if e == nil {
			continue
		}
		if err := m.Set(e); err != nil {
			return nil, fmt.Errorf("q931: %s: %w", e.ElementID().Name(), err)
		}
	}
	return m, nil
}

// newWithUUIE builds an H.225.0 message: the elements plus a user-user
// element carrying the PER-encoded H323-UserInformation.
func newWithUUIE(t MessageType, cr CallReference, userInfo []byte, elems []Element) (*Message, error) {
	all := make([]Element, 0, len(elems)+1)
	all = append(all, elems...)
	if userInfo != nil {
		all = append(all, UserUser{Protocol: UserUserProtocolX208, Data: userInfo})
	}
	return New(t, cr, all...)
}

// NewSetup returns a SETUP (H.225.0 §7.3.10) carrying userInfo (the
// PER-encoded H323-UserInformation) in the user-user element. Without a
// BearerCapability among elems, DefaultBearerCapability is used. Typical
// elems: Display, CallingPartyNumber, CalledPartyNumber.
func NewSetup(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	all := append([]Element{DefaultBearerCapability()}, elems...)
	return newWithUUIE(Setup, cr, userInfo, all)
}

// NewCallProceeding returns a CALL PROCEEDING (H.225.0 §7.3.1).
func NewCallProceeding(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	return newWithUUIE(CallProceeding, cr, userInfo, elems)
}

// NewAlerting returns an ALERTING (H.225.0 §7.3.1).
func NewAlerting(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	return newWithUUIE(Alerting, cr, userInfo, elems)
}

// NewConnect returns a CONNECT (H.225.0 §7.3.3).
func NewConnect(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	return newWithUUIE(Connect, cr, userInfo, elems)
}

// NewProgress returns a PROGRESS (H.225.0 §7.3.8).
func NewProgress(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	return newWithUUIE(Progress, cr, userInfo, elems)
}

// NewReleaseComplete returns a RELEASE COMPLETE (H.225.0 §7.3.9) with the
// cause (location user). H.225.0 requires either the cause element or
// the releaseCompleteReason in the UUIE; this always sends the element.
func NewReleaseComplete(cr CallReference, cause CauseValue, userInfo []byte, elems ...Element) (*Message, error) {
	all := append([]Element{NewCause(cause)}, elems...)
	return newWithUUIE(ReleaseComplete, cr, userInfo, all)
}

// NewFacility returns a FACILITY (H.225.0 §7.4.2).
func NewFacility(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	return newWithUUIE(Facility, cr, userInfo, elems)
}

// NewNotify returns a NOTIFY (H.225.0 §7.4.3) with the notification
// description.
func NewNotify(cr CallReference, description uint8, userInfo []byte, elems ...Element) (*Message, error) {
	all := append([]Element{NotificationIndicator{Description: description}}, elems...)
	return newWithUUIE(Notify, cr, userInfo, all)
}

// NewInformation returns an INFORMATION (H.225.0 §7.3.6), e.g. with a
// Keypad element for overlap sending.
func NewInformation(cr CallReference, userInfo []byte, elems ...Element) (*Message, error) {
	return newWithUUIE(Information, cr, userInfo, elems)
}

// NewStatus returns a STATUS (H.225.0 §7.3.11) answering a STATUS
// INQUIRY: cause 30 "response to STATUS INQUIRY" or an error cause, and
// the call state.
func NewStatus(cr CallReference, cause CauseValue, state uint8, elems ...Element) (*Message, error) {
	all := append([]Element{NewCause(cause), CallState{State: state}}, elems...)
	return New(Status, cr, all...)
}

// NewStatusInquiry returns a STATUS INQUIRY (H.225.0 §7.3.12).
func NewStatusInquiry(cr CallReference, elems ...Element) (*Message, error) {
	return New(StatusInquiry, cr, elems...)
}
