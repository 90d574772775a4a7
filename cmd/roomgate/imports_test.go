//go:build !e2e

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportDirection checks the never-rules of the package map (shared/DESIGN.md):
// the protocol stacks, the meeting side and the media stages never import the gateway
// nor each other; only gateway/ composes them and cmd/ wires the gateway. The unit suite
// runs it (the e2e binary runs from the repository root, inside a namespace).
func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	const mod = "github.com/roomgate/roomgate/"
	rules := map[string][]string{
		"sip":       {"gateway", "h323", "rooms"},
		"h323":      {"gateway", "sip", "rooms"},
		"rooms":     {"gateway", "sip", "h323"},
		"transcode": {"gateway", "sip", "h323", "rooms"},
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for { // the module root: where go.mod is
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			t.Fatal("go.mod not found above the test's directory")
		}
		root = up
	}
	for pkg, never := range rules {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./"+pkg+"/...")
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list ./%s/...: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list ./%s/... listed %d packages", pkg, len(deps))
		}
		for _, d := range deps {
			for _, n := range never {
				if d == mod+n || strings.HasPrefix(d, mod+n+"/") {
					t.Errorf("%s/... depends on %s (%s must never import %s)", pkg, d, pkg, n)
				}
			}
		}
	}
}
