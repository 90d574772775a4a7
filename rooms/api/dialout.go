package api

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// CallState is the state of a room-system call as the API shows it.
type CallState string

// Call states (docs/api.md).
const (
	CallCalling   CallState = "calling"
	CallRinging   CallState = "ringing"
	CallConnected CallState = "connected"
	CallBusy      CallState = "busy"
	CallDeclined  CallState = "declined"
	CallNoAnswer  CallState = "no_answer"
	CallFailed    CallState = "failed"
	CallEnded     CallState = "ended"
)

// CallInfo describes one room-system call.
type CallInfo struct {
	ID          string    `json:"id"`
	MeetingID   string    `json:"meeting_id"`
	Direction   string    `json:"direction"` // in | out
	Protocol    string    `json:"protocol"`  // sip | h323
	Address     string    `json:"address"`
	DisplayName string    `json:"display_name"`
	State       CallState `json:"state"`
	Status      int       `json:"status,omitempty"` // final SIP status or Q.931 cause
	Reason      string    `json:"reason,omitempty"`
	Identity    string    `json:"identity,omitempty"` // participant identity in the meeting
	// Vendor and Product name the room system (from its signalling), Codecs the
	// negotiated media (one per stream).
	Vendor     string     `json:"vendor,omitempty"`
	Product    string     `json:"product,omitempty"`
	Codecs     []string   `json:"codecs,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
}

// DialRequest is the body of POST /meetings/{id}/dialout.
type DialRequest struct {
	Protocol    string `json:"protocol"`
	Address     string `json:"address"`
	DisplayName string `json:"display_name"`
}

// Calls is the gateway's room-system call control, as the API needs it.
type Calls interface {
	DialOut(ctx context.Context, meetingID string, req DialRequest) (CallInfo, error)
	Call(id string) (CallInfo, bool)
	Hangup(ctx context.Context, id string) error
}

// ErrUnsupported is returned by Calls for a protocol that is not enabled.
var ErrUnsupported = errors.New("protocol not enabled on this gateway")

func (s *Server) handleDialOut(w http.ResponseWriter, r *http.Request) {
	m, _, err := s.requireHost(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req DialRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Protocol == "" {
		req.Protocol = "sip"
	}
	if req.Address == "" {
		s.writeError(w, r, errorf(http.StatusBadRequest, "bad_request", "address is required"))
		return
	}
	if s.Calls == nil {
		s.writeError(w, r, errorf(http.StatusNotImplemented, "unsupported", "dial-out is not enabled on this gateway"))
		return
	}
	ci, err := s.Calls.DialOut(r.Context(), m.ID, req)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			s.writeError(w, r, &apiError{Status: http.StatusNotImplemented, Code: "unsupported", Message: err.Error(), Err: err})
			return
		}
		s.writeError(w, r, &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: err.Error(), Err: err})
		return
	}
	s.log.Info("dial-out", "meeting", m.ID, "call_id", ci.ID, "protocol", req.Protocol, "address", req.Address)
	writeJSON(w, http.StatusAccepted, ci)
}

// callFor loads a call and checks the caller is host of its meeting.
func (s *Server) callFor(r *http.Request) (CallInfo, error) {
	if s.Calls == nil {
		return CallInfo{}, errorf(http.StatusNotFound, "not_found", "no such call")
	}
	ci, ok := s.Calls.Call(r.PathValue("call_id"))
	if !ok {
		return ci, errorf(http.StatusNotFound, "not_found", "no such call")
	}
	m, err := s.meeting(r.Context(), ci.MeetingID)
	if err != nil {
		// The meeting was deleted; only the operator may still look.
		if !s.identify(r, nil).Operator {
			return ci, errUnauthorized
		}
		return ci, nil
	}
	c := s.identify(r, &m)
	if !c.Operator && !c.HostKey && c.Session == nil {
		return ci, errUnauthorized
	}
	if !s.isHost(c, m.ID) {
		return ci, errForbidden
	}
	return ci, nil
}

func (s *Server) handleGetCall(w http.ResponseWriter, r *http.Request) {
	ci, err := s.callFor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ci)
}

func (s *Server) handleHangupCall(w http.ResponseWriter, r *http.Request) {
	ci, err := s.callFor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Calls.Hangup(r.Context(), ci.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// EndedCall is a room-system call's final record, handed to whoever keeps call detail
// records and metrics when the call ends (or is refused before it started).
type EndedCall struct {
	CallInfo
	// Network is the call's last network diagnostics (nil: it had no media).
	Network *Network
	// Refusal is why the gateway refused the call before answering ("" when it did not).
	Refusal string
}

// ActiveCall is a live room-system call with its network diagnostics (the operator's
// live-calls list).
type ActiveCall struct {
	CallInfo
	Network *Network `json:"network,omitempty"`
}

// CallLister lists the live calls; Calls implementations that can, implement it.
type CallLister interface {
	ActiveCalls() []ActiveCall
}
