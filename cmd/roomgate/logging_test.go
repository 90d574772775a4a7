package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/configs"
)

// jsonLines decodes the JSON log lines in b; a key twice on one line is an error.
func jsonLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		keys := map[string]int{}
		if _, err := dec.Token(); err != nil {
			t.Fatalf("line %s: %v", line, err)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("line %s: %v", line, err)
			}
			keys[k.(string)]++
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("line %s: %v", line, err)
			}
		}
		for k, n := range keys {
			if n > 1 {
				t.Errorf("key %q %d times in %s", k, n, line)
			}
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestLoggerDedup(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "json", "info", &secretSet{})
	log.With("component", "h323").With("component", "gatekeeper", "call_id", "c1").Info("registered", "call_id", "c2", "leg", "h323-in")
	log.With("component", "sip").WithGroup("peer").With("addr", "a").Info("grouped", "addr", "b")
	lines := jsonLines(t, buf.Bytes())
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	if l := lines[0]; l["component"] != "gatekeeper" || l["call_id"] != "c2" || l["leg"] != "h323-in" {
		t.Errorf("line %v: want the last value of each key", l)
	}
	if p, ok := lines[1]["peer"].(map[string]any); !ok || p["addr"] != "b" || lines[1]["component"] != "sip" {
		t.Errorf("grouped line %v", lines[1])
	}
}

func TestLoggerRedacts(t *testing.T) {
	c := configs.Default()
	cfg := &c
	cfg.API.Token = "operator-token-0123456789"
	cfg.Meeting.Embedded.APIKey, cfg.Meeting.Embedded.APISecret = "APIcoreKey1234", "core-secret-abcdefghijklmnop"
	secrets := configSecrets(cfg)
	var buf bytes.Buffer
	log := newLogger(&buf, "text", "debug", secrets)
	early := log.With("url", "ws://x/?token=generated-token-ABCDEFGH") // before the secret is known
	secrets.Add("generated-token-ABCDEFGH", "short")
	log.Info("core key APIcoreKey1234 in the message")
	log.Warn("request", "header", "Bearer operator-token-0123456789", "err", errors.New("bad secret core-secret-abcdefghijklmnop"))
	log.Info("fields", "password", "hunter2-pw", "host_key", "hk-98765", "srtp_key", "inline:abc", "pin", "pin-4321",
		slog.Group("peer", "api_secret", "x", "name", "Room short"))
	early.Info("early")
	log.Debug("SIP message", "msg", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n")
	log.Info("meeting created", "password", true)
	out := buf.String()
	for _, s := range []string{"operator-token-0123456789", "APIcoreKey1234", "core-secret-abcdefghijklmnop", "generated-token-ABCDEFGH",
		"hunter2-pw", "hk-98765", "inline:abc", "pin-4321", "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"} {
		if strings.Contains(out, s) {
			t.Errorf("log shows %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "password=true") {
		t.Errorf("whether a meeting has a password was redacted:\n%s", out)
	}
	if !strings.Contains(out, "Room short") {
		t.Errorf("a value shorter than a secret was redacted:\n%s", out)
	}
	if n := strings.Count(out, redacted); n < 10 {
		t.Errorf("%d redactions, want at least 10:\n%s", n, out)
	}
}
