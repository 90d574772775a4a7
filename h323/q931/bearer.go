package q931

import "fmt"

// Bearer capability contents (Q.931 §4.5.5, Figure 4-11):
//
//	octet 3   | 1 | coding std (2) | information transfer capability (5) |
//	octet 4   | 1 | transfer mode (2) | information transfer rate (5)    |
//	octet 4.1 | 1 | rate multiplier (7)          (only when rate = 11000) |
//	octet 5   |ext| 0 1 | user information layer 1 protocol (5)         |
//	octets 5a.., 6, 7 ...

// Information transfer capabilities (octet 3).
const (
	CapabilitySpeech              = 0x00
	CapabilityUnrestrictedDigital = 0x08
	CapabilityRestrictedDigital   = 0x09
	CapabilityAudio3k1            = 0x10
	CapabilityDigitalWithTones    = 0x11
	CapabilityVideo               = 0x18
)

// Transfer modes and rates (octet 4).
const (
	TransferModeCircuit = 0x0
	TransferModePacket  = 0x2
	TransferRatePacket  = 0x00
	TransferRate64k     = 0x10
	TransferRate2x64k   = 0x11
	TransferRate384k    = 0x13
	TransferRate1536k   = 0x15
	TransferRate1920k   = 0x17
	TransferRateMulti   = 0x18
)

// User information layer 1 protocols (octet 5).
const (
	Layer1V110    = 0x01
	Layer1G711Mu  = 0x02
	Layer1G711A   = 0x03
	Layer1G721    = 0x04
	Layer1H221    = 0x05
	Layer1H223    = 0x06
	Layer1NonCCIT = 0x07
	Layer1V120    = 0x08
	Layer1X31     = 0x09
)

// BearerCapability is the bearer capability element. H.225.0 §7.2.2.2
// fills it from the call's media (e.g. unrestricted digital, H.221).
type BearerCapability struct {
	CodingStandard        uint8 `json:"codingStandard"`
	InformationCapability uint8 `json:"informationTransferCapability"`
	TransferMode          uint8 `json:"transferMode"`
	InformationRate       uint8 `json:"informationTransferRate"`
	RateMultiplier        uint8 `json:"rateMultiplier,omitempty"`
	Layer1Protocol        uint8 `json:"layer1Protocol,omitempty"`
	Layer1Extended        bool  `json:"layer1Extended,omitempty"`
	// Rest holds octets 5a.. and 6, 7 verbatim.
	Rest Octets `json:"rest,omitempty"`
}

// ElementID implements Element.
func (BearerCapability) ElementID() ElementID { return IDBearerCapability }

// MarshalContents implements Element.
func (b BearerCapability) MarshalContents() ([]byte, error) {
	if b.CodingStandard > 3 || b.InformationCapability > 0x1F || b.TransferMode > 3 ||
		b.InformationRate > 0x1F || b.RateMultiplier > 0x7F || b.Layer1Protocol > 0x1F {
		return nil, fmt.Errorf("%w: bearer capability %+v", errBadField, b)
	}
	if b.Layer1Protocol == 0 && (b.Layer1Extended || (len(b.Rest) > 0 && b.Rest[0]&0x60 == 0x20)) {
		// Rest would read back as a layer 1 octet 5.
		return nil, fmt.Errorf("%w: bearer capability Rest looks like octet 5", errBadField)
	}
	out := []byte{
		0x80 | b.CodingStandard<<5 | b.InformationCapability,
		0x80 | b.TransferMode<<5 | b.InformationRate,
	}
	if b.InformationRate == TransferRateMulti {
		out = append(out, 0x80|b.RateMultiplier)
	}
	if b.Layer1Protocol != 0 {
		o5 := byte(0x20 | b.Layer1Protocol)
		if !b.Layer1Extended {
			o5 |= 0x80
		}
		out = append(out, o5)
	}
	return append(out, b.Rest...), nil
}

// UnmarshalContents decodes the contents. Octets after octet 5 (or after
// octet 4 when octet 5 is absent) are kept verbatim in Rest.
func (b *BearerCapability) UnmarshalContents(c []byte) error {
	if len(c) < 2 {
		return syntaxErr(0, "bearer capability of %d octets, need 2", len(c))
	}
	if c[0]&0x80 == 0 || c[1]&0x80 == 0 {
		return structuralErr("bearer capability octet 3a/4a: extension octets")
	}
	v := BearerCapability{
		CodingStandard:        c[0] >> 5 & 3,
		InformationCapability: c[0] & 0x1F,
		TransferMode:          c[1] >> 5 & 3,
		InformationRate:       c[1] & 0x1F,
	}
	off := 2
	if v.InformationRate == TransferRateMulti {
		if len(c) < 3 || c[2]&0x80 == 0 {
			return syntaxErr(2, "bearer capability: rate multiplier missing")
		}
		v.RateMultiplier = c[2] & 0x7F
		off = 3
	}
	switch {
	case off == len(c):
	case c[off]&0x60 == 0x20: // layer identification 01: octet 5
		if c[off]&0x1F == 0 {
			return syntaxErr(off, "bearer capability: layer 1 protocol 0 is reserved")
		}
		v.Layer1Protocol = c[off] & 0x1F
		v.Layer1Extended = c[off]&0x80 == 0
		if off+1 < len(c) {
			v.Rest = c[off+1:]
		}
	default: // octet 6 or 7 (layers 2, 3) without octet 5
		v.Rest = c[off:]
	}
	*b = v
	return nil
}
