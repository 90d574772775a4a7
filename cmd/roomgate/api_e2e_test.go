//go:build e2e

package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	reMeetingID = regexp.MustCompile(`^[1-9][0-9]{8,10}$`)
	reHWPass    = regexp.MustCompile(`^[0-9]{6}$`)
)

func TestE2EAPI(t *testing.T) {
	dir := t.TempDir()
	// SIP on, H.323 off: the invitation names only the SIP leg, with its port.
	sipPort := freePort(t, "udp")
	writeConfig(t, dir, fmt.Sprintf("sip:\n  enabled: true\n  listen: 127.0.0.1:%d\n", sipPort))
	p := start(t, dir)
	t.Logf("ready after %v", p.Ready)

	// Creating needs the operator token (open_create is off by default).
	if st, body := p.do("POST", "/api/v1/meetings", "", map[string]any{"topic": "x"}); st != http.StatusUnauthorized || errCode(body) != "unauthorized" {
		t.Fatalf("anonymous create: %d %v, want 401 unauthorized", st, body)
	}
	st, m := p.do("POST", "/api/v1/meetings", p.Token, map[string]any{"topic": "Board room", "password": "tiger"})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, m)
	}
	id, _ := m["id"].(string)
	hw, _ := m["hardware_password"].(string)
	hostKey, _ := m["host_key"].(string)
	if !reMeetingID.MatchString(id) || !reHWPass.MatchString(hw) || hw == "tiger" || m["password"] != "tiger" || m["topic"] != "Board room" || hostKey == "" {
		t.Fatalf("created meeting has wrong fields: %v", m)
	}
	st, plain := p.do("POST", "/api/v1/meetings", p.Token, map[string]any{"topic": "open"})
	if st != http.StatusCreated || plain["hardware_password"] != "" {
		t.Fatalf("meeting without password: %d %v (hardware_password must be empty)", st, plain)
	}

	// Views: operator sees everything, anonymous only the public part.
	if st, got := p.do("GET", "/api/v1/meetings/"+id, p.Token, nil); st != 200 || got["hardware_password"] != hw {
		t.Fatalf("operator GET: %d %v", st, got)
	}
	st, pub := p.do("GET", "/api/v1/meetings/"+id, "", nil)
	if st != 200 || pub["has_password"] != true || pub["password"] != nil || pub["hardware_password"] != nil {
		t.Fatalf("anonymous GET leaks or fails: %d %v", st, pub)
	}
	if st, body := p.do("GET", "/api/v1/meetings/99999999999", p.Token, nil); st != 404 || errCode(body) != "not_found" {
		t.Fatalf("unknown meeting: %d %v", st, body)
	}

	// Invitation with dial strings on the configured public host.
	st, inv := p.do("GET", "/api/v1/meetings/"+id+"/invitation", hostKey, nil)
	if st != 200 {
		t.Fatalf("invitation: %d %v", st, inv)
	}
	sip := strings.Join(toStrings(inv["sip"]), " ")
	h323 := toStrings(inv["h323"])
	at := fmt.Sprintf("@gw.example.test:%d", sipPort)
	if sip != id+at+" "+id+"."+hw+at || len(h323) != 0 || !strings.Contains(inv["web_url"].(string), "/m/"+id) {
		t.Fatalf("invitation dial strings wrong (want the SIP leg at port %d, no H.323): %v", sipPort, inv)
	}
	if text := inv["text"].(string); !strings.Contains(text, "SIP:") || strings.Contains(text, "H.323") {
		t.Fatalf("invitation text names a leg that is off:\n%s", text)
	}
	if st, anon := p.do("GET", "/api/v1/meetings/"+id+"/invitation", "", nil); st != 200 || anon["hardware_password"] != nil || strings.Contains(anon["text"].(string), hw) {
		t.Fatalf("anonymous invitation must not carry secrets: %d %v", st, anon)
	}

	// Join policy.
	if st, body := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Eve", "password": "lion"}); st != 401 || errCode(body) != "wrong_password" {
		t.Fatalf("wrong password: %d %v", st, body)
	}
	st, j := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Ann", "password": "tiger"})
	if st != 200 || j["status"] != "joined" || j["token"] == "" || j["session"] == "" {
		t.Fatalf("join: %d %v", st, j)
	}
	// The hardware password is for room systems only.
	if st, _ := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Bob", "password": hw}); st != 401 {
		t.Fatalf("web join with hardware password: %d, want 401", st)
	}
	// A participant session is not a host credential.
	if st, _ := p.do("PATCH", "/api/v1/meetings/"+id, j["session"].(string), map[string]any{"settings": map[string]any{"locked": true}}); st != 403 {
		t.Fatalf("guest PATCH: %d, want 403", st)
	}

	// Lock.
	if st, got := p.do("PATCH", "/api/v1/meetings/"+id, hostKey, map[string]any{"settings": map[string]any{"locked": true}}); st != 200 {
		t.Fatalf("lock: %d %v", st, got)
	}
	if st, body := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Late", "password": "tiger"}); st != 403 || errCode(body) != "locked" {
		t.Fatalf("locked meeting: %d %v", st, body)
	}
	if st, body := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Host", "host_key": hostKey}); st != 200 || body["host"] != true {
		t.Fatalf("host joins a locked meeting: %d %v", st, body)
	}

	// Waiting room: 202, then admit by the host, then the ticket yields a token.
	p.do("PATCH", "/api/v1/meetings/"+id, hostKey, map[string]any{"settings": map[string]any{"locked": false, "waiting_room": true}})
	st, w := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Wanda", "password": "tiger"})
	if st != 202 || w["status"] != "waiting" {
		t.Fatalf("waiting room join: %d %v", st, w)
	}
	tk := w["ticket"].(string)
	if st, list := p.do("GET", "/api/v1/meetings/"+id+"/waiting", hostKey, nil); st != 200 || len(list["waiting"].([]any)) != 1 {
		t.Fatalf("waiting list: %d %v", st, list)
	}
	if st, _ := p.do("GET", "/api/v1/meetings/"+id+"/join/"+tk, "", nil); st != 202 {
		t.Fatalf("ticket before admit: %d", st)
	}
	if st, body := p.do("POST", "/api/v1/meetings/"+id+"/waiting/"+tk+"/admit", hostKey, nil); st != 204 {
		t.Fatalf("admit: %d %v", st, body)
	}
	if st, got := p.do("GET", "/api/v1/meetings/"+id+"/join/"+tk, "", nil); st != 200 || got["token"] == "" {
		t.Fatalf("ticket after admit: %d %v", st, got)
	}
	st, w2 := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Denis", "password": "tiger"})
	if st != 202 {
		t.Fatalf("second waiting join: %d %v", st, w2)
	}
	p.do("POST", "/api/v1/meetings/"+id+"/waiting/"+w2["ticket"].(string)+"/deny", hostKey, nil)
	if st, body := p.do("GET", "/api/v1/meetings/"+id+"/join/"+w2["ticket"].(string), "", nil); st != 403 || errCode(body) != "denied" {
		t.Fatalf("denied ticket: %d %v", st, body)
	}

	// Hardware password regeneration, and clearing the password clears it.
	st, re := p.do("POST", "/api/v1/meetings/"+id+"/hardware_password", hostKey, nil)
	if st != 200 || !reHWPass.MatchString(re["hardware_password"].(string)) {
		t.Fatalf("regenerate: %d %v", st, re)
	}
	if st, c := p.do("PATCH", "/api/v1/meetings/"+id, hostKey, map[string]any{"password": ""}); st != 200 || c["hardware_password"] != "" {
		t.Fatalf("clear password: %d %v", st, c)
	}
	if st, body := p.do("POST", "/api/v1/meetings/"+plain["id"].(string)+"/hardware_password", p.Token, nil); st != 409 {
		t.Fatalf("regenerate without password: %d %v, want 409", st, body)
	}

	// Rate limit on wrong passwords (5 per source and meeting, then back-off). Each
	// guess differs: repeating one wrong password tells nothing new and counts once.
	st, rl := p.do("POST", "/api/v1/meetings", p.Token, map[string]any{"password": "pw"})
	if st != 201 {
		t.Fatal(st)
	}
	codes := []int{}
	for i := range 7 {
		st, _ := p.do("POST", "/api/v1/meetings/"+rl["id"].(string)+"/join", "", map[string]any{"password": fmt.Sprintf("no%d", i)})
		codes = append(codes, st)
	}
	if codes[0] != 401 || codes[len(codes)-1] != 429 {
		t.Fatalf("wrong-password attempts got %v, want 401s then 429", codes)
	}

	// Delete.
	if st, _ := p.do("DELETE", "/api/v1/meetings/"+id, hostKey, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st, _ := p.do("GET", "/api/v1/meetings/"+id, p.Token, nil); st != 404 {
		t.Fatalf("deleted meeting still there: %d", st)
	}
	if st, body := p.do("GET", "/api/v1/nope", "", nil); st != 404 || errCode(body) != "not_found" {
		t.Fatalf("unknown endpoint: %d %v", st, body)
	}
}

