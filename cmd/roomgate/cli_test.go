//go:build !e2e

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h", "-help"} {
			code, out, errOut := runCLI(c.name, flag)
			if code != 0 || !strings.HasPrefix(out, "usage: roomgate "+c.name) || errOut != "" {
				t.Errorf("roomgate %s %s: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", c.name, flag, code, out, errOut)
			}
		}
		// Options before the help flag do not hide it; "help CMD" is "CMD --help".
		if code, out, _ := runCLI(c.name, "--config", "x.yaml", "--help"); code != 0 || !strings.Contains(out, "usage: roomgate "+c.name) {
			t.Errorf("roomgate %s --config x.yaml --help: exit %d, %q", c.name, code, out)
		}
		if code, out, _ := runCLI("help", c.name); code != 0 || !strings.HasPrefix(out, "usage: roomgate "+c.name) {
			t.Errorf("roomgate help %s: exit %d, %q", c.name, code, out)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		if code, out, _ := runCLI(args...); code != 0 || !strings.Contains(out, "roomgate serve") || !strings.Contains(out, "roomgate doctor") {
			t.Errorf("roomgate %v: exit %d, %q", args, code, out)
		}
	}
}

func TestBadUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string // on stderr
	}{
		{nil, "usage:"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"--bogus"}, `unknown command "--bogus"`},
		{[]string{"help", "bogus"}, `unknown command "bogus"`},
		{[]string{"check-config", "a.yaml", "b.yaml"}, "usage: roomgate check-config"},
		{[]string{"check-config", "--verbose"}, "usage: roomgate check-config"},
		{[]string{"doctor", "--fix"}, "usage: roomgate doctor"},
		{[]string{"serve", "--bogus"}, "flag provided but not defined"},
		{[]string{"serve", "extra"}, "unexpected argument"},
	}
	for _, tc := range cases {
		code, _, errOut := runCLI(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("roomgate %q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The README's SIP recipe: serve used to refuse it while check-config passed it.
	recipe := write("recipe.yaml", "sip:\n  enabled: true\n  listen: 0.0.0.0:5060\n")
	code, out, errOut := runCLI("check-config", recipe)
	if code != 0 || !strings.Contains(out, "ok") || !strings.Contains(out, "SIP: room systems dial MEETINGID@") || strings.Contains(out, "0.0.0.0@") {
		t.Fatalf("check-config on the SIP recipe: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "H.323") {
		t.Errorf("H.323 is off but check-config shows it:\n%s", out)
	}
	typo := write("typo.yaml", "sip:\n  enable: true\n")
	code, _, errOut = runCLI("check-config", typo)
	if code != 1 || !strings.Contains(errOut, `line 2: unknown key "enable" in sip; did you mean "enabled"?`) {
		t.Fatalf("check-config on a typo: exit %d, %q", code, errOut)
	}
	if code, out, errOut := runCLI("check-config", "../../configs/roomgate.yaml"); code != 0 || !strings.Contains(out, "H.323: room systems dial") {
		t.Fatalf("shipped config: exit %d\n%s%s", code, out, errOut)
	}
}
