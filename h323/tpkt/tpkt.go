// Package tpkt implements the TPKT framing of RFC 1006 §6 as used by
// ITU-T H.225.0 (§6 / Annex on TCP framing) and H.245 to delimit call
// signalling and control messages on a TCP stream.
//
// A TPKT is a four-octet header followed by the payload:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    version=3  |  reserved=0   |    packet length (incl. hdr)  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        payload ...                            |
//
// The length counts the header, so the smallest packet is 4 octets (an
// empty payload, which H.323 endpoints send as a keep-alive on the call
// signalling channel) and the largest is 65535 octets.
package tpkt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// HeaderSize is the size of the TPKT header in octets.
	HeaderSize = 4
	// Version is the only TPKT version defined by RFC 1006.
	Version = 3
	// MaxPacketSize is the largest packet the 16-bit length can describe.
	MaxPacketSize = 0xFFFF
	// MaxPayloadSize is the largest payload a single TPKT can carry.
	MaxPayloadSize = MaxPacketSize - HeaderSize
)

var (
	errShortBuffer   = errors.New("tpkt: buffer too short")
	errBadVersion    = errors.New("tpkt: version is not 3")
	errBadReserved   = errors.New("tpkt: reserved octet is not 0")
	errBadLength     = errors.New("tpkt: length smaller than header")
	errTooLarge      = errors.New("tpkt: packet larger than limit")
	errPayloadTooBig = errors.New("tpkt: payload larger than 65531 octets")
)

// Header is the four-octet TPKT header.
type Header struct {
	Version  uint8
	Reserved uint8
	// Length is the packet length including the header.
	Length uint16
}

// PayloadLen is the number of payload octets the header announces.
func (h Header) PayloadLen() int { return int(h.Length) - HeaderSize }

// MarshalSize returns the size of the header once marshaled.
func (h Header) MarshalSize() int { return HeaderSize }

// MarshalTo writes the header into buf and returns the octets written.
func (h Header) MarshalTo(buf []byte) (int, error) {
	if len(buf) < HeaderSize {
		return 0, errShortBuffer
	}
	buf[0] = h.Version
	buf[1] = h.Reserved
	binary.BigEndian.PutUint16(buf[2:4], h.Length)
	return HeaderSize, nil
}

// Marshal returns the header octets.
func (h Header) Marshal() ([]byte, error) {
	buf := make([]byte, HeaderSize)
	_, err := h.MarshalTo(buf)
	return buf, err
}

// Unmarshal parses and validates a header from the start of buf and returns
// the octets consumed (always HeaderSize on success). It does not require
// the payload to be present.
func (h *Header) Unmarshal(buf []byte) (int, error) {
	if len(buf) < HeaderSize {
		return 0, fmt.Errorf("%w: %d octets, need %d", errShortBuffer, len(buf), HeaderSize)
	}
	hdr := Header{Version: buf[0], Reserved: buf[1], Length: binary.BigEndian.Uint16(buf[2:4])}
	if err := hdr.validate(); err != nil {
		return 0, err
	}
	*h = hdr
	return HeaderSize, nil
}

func (h Header) validate() error {
	if h.Version != Version {
		return fmt.Errorf("%w: got %d", errBadVersion, h.Version)
	}
	if h.Reserved != 0 {
		return fmt.Errorf("%w: got %d", errBadReserved, h.Reserved)
	}
	if h.Length < HeaderSize {
		return fmt.Errorf("%w: got %d", errBadLength, h.Length)
	}
	return nil
}

// Packet is a TPKT header plus payload, in the pion/rtp style.
type Packet struct {
	Header
	Payload []byte
}

// MarshalSize returns the size of the packet once marshaled.
func (p *Packet) MarshalSize() int { return HeaderSize + len(p.Payload) }

// MarshalTo writes the packet into buf, computing Version and Length from
// the payload, and returns the octets written.
func (p *Packet) MarshalTo(buf []byte) (int, error) {
	if len(p.Payload) > MaxPayloadSize {
		return 0, fmt.Errorf("%w: %d", errPayloadTooBig, len(p.Payload))
	}
	size := p.MarshalSize()
	if len(buf) < size {
		return 0, errShortBuffer
	}
	h := Header{Version: Version, Length: uint16(size)}
	if _, err := h.MarshalTo(buf); err != nil {
		return 0, err
	}
	copy(buf[HeaderSize:], p.Payload)
	return size, nil
}

// Marshal returns the packet octets.
func (p *Packet) Marshal() ([]byte, error) {
	buf := make([]byte, p.MarshalSize())
	n, err := p.MarshalTo(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// Unmarshal parses one packet from the start of buf and returns the octets
// consumed; buf may hold more packets after it. Payload aliases buf.
func (p *Packet) Unmarshal(buf []byte) (int, error) {
	var h Header
	if _, err := h.Unmarshal(buf); err != nil {
		return 0, err
	}
	if len(buf) < int(h.Length) {
		return 0, fmt.Errorf("%w: have %d octets of a %d-octet packet", errShortBuffer, len(buf), h.Length)
	}
	p.Header = h
	p.Payload = buf[HeaderSize:h.Length]
	return int(h.Length), nil
}

// ReadFrame reads one TPKT from r and returns its payload. max bounds the
// whole packet size (header included); max <= 0 means MaxPacketSize. The
// length is checked against max before anything is allocated. An empty
// payload (a keep-alive) is returned as a non-nil empty slice. io.EOF is
// returned only when r ends cleanly before a header starts; a packet cut
// short yields io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	if max <= 0 || max > MaxPacketSize {
		max = MaxPacketSize
	}
	var hb [HeaderSize]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, err
	}
	var h Header
	if _, err := h.Unmarshal(hb[:]); err != nil {
		return nil, err
	}
	if int(h.Length) > max {
		return nil, fmt.Errorf("%w: %d > %d", errTooLarge, h.Length, max)
	}
	payload := make([]byte, h.PayloadLen())
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return payload, nil
}

// WriteFrame writes payload to w as one TPKT with a single Write call, so
// that concurrent writers serialised by the caller never interleave halves.
func WriteFrame(w io.Writer, payload []byte) error {
	p := Packet{Payload: payload}
	buf, err := p.Marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

// IsBadFrame reports whether err means the octets are not a valid TPKT
// (as opposed to an I/O error), so a caller knows the stream is out of
// sync and must be closed.
func IsBadFrame(err error) bool {
	return errors.Is(err, errBadVersion) || errors.Is(err, errBadReserved) ||
		errors.Is(err, errBadLength) || errors.Is(err, errTooLarge)
}
