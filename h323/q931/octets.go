package q931

import (
	"encoding/hex"
	"encoding/json"
)

// Octets is an opaque octet string inside an element. It is a []byte that
// reads and writes as a hex string in JSON, as decoders print it.
type Octets []byte

// MarshalJSON implements json.Marshaler.
func (o Octets) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(o)) }

// UnmarshalJSON implements json.Unmarshaler.
func (o *Octets) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*o = v
	return nil
}
