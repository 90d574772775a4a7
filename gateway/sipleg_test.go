package gateway

import (
	"testing"

	"github.com/roomgate/roomgate/gateway/call"
)

// Every neutral refusal has its SIP status and reason phrase.
func TestSIPStatus(t *testing.T) {
	cases := []struct {
		r      call.Refusal
		status int
		phrase string
	}{
		{call.NotFound, 404, "Meeting Not Found"},
		{call.Locked, 403, "Meeting Locked"},
		{call.WrongPassword, 403, "Wrong Password"},
		{call.RateLimited, 403, "Too Many Wrong Passwords"},
		{call.NoMediaPorts, 503, "No Media Ports Available"},
		{call.NotAcceptable, 488, "Not Acceptable Here"},
		{call.NotAdmitted, 403, "Not Admitted"},
		{call.Unavailable, 503, "Service Unavailable"},
		{call.Busy, 503, "Service Unavailable"},
		{call.Internal, 500, "Server Error"},
	}
	for _, tc := range cases {
		t.Run(tc.r.String(), func(t *testing.T) {
			if st, ph := sipStatus(tc.r); st != tc.status || ph != tc.phrase {
				t.Errorf("sipStatus(%v) = %d %q, want %d %q", tc.r, st, ph, tc.status, tc.phrase)
			}
		})
	}
}
