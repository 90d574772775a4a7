package decodecmd

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// Protocols printed in the "protocol" field.
const (
	protoQ931 = "q931"
	protoRAS  = "h225ras"
	protoH245 = "h245"
	protoTPKT = "tpkt" // framing errors only
)

// undecoded is the message name printed when no decoder is registered.
const undecoded = "undecoded"

// record is one output line.
type record struct {
	Frame     int    `json:"frame"`
	Protocol  string `json:"protocol"`
	Message   string `json:"message,omitempty"`
	Via       string `json:"via,omitempty"`
	Src       string `json:"src"`
	Dst       string `json:"dst"`
	Body      any    `json:"body,omitempty"`
	Error     string `json:"error,omitempty"`
	Roundtrip *bool  `json:"roundtrip,omitempty"`
}

// hexBody is the body of a payload that was not decoded.
type hexBody struct {
	Hex string `json:"hex"`
}

// writer prints records as JSON lines and keeps the tally.
type writer struct {
	enc       *json.Encoder
	roundtrip bool
	messages  int
	failures  int
}

func newWriter(w io.Writer, roundtrip bool) *writer {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &writer{enc: enc, roundtrip: roundtrip}
}

// emit prints r. ok is the round-trip verdict; checked is false when
// nothing was decoded, so there was nothing to re-encode (the record then
// carries no roundtrip field and does not count as a failure).
func (w *writer) emit(r record, checked, ok bool) error {
	w.messages++
	if r.Error != "" {
		ok, checked = false, true
	}
	if checked && !ok {
		w.failures++
	}
	if w.roundtrip && checked {
		r.Roundtrip = &ok
	}
	if err := w.enc.Encode(r); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// decodePDU runs an optional DecodeFunc on b and fills r. It returns the
// round-trip verdict and whether a decoder ran.
func decodePDU(r *record, f DecodeFunc, b []byte) (checked, ok bool) {
	if f == nil {
		r.Message = undecoded
		r.Body = hexBody{hex.EncodeToString(b)}
		return false, false
	}
	name, body, reencode, err := f(b)
	if err != nil {
		r.Message = name
		r.Body = hexBody{hex.EncodeToString(b)}
		r.Error = err.Error()
		return true, false
	}
	r.Message, r.Body = name, body
	return true, sameEncoding(reencode, b, r)
}

// sameEncoding reports whether reencode reproduces want; a failure to
// re-encode is recorded in r.
func sameEncoding(reencode func() ([]byte, error), want []byte, r *record) bool {
	if reencode == nil {
		return false
	}
	got, err := reencode()
	if err != nil {
		r.Error = fmt.Sprintf("re-encode: %v", err)
		return false
	}
	return bytes.Equal(got, want)
}
