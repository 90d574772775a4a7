//go:build e2e

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestE2EBrowser runs the Playwright suite (rooms/web/e2e) with headless Chromium
// participants against a real roomgate with its embedded meeting core.
func TestE2EBrowser(t *testing.T) {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("/usr/bin/chromium missing: `make test` installs it (apt-get install chromium)")
	}
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir)
	repo := repoDir(t)
	artifacts := os.Getenv("ROOMGATE_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(repo, "artifacts")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "--test", "--test-reporter=spec", "--test-concurrency=1", "e2e/")
	cmd.Dir = filepath.Join(repo, "rooms", "web")
	cmd.Env = append(os.Environ(), "ROOMGATE_URL="+p.URL, "ROOMGATE_TOKEN="+p.Token, "ARTIFACTS_DIR="+artifacts)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test output:\n%s", out)
	if err != nil {
		t.Fatalf("browser suite failed: %v\nserver log tail:\n%s", err, p.logTail())
	}
}
