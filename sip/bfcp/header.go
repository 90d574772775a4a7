package bfcp

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of the COMMON-HEADER without fragment fields;
// fragmented messages carry 4 more octets.
const HeaderSize = 12

// Versions of the common header (RFC 8855 §5.1): 1 over reliable transports
// (TCP, TLS), 2 over unreliable ones (UDP, DTLS).
const (
	Version1 uint8 = 1
	Version2 uint8 = 2
)

// Primitive is the message type (RFC 8855 §5.1, Table 1).
type Primitive uint8

// Primitives of RFC 8855 §5.1.
const (
	FloorRequest          Primitive = 1
	FloorRelease          Primitive = 2
	FloorRequestQuery     Primitive = 3
	FloorRequestStatus    Primitive = 4
	UserQuery             Primitive = 5
	UserStatus            Primitive = 6
	FloorQuery            Primitive = 7
	FloorStatus           Primitive = 8
	ChairAction           Primitive = 9
	ChairActionAck        Primitive = 10
	Hello                 Primitive = 11
	HelloAck              Primitive = 12
	Error                 Primitive = 13
	FloorRequestStatusAck Primitive = 14
	FloorStatusAck        Primitive = 15
	Goodbye               Primitive = 16
	GoodbyeAck            Primitive = 17
)

var primitiveNames = [...]string{"", "FloorRequest", "FloorRelease", "FloorRequestQuery",
	"FloorRequestStatus", "UserQuery", "UserStatus", "FloorQuery", "FloorStatus", "ChairAction",
	"ChairActionAck", "Hello", "HelloAck", "Error", "FloorRequestStatusAck", "FloorStatusAck",
	"Goodbye", "GoodbyeAck"}

func (p Primitive) String() string {
	if p >= 1 && int(p) < len(primitiveNames) {
		return primitiveNames[p]
	}
	return fmt.Sprintf("Primitive(%d)", uint8(p))
}

// Known reports whether p is one of the primitives of RFC 8855.
func (p Primitive) Known() bool { return p >= FloorRequest && p <= GoodbyeAck }

// Header is the COMMON-HEADER (RFC 8855 §5.1).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Ver |R|F| Res |  Primitive    |        Payload Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Conference ID                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Transaction ID        |            User ID            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Fragment Offset (if F is set) | Fragment Length (if F is set) |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Payload Length counts 4-octet units after the common header; for a
// fragment it is the length of the whole message, and Fragment Offset and
// Fragment Length (also 4-octet units) place this fragment in it.
type Header struct {
	Version   uint8
	Responder bool // R: this message answers a request (version 2 only)
	Fragment  bool // F: fragment of a larger message (version 2 only)
	Primitive Primitive
	// PayloadLength is filled in by Message.Marshal* from the attributes;
	// for a fragment it is kept as given.
	PayloadLength  uint16
	ConferenceID   uint32
	TransactionID  uint16
	UserID         uint16
	FragmentOffset uint16
	FragmentLength uint16
}

// size is the encoded size of the header.
func (h *Header) size() int {
	if h.Fragment {
		return HeaderSize + 4
	}
	return HeaderSize
}

func (h *Header) marshalTo(b []byte) {
	b[0] = h.Version<<5 | boolBit(h.Responder, 4) | boolBit(h.Fragment, 3)
	b[1] = byte(h.Primitive)
	binary.BigEndian.PutUint16(b[2:], h.PayloadLength)
	binary.BigEndian.PutUint32(b[4:], h.ConferenceID)
	binary.BigEndian.PutUint16(b[8:], h.TransactionID)
	binary.BigEndian.PutUint16(b[10:], h.UserID)
	if h.Fragment {
		binary.BigEndian.PutUint16(b[12:], h.FragmentOffset)
		binary.BigEndian.PutUint16(b[14:], h.FragmentLength)
	}
}

// Unmarshal decodes the common header at the start of buf and returns its
// size. It does not require the payload to be present, so a stream reader
// can learn how much more to read.
func (h *Header) Unmarshal(buf []byte) (int, error) {
	if len(buf) < HeaderSize {
		return 0, syntaxErr(ErrIncorrectLength, "header: %d octets, need %d", len(buf), HeaderSize)
	}
	h.Version = buf[0] >> 5
	if h.Version != Version1 && h.Version != Version2 {
		return 0, syntaxErr(ErrUnsupportedVersion, "header: version %d", h.Version)
	}
	h.Responder = buf[0]&0x10 != 0
	h.Fragment = buf[0]&0x08 != 0
	h.Primitive = Primitive(buf[1])
	h.PayloadLength = binary.BigEndian.Uint16(buf[2:])
	h.ConferenceID = binary.BigEndian.Uint32(buf[4:])
	h.TransactionID = binary.BigEndian.Uint16(buf[8:])
	h.UserID = binary.BigEndian.Uint16(buf[10:])
	h.FragmentOffset, h.FragmentLength = 0, 0
	if !h.Fragment {
		return HeaderSize, nil
	}
	if len(buf) < HeaderSize+4 {
		return 0, syntaxErr(ErrIncorrectLength, "header: fragment fields truncated")
	}
	h.FragmentOffset = binary.BigEndian.Uint16(buf[12:])
	h.FragmentLength = binary.BigEndian.Uint16(buf[14:])
	if int(h.FragmentOffset)+int(h.FragmentLength) > int(h.PayloadLength) || h.FragmentLength == 0 {
		return 0, syntaxErr(ErrIncorrectLength, "header: fragment %d+%d beyond payload %d",
			h.FragmentOffset, h.FragmentLength, h.PayloadLength)
	}
	return HeaderSize + 4, nil
}

// MessageSize returns the size on the wire of the message h starts: header
// plus payload (or, for a fragment, plus the fragment).
func (h *Header) MessageSize() int {
	if h.Fragment {
		return h.size() + 4*int(h.FragmentLength)
	}
	return h.size() + 4*int(h.PayloadLength)
}

func boolBit(v bool, shift uint) byte {
	if v {
		return 1 << shift
	}
	return 0
}
