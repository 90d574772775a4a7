package sdp

import (
	"errors"
	"fmt"
)

// SyntaxError reports an SDP body that could not be parsed: the bytes are
// wrong, not our capabilities.
type SyntaxError struct {
	Err error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("sdp: malformed: %v", e.Err) }

// Unwrap returns the underlying parse error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// SIPStatus is the response code for an INVITE carrying this body
// (RFC 3261 §21.4.26, 488 Not Acceptable Here).
func (e *SyntaxError) SIPStatus() int { return 488 }

// NegotiationError reports a well-formed offer or answer that has nothing we
// can use (RFC 3264 §6: no common media).
type NegotiationError struct {
	Reason string
}

func (e *NegotiationError) Error() string { return "sdp: not acceptable: " + e.Reason }

// SIPStatus is the response code for an INVITE carrying this body.
func (e *NegotiationError) SIPStatus() int { return 488 }

// StatusCoder is implemented by errors that know their SIP response code.
type StatusCoder interface {
	SIPStatus() int
}

var (
	_ StatusCoder = (*SyntaxError)(nil)
	_ StatusCoder = (*NegotiationError)(nil)
)

var (
	errTooLarge     = errors.New("body exceeds size limit")
	errTooManyMedia = errors.New("too many m-lines")
	errBadAddress   = errors.New("unusable connection address")
)
