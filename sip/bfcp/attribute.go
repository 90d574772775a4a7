package bfcp

import (
	"fmt"
)

// AttrType is the 7-bit attribute type (RFC 8855 §5.2, Table 2).
type AttrType uint8

// Attribute types of RFC 8855 §5.2.
const (
	BeneficiaryID            AttrType = 1
	FloorID                  AttrType = 2
	FloorRequestID           AttrType = 3
	Priority                 AttrType = 4
	RequestStatusAttr        AttrType = 5
	ErrorCodeAttr            AttrType = 6
	ErrorInfo                AttrType = 7
	ParticipantProvidedInfo  AttrType = 8
	StatusInfo               AttrType = 9
	SupportedAttributes      AttrType = 10
	SupportedPrimitives      AttrType = 11
	UserDisplayName          AttrType = 12
	UserURI                  AttrType = 13
	BeneficiaryInformation   AttrType = 14
	FloorRequestInformation  AttrType = 15
	RequestedByInformation   AttrType = 16
	FloorRequestStatusAttr   AttrType = 17
	OverallRequestStatusAttr AttrType = 18
)

var attrNames = [...]string{"", "BENEFICIARY-ID", "FLOOR-ID", "FLOOR-REQUEST-ID", "PRIORITY",
	"REQUEST-STATUS", "ERROR-CODE", "ERROR-INFO", "PARTICIPANT-PROVIDED-INFO", "STATUS-INFO",
	"SUPPORTED-ATTRIBUTES", "SUPPORTED-PRIMITIVES", "USER-DISPLAY-NAME", "USER-URI",
	"BENEFICIARY-INFORMATION", "FLOOR-REQUEST-INFORMATION", "REQUESTED-BY-INFORMATION",
	"FLOOR-REQUEST-STATUS", "OVERALL-REQUEST-STATUS"}

func (t AttrType) String() string {
	if t >= 1 && int(t) < len(attrNames) {
		return attrNames[t]
	}
	return fmt.Sprintf("AttrType(%d)", uint8(t))
}

// Known reports whether t is an attribute of RFC 8855.
func (t AttrType) Known() bool { return t >= BeneficiaryID && t <= OverallRequestStatusAttr }

// Grouped reports whether t is a grouped attribute: a 16-bit ID followed by
// nested attributes (RFC 8855 §5.2.14–§5.2.18).
func (t AttrType) Grouped() bool { return t >= BeneficiaryInformation && t <= OverallRequestStatusAttr }

// fixed16 reports whether t is a 16-bit value with a Length of 4 (the
// Unsigned16 and OctetString16 attributes, §5.2.1–§5.2.5).
func (t AttrType) fixed16() bool { return t >= BeneficiaryID && t <= RequestStatusAttr }

// MaxDepth bounds the nesting of grouped attributes the decoder accepts.
// RFC 8855 needs 2 (FLOOR-REQUEST-INFORMATION holding BENEFICIARY-INFORMATION).
const MaxDepth = 4

// Attribute is one BFCP attribute (RFC 8855 §5.2).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    Type     |M|    Length     |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
//	|                                                               |
//	/                       Attribute Contents                      /
//	/                                                               /
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length counts the octets of Type, M, Length and the contents, without the
// zero padding that brings the attribute to a 4-octet boundary (§5.2).
//
// A grouped attribute (Type.Grouped) has ID (its first 16 bits: the
// beneficiary, floor request, requested-by or floor ID) and Group; any other
// attribute, known or not, has its contents in Value.
type Attribute struct {
	Type      AttrType
	Mandatory bool
	Value     []byte
	ID        uint16
	Group     []Attribute
}

// length is the Length field of a.
func (a *Attribute) length() int {
	if a.Type.Grouped() {
		n := 4
		for i := range a.Group {
			n += a.Group[i].MarshalSize()
		}
		return n
	}
	return 2 + len(a.Value)
}

// MarshalSize returns the encoded size of a, padding included.
func (a *Attribute) MarshalSize() int { return pad4(a.length()) }

// MarshalTo encodes a into b, which must hold MarshalSize octets.
func (a *Attribute) MarshalTo(b []byte) (int, error) {
	l := a.length()
	if l > 255 {
		return 0, fmt.Errorf("%w: %s is %d", errAttrTooLong, a.Type, l)
	}
	n := pad4(l)
	if len(b) < n {
		return 0, errShortBuffer
	}
	b[0] = byte(a.Type)<<1 | boolBit(a.Mandatory, 0)
	b[1] = byte(l)
	if !a.Type.Grouped() {
		copy(b[2:], a.Value)
	} else {
		b[2], b[3] = byte(a.ID>>8), byte(a.ID)
		off := 4
		for i := range a.Group {
			m, err := a.Group[i].MarshalTo(b[off:])
			if err != nil {
				return 0, err
			}
			off += m
		}
	}
	clear(b[l:n])
	return n, nil
}

// unmarshalAttrs decodes the attributes filling buf. depth counts the
// grouped attributes around buf.
func unmarshalAttrs(buf []byte, depth int) ([]Attribute, error) {
	var attrs []Attribute
	for len(buf) > 0 {
		var a Attribute
		n, err := a.unmarshal(buf, depth)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, a)
		buf = buf[n:]
	}
	return attrs, nil
}

// unmarshal decodes one attribute at the start of buf and returns its size
// with padding.
func (a *Attribute) unmarshal(buf []byte, depth int) (int, error) {
	if len(buf) < 2 {
		return 0, syntaxErr(ErrIncorrectLength, "attribute header truncated")
	}
	a.Type = AttrType(buf[0] >> 1)
	a.Mandatory = buf[0]&1 != 0
	l := int(buf[1])
	if l < 2 || l > len(buf) {
		return 0, syntaxErr(ErrIncorrectLength, "%s: length %d with %d octets left", a.Type, l, len(buf))
	}
	n := min(pad4(l), len(buf))
	switch {
	case a.Type.fixed16() && l != 4:
		return 0, syntaxErr(ErrIncorrectLength, "%s: length %d, want 4", a.Type, l)
	case a.Type == ErrorCodeAttr && l < 3:
		return 0, syntaxErr(ErrIncorrectLength, "%s: length %d, want at least 3", a.Type, l)
	case a.Type.Grouped():
		if l < 4 {
			return 0, syntaxErr(ErrIncorrectLength, "%s: length %d, want at least 4", a.Type, l)
		}
		if depth >= MaxDepth {
			return 0, syntaxErr(ErrUnparsable, "%s: grouped attributes nested deeper than %d", a.Type, MaxDepth)
		}
		a.ID = uint16(buf[2])<<8 | uint16(buf[3])
		g, err := unmarshalAttrs(buf[4:l], depth+1)
		if err != nil {
			return 0, err
		}
		a.Group = g
		return n, nil
	}
	a.Value = append([]byte(nil), buf[2:l]...)
	return n, nil
}

func pad4(n int) int { return (n + 3) &^ 3 }
