package api

import (
	"slices"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/rooms/directory"
)

func TestInvitation(t *testing.T) {
	s := &Server{Options: Options{PublicHost: "gw.example.net", PublicURL: "https://meet.example.net",
		Legs: Legs{SIP: "gw.example.net", H323: "gw.example.net"}}}
	cases := []struct {
		name        string
		m           directory.Meeting
		secrets     bool
		wantSIP     []string
		wantH323    []string
		wantInText  []string
		notInText   []string
		wantHWField string
	}{
		{
			name: "no password", m: directory.Meeting{ID: "123456789", Topic: "Standup"}, secrets: true,
			wantSIP: []string{"123456789@gw.example.net"}, wantH323: []string{"gw.example.net##123456789", "123456789"},
			wantInText: []string{"Standup", "https://meet.example.net/m/123456789", "Meeting ID: 123456789"},
			notInText:  []string{"Password"},
		},
		{
			name: "password, host view", m: directory.Meeting{ID: "1234567890", Password: "tiger", HardwarePassword: "654321"}, secrets: true,
			wantSIP:     []string{"1234567890@gw.example.net", "1234567890.654321@gw.example.net"},
			wantH323:    []string{"gw.example.net##1234567890#654321", "1234567890"},
			wantInText:  []string{"Password: tiger", "Room system password: 654321", "Meeting 1234567890"},
			wantHWField: "654321",
		},
		{
			name: "password, anonymous view", m: directory.Meeting{ID: "1234567890", Password: "tiger", HardwarePassword: "654321"}, secrets: false,
			wantSIP:   []string{"1234567890@gw.example.net"},
			wantH323:  []string{"gw.example.net##1234567890", "1234567890"},
			notInText: []string{"tiger", "654321"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := s.invitation(tc.m, tc.secrets)
			checkInvitation(t, inv, tc.wantSIP, tc.wantH323, tc.wantHWField, tc.wantInText, tc.notInText)
		})
	}
}

// The invitation names only the enabled legs, at the port room systems reach.
func TestInvitationEnabledLegs(t *testing.T) {
	m := directory.Meeting{ID: "1234567890", Password: "tiger", HardwarePassword: "654321"}
	for _, tc := range []struct {
		name      string
		legs      Legs
		sip, h323 []string
		in, notIn []string
	}{
		{"SIP only, other port", Legs{SIP: "gw.example.net:5070"},
			[]string{"1234567890@gw.example.net:5070", "1234567890.654321@gw.example.net:5070"}, []string{},
			[]string{"SIP:", "1234567890@gw.example.net:5070"}, []string{"H.323"}},
		{"H.323 only", Legs{H323: "gw.example.net"}, []string{}, []string{"gw.example.net##1234567890#654321", "1234567890"},
			[]string{"H.323:", "gw.example.net##1234567890#654321"}, []string{"SIP"}},
		{"no leg", Legs{}, []string{}, []string{}, []string{"https://meet.example.net/m/1234567890"}, []string{"SIP", "H.323", "room system"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{Options: Options{PublicHost: "gw.example.net", PublicURL: "https://meet.example.net", Legs: tc.legs}}
			inv := s.invitation(m, true)
			checkInvitation(t, inv, tc.sip, tc.h323, "654321", tc.in, tc.notIn)
		})
	}
}

func checkInvitation(t *testing.T, inv Invitation, wantSIP, wantH323 []string, wantHW string, in, notIn []string) {
	t.Helper()
	if !slices.Equal(inv.SIP, wantSIP) {
		t.Errorf("SIP = %q, want %q", inv.SIP, wantSIP)
	}
	if !slices.Equal(inv.H323, wantH323) {
		t.Errorf("H323 = %q, want %q", inv.H323, wantH323)
	}
	if inv.HardwarePassword != wantHW {
		t.Errorf("hardware_password = %q, want %q", inv.HardwarePassword, wantHW)
	}
	for _, w := range in {
		if !strings.Contains(inv.Text, w) {
			t.Errorf("text lacks %q:\n%s", w, inv.Text)
		}
	}
	for _, w := range notIn {
		if strings.Contains(inv.Text, w) {
			t.Errorf("text must not contain %q:\n%s", w, inv.Text)
		}
	}
}

func TestCleanName(t *testing.T) {
	cases := map[string]string{
		"  Ann  ":                  "Ann",
		"":                         "Guest",
		"a\x00b\nc":                "abc",
		strings.Repeat("é", 70):    strings.Repeat("é", 64),
		"Polycom Group 500 (Room)": "Polycom Group 500 (Room)",
	}
	for in, want := range cases {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSources(t *testing.T) {
	open := directory.Meeting{}
	locked := directory.Meeting{Settings: directory.Settings{ShareHostOnly: true}}
	cases := []struct {
		name       string
		m          directory.Meeting
		host, mute bool
		want       []string
	}{
		{"guest, sharing open", open, false, false, []string{"camera", "microphone", "screen_share", "screen_share_audio"}},
		{"guest, sharing host only", locked, false, false, []string{"camera", "microphone"}},
		{"host, sharing host only", locked, true, false, []string{"camera", "microphone", "screen_share", "screen_share_audio"}},
		{"guest, mic revoked", open, false, true, []string{"camera", "screen_share", "screen_share_audio"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sources(tc.m, tc.host, tc.mute); !slices.Equal(got, tc.want) {
				t.Fatalf("sources = %v, want %v", got, tc.want)
			}
			if got := permission(tc.m, tc.host, tc.mute); len(got.CanPublishSources) != len(tc.want) {
				t.Fatalf("permission has %d sources, want %d", len(got.CanPublishSources), len(tc.want))
			}
		})
	}
}
