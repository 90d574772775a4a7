package gateway

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/q931"
)

// Every neutral refusal has its Q.931 cause and H.225.0 ReleaseCompleteReason.
func TestH323Cause(t *testing.T) {
	cases := []struct {
		r      call.Refusal
		cause  q931.CauseValue
		reason string // ASN.1 name; "" when the cause says it all
	}{
		{call.NotFound, 1, "calledPartyNotRegistered"},
		{call.Locked, 21, "destinationRejection"},
		{call.NotAdmitted, 21, "destinationRejection"},
		{call.WrongPassword, 21, "securityDenied"},
		{call.RateLimited, 21, "securityDenied"},
		{call.NoMediaPorts, 47, "gatewayResources"},
		{call.NotAcceptable, 88, ""},
		{call.Busy, 17, "adaptiveBusy"},
		{call.Unavailable, 41, "unreachableDestination"},
		{call.Internal, 41, ""},
	}
	for _, tc := range cases {
		t.Run(tc.r.String(), func(t *testing.T) {
			cause, reason := h323Cause(tc.r)
			if cause != tc.cause || h323.ReasonName(reason) != tc.reason {
				t.Errorf("h323Cause(%v) = %d %q, want %d %q", tc.r, cause, h323.ReasonName(reason), tc.cause, tc.reason)
			}
		})
	}
}

// An H.323 endpoint is named from its productId and versionId, the vendor from the
// product name or the T.35 codes.
func TestH323Endpoint(t *testing.T) {
	cases := []struct {
		name string
		v    h323.Vendor
		has  bool
		want call.Identity
	}{
		{"polycom", h323.Vendor{CountryCode: 181, Manufacturer: 0x2331, Product: "Polycom HDX 8000 HD", Version: "Release 3.1.0"}, true,
			call.Identity{Vendor: "Polycom", Product: "Polycom HDX 8000 HD", Version: "Release 3.1.0"}},
		{"t35 only", h323.Vendor{CountryCode: 181, Manufacturer: 0x2331, Product: "VSX 7000", Version: "8.5"}, true,
			call.Identity{Vendor: "Polycom", Product: "VSX 7000", Version: "8.5"}},
		{"tandberg", h323.Vendor{CountryCode: 130, Manufacturer: 1, Product: "TANDBERG 6000 MXP", Version: "F9.3"}, true,
			call.Identity{Vendor: "Tandberg", Product: "TANDBERG 6000 MXP", Version: "F9.3"}},
		{"unknown", h323.Vendor{CountryCode: 9, Manufacturer: 61, Product: "Callgen323 pogacsam", Version: "0.9alpha4"}, true,
			call.Identity{Product: "Callgen323 pogacsam", Version: "0.9alpha4"}},
		{"no vendor", h323.Vendor{}, false, call.Identity{}},
		{"bad utf-8, control characters, long", h323.Vendor{Product: "\xffX\x00\n", Version: strings.Repeat("9", 40)}, true,
			call.Identity{Product: "X", Version: strings.Repeat("9", 32)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := h323Endpoint(tc.v, tc.has); got != tc.want {
				t.Errorf("h323Endpoint = %+v, want %+v", got, tc.want)
			}
		})
	}
}
