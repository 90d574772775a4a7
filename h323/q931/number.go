package q931

import "fmt"

// Party number contents (Q.931 §4.5.8 called, §4.5.10 calling):
//
//	octet 3  |ext| type of number (3) | numbering plan (4) |
//	octet 3a | 1 | presentation (2) | 0 0 0 | screening (2) |  (calling: if octet 3 ext = 0)
//	octets 4.. number digits, IA5 characters

// Types of number (octet 3).
const (
	NumberTypeUnknown       = 0
	NumberTypeInternational = 1
	NumberTypeNational      = 2
	NumberTypeNetwork       = 3
	NumberTypeSubscriber    = 4
	NumberTypeAbbreviated   = 6
)

// Numbering plans (octet 3).
const (
	PlanUnknown  = 0x0
	PlanE164     = 0x1
	PlanData     = 0x3
	PlanTelex    = 0x4
	PlanNational = 0x8
	PlanPrivate  = 0x9
)

// Presentation and screening indicators (octet 3a).
const (
	PresentationAllowed      = 0
	PresentationRestricted   = 1
	PresentationNotAvailable = 2
	ScreeningUserNotScreened = 0
	ScreeningUserPassed      = 1
	ScreeningUserFailed      = 2
	ScreeningNetwork         = 3
)

// PartyNumber holds the fields shared by the calling and called party
// number elements.
type PartyNumber struct {
	TypeOfNumber  uint8 `json:"typeOfNumber"`
	NumberingPlan uint8 `json:"numberingPlan"`
	// HasPresentation is true when octet 3a is present.
	HasPresentation bool   `json:"hasPresentation,omitempty"`
	Presentation    uint8  `json:"presentation,omitempty"`
	Screening       uint8  `json:"screening,omitempty"`
	Digits          string `json:"digits"`
}

func (p PartyNumber) marshal() ([]byte, error) {
	if p.TypeOfNumber > 7 || p.NumberingPlan > 0xF || p.Presentation > 3 || p.Screening > 3 {
		return nil, fmt.Errorf("%w: party number %+v", errBadField, p)
	}
	for i := 0; i < len(p.Digits); i++ {
		if p.Digits[i] >= 0x80 {
			return nil, fmt.Errorf("%w: digit %q is not IA5", errBadField, p.Digits[i])
		}
	}
	out := make([]byte, 0, 2+len(p.Digits))
	o3 := p.TypeOfNumber<<4 | p.NumberingPlan
	if p.HasPresentation {
		out = append(out, o3, 0x80|p.Presentation<<5|p.Screening)
	} else {
		out = append(out, 0x80|o3)
	}
	return append(out, p.Digits...), nil
}

func (p *PartyNumber) unmarshal(b []byte) error {
	if len(b) < 1 {
		return syntaxErr(0, "party number without octet 3")
	}
	v := PartyNumber{TypeOfNumber: b[0] >> 4 & 7, NumberingPlan: b[0] & 0xF}
	off := 1
	if b[0]&0x80 == 0 {
		if len(b) < 2 {
			return syntaxErr(1, "party number octet 3a missing")
		}
		if b[1]&0x80 == 0 {
			return structuralErr("party number octet 3b: extension octets")
		}
		v.HasPresentation = true
		v.Presentation = b[1] >> 5 & 3
		v.Screening = b[1] & 3
		off = 2
	}
	for i := off; i < len(b); i++ {
		if b[i] >= 0x80 {
			return syntaxErr(i, "digit %#02x is not IA5", b[i])
		}
	}
	v.Digits = string(b[off:])
	*p = v
	return nil
}

// CallingPartyNumber is the calling party number element.
type CallingPartyNumber struct{ PartyNumber }

// ElementID implements Element.
func (CallingPartyNumber) ElementID() ElementID { return IDCallingPartyNumber }

// MarshalContents implements Element.
func (c CallingPartyNumber) MarshalContents() ([]byte, error) { return c.marshal() }

// UnmarshalContents decodes the contents.
func (c *CallingPartyNumber) UnmarshalContents(b []byte) error { return c.unmarshal(b) }

// CalledPartyNumber is the called party number element.
type CalledPartyNumber struct{ PartyNumber }

// ElementID implements Element.
func (CalledPartyNumber) ElementID() ElementID { return IDCalledPartyNumber }

// MarshalContents implements Element.
func (c CalledPartyNumber) MarshalContents() ([]byte, error) { return c.marshal() }

// UnmarshalContents decodes the contents.
func (c *CalledPartyNumber) UnmarshalContents(b []byte) error { return c.unmarshal(b) }
