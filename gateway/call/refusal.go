package call

import (
	"errors"
	"fmt"

	"github.com/roomgate/roomgate/rooms/api"
)

// Refusal is why a call is refused or ended, in no protocol's words. Each leg maps
// it to its own: a SIP status and reason phrase, a Q.931 cause with an H.225.0
// ReleaseCompleteReason.
type Refusal int

// Refusals.
const (
	Internal      Refusal = iota // something on our side failed
	NotFound                     // no such meeting
	Locked                       // the meeting is locked
	WrongPassword                // the password or hardware password is wrong
	RateLimited                  // too many wrong passwords from this source
	NoMediaPorts                 // the media port range is exhausted
	NotAcceptable                // no media in common
	NotAdmitted                  // the waiting room did not admit the call
	Unavailable                  // the meeting core cannot be reached
	Busy                         // the gateway is draining or over its call limit
)

var refusalNames = [...]string{
	Internal: "internal error", NotFound: "meeting not found", Locked: "meeting locked",
	WrongPassword: "wrong password", RateLimited: "too many wrong passwords",
	NoMediaPorts: "no media ports", NotAcceptable: "no media in common",
	NotAdmitted: "not admitted", Unavailable: "meeting unavailable", Busy: "busy",
}

func (r Refusal) String() string {
	if r >= 0 && int(r) < len(refusalNames) {
		return refusalNames[r]
	}
	return fmt.Sprintf("refusal(%d)", int(r))
}

// Error is a refusal with what caused it.
type Error struct {
	Refusal Refusal
	Err     error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Refusal.String()
	}
	return e.Refusal.String() + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Refuse wraps err as refusal r.
func Refuse(r Refusal, err error) error { return &Error{Refusal: r, Err: err} }

// RefusalOf classifies an error: a call.Error says itself, the join policy's
// errors map to theirs, anything else is Internal.
func RefusalOf(err error) Refusal {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Refusal
	case errors.Is(err, api.ErrMeetingNotFound):
		return NotFound
	case errors.Is(err, api.ErrLocked):
		return Locked
	case errors.Is(err, api.ErrWrongPassword):
		return WrongPassword
	case errors.Is(err, api.ErrRateLimited):
		return RateLimited
	case errors.Is(err, api.ErrDenied):
		return NotAdmitted
	}
	return Internal
}
