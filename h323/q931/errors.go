package q931

import (
	"errors"
	"fmt"
)

// ErrAbsent is returned by the typed accessors of Message when the message
// does not carry the requested information element.
var ErrAbsent = errors.New("q931: information element absent")

var (
	errContentsTooLong = errors.New("q931: information element contents too long")
	errBadCallRefLen   = errors.New("q931: call reference length must be 0, 1 or 2")
	errCallRefValue    = errors.New("q931: call reference value does not fit its length")
	errBadMessageType  = errors.New("q931: message type must have bit 8 clear")
	errBadField        = errors.New("q931: field out of range")
)

// SyntaxError reports octets that are not a valid Q.931 message or element:
// the input is wrong, not our types.
type SyntaxError struct {
	// Offset is the octet offset of the problem in the input.
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("q931: syntax error at octet %d: %s", e.Offset, e.Msg)
}

// StructuralError reports a valid encoding that this package does not
// model (extension octets of old Q.931 editions, for instance): our types
// are short, not the input. The element is still kept verbatim in the
// message and re-encodes byte for byte.
type StructuralError struct {
	Msg string
}

func (e *StructuralError) Error() string { return "q931: unsupported: " + e.Msg }

func structuralErr(format string, args ...any) error {
	return &StructuralError{Msg: fmt.Sprintf(format, args...)}
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}
