package gateway

import "testing"

func TestParseUserAgent(t *testing.T) {
	cases := []struct{ ua, vendor, product, version string }{
		{"PolycomRealPresenceGroup/6.2.2.1-600090", "Polycom", "PolycomRealPresenceGroup", "6.2.2.1-600090"},
		{"TANDBERG/257 (TE4.1.1.273710)", "Tandberg", "257", "TE4.1.1.273710"},
		{"Cisco/CE-9.15.3", "Cisco", "Cisco", "CE-9.15.3"},
		{"baresip v1.0.0 (x86_64/linux)", "baresip", "baresip", "1.0.0"},
		{"TANDBERG/257", "Tandberg", "257", ""},
		{"Lifesize Icon 600 10.17.1", "LifeSize", "Lifesize Icon 600", "10.17.1"},
		{"HUAWEI TE30 V600R019", "Huawei", "HUAWEI TE30 V600R019", ""},
		{"", "", "", ""},
	}
	for _, tc := range cases {
		e := ParseUserAgent(tc.ua)
		if e.Vendor != tc.vendor || e.Product != tc.product || e.Version != tc.version {
			t.Errorf("ParseUserAgent(%q) = %+v, want %s/%s/%s", tc.ua, e, tc.vendor, tc.product, tc.version)
		}
	}
}
