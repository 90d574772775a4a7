package control

import (
	"encoding/json"
	"strings"

	"github.com/roomgate/roomgate/h323/h245"
)

// jsonName finds the message's alternative name from its JSON, whose
// CHOICEs print as {"alternative": …}: the second key is the message.
func jsonName(m *h245.MultimediaSystemControlMessage) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	var outer map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &outer); err != nil {
		return "", err
	}
	for _, inner := range outer {
		for k := range inner {
			return k, nil
		}
	}
	return strings.TrimSpace(string(b)), nil
}
