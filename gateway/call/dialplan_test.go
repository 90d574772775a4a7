package call

import "testing"

func TestDialPlan(t *testing.T) {
	dp := DialPlan{IVRUsers: []string{"ivr", "meet"}}
	cases := []struct {
		name    string
		req, to string
		dp      *DialPlan
		id, pin string
	}{
		{name: "bare id", req: "123456789", id: "123456789"},
		{name: "11 digits", req: "12345678901", id: "12345678901"},
		{name: "dot pin", req: "123456789.654321", id: "123456789", pin: "654321"},
		{name: "star pin", req: "1234567890*000123", id: "1234567890", pin: "000123"},
		{name: "hash pin", req: "1234567890#654321", id: "1234567890", pin: "654321"},
		{name: "escaped hash pin", req: "1234567890%23654321", id: "1234567890", pin: "654321"},
		{name: "trailing hash", req: "1234567890#654321#", id: "1234567890", pin: "654321"},
		{name: "h323 style leading hashes", req: "##1234567890#654321", id: "1234567890", pin: "654321"},
		{name: "too short goes to ivr", req: "12345678"},
		{name: "too long goes to ivr", req: "123456789012"},
		{name: "leading zero goes to ivr", req: "0123456789"},
		{name: "letters go to ivr", req: "room1"},
		{name: "non-digit pin goes to ivr", req: "123456789.abc"},
		{name: "empty user goes to ivr", req: ""},
		{name: "ivr user wins over to", req: "ivr", to: "123456789"},
		{name: "to header fallback", req: "gateway", to: "987654321.111111", id: "987654321", pin: "111111"},
		{name: "default meeting", req: "gateway", dp: &DialPlan{DefaultMeeting: "555555555"}, id: "555555555"},
		{name: "request uri beats default", req: "123456789", dp: &DialPlan{DefaultMeeting: "555555555"}, id: "123456789"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := dp
			if tc.dp != nil {
				plan = *tc.dp
			}
			got := plan.Resolve(tc.req, tc.to)
			if got.MeetingID != tc.id || got.PIN != tc.pin {
				t.Fatalf("Resolve(%q, %q) = %+v, want id %q pin %q", tc.req, tc.to, got, tc.id, tc.pin)
			}
		})
	}
}

func FuzzDialPlan(f *testing.F) {
	for _, s := range []string{"123456789", "123456789.654321", "%23%23", "##1#2#", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, user string) {
		got := DialPlan{}.Resolve(user, "")
		if got.MeetingID != "" && (len(got.MeetingID) < 9 || len(got.MeetingID) > 11 || !digits(got.MeetingID)) {
			t.Fatalf("invalid meeting id %q from %q", got.MeetingID, user)
		}
		if got.PIN != "" && !digits(got.PIN) {
			t.Fatalf("invalid pin %q from %q", got.PIN, user)
		}
	})
}

func TestDialTarget(t *testing.T) {
	for in, want := range map[string]string{
		"sip:room@192.168.1.20":                    "192.168.1.20:0",
		"sip:room@192.168.1.20:5070;transport=udp": "192.168.1.20:5070",
		"SIPS:10.0.0.1:5061":                       "10.0.0.1:5061",
		"sip:[2001:db8::5]:5060":                   "[2001:db8::5]:5060",
		"sip:room@[2001:db8::5]":                   "[2001:db8::5]:0",
		"198.51.100.4##1234":                       "198.51.100.4:0",
		"198.51.100.4:1721":                        "198.51.100.4:1721",
		"sip:room@rooms.example.net":               "invalid AddrPort",
		"":                                         "invalid AddrPort",
		"sip:@;;>>":                                "invalid AddrPort",
	} {
		if got := dialTarget(in).String(); got != want {
			t.Errorf("dialTarget(%q) = %s, want %s", in, got, want)
		}
	}
}
