package bfcp

import (
	"errors"
	"fmt"
)

// ErrorCode is the value of the ERROR-CODE attribute (RFC 8855 §5.2.6).
type ErrorCode uint8

// Error codes of RFC 8855 §5.2.6, Table 5.
const (
	ErrConferenceNotFound   ErrorCode = 1
	ErrUserNotFound         ErrorCode = 2
	ErrUnknownPrimitive     ErrorCode = 3
	ErrUnknownMandatoryAttr ErrorCode = 4
	ErrUnauthorized         ErrorCode = 5
	ErrInvalidFloorID       ErrorCode = 6
	ErrFloorRequestNotFound ErrorCode = 7
	ErrTooManyRequests      ErrorCode = 8
	ErrUseTLS               ErrorCode = 9
	ErrUnparsable           ErrorCode = 10
	ErrUseDTLS              ErrorCode = 11
	ErrUnsupportedVersion   ErrorCode = 12
	ErrIncorrectLength      ErrorCode = 13
	ErrGeneric              ErrorCode = 14
)

// SyntaxError reports bytes that are not a valid BFCP message, with the
// error code a BFCP entity answers them with.
type SyntaxError struct {
	Code ErrorCode
	Msg  string
}

func (e *SyntaxError) Error() string { return "bfcp: " + e.Msg }

func syntaxErr(code ErrorCode, format string, args ...any) error {
	return &SyntaxError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Errors of the encoder and of the transports.
var (
	errAttrTooLong   = errors.New("bfcp: attribute longer than 255 octets")
	errTooLong       = errors.New("bfcp: message longer than the payload length field allows")
	errShortBuffer   = errors.New("bfcp: buffer too short")
	errMessageTooBig = errors.New("bfcp: message exceeds the size limit")
	errClosed        = errors.New("bfcp: closed")
	errTimeout       = errors.New("bfcp: transaction timed out")
)

// CodeOf returns the error code to answer err with: the SyntaxError's code,
// or ErrUnparsable.
func CodeOf(err error) ErrorCode {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Code
	}
	return ErrUnparsable
}
