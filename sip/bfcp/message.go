package bfcp

import "fmt"

// Message is a BFCP message: the common header and its attributes (RFC 8855
// §5). A fragment (Header.Fragment) carries its part of the payload in
// FragmentData instead of attributes; Reassembler joins fragments.
type Message struct {
	Header
	Attributes   []Attribute
	FragmentData []byte
}

// MarshalSize returns the encoded size of m.
func (m *Message) MarshalSize() int {
	if m.Fragment {
		return m.size() + len(m.FragmentData)
	}
	n := HeaderSize
	for i := range m.Attributes {
		n += m.Attributes[i].MarshalSize()
	}
	return n
}

// Marshal encodes m.
func (m *Message) Marshal() ([]byte, error) {
	b := make([]byte, m.MarshalSize())
	n, err := m.MarshalTo(b)
	return b[:n], err
}

// MarshalTo encodes m into b and fills in the Payload Length (and, for a
// fragment, the Fragment Length).
func (m *Message) MarshalTo(b []byte) (int, error) {
	size := m.MarshalSize()
	if len(b) < size {
		return 0, errShortBuffer
	}
	h := m.Header
	if h.Fragment {
		if len(m.FragmentData)%4 != 0 || len(m.FragmentData)/4 > 0xffff {
			return 0, fmt.Errorf("bfcp: fragment of %d octets is not a 4-octet multiple", len(m.FragmentData))
		}
		h.FragmentLength = uint16(len(m.FragmentData) / 4)
		copy(b[h.size():], m.FragmentData)
	} else {
		payload := size - HeaderSize
		if payload/4 > 0xffff {
			return 0, errTooLong
		}
		h.PayloadLength = uint16(payload / 4)
		off := HeaderSize
		for i := range m.Attributes {
			n, err := m.Attributes[i].MarshalTo(b[off:])
			if err != nil {
				return 0, err
			}
			off += n
		}
	}
	h.marshalTo(b)
	return size, nil
}

// Unmarshal decodes the message at the start of buf and returns its size.
// Octets after the message are left alone (a TCP stream's next message).
func (m *Message) Unmarshal(buf []byte) (int, error) {
	hn, err := m.Header.Unmarshal(buf)
	if err != nil {
		return 0, err
	}
	size := m.MessageSize()
	if len(buf) < size {
		return 0, syntaxErr(ErrIncorrectLength, "%s: payload length %d octets, %d present",
			m.Primitive, size-hn, len(buf)-hn)
	}
	m.Attributes, m.FragmentData = nil, nil
	if m.Fragment {
		m.FragmentData = append([]byte(nil), buf[hn:size]...)
		return size, nil
	}
	attrs, err := unmarshalAttrs(buf[hn:size], 0)
	if err != nil {
		return 0, err
	}
	m.Attributes = attrs
	return size, nil
}

// Find returns the first top-level attribute of type t.
func (m *Message) Find(t AttrType) (*Attribute, bool) { return Find(m.Attributes, t) }

// Uint16 returns the value of the first top-level 16-bit attribute of type t.
func (m *Message) Uint16(t AttrType) (uint16, bool) {
	a, ok := m.Find(t)
	if !ok {
		return 0, false
	}
	return a.Uint16()
}

func (m *Message) String() string {
	return fmt.Sprintf("%s v%d conf=%d tid=%d user=%d attrs=%d", m.Primitive, m.Version,
		m.ConferenceID, m.TransactionID, m.UserID, len(m.Attributes))
}
