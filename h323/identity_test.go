package h323

import (
	"net/netip"
	"slices"
	"testing"
)

func TestParseDialString(t *testing.T) {
	tests := []struct {
		in      string
		addr    string
		aliases []Alias
		bad     bool
	}{
		{in: "127.0.0.1", addr: "127.0.0.1:1720"},
		{in: "127.0.0.1:1730", addr: "127.0.0.1:1730"},
		{in: "127.0.0.1##123456", addr: "127.0.0.1:1720", aliases: []Alias{{AliasDialedDigits, "123456"}}},
		{in: "127.0.0.1:1730##room.1", addr: "127.0.0.1:1730", aliases: []Alias{{AliasH323ID, "room.1"}}},
		{in: "[::1]:1720##a@b", addr: "[::1]:1720", aliases: []Alias{{AliasEmail, "a@b"}}},
		{in: "::1", addr: "[::1]:1720"},
		{in: "example.com", bad: true},
		{in: "127.0.0.1##", bad: true},
	}
	for _, tt := range tests {
		ap, as, err := ParseDialString(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: no error", tt.in)
			}
			continue
		}
		if err != nil || ap != netip.MustParseAddrPort(tt.addr) || !slices.Equal(as, tt.aliases) {
			t.Errorf("%q: %v %v %v", tt.in, ap, as, err)
		}
	}
}

func TestParseAlias(t *testing.T) {
	for in, want := range map[string]Alias{
		"123#456":               {AliasDialedDigits, "123#456"},
		"Room 1":                {AliasH323ID, "Room 1"},
		"h323:room@host":        {AliasURL, "h323:room@host"},
		"user@example.com":      {AliasEmail, "user@example.com"},
		"h323-ID:123":           {AliasH323ID, "123"},
		"transportID:1.2.3.4:5": {AliasTransport, "1.2.3.4:5"},
	} {
		if got := ParseAlias(in); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
		if _, err := want.h225(); err != nil {
			t.Errorf("%v: %v", want, err)
		}
	}
}

// TestText: names from peers become printable text.
func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"HDX 8000\x00\x00": "HDX 8000",
		"Caf\xe9":          "Café", // Latin-1
		"a\x07b\x1bc":      "abc",
		"Ünïcode":          "Ünïcode",
	} {
		if got := text([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	if n := len(text(slices.Repeat([]byte("x"), 500))); n != 128 {
		t.Errorf("long text cut to %d", n)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"listen":  {Listen: "nonsense"},
		"kind":    {Identity: Identity{Kind: "phone"}},
		"vendor":  {Identity: Identity{Vendor: Vendor{CountryCode: 300}}},
		"alias":   {Aliases: []string{"transportID:nope"}},
		"size":    {Limits: Limits{MaxMessageSize: 100}},
		"timeout": {Limits: Limits{SetupTimeout: -1}},
	} {
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s, err := New(Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Listen != DefaultListen || s.cfg.Limits.MaxCalls == 0 || s.cfg.Identity.Vendor.Product != "roomgate" {
		t.Errorf("defaults %+v", s.cfg)
	}
}
