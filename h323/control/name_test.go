package control

import (
	"encoding/json"
	"strings"
	"testing"

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

func decoded(t testing.TB, pdu []byte) *h245.MultimediaSystemControlMessage {
	t.Helper()
	var m h245.MultimediaSystemControlMessage
	if err := m.Unmarshal(pdu); err != nil {
		t.Fatal(err)
	}
	return &m
}
