//go:build e2e

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EDoctor runs `roomgate doctor` as an operator would: on the shipped
// configuration in a network namespace of its own that has only loopback (no default
// route), and on a configuration whose SIP port another program holds.
func TestE2EDoctor(t *testing.T) {
	bin := binPath(t)
	shipped := filepath.Join(repoDir(t), "configs", "roomgate.yaml")

	// Loopback only: the shipped config binds everywhere and advertises 127.0.0.1.
	cmd := exec.Command("unshare", "-n", "sh", "-c", `ip link set lo up && exec "$0" doctor "$1"`, bin, shipped)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("doctor on the shipped config, loopback only: %v\n%s", err, out)
	}
	report := string(out)
	t.Logf("doctor, loopback only:\n%s", report)
	for _, want := range []string{
		"ok    interfaces up: lo 127.0.0.1 ::1",
		"note  no default route",
		"WARN  only loopback is up",
		"ok    sip.listen 0.0.0.0:5060 (SIP): UDP+TCP free",
		"ok    h323.listen 0.0.0.0:1720",
		"ok    h323.ras_listen 0.0.0.0:1719",
		"ok    room systems are given 127.0.0.1 for media and signalling (loopback: this machine has no default route)",
		"ok    media ports UDP 3000-10000: all 3500 pairs free",
		"  UDP  5060        SIP (sip.listen)", "  TCP  5060        SIP (sip.listen)",
		"  TCP  1720        H.323 call signalling", "  UDP  1719        H.323 gatekeeper",
		"  UDP  3000-10000  room-system media",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(report, "FAIL") {
		t.Errorf("a fresh namespace has every port free, yet:\n%s", report)
	}

	// A port held by another program fails the check (exit 1) and says so.
	held, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.LocalAddr().(*net.UDPAddr).Port
	dir := t.TempDir()
	cfg := filepath.Join(dir, "roomgate.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "sip:\n  enabled: true\n  listen: 127.0.0.1:%d\nmedia:\n  port_min: 20000\n  port_max: 20099\n", port), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, "doctor", cfg).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("doctor with the SIP port held: %v, want exit 1\n%s", err, out)
	}
	if want := fmt.Sprintf("FAIL  sip.listen 127.0.0.1:%d (SIP) cannot listen: UDP: in use by another program", port); !strings.Contains(string(out), want) {
		t.Fatalf("report lacks %q:\n%s", want, out)
	}
	if !strings.Contains(string(out), "firewall: nothing listens beyond this machine") {
		t.Errorf("every listener is on loopback, yet the report asks to open the firewall:\n%s", out)
	}

	// The CLI around it: help exits 0, check-config passes the README's SIP recipe
	// that serve used to refuse, and names a mistyped key with a suggestion.
	for _, c := range []string{"serve", "check-config", "doctor", "h323", "version"} {
		if out, err := exec.Command(bin, c, "--help").Output(); err != nil || !strings.HasPrefix(string(out), "usage: roomgate "+c) {
			t.Errorf("roomgate %s --help: %v %q", c, err, out)
		}
	}
	recipe := filepath.Join(dir, "recipe.yaml")
	if err := os.WriteFile(recipe, []byte("sip:\n  enabled: true\n  listen: 0.0.0.0:5060\n  enable: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, "check-config", recipe).CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), `line 4: unknown key "enable" in sip; did you mean "enabled"?`) {
		t.Fatalf("check-config on a mistyped key: %v\n%s", err, out)
	}
	if err := os.WriteFile(recipe, []byte("sip:\n  enabled: true\n  listen: 0.0.0.0:5060\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check-config", recipe).CombinedOutput(); err != nil || !strings.Contains(string(out), "SIP: room systems dial MEETINGID@") {
		t.Fatalf("check-config on the README's SIP recipe: %v\n%s", err, out)
	}
}
