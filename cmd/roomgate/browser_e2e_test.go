//go:build e2e

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2EBrowser runs the Playwright suite (rooms/web/e2e) with headless Chromium
// participants against a real roomgate with its embedded meeting core.
func TestE2EBrowser(t *testing.T) {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("/usr/bin/chromium missing: `make test` installs it (apt-get install chromium)")
	}
	dir := t.TempDir()
	// SIP on for the dial-out tests (they run SIPp peers on loopback).
	writeConfig(t, dir, fmt.Sprintf("sip:\n  enabled: true\n  listen: 127.0.0.1:%d\nmedia:\n  port_min: 41000\n  port_max: 41999\n", freePort(t, "udp")))
	p := start(t, dir)
	idleRSS := rssKB(p.cmd.Process.Pid)
	repo := repoDir(t)
	artifacts := os.Getenv("ROOMGATE_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(repo, "artifacts")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// Sample the server's memory while the browsers are in the meeting.
	stopRSS := make(chan struct{})
	maxRSS := make(chan int)
	go func() {
		peak := 0
		for {
			if kb := rssKB(p.cmd.Process.Pid); kb > peak {
				peak = kb
			}
			select {
			case <-stopRSS:
				maxRSS <- peak
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	cmd := exec.Command("node", "--test", "--test-reporter=spec", "--test-concurrency=1", "e2e/")
	cmd.Dir = filepath.Join(repo, "rooms", "web")
	cmd.Env = append(os.Environ(), "ROOMGATE_URL="+p.URL, "ROOMGATE_TOKEN="+p.Token, "ARTIFACTS_DIR="+artifacts, "ROOMGATE_SIP=1")
	out, err := cmd.CombinedOutput()
	close(stopRSS)
	t.Logf("node --test output:\n%s", out)
	t.Logf("server peak RSS during the browser suite: %.1f MiB (idle at start: %.1f MiB)", float64(<-maxRSS)/1024, float64(idleRSS)/1024)
	if err != nil {
		t.Fatalf("browser suite failed: %v\nserver log tail:\n%s", err, p.logTail())
	}
}

// rssKB reads a process's resident set size in KiB (0 if unknown).
func rssKB(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}