func TestE2ERestartKeepsMeetings(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir)
	want := map[string]map[string]any{}
	for i, pw := range []string{"alpha1", "", "gamma3"} {
		st, m := p.do("POST", "/api/v1/meetings", p.Token, map[string]any{"topic": "restart " + string(rune('A'+i)), "password": pw,
			"settings": map[string]any{"waiting_room": i == 2, "allow_self_unmute": true}})
		if st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
		want[m["id"].(string)] = m
	}
	token := p.Token
	p.stop() // SIGTERM: must exit 0
	p2 := start(t, dir)
	if p2.Token != token {
		t.Fatalf("operator token changed across restart")
	}
	for id, m := range want {
		st, got := p2.do("GET", "/api/v1/meetings/"+id, token, nil)
		if st != 200 {
			t.Fatalf("meeting %s lost after restart: %d %v", id, st, got)
		}
		for _, k := range []string{"topic", "password", "hardware_password", "host_key", "created_at"} {
			if got[k] != m[k] {
				t.Errorf("meeting %s field %s: before %v, after %v", id, k, m[k], got[k])
			}
		}
		if got["settings"].(map[string]any)["waiting_room"] != m["settings"].(map[string]any)["waiting_room"] {
			t.Errorf("meeting %s settings changed: %v -> %v", id, m["settings"], got["settings"])
		}
	}
}

func TestE2ECheckConfigAndVersion(t *testing.T) {
	bin := binPath(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "roomgate ") {
		t.Fatalf("version: %v %q", err, out)
	}
	if out, err := exec.Command(bin, "check-config", filepath.Join(repoDir(t), "configs", "roomgate.yaml")).CombinedOutput(); err != nil {
		t.Fatalf("default config rejected: %v %s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("http:\n  listen: 127.0.0.1:8080\n  lisen: x\n"), 0o644)
	out, err = exec.Command(bin, "check-config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "line 3") || !strings.Contains(string(out), "lisen") {
		t.Fatalf("bad config: err=%v out=%q, want exit 1 naming line 3 and the key", err, out)
	}
	if out, err := exec.Command(bin, "serve", "--config", bad).CombinedOutput(); err == nil || !strings.Contains(string(out), "line 3") {
		t.Fatalf("serve with a bad config must fail naming the line: %v %q", err, out)
	}
	if _, err := exec.Command(bin, "bogus").CombinedOutput(); err == nil {
		t.Fatal("unknown command must exit non-zero")
	}
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
