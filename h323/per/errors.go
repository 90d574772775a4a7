package per

import (
	"errors"
	"fmt"
)

// Sentinel causes wrapped by *SyntaxError and encoder errors; test them with
// errors.Is.
var (
	// ErrTruncated: the input ends before the encoding does.
	ErrTruncated = errors.New("per: truncated input")
	// ErrLimit: a length or count exceeds a Decoder limit or what is left.
	ErrLimit = errors.New("per: length exceeds limit")
	// ErrDepth: nesting deeper than the Decoder's MaxDepth.
	ErrDepth = errors.New("per: nesting too deep")
	// ErrRange: a value violates its PER-visible constraint.
	ErrRange = errors.New("per: value outside constraint")
)

// SyntaxError reports input bytes that are not a valid encoding of the
// expected type. Offset is the bit offset in the decoded buffer (for nested
// open types, in the open type's contents).
type SyntaxError struct {
	Offset int    // bit offset where decoding failed
	What   string // what was being decoded
	Err    error  // cause, often ErrTruncated, ErrLimit, ErrDepth or ErrRange
}

func (e *SyntaxError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("per: syntax error at bit %d: %s: %v", e.Offset, e.What, e.Err)
	}
	return fmt.Sprintf("per: syntax error at bit %d: %s", e.Offset, e.What)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// StructuralError reports constraints given by the caller (normally
// generated code) that are inconsistent, such as lb > ub or an empty
// alphabet: the Go type tables are wrong, not the bytes.
type StructuralError struct {
	Msg string
}

func (e *StructuralError) Error() string { return "per: structural error: " + e.Msg }
