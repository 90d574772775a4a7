package q931

import "fmt"

// Element is a typed codec for the contents of one information element of
// codeset 0. MarshalContents and UnmarshalContents work on the contents
// only (the octets after the identifier and length).
type Element interface {
	ElementID() ElementID
	MarshalContents() ([]byte, error)
}

// elementPtr is a pointer to a typed element that can decode itself.
type elementPtr[T any] interface {
	*T
	Element
	UnmarshalContents(b []byte) error
}

// find returns the first element with id in codeset 0.
func (m *Message) find(id ElementID) (IE, bool) {
	cs := newCodesetTracker()
	for _, ie := range m.IEs {
		if cs.next(ie.ID) == 0 && ie.ID == id {
			return ie, true
		}
	}
	return IE{}, false
}

// Find returns the first element with identifier id in codeset 0.
func (m *Message) Find(id ElementID) (IE, bool) { return m.find(id) }

func decodeElement[T any, P elementPtr[T]](m *Message) (T, error) {
	var v T
	id := P(&v).ElementID()
	ie, ok := m.find(id)
	if !ok {
		return v, fmt.Errorf("%w: %s", ErrAbsent, id.Name())
	}
	if err := P(&v).UnmarshalContents(ie.Contents); err != nil {
		return v, fmt.Errorf("q931: %s: %w", id.Name(), err)
	}
	return v, nil
}

// BearerCapability decodes the bearer capability element.
func (m *Message) BearerCapability() (BearerCapability, error) {
	return decodeElement[BearerCapability](m)
}

// Cause decodes the cause element.
func (m *Message) Cause() (Cause, error) { return decodeElement[Cause](m) }

// Display decodes the display element.
func (m *Message) Display() (Display, error) { return decodeElement[Display](m) }

// CallingPartyNumber decodes the calling party number element.
func (m *Message) CallingPartyNumber() (CallingPartyNumber, error) {
	return decodeElement[CallingPartyNumber](m)
}

// CalledPartyNumber decodes the called party number element.
func (m *Message) CalledPartyNumber() (CalledPartyNumber, error) {
	return decodeElement[CalledPartyNumber](m)
}

// UserUser decodes the user-user element; in H.225.0 its Data is the
// PER-encoded H323-UserInformation.
func (m *Message) UserUser() (UserUser, error) { return decodeElement[UserUser](m) }

// Keypad decodes the keypad facility element.
func (m *Message) Keypad() (Keypad, error) { return decodeElement[Keypad](m) }

// Signal decodes the signal element.
func (m *Message) Signal() (Signal, error) { return decodeElement[Signal](m) }

// ProgressIndicator decodes the first progress indicator element.
func (m *Message) ProgressIndicator() (ProgressIndicator, error) {
	return decodeElement[ProgressIndicator](m)
}

// Facility decodes the facility element.
func (m *Message) Facility() (FacilityElement, error) {
	return decodeElement[FacilityElement](m)
}

// NotificationIndicator decodes the notification indicator element.
func (m *Message) NotificationIndicator() (NotificationIndicator, error) {
	return decodeElement[NotificationIndicator](m)
}

// ChannelIdentification decodes the channel identification element.
func (m *Message) ChannelIdentification() (ChannelIdentification, error) {
	return decodeElement[ChannelIdentification](m)
}

// CallState decodes the call state element.
func (m *Message) CallState() (CallState, error) { return decodeElement[CallState](m) }

// DateTime decodes the date/time element.
func (m *Message) DateTime() (DateTime, error) { return decodeElement[DateTime](m) }

// DecodeElement returns the typed value of ie when this package knows its
// identifier in codeset 0; ok is false for other elements.
func DecodeElement(ie IE) (e Element, ok bool, err error) {
	if ie.Codeset != 0 || ie.SingleOctet() {
		return nil, false, nil
	}
	var p interface {
		Element
		UnmarshalContents([]byte) error
	}
	switch ie.ID {
	case IDBearerCapability:
		p = &BearerCapability{}
	case IDCause:
		p = &Cause{}
	case IDDisplay:
		p = &Display{}
	case IDCallingPartyNumber:
		p = &CallingPartyNumber{}
	case IDCalledPartyNumber:
		p = &CalledPartyNumber{}
	case IDUserUser:
		p = &UserUser{}
	case IDKeypad:
		p = &Keypad{}
	case IDSignal:
		p = &Signal{}
	case IDProgressIndicator:
		p = &ProgressIndicator{}
	case IDFacility:
		p = &FacilityElement{}
	case IDNotificationInd:
		p = &NotificationIndicator{}
	case IDChannelID:
		p = &ChannelIdentification{}
	case IDDateTime:
		p = &DateTime{}
	case IDCallState:
		p = &CallState{}
	default:
		return nil, false, nil
	}
	if err := p.UnmarshalContents(ie.Contents); err != nil {
		return nil, true, fmt.Errorf("q931: %s: %w", ie.ID.Name(), err)
	}
	return p, true, nil
}

// Set stores e in the message: it replaces the first element with the
// same identifier in codeset 0, or inserts it before the first element of
// codeset 0 with a higher identifier, keeping the ascending order of
// Q.931 §4.5.1.
func (m *Message) Set(e Element) error {
	contents, err := e.MarshalContents()
	if err != nil {
		return err
	}
	ie := IE{ID: e.ElementID(), Contents: contents}
	if err := ie.check(0); err != nil {
		return err
	}
	cs := newCodesetTracker()
	for i, cur := range m.IEs {
		active := cs.next(cur.ID)
		shift := cur.ID&0xF0 == IDShift
		if active != 0 || (cur.SingleOctet() && !shift) {
			continue
		}
		if cur.ID == ie.ID {
			m.IEs[i] = ie
			return nil
		}
		// Elements of other codesets follow the codeset 0 ones (§4.5.2).
		if shift || cur.ID > ie.ID {
			m.IEs = append(m.IEs[:i], append([]IE{ie}, m.IEs[i:]...)...)
			return nil
		}
	}
	m.IEs = append(m.IEs, ie)
	return nil
}
