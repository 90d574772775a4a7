package ras

import (
	"strings"

	"github.com/roomgate/roomgate/h323/h225"
)

// endpointType names the kind of an EndpointType (H.225.0 §7.6): the most
// specific of its alternatives.
func endpointType(t *h225.EndpointType) string {
	switch {
	case t.Mcu != nil:
		return "mcu"
	case t.Gateway != nil:
		return "gateway"
	case t.Gatekeeper != nil:
		return "gatekeeper"
	case t.Terminal != nil:
		return "terminal"
	}
	return "unknown"
}

// maxVendorText caps productId and versionId (ASN.1 SIZE (1..256)).
const maxVendorText = 256

func vendorOf(v *h225.VendorIdentifier) Vendor {
	return Vendor{
		T35CountryCode:   int(v.Vendor.T35CountryCode),
		T35Extension:     int(v.Vendor.T35Extension),
		ManufacturerCode: int(v.Vendor.ManufacturerCode),
		Product:          printable(v.ProductId),
		Version:          printable(v.VersionId),
	}
}

// printable keeps the printable ASCII of b: vendors pad with NULs and some
// put control characters in these octet strings.
func printable(b []byte) string {
	if len(b) > maxVendorText {
		b = b[:maxVendorText]
	}
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			s.WriteByte(c)
		}
	}
	return strings.TrimSpace(s.String())
}
