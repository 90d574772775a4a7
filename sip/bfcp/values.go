package bfcp

import "encoding/binary"

// RequestStatus is the Request Status of REQUEST-STATUS (RFC 8855 §5.2.5).
type RequestStatus uint8

// Request states of RFC 8855 §5.2.5, Table 4.
const (
	StatusPending   RequestStatus = 1
	StatusAccepted  RequestStatus = 2
	StatusGranted   RequestStatus = 3
	StatusDenied    RequestStatus = 4
	StatusCancelled RequestStatus = 5
	StatusReleased  RequestStatus = 6
	StatusRevoked   RequestStatus = 7
)

var statusNames = [...]string{"", "Pending", "Accepted", "Granted", "Denied", "Cancelled", "Released", "Revoked"}

func (s RequestStatus) String() string {
	if s >= 1 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "RequestStatus(" + itoa(int(s)) + ")"
}

// Final reports whether s ends the floor request (§5.2.5: Denied,
// Cancelled, Released and Revoked).
func (s RequestStatus) Final() bool { return s >= StatusDenied }

// Prio is the 3-bit priority of PRIORITY (RFC 8855 §5.2.4).
type Prio uint8

// Priorities of RFC 8855 §5.2.4.
const (
	PrioLowest  Prio = 0
	PrioLow     Prio = 1
	PrioNormal  Prio = 2
	PrioHigh    Prio = 3
	PrioHighest Prio = 4
)

// NewUint16 returns a BENEFICIARY-ID, FLOOR-ID or FLOOR-REQUEST-ID attribute
// (Unsigned16, RFC 8855 §5.2.1–§5.2.3).
func NewUint16(t AttrType, v uint16) Attribute {
	return Attribute{Type: t, Value: binary.BigEndian.AppendUint16(nil, v)}
}

// NewPriority returns a PRIORITY attribute (§5.2.4): Prio in the top 3 bits,
// 13 reserved bits.
func NewPriority(p Prio) Attribute {
	return Attribute{Type: Priority, Value: []byte{byte(p&7) << 5, 0}}
}

// NewRequestStatus returns a REQUEST-STATUS attribute (§5.2.5).
func NewRequestStatus(s RequestStatus, queuePos uint8) Attribute {
	return Attribute{Type: RequestStatusAttr, Value: []byte{byte(s), queuePos}}
}

// NewErrorCode returns an ERROR-CODE attribute (§5.2.6) with the
// error-specific details (for ErrUnknownMandatoryAttr: see NewUnknownAttrs).
func NewErrorCode(c ErrorCode, details []byte) Attribute {
	return Attribute{Type: ErrorCodeAttr, Value: append([]byte{byte(c)}, details...)}
}

// NewUnknownAttrs returns the ERROR-CODE for Error 4 listing the unknown
// mandatory attribute types (§5.2.6.1: 7-bit type and a reserved bit each).
func NewUnknownAttrs(types []AttrType) Attribute {
	d := make([]byte, len(types))
	for i, t := range types {
		d[i] = byte(t) << 1
	}
	return NewErrorCode(ErrUnknownMandatoryAttr, d)
}

// NewText returns an ERROR-INFO, PARTICIPANT-PROVIDED-INFO, STATUS-INFO,
// USER-DISPLAY-NAME or USER-URI attribute (UTF-8 OctetString, §5.2.7–§5.2.13).
func NewText(t AttrType, s string) Attribute { return Attribute{Type: t, Value: []byte(s)} }

// NewSupportedPrimitives returns SUPPORTED-PRIMITIVES (§5.2.11): one octet
// per primitive.
func NewSupportedPrimitives(ps []Primitive) Attribute {
	v := make([]byte, len(ps))
	for i, p := range ps {
		v[i] = byte(p)
	}
	return Attribute{Type: SupportedPrimitives, Value: v}
}

// NewSupportedAttributes returns SUPPORTED-ATTRIBUTES (§5.2.10): the 7-bit
// type and a reserved bit per attribute.
func NewSupportedAttributes(ts []AttrType) Attribute {
	v := make([]byte, len(ts))
	for i, t := range ts {
		v[i] = byte(t) << 1
	}
	return Attribute{Type: SupportedAttributes, Value: v}
}

// NewGroup returns a grouped attribute (§5.2.14–§5.2.18) with its ID and
// nested attributes.
func NewGroup(t AttrType, id uint16, attrs ...Attribute) Attribute {
	return Attribute{Type: t, ID: id, Group: attrs}
}

// Uint16 returns the value of a 16-bit attribute.
func (a *Attribute) Uint16() (uint16, bool) {
	if len(a.Value) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(a.Value), true
}

// Priority returns the Prio of a PRIORITY attribute.
func (a *Attribute) Priority() Prio {
	if len(a.Value) < 1 {
		return PrioNormal
	}
	return Prio(a.Value[0] >> 5)
}

// RequestStatus returns the status and queue position of REQUEST-STATUS.
func (a *Attribute) RequestStatus() (RequestStatus, uint8, bool) {
	if a.Type != RequestStatusAttr || len(a.Value) != 2 {
		return 0, 0, false
	}
	return RequestStatus(a.Value[0]), a.Value[1], true
}

// ErrorCode returns the code and error-specific details of ERROR-CODE.
func (a *Attribute) ErrorCode() (ErrorCode, []byte, bool) {
	if a.Type != ErrorCodeAttr || len(a.Value) < 1 {
		return 0, nil, false
	}
	return ErrorCode(a.Value[0]), a.Value[1:], true
}

// Primitives returns the list of SUPPORTED-PRIMITIVES.
func (a *Attribute) Primitives() []Primitive {
	ps := make([]Primitive, len(a.Value))
	for i, v := range a.Value {
		ps[i] = Primitive(v)
	}
	return ps
}

// AttrTypes returns the list of SUPPORTED-ATTRIBUTES, or the unknown
// attribute types of an ERROR-CODE 4's details.
func (a *Attribute) AttrTypes() []AttrType {
	v := a.Value
	if a.Type == ErrorCodeAttr && len(v) > 0 {
		v = v[1:]
	}
	ts := make([]AttrType, len(v))
	for i, b := range v {
		ts[i] = AttrType(b >> 1)
	}
	return ts
}

// Find returns the first attribute of type t in attrs.
func Find(attrs []Attribute, t AttrType) (*Attribute, bool) {
	for i := range attrs {
		if attrs[i].Type == t {
			return &attrs[i], true
		}
	}
	return nil, false
}

// FindAll returns every attribute of type t in attrs.
func FindAll(attrs []Attribute, t AttrType) []*Attribute {
	var out []*Attribute
	for i := range attrs {
		if attrs[i].Type == t {
			out = append(out, &attrs[i])
		}
	}
	return out
}

// UnknownMandatory returns the types of the attributes in attrs, nested ones
// included, that are not defined by RFC 8855 but carry the M bit: a receiver
// answers those with Error 4 (§13.8).
func UnknownMandatory(attrs []Attribute) []AttrType {
	var out []AttrType
	for i := range attrs {
		a := &attrs[i]
		if a.Mandatory && !a.Type.Known() {
			out = append(out, a.Type)
		}
		out = append(out, UnknownMandatory(a.Group)...)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
