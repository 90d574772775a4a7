package api

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/rooms/directory"
)

// The host link goes to the meeting's owners (operator, host key, the anonymous
// creator under open create) and to nobody else; the invitation text, which is
// what participants get, never carries it.
func TestHostURLOnlyForOwners(t *testing.T) {
	f := newFixture(t, Options{PublicURL: "https://meet.example.net", OpenCreate: true, Legs: Legs{SIP: "gw.example.net"}})
	st, created, _ := f.do("127.0.0.1", "POST", "/api/v1/meetings", testOperator, map[string]any{"topic": "Board", "password": "tiger"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, created)
	}
	id, key := created["id"].(string), created["host_key"].(string)
	want := "https://meet.example.net/m/" + id + "#host=" + key
	if created["host_url"] != want {
		t.Fatalf("create: host_url %v, want %q", created["host_url"], want)
	}
	base := "/api/v1/meetings/" + id
	for _, auth := range []string{testOperator, key} {
		if st, got, _ := f.do("127.0.0.1", "GET", base, auth, nil); st != 200 || got["host_url"] != want {
			t.Errorf("GET as owner: %d host_url %v, want %q", st, got["host_url"], want)
		}
		st, inv, _ := f.do("127.0.0.1", "GET", base+"/invitation", auth, nil)
		if st != 200 || inv["host_url"] != want {
			t.Errorf("owner's invitation: %d host_url %v, want %q", st, inv["host_url"], want)
		}
		if text, _ := inv["text"].(string); text == "" || strings.Contains(text, key) || strings.Contains(text, "#host") {
			t.Errorf("owner's invitation text carries the host key or is empty:\n%s", text)
		}
	}
	if st, list, _ := f.do("127.0.0.1", "GET", "/api/v1/meetings", testOperator, nil); st != 200 || !hasHostURL(list["meetings"], id, want) {
		t.Errorf("operator's list: %d %v, want %s with its host_url", st, list, id)
	}
	if st, got, _ := f.do("127.0.0.1", "PATCH", base, key, map[string]any{"topic": "Board 2"}); st != 200 || got["host_url"] != want {
		t.Errorf("owner's PATCH: %d host_url %v", st, got["host_url"])
	}

	// Not owners: an anonymous caller, a wrong credential, a participant who is
	// host for the session.
	f.s.live.addSession(&session{Token: "guest-session-token-000", MeetingID: id, Identity: "web-guest"})
	f.s.live.with(id, func(lm *liveMeeting) { lm.Host = "web-guest" })
	for _, auth := range []string{"", "not-the-key", "guest-session-token-000"} {
		for _, path := range []string{base, base + "/invitation"} {
			st, got, _ := f.do("127.0.0.3", "GET", path, auth, nil)
			if st != 200 || got["host_url"] != nil || got["host_key"] != nil {
				t.Errorf("GET %s with %q: %d %v, want 200 without host_url or host_key", path, auth, st, got)
			}
			if text, _ := got["text"].(string); strings.Contains(text, key) {
				t.Errorf("GET %s with %q: the text carries the host key", path, auth)
			}
		}
	}
	st, patched, _ := f.do("127.0.0.3", "PATCH", base, "guest-session-token-000", map[string]any{"settings": map[string]any{"locked": true}})
	if st != 200 || patched["host_url"] != nil {
		t.Errorf("session host's PATCH: %d %v, want 200 without host_url", st, patched)
	}

	// Open create: the anonymous creator owns the meeting and gets its link.
	st, anon, _ := f.do("127.0.0.4", "POST", "/api/v1/meetings", "", map[string]any{})
	if st != 201 || anon["host_url"] != "https://meet.example.net/m/"+anon["id"].(string)+"#host="+anon["host_key"].(string) {
		t.Errorf("open create: %d %v", st, anon)
	}
}

func hasHostURL(list any, id, want string) bool {
	ms, _ := list.([]any)
	for _, x := range ms {
		if m, _ := x.(map[string]any); m["id"] == id {
			return m["host_url"] == want
		}
	}
	return false
}

// A meeting without a host key (never stored so; a zero value) has no link
// rather than a link that names no key.
func TestHostURLNeedsAKey(t *testing.T) {
	s := &Server{Options: Options{PublicURL: "https://meet.example.net"}}
	if u := s.hostURL(directory.Meeting{ID: "123456789"}); u != "" {
		t.Errorf("hostURL without key = %q, want empty", u)
	}
	if inv := s.invitation(directory.Meeting{ID: "123456789", HostKey: "k"}, false); inv.HostURL != "" {
		t.Errorf("invitation without secrets has host_url %q", inv.HostURL)
	}
}
