package q931

import "fmt"

// Cause contents (Q.931 §4.5.12, Q.850 §2):
//
//	octet 3   |ext| coding std (2) | 0 | location (4) |
//	octet 3a  | 1 | recommendation (7)    (only if octet 3 ext = 0) |
//	octet 4   | 1 | cause value (7)                                 |
//	octets 5.. diagnostics

// CauseValue is a Q.850 cause value.
type CauseValue uint8

// Common Q.850 cause values used by H.225.0 and the call layer.
const (
	CauseUnallocatedNumber       CauseValue = 1
	CauseNoRouteToDestination    CauseValue = 3
	CauseNormalClearing          CauseValue = 16
	CauseUserBusy                CauseValue = 17
	CauseNoUserResponding        CauseValue = 18
	CauseNoAnswer                CauseValue = 19
	CauseSubscriberAbsent        CauseValue = 20
	CauseCallRejected            CauseValue = 21
	CauseNumberChanged           CauseValue = 22
	CauseDestinationOutOfOrder   CauseValue = 27
	CauseInvalidNumberFormat     CauseValue = 28
	CauseStatusEnquiryResponse   CauseValue = 30
	CauseNormalUnspecified       CauseValue = 31
	CauseNoCircuitAvailable      CauseValue = 34
	CauseNetworkOutOfOrder       CauseValue = 38
	CauseTemporaryFailure        CauseValue = 41
	CauseSwitchingCongestion     CauseValue = 42
	CauseResourceUnavailable     CauseValue = 47
	CauseBearerNotAvailable      CauseValue = 58
	CauseServiceNotAvailable     CauseValue = 63
	CauseBearerNotImplemented    CauseValue = 65
	CauseInvalidCallReference    CauseValue = 81
	CauseIncompatibleDestination CauseValue = 88
	CauseInvalidMessage          CauseValue = 95
	CauseMandatoryIEMissing      CauseValue = 96
	CauseMessageTypeNonexistent  CauseValue = 97
	CauseRecoveryOnTimerExpiry   CauseValue = 102
	CauseProtocolError           CauseValue = 111
	CauseInterworkingUnspecified CauseValue = 127
)

// String returns the Q.850 name of the cause, e.g. "normal call clearing".
func (v CauseValue) String() string {
	switch v {
	case CauseUnallocatedNumber:
		return "unallocated number"
	case CauseNoRouteToDestination:
		return "no route to destination"
	case CauseNormalClearing:
		return "normal call clearing"
	case CauseUserBusy:
		return "user busy"
	case CauseNoUserResponding:
		return "no user responding"
	case CauseNoAnswer:
		return "no answer from user"
	case CauseSubscriberAbsent:
		return "subscriber absent"
	case CauseCallRejected:
		return "call rejected"
	case CauseNumberChanged:
		return "number changed"
	case CauseDestinationOutOfOrder:
		return "destination out of order"
	case CauseInvalidNumberFormat:
		return "invalid number format"
	case CauseStatusEnquiryResponse:
		return "response to STATUS ENQUIRY"
	case CauseNormalUnspecified:
		return "normal, unspecified"
	case CauseNoCircuitAvailable:
		return "no circuit/channel available"
	case CauseNetworkOutOfOrder:
		return "network out of order"
	case CauseTemporaryFailure:
		return "temporary failure"
	case CauseSwitchingCongestion:
		return "switching equipment congestion"
	case CauseResourceUnavailable:
		return "resource unavailable, unspecified"
	case CauseBearerNotAvailable:
		return "bearer capability not presently available"
	case CauseServiceNotAvailable:
		return "service or option not available, unspecified"
	case CauseBearerNotImplemented:
		return "bearer capability not implemented"
	case CauseInvalidCallReference:
		return "invalid call reference value"
	case CauseIncompatibleDestination:
		return "incompatible destination"
	case CauseInvalidMessage:
		return "invalid message, unspecified"
	case CauseMandatoryIEMissing:
		return "mandatory information element is missing"
	case CauseMessageTypeNonexistent:
		return "message type non-existent or not implemented"
	case CauseRecoveryOnTimerExpiry:
		return "recovery on timer expiry"
	case CauseProtocolError:
		return "protocol error, unspecified"
	case CauseInterworkingUnspecified:
		return "interworking, unspecified"
	}
	return fmt.Sprintf("cause %d", uint8(v))
}

// Locations (octet 3, Q.850 Table 1).
const (
	LocationUser               = 0x0
	LocationPrivateLocal       = 0x1
	LocationPublicLocal        = 0x2
	LocationTransit            = 0x3
	LocationPublicRemote       = 0x4
	LocationPrivateRemote      = 0x5
	LocationInternational      = 0x7
	LocationBeyondInterworking = 0xA
)

// Cause is the cause element.
type Cause struct {
	CodingStandard    uint8      `json:"codingStandard"`
	Location          uint8      `json:"location"`
	HasRecommendation bool       `json:"hasRecommendation,omitempty"`
	Recommendation    uint8      `json:"recommendation,omitempty"`
	Value             CauseValue `json:"value"`
	Diagnostics       Octets     `json:"diagnostics,omitempty"`
}

// NewCause returns an ITU-T coded cause with location "user", as an
// H.323 endpoint sends it.
func NewCause(v CauseValue) Cause { return Cause{Location: LocationUser, Value: v} }

// ElementID implements Element.
func (Cause) ElementID() ElementID { return IDCause }

// MarshalContents implements Element.
func (c Cause) MarshalContents() ([]byte, error) {
	if c.CodingStandard > 3 || c.Location > 0xF || c.Recommendation > 0x7F || c.Value > 0x7F {
		return nil, fmt.Errorf("%w: cause %+v", errBadField, c)
	}
	out := make([]byte, 0, 3+len(c.Diagnostics))
	o3 := c.CodingStandard<<5 | c.Location
	if c.HasRecommendation {
		out = append(out, o3, 0x80|c.Recommendation)
	} else {
		out = append(out, 0x80|o3)
	}
	out = append(out, 0x80|uint8(c.Value))
	return append(out, c.Diagnostics...), nil
}

// UnmarshalContents implements the decoder.
func (c *Cause) UnmarshalContents(b []byte) error {
	if len(b) < 2 {
		return syntaxErr(0, "cause of %d octets, need 2", len(b))
	}
	v := Cause{CodingStandard: b[0] >> 5 & 3, Location: b[0] & 0xF}
	off := 1
	if b[0]&0x80 == 0 {
		v.HasRecommendation = true
		v.Recommendation = b[1] & 0x7F
		if b[1]&0x80 == 0 {
			return structuralErr("cause octet 3b: extension octets")
		}
		off = 2
	}
	if off >= len(b) {
		return syntaxErr(off, "cause value missing")
	}
	if b[off]&0x80 == 0 {
		return structuralErr("cause octet 4a: extension octets")
	}
	v.Value = CauseValue(b[off] & 0x7F)
	if off+1 < len(b) {
		v.Diagnostics = b[off+1:]
	}
	*c = v
	return nil
}
