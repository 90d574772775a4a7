package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/roomgate/roomgate/rooms/directory"
)

// apiError is an error with the HTTP status and machine-readable code it maps to.
type apiError struct {
	Status  int
	Code    string
	Message string
	Err     error // cause, for the log; not shown to clients
}

func (e *apiError) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.Err }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	errUnauthorized = errorf(http.StatusUnauthorized, "unauthorized", "a valid credential is required (Authorization: Bearer …)")
	errForbidden    = errorf(http.StatusForbidden, "forbidden", "only the meeting's host may do this")
)

// classify maps lower-layer errors to API errors.
func classify(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, directory.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: err.Error(), Err: err}
	case errors.Is(err, directory.ErrConflict):
		return &apiError{Status: http.StatusConflict, Code: "conflict", Message: err.Error(), Err: err}
	case errors.Is(err, directory.ErrNoPassword):
		return &apiError{Status: http.StatusConflict, Code: "no_password", Message: err.Error(), Err: err}
	case errors.Is(err, directory.ErrInvalid):
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: err.Error(), Err: err}
	default:
		return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Err: err}
	}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", ae.Status, "code", ae.Code, "message", ae.Message}
	if ae.Err != nil && ae.Err.Error() != ae.Message {
		attrs = append(attrs, "err", ae.Err) // the cause, once: not "code: message: cause"
	}
	if ae.Status >= 500 && ae.Status != http.StatusNotImplemented {
		s.log.Error("request failed", attrs...)
	} else {
		// The client's error (4xx), or a feature this gateway does not offer (501).
		s.log.Info("request refused", attrs...)
	}
	var b errorBody
	b.Error.Code, b.Error.Message = ae.Code, ae.Message
	writeJSON(w, ae.Status, b)
}

// decodeBody decodes a JSON request body strictly; an empty body leaves v untouched.
func decodeBody(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: "invalid JSON body: " + err.Error(), Err: err}
	}
	return nil
}
