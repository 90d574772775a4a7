package decodecmd

import (
	"encoding/json"
	"sync/atomic"
)

// DecodeFunc decodes one PER-encoded PDU. It returns the ASN.1 name of the
// message (the alternative chosen, e.g. "setup", "registrationRequest",
// "terminalCapabilitySet"), a JSON-marshalable body, and a function that
// re-encodes the decoded value so that the decoder can check the round
// trip against b.
type DecodeFunc func(b []byte) (name string, body any, reencode func() ([]byte, error), err error)

// Embedded is a message carried inside a decoded H323-UserInformation:
// an H.245 message tunnelled in h245Control, or a fastStart
// OpenLogicalChannel. It is printed as a message of its own, with the
// frame number of the Q.931 message that carries it.
type Embedded struct {
	// Protocol is the protocol printed, normally "h245".
	Protocol string
	// Via says where it was found: "h245Control" or "fastStart".
	Via string
	// Raw is the octet string as carried, compared with Reencode's output.
	Raw []byte
	// Name, Body and Reencode are as returned by a DecodeFunc; Err is set
	// instead when the octets do not decode.
	Name     string
	Body     any
	Reencode func() ([]byte, error)
	Err      error
}

// Decoders plugs the ASN.1 body decoders into the capture decoder. Every
// field may be nil: without UserInfo the Q.931 layer is printed with the
// user-user contents as hex; without RAS or H245 the payload is printed as
// hex with message "undecoded".
type Decoders struct {
	// UserInfo decodes the H323-UserInformation in the Q.931 user-user
	// element (the octets after the protocol discriminator 0x05). The name
	// is the h323-message-body alternative, e.g. "setup", "connect".
	UserInfo DecodeFunc
	// RAS decodes a RasMessage (UDP 1718/1719).
	RAS DecodeFunc
	// H245 decodes a MultimediaSystemControlMessage (one per TPKT on a
	// separate H.245 channel).
	H245 DecodeFunc
	// Embedded lists the tunnelled H.245 messages and fastStart elements
	// of a body returned by UserInfo, decoded.
	Embedded func(userInfo any) []Embedded
}

// registered holds the Decoders set by Register; it is the package's only
// global, written once at program start.
var registered atomic.Pointer[Decoders]

// Register replaces the Decoders that Main uses (Default until then), e.g.
// to plug in decoders of a newer ASN.1 version. A later call replaces the
// earlier value. Tests should call Run with explicit Decoders instead.
func Register(d Decoders) { registered.Store(&d) }

// registeredDecoders returns the Decoders set by Register, or Default.
func registeredDecoders() Decoders {
	if d := registered.Load(); d != nil {
		return *d
	}
	return Default()
}

// ChoiceName returns the alternative name of an ASN.1 CHOICE value whose
// JSON form is {"alternativeName": value}, descending depth levels of
// nested CHOICEs: for an H.245 MultimediaSystemControlMessage depth 2
// gives e.g. "terminalCapabilitySet" (request → terminalCapabilitySet),
// for a RasMessage depth 1 gives "registrationRequest". It returns the
// deepest name found, or "" when v is not a CHOICE. It helps adapters
// fill the name a DecodeFunc returns.
func ChoiceName(v any, depth int) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	name := ""
	for range depth {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil || len(m) != 1 {
			break
		}
		for k, inner := range m {
			name, b = k, inner
		}
	}
	return name
}
