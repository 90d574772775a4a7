package decodecmd

import (
	"encoding/hex"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/h323/q931"
)

// q931Body is the JSON view of a Q.931 message.
type q931Body struct {
	CallReference   q931.CallReference `json:"callReference"`
	MessageType     string             `json:"messageType"`
	MessageTypeName string             `json:"messageTypeName"`
	Elements        []elementView      `json:"elements"`
	UserInformation any                `json:"h323UserInformation,omitempty"`
}

// elementView is the JSON view of one information element.
type elementView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Codeset uint8  `json:"codeset,omitempty"`
	Value   any    `json:"value,omitempty"`
	Hex     string `json:"hex,omitempty"`
	Error   string `json:"error,omitempty"`
}

// causeView adds the Q.850 name to a cause.
type causeView struct {
	q931.Cause
	CauseName string `json:"causeName"`
}

// lowerFirst turns a Go name into the ASN.1 spelling ("CallProceeding" →
// "callProceeding"), so that Q.931 names match the H.225.0 UUIE names.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// viewQ931 builds the JSON view of m; it reports the first element that
// failed to decode.
func viewQ931(m *q931.Message) (q931Body, error) {
	b := q931Body{
		CallReference:   m.CallRef,
		MessageType:     fmt.Sprintf("%#02x", uint8(m.Type)),
		MessageTypeName: m.Type.String(),
		Elements:        make([]elementView, 0, len(m.IEs)),
	}
	var firstErr error
	for _, ie := range m.IEs {
		v := elementView{ID: fmt.Sprintf("%#02x", uint8(ie.ID)), Codeset: ie.Codeset}
		if ie.Codeset == 0 || ie.SingleOctet() {
			v.Name = ie.ID.Name()
		} else {
			v.Name = fmt.Sprintf("codeset%d-%#02x", ie.Codeset, uint8(ie.ID))
		}
		e, known, err := q931.DecodeElement(ie)
		switch {
		case err != nil:
			v.Error = err.Error()
			v.Hex = hex.EncodeToString(ie.Contents)
			if firstErr == nil {
				firstErr = err
			}
		case known:
			if c, ok := e.(*q931.Cause); ok {
				v.Value = causeView{*c, c.Value.String()}
			} else {
				v.Value = e
			}
		case !ie.SingleOctet():
			v.Hex = hex.EncodeToString(ie.Contents)
		}
		b.Elements = append(b.Elements, v)
	}
	return b, firstErr
}
