package q931

import "fmt"

// UserUserProtocolX208 is the user-user protocol discriminator H.225.0
// §7.2.2.9 uses: "X.208 and X.209 coded user information" (ASN.1 PER of
// H323-UserInformation, despite the name).
const UserUserProtocolX208 = 0x05

// UserUser is the user-user element (Q.931 §4.5.30): a protocol
// discriminator octet then the user information. In codeset 0 H.225.0
// gives it a two-octet length, which IE handles.
type UserUser struct {
	Protocol uint8  `json:"protocolDiscriminator"`
	Data     Octets `json:"data"`
}

// ElementID implements Element.
func (UserUser) ElementID() ElementID { return IDUserUser }

// MarshalContents implements Element.
func (u UserUser) MarshalContents() ([]byte, error) {
	out := make([]byte, 0, 1+len(u.Data))
	return append(append(out, u.Protocol), u.Data...), nil
}

// UnmarshalContents decodes the contents; Data aliases b.
func (u *UserUser) UnmarshalContents(b []byte) error {
	if len(b) < 1 {
		return syntaxErr(0, "user-user without protocol discriminator")
	}
	*u = UserUser{Protocol: b[0], Data: b[1:]}
	return nil
}

// Display is the display element (§4.5.16). Q.931 and H.225.0 say IA5,
// but endpoints send UTF-8 or Latin-1 names, a trailing NUL, or an ETSI
// display-type octet first; the octets are kept as they are, so Text may
// not be valid UTF-8. Senders should stay within IA5.
type Display struct {
	Text string `json:"text"`
}

// ElementID implements Element.
func (Display) ElementID() ElementID { return IDDisplay }

// MarshalContents implements Element.
func (d Display) MarshalContents() ([]byte, error) { return []byte(d.Text), nil }

// UnmarshalContents decodes the contents.
func (d *Display) UnmarshalContents(b []byte) error {
	d.Text = string(b)
	return nil
}

// Keypad is the keypad facility element (§4.5.18): IA5 characters typed
// by the user, used by H.225.0 for overlap sending.
type Keypad struct {
	Digits string `json:"digits"`
}

// ElementID implements Element.
func (Keypad) ElementID() ElementID { return IDKeypad }

// MarshalContents implements Element.
func (k Keypad) MarshalContents() ([]byte, error) { return ia5(k.Digits) }

// UnmarshalContents decodes the contents.
func (k *Keypad) UnmarshalContents(b []byte) error {
	s, err := parseIA5(b)
	if err == nil {
		k.Digits = s
	}
	return err
}

func ia5(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return nil, fmt.Errorf("%w: %q is not IA5", errBadField, s)
		}
	}
	return []byte(s), nil
}

func parseIA5(b []byte) (string, error) {
	for i, c := range b {
		if c >= 0x80 {
			return "", syntaxErr(i, "octet %#02x is not IA5", c)
		}
	}
	return string(b), nil
}

// Signal values (§4.5.28).
const (
	SignalDialTone    = 0x00
	SignalRingBack    = 0x01
	SignalIntercept   = 0x02
	SignalBusy        = 0x04
	SignalCallWaiting = 0x07
	SignalTonesOff    = 0x3F
	SignalAlertingOff = 0x4F
)

// Signal is the signal element: one octet.
type Signal struct {
	Value uint8 `json:"value"`
}

// ElementID implements Element.
func (Signal) ElementID() ElementID { return IDSignal }

// MarshalContents implements Element.
func (s Signal) MarshalContents() ([]byte, error) { return []byte{s.Value}, nil }

// UnmarshalContents decodes the contents.
func (s *Signal) UnmarshalContents(b []byte) error {
	if len(b) != 1 {
		return syntaxErr(0, "signal of %d octets, want 1", len(b))
	}
	s.Value = b[0]
	return nil
}

// Progress descriptions (§4.5.23 octet 4).
const (
	ProgressNotEndToEndISDN = 1
	ProgressDestNotISDN     = 2
	ProgressOrigNotISDN     = 3
	ProgressReturnedToISDN  = 4
	ProgressInbandAvailable = 8
)

// ProgressIndicator is the progress indicator element:
//
//	octet 3 | 1 | coding std (2) | 0 | location (4) |
//	octet 4 | 1 | progress description (7)          |
type ProgressIndicator struct {
	CodingStandard uint8 `json:"codingStandard"`
	Location       uint8 `json:"location"`
	Description    uint8 `json:"description"`
}

