package gateway

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323"
)

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
