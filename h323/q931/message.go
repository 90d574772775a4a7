package q931

import "fmt"

// Message layout (Q.931 §4.1, Figure 4-1):
//
//	  8   7   6   5   4   3   2   1
//	+---+---+---+---+---+---+---+---+
//	|   protocol discriminator 0x08 |  octet 1
//	+---+---+---+---+---+---+---+---+
//	| 0   0   0   0 | length of CRV |  octet 2
//	+---+---+---+---+---+---+---+---+
//	|flg|  call reference value     |  octets 3.. (0-2 octets in H.225.0)
//	+---+---+---+---+---+---+---+---+
//	| 0 |      message type         |
//	+---+---+---+---+---+---+---+---+
//	|  information elements ...     |

// CallReference is the call reference of §4.3. H.225.0 §7.2.2.4 always
// uses two octets; zero octets is the dummy (global) call reference.
type CallReference struct {
	// Length is the number of value octets: 0, 1 or 2.
	Length uint8 `json:"length"`
	// Value is the call reference value, 7 bits for Length 1, 15 bits for 2.
	Value uint16 `json:"value"`
	// Flag is false in messages sent by the side that allocated the value,
	// true in messages sent to it (§4.3).
	Flag bool `json:"flag"`
}

// NewCallReference returns the two-octet call reference H.225.0 uses.
func NewCallReference(value uint16, flag bool) CallReference {
	return CallReference{Length: 2, Value: value & 0x7FFF, Flag: flag}
}

func (c CallReference) validate() error {
	switch c.Length {
	case 0:
		if c.Value != 0 || c.Flag {
			return fmt.Errorf("%w: dummy reference with value", errCallRefValue)
		}
	case 1:
		if c.Value > 0x7F {
			return fmt.Errorf("%w: %d", errCallRefValue, c.Value)
		}
	case 2:
		if c.Value > 0x7FFF {
			return fmt.Errorf("%w: %d", errCallRefValue, c.Value)
		}
	default:
		return fmt.Errorf("%w: %d", errBadCallRefLen, c.Length)
	}
	return nil
}

// Message is a Q.931 message: header plus information elements in wire
// order. Elements are kept as raw contents so that unknown ones survive;
// use the typed accessors (Cause, UserUser, ...) to read known ones.
type Message struct {
	CallRef CallReference
	Type    MessageType
	IEs     []IE
}

// headerSize is the size of the header for the message's call reference.
func (m *Message) headerSize() int { return 3 + int(m.CallRef.Length) }

// MarshalSize returns the size of the message once marshaled.
func (m *Message) MarshalSize() int {
	n := m.headerSize()
	cs := newCodesetTracker()
	for _, ie := range m.IEs {
		n += ie.size(cs.next(ie.ID))
	}
	return n
}

// MarshalTo writes the message into buf and returns the octets written.
func (m *Message) MarshalTo(buf []byte) (int, error) {
	if err := m.CallRef.validate(); err != nil {
		return 0, err
	}
	if m.Type&0x80 != 0 {
		return 0, fmt.Errorf("%w: %#02x", errBadMessageType, uint8(m.Type))
	}
	size, err := m.marshalSize()
	if err != nil {
		return 0, err
	}
	if len(buf) < size {
		return 0, fmt.Errorf("q931: buffer of %d octets, need %d", len(buf), size)
	}
	buf[0] = ProtocolDiscriminator
	buf[1] = m.CallRef.Length
	off := 2
	switch m.CallRef.Length {
	case 1:
		buf[off] = byte(m.CallRef.Value)
	case 2:
		buf[off] = byte(m.CallRef.Value >> 8)
		buf[off+1] = byte(m.CallRef.Value)
	}
	if m.CallRef.Flag {
		buf[off] |= 0x80
	}
	off += int(m.CallRef.Length)
	buf[off] = byte(m.Type)
	off++
	n, err := marshalIEs(buf[off:], m.IEs)
	if err != nil {
		return 0, err
	}
	return off + n, nil
}

// marshalSize is MarshalSize with the codeset recomputed from the shifts,
// exactly as MarshalTo will write, and length checks.
func (m *Message) marshalSize() (int, error) {
	n := m.headerSize()
	cs := newCodesetTracker()
	for _, ie := range m.IEs {
		active := cs.next(ie.ID)
		if err := ie.check(active); err != nil {
			return 0, err
		}
		n += ie.size(active)
	}
	return n, nil
}

// Marshal returns the message octets.
func (m *Message) Marshal() ([]byte, error) {
	size, err := m.marshalSize()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	n, err := m.MarshalTo(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// Unmarshal parses a whole message (the payload of one TPKT). The element
// contents alias buf. It returns the octets consumed, always len(buf) on
// success.
func (m *Message) Unmarshal(buf []byte) (int, error) {
	if len(buf) < 3 {
		return 0, syntaxErr(len(buf), "message shorter than 3 octets")
	}
	if buf[0] != ProtocolDiscriminator {
		return 0, syntaxErr(0, "protocol discriminator %#02x, want 0x08", buf[0])
	}
	if buf[1]&0xF0 != 0 {
		return 0, syntaxErr(1, "spare bits of call reference length set: %#02x", buf[1])
	}
	crLen := int(buf[1])
	if crLen > 2 {
		return 0, syntaxErr(1, "call reference of %d octets, H.225.0 uses at most 2", crLen)
	}
	if len(buf) < 3+crLen {
		return 0, syntaxErr(len(buf), "message truncated in header")
	}
	cr := CallReference{Length: uint8(crLen)}
	switch crLen {
	case 1:
		cr.Value = uint16(buf[2] & 0x7F)
		cr.Flag = buf[2]&0x80 != 0
	case 2:
		cr.Value = uint16(buf[2]&0x7F)<<8 | uint16(buf[3])
		cr.Flag = buf[2]&0x80 != 0
	}
	off := 2 + crLen
	if buf[off]&0x80 != 0 {
		return 0, syntaxErr(off, "message type %#02x has bit 8 set", buf[off])
	}
	mt := MessageType(buf[off])
	off++
	ies, err := unmarshalIEs(buf[off:], off)
	if err != nil {
		return 0, err
	}
	m.CallRef = cr
	m.Type = mt
	m.IEs = ies
	return len(buf), nil
}
