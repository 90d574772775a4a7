package api

import (
	"net/http"
	"time"
)

// Registration is a room system registered with the gateway's H.323 gatekeeper.
type Registration struct {
	EndpointID string    `json:"endpoint_id"`
	Aliases    []string  `json:"aliases"`
	Address    string    `json:"address"` // call signalling address calls go to
	Type       string    `json:"type"`    // terminal, gateway, mcu…
	Vendor     string    `json:"vendor,omitempty"`
	Product    string    `json:"product,omitempty"`
	Version    string    `json:"version,omitempty"`
	Registered time.Time `json:"registered_at"`
	Expires    time.Time `json:"expires_at"`
}

// Registrations lists the gatekeeper's registrations; Calls implement it when the
// gateway runs a gatekeeper.
type Registrations interface {
	Registrations() []Registration
}

// handleRegistrations answers GET /api/v1/h323/registrations (operators only).
func (s *Server) handleRegistrations(w http.ResponseWriter, r *http.Request) {
	if !s.identify(r, nil).Operator {
		s.writeError(w, r, errUnauthorized)
		return
	}
	regs := []Registration{}
	if l, ok := s.Calls.(Registrations); ok {
		if got := l.Registrations(); got != nil {
			regs = got
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"registrations": regs})
}