// ElementID implements Element.
func (ProgressIndicator) ElementID() ElementID { return IDProgressIndicator }

// MarshalContents implements Element.
func (p ProgressIndicator) MarshalContents() ([]byte, error) {
	if p.CodingStandard > 3 || p.Location > 0xF || p.Description > 0x7F {
		return nil, fmt.Errorf("%w: progress indicator %+v", errBadField, p)
	}
	return []byte{0x80 | p.CodingStandard<<5 | p.Location, 0x80 | p.Description}, nil
}

// UnmarshalContents decodes the contents.
func (p *ProgressIndicator) UnmarshalContents(b []byte) error {
	if len(b) != 2 {
		return syntaxErr(0, "progress indicator of %d octets, want 2", len(b))
	}
	if b[0]&0x80 == 0 || b[1]&0x80 == 0 {
		return structuralErr("progress indicator: extension octets")
	}
	*p = ProgressIndicator{CodingStandard: b[0] >> 5 & 3, Location: b[0] & 0xF, Description: b[1] & 0x7F}
	return nil
}

// FacilityElement is the facility element (Q.932 §4.5.1): a protocol
// profile octet and supplementary service components, kept verbatim.
// (H.225.0 carries its own Facility-UUIE in the user-user element instead.)
type FacilityElement struct {
	Data Octets `json:"data"`
}

// ElementID implements Element.
func (FacilityElement) ElementID() ElementID { return IDFacility }

// MarshalContents implements Element.
func (f FacilityElement) MarshalContents() ([]byte, error) {
	return append([]byte(nil), f.Data...), nil
}

// UnmarshalContents decodes the contents; Data aliases b.
func (f *FacilityElement) UnmarshalContents(b []byte) error {
	f.Data = b
	return nil
}

// Notification descriptions (§4.5.22).
const (
	NotifyUserSuspended = 0x00
	NotifyUserResumed   = 0x01
	NotifyBearerChange  = 0x02
)

// NotificationIndicator is the notification indicator element:
// octet 3 is | ext | description (7) |, further octets are kept verbatim.
type NotificationIndicator struct {
	Description uint8  `json:"description"`
	Extended    bool   `json:"extended,omitempty"`
	Rest        Octets `json:"rest,omitempty"`
}

// ElementID implements Element.
func (NotificationIndicator) ElementID() ElementID { return IDNotificationInd }

// MarshalContents implements Element.
func (n NotificationIndicator) MarshalContents() ([]byte, error) {
	if n.Description > 0x7F {
		return nil, fmt.Errorf("%w: notification %d", errBadField, n.Description)
	}
	o3 := n.Description
	if !n.Extended {
		o3 |= 0x80
	}
	return append([]byte{o3}, n.Rest...), nil
}

// UnmarshalContents decodes the contents.
func (n *NotificationIndicator) UnmarshalContents(b []byte) error {
	if len(b) < 1 {
		return syntaxErr(0, "empty notification indicator")
	}
	v := NotificationIndicator{Description: b[0] & 0x7F, Extended: b[0]&0x80 == 0}
	if len(b) > 1 {
		v.Rest = b[1:]
	}
	*n = v
	return nil
}

// CallState is the call state element (§4.5.7): coding standard and the
// state value of Q.931 §2.1 (e.g. 10 active), as sent in STATUS.
type CallState struct {
	CodingStandard uint8 `json:"codingStandard"`
	State          uint8 `json:"state"`
}

// ElementID implements Element.
func (CallState) ElementID() ElementID { return IDCallState }

// MarshalContents implements Element.
func (c CallState) MarshalContents() ([]byte, error) {
	if c.CodingStandard > 3 || c.State > 0x3F {
		return nil, fmt.Errorf("%w: call state %+v", errBadField, c)
	}
	return []byte{c.CodingStandard<<6 | c.State}, nil
}

// UnmarshalContents decodes the contents.
func (c *CallState) UnmarshalContents(b []byte) error {
	if len(b) != 1 {
		return syntaxErr(0, "call state of %d octets, want 1", len(b))
	}
	*c = CallState{CodingStandard: b[0] >> 6, State: b[0] & 0x3F}
	return nil
}
