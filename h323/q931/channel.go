package q931

import "fmt"

// ChannelIdentification is the channel identification element (§4.5.13):
//
//	octet 3 | 1 | int.id present | int.type | 0 | pref/excl | D-chan | chan sel (2) |
//	octets 3.1 (interface identifier), 3.2 and 3.3 (channel type, numbers)
//
// Octets after octet 3 are kept verbatim in Rest. H.225.0 §7.2.2.3 uses it
// only with "any channel" / "no channel" selections.
type ChannelIdentification struct {
	InterfaceIDPresent bool   `json:"interfaceIdentifierPresent,omitempty"`
	PrimaryRate        bool   `json:"primaryRate,omitempty"`
	Exclusive          bool   `json:"exclusive,omitempty"`
	DChannel           bool   `json:"dChannel,omitempty"`
	Selection          uint8  `json:"channelSelection"`
	Rest               Octets `json:"rest,omitempty"`
}

// ElementID implements Element.
func (ChannelIdentification) ElementID() ElementID { return IDChannelID }

// MarshalContents implements Element.
func (c ChannelIdentification) MarshalContents() ([]byte, error) {
	if c.Selection > 3 {
		return nil, fmt.Errorf("%w: channel selection %d", errBadField, c.Selection)
	}
	o3 := byte(0x80) | c.Selection
	if c.InterfaceIDPresent {
		o3 |= 0x40
	}
	if c.PrimaryRate {
		o3 |= 0x20
	}
	if c.Exclusive {
		o3 |= 0x08
	}
	if c.DChannel {
		o3 |= 0x04
	}
	return append([]byte{o3}, c.Rest...), nil
}

// UnmarshalContents decodes the contents.
func (c *ChannelIdentification) UnmarshalContents(b []byte) error {
	if len(b) < 1 {
		return syntaxErr(0, "empty channel identification")
	}
	if b[0]&0x80 == 0 {
		return structuralErr("channel identification octet 3: extension octets")
	}
	if b[0]&0x10 != 0 {
		return syntaxErr(0, "channel identification spare bit set")
	}
	v := ChannelIdentification{
		InterfaceIDPresent: b[0]&0x40 != 0,
		PrimaryRate:        b[0]&0x20 != 0,
		Exclusive:          b[0]&0x08 != 0,
		DChannel:           b[0]&0x04 != 0,
		Selection:          b[0] & 3,
	}
	if len(b) > 1 {
		v.Rest = b[1:]
	}
	*c = v
	return nil
}

// DateTime is the date/time element (§4.6.1): year (two digits), month,
// day, then optionally hour, minute and second, one binary octet each.
type DateTime struct {
	Year   uint8 `json:"year"`
	Month  uint8 `json:"month"`
	Day    uint8 `json:"day"`
	Hour   uint8 `json:"hour"`
	Minute uint8 `json:"minute"`
	Second uint8 `json:"second"`
	// Octets is how many of the six fields are present (3 to 6).
	Octets int `json:"octets"`
}

// ElementID implements Element.
func (DateTime) ElementID() ElementID { return IDDateTime }

// MarshalContents implements Element.
func (d DateTime) MarshalContents() ([]byte, error) {
	if d.Octets < 3 || d.Octets > 6 {
		return nil, fmt.Errorf("%w: date/time with %d octets", errBadField, d.Octets)
	}
	if d.Year > 99 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 ||
		d.Hour > 23 || d.Minute > 59 || d.Second > 59 {
		return nil, fmt.Errorf("%w: date/time %+v", errBadField, d)
	}
	all := []byte{d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second}
	return all[:d.Octets], nil
}

// UnmarshalContents decodes and range-checks the contents.
func (d *DateTime) UnmarshalContents(b []byte) error {
	if len(b) < 3 || len(b) > 6 {
		return syntaxErr(0, "date/time of %d octets, want 3 to 6", len(b))
	}
	var f [6]byte
	copy(f[:], b)
	v := DateTime{Year: f[0], Month: f[1], Day: f[2], Hour: f[3], Minute: f[4], Second: f[5], Octets: len(b)}
	if _, err := v.MarshalContents(); err != nil {
		return syntaxErr(0, "date/time out of range: % x", b)
	}
	*d = v
	return nil
}
