// Package dtmf carries telephone keypad digits between the worlds a room
// system may use: RFC 4733 telephone-event RTP payloads (with a Receiver
// that turns the redundant packet stream into one event per key press), and
// the SIP INFO bodies application/dtmf-relay ("Signal=5\r\nDuration=160")
// and application/dtmf ("5") used by endpoints without RFC 4733.
// H.245 userInputIndication lives with the H.245 types, not here.
package dtmf

import (
	"errors"
	"fmt"
)

// Payload errors.
var (
	ErrShortPayload = errors.New("dtmf: payload shorter than 4 bytes")
	ErrBufferSmall  = errors.New("dtmf: buffer too small")
	ErrUnknownEvent = errors.New("dtmf: unknown event")
)

// PayloadSize is the size of one RFC 4733 event payload.
const PayloadSize = 4

// Payload is one RFC 4733 §2.3 named-event payload:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type Payload struct {
	Event    byte   // 0–9, 10 '*', 11 '#', 12–15 A–D, 16 flash (RFC 4733 §3.2)
	End      bool   // E bit: the last packet(s) of the event
	Volume   byte   // power level in -dBm0, 0–63
	Duration uint16 // in RTP timestamp units since the event's timestamp
}

// Unmarshal parses the first 4 bytes of buf. The R bit is ignored as
// §2.3 requires of receivers.
func (p *Payload) Unmarshal(buf []byte) (n int, err error) {
	if len(buf) < PayloadSize {
		return 0, fmt.Errorf("%w: %d bytes", ErrShortPayload, len(buf))
	}
	p.Event = buf[0]
	p.End = buf[1]&0x80 != 0
	p.Volume = buf[1] & 0x3F
	p.Duration = uint16(buf[2])<<8 | uint16(buf[3])
	return PayloadSize, nil
}

// MarshalSize is always PayloadSize.
func (p *Payload) MarshalSize() int { return PayloadSize }

// MarshalTo writes the payload into buf.
func (p *Payload) MarshalTo(buf []byte) (n int, err error) {
	if len(buf) < PayloadSize {
		return 0, fmt.Errorf("%w: %d bytes", ErrBufferSmall, len(buf))
	}
	buf[0] = p.Event
	buf[1] = p.Volume & 0x3F
	if p.End {
		buf[1] |= 0x80
	}
	buf[2], buf[3] = byte(p.Duration>>8), byte(p.Duration)
	return PayloadSize, nil
}

// Marshal returns the 4-byte payload.
func (p *Payload) Marshal() ([]byte, error) {
	b := make([]byte, PayloadSize)
	_, err := p.MarshalTo(b)
	return b, err
}

// Digit maps an RFC 4733 DTMF event code to its key: '0'–'9', '*', '#',
// 'A'–'D', and '!' for flash (event 16).
func Digit(event byte) (rune, error) {
	switch {
	case event <= 9:
		return rune('0' + event), nil
	case event == 10:
		return '*', nil
	case event == 11:
		return '#', nil
	case event >= 12 && event <= 15:
		return rune('A' + event - 12), nil
	case event == 16:
		return '!', nil
	}
	return 0, fmt.Errorf("%w: %d", ErrUnknownEvent, event)
}

// Code maps a key (case-insensitive for A–D) to its RFC 4733 event code.
func Code(digit rune) (byte, error) {
	switch {
	case digit >= '0' && digit <= '9':
		return byte(digit - '0'), nil
	case digit == '*':
		return 10, nil
	case digit == '#':
		return 11, nil
	case digit >= 'A' && digit <= 'D':
		return byte(digit-'A') + 12, nil
	case digit >= 'a' && digit <= 'd':
		return byte(digit-'a') + 12, nil
	case digit == '!':
		return 16, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownEvent, digit)
}

// Packets returns the payloads a sender emits for one key press of total
// timestamp units, one every step units (RFC 4733 §2.5.1): updates with
// growing duration, then the end packet sent three times (§2.5.1.4). The
// caller sets the marker bit on the first packet and uses one RTP
// timestamp (the start of the event) for all of them.
func Packets(event, volume byte, total, step uint16) []Payload {
	if step == 0 {
		step = 160
	}
	var out []Payload
	for d := uint16(0); d < total; {
		out = append(out, Payload{Event: event, Volume: volume, Duration: d})
		if total-d < step {
			break
		}
		d += step
	}
	end := Payload{Event: event, Volume: volume, Duration: total, End: true}
	return append(out, end, end, end)
}
