package q931

import "fmt"

// IE is one information element as carried on the wire (Q.931 §4.5).
//
// Single-octet elements (§4.5.1, bit 8 set) have the whole octet in ID
// and no Contents. Variable-length elements have ID (bit 8 clear) and
// their Contents without the identifier and length octets.
type IE struct {
	// Codeset is the codeset in force for this element, derived from the
	// preceding shift elements by Unmarshal and recomputed by Marshal; it
	// is informational.
	Codeset uint8
	ID      ElementID
	// Contents aliases the input after Unmarshal.
	Contents []byte
}

// SingleOctet reports whether the element is a single-octet element.
func (ie IE) SingleOctet() bool { return ie.ID&0x80 != 0 }

// longLength reports whether the element uses the two-octet length of the
// H.225.0 user-user element (codeset 0 only).
func (ie IE) longLength(codeset uint8) bool { return codeset == 0 && ie.ID == IDUserUser }

func (ie IE) size(codeset uint8) int {
	switch {
	case ie.SingleOctet():
		return 1
	case ie.longLength(codeset):
		return 3 + len(ie.Contents)
	default:
		return 2 + len(ie.Contents)
	}
}

func (ie IE) check(codeset uint8) error {
	switch {
	case ie.SingleOctet():
		if len(ie.Contents) != 0 {
			return fmt.Errorf("%w: single-octet element %#02x has contents", errContentsTooLong, uint8(ie.ID))
		}
	case ie.longLength(codeset):
		if len(ie.Contents) > 0xFFFF {
			return fmt.Errorf("%w: user-user of %d octets", errContentsTooLong, len(ie.Contents))
		}
	default:
		if len(ie.Contents) > 0xFF {
			return fmt.Errorf("%w: element %#02x of %d octets", errContentsTooLong, uint8(ie.ID), len(ie.Contents))
		}
	}
	return nil
}

// codesetTracker applies the shift procedures of Q.931 §4.5.2–4.5.3: a
// locking shift (1001 0nnn) changes the codeset of all following
// elements, a non-locking shift (1001 1nnn) that of the next one only.
type codesetTracker struct {
	locked  uint8
	oneShot uint8
	pending bool
}

func newCodesetTracker() codesetTracker { return codesetTracker{} }

// next returns the codeset in force for an element with identifier id and
// updates the state for the elements that follow.
func (c *codesetTracker) next(id ElementID) uint8 {
	active := c.locked
	if c.pending {
		active = c.oneShot
		c.pending = false
	}
	if id&0xF0 == 0x90 { // shift
		if id&0x08 != 0 {
			c.oneShot = uint8(id & 0x07)
			c.pending = true
		} else {
			c.locked = uint8(id & 0x07)
		}
	}
	return active
}

func marshalIEs(buf []byte, ies []IE) (int, error) {
	off := 0
	cs := newCodesetTracker()
	for _, ie := range ies {
		active := cs.next(ie.ID)
		if err := ie.check(active); err != nil {
			return 0, err
		}
		if len(buf)-off < ie.size(active) {
			return 0, fmt.Errorf("q931: buffer too short for element %#02x", uint8(ie.ID))
		}
		buf[off] = byte(ie.ID)
		off++
		if ie.SingleOctet() {
			continue
		}
		if ie.longLength(active) {
			buf[off] = byte(len(ie.Contents) >> 8)
			off++
		}
		buf[off] = byte(len(ie.Contents))
		off++
		off += copy(buf[off:], ie.Contents)
	}
	return off, nil
}

// unmarshalIEs splits buf into elements; base is the offset of buf in the
// message, for error reports. Lengths are checked against what is left
// before slicing; nothing is allocated from a length field.
func unmarshalIEs(buf []byte, base int) ([]IE, error) {
	var ies []IE
	if len(buf) > 0 {
		ies = make([]IE, 0, 8) // a typical H.225.0 message has 2 to 6
	}
	cs := newCodesetTracker()
	off := 0
	for off < len(buf) {
		id := ElementID(buf[off])
		active := cs.next(id)
		ie := IE{Codeset: active, ID: id}
		if ie.SingleOctet() {
			ies = append(ies, ie)
			off++
			continue
		}
		hdr := 2
		if ie.longLength(active) {
			hdr = 3
		}
		if len(buf)-off < hdr {
			return nil, syntaxErr(base+off, "element %#02x truncated in its length", uint8(id))
		}
		n := int(buf[off+hdr-1])
		if hdr == 3 {
			n |= int(buf[off+1]) << 8
		}
		if len(buf)-off-hdr < n {
			return nil, syntaxErr(base+off, "element %#02x claims %d octets, %d left", uint8(id), n, len(buf)-off-hdr)
		}
		ie.Contents = buf[off+hdr : off+hdr+n : off+hdr+n]
		ies = append(ies, ie)
		off += hdr + n
	}
	return ies, nil
}
