//go:build e2e

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestE2EExternalLiveKit runs a roomgate against an external meeting core: the
// embedded LiveKit node of another roomgate process stands in for a LiveKit cluster.
// No embedded node may start in the second process, and tokens it mints must be
// accepted by the external core.
func TestE2EExternalLiveKit(t *testing.T) {
	coreDir := t.TempDir()
	writeConfig(t, coreDir, "")
	core := start(t, coreDir)
	var keys struct {
		Key    string `yaml:"api_key"`
		Secret string `yaml:"api_secret"`
	}
	b, err := os.ReadFile(filepath.Join(coreDir, "data", "livekit_keys.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	cfgText, _ := os.ReadFile(filepath.Join(coreDir, "roomgate.yaml"))
	var lkPort int
	for _, line := range strings.Split(string(cfgText), "\n") {
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "port: %d", &lkPort); err == nil {
			break
		}
	}
	if lkPort == 0 {
		t.Fatal("embedded port not found in the first config")
	}

	dir := t.TempDir()
	writeConfig(t, dir, fmt.Sprintf("  livekit:\n    url: ws://127.0.0.1:%d\n    api_key: %s\n    api_secret: %s\n", lkPort, keys.Key, keys.Secret))
	p := start(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "data", "livekit_keys.yaml")); err == nil {
		t.Fatal("external mode generated embedded-core keys: an embedded node was set up")
	}
	st, info := p.do("GET", "/api/v1/info", "", nil)
	if st != 200 || info["livekit_url"] != fmt.Sprintf("ws://127.0.0.1:%d", lkPort) || info["ice_servers"] != nil {
		t.Fatalf("info in external mode: %d %v", st, info)
	}
	st, m := p.do("POST", "/api/v1/meetings", p.Token, map[string]any{"topic": "external"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, m)
	}
	id := m["id"].(string)
	st, j := p.do("POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "Ext", "host_key": m["host_key"]})
	if st != 200 || j["token"] == "" {
		t.Fatalf("join: %d %v", st, j)
	}
	// The room now exists on the external core, with roomgate's metadata.
	st, parts := p.do("GET", "/api/v1/meetings/"+id+"/participants", p.Token, nil)
	if st != 200 {
		t.Fatalf("participants via the external core: %d %v", st, parts)
	}
	if st, _ := core.do("GET", "/healthz", "", nil); st != 200 {
		t.Fatalf("the external core's own server is unhealthy: %d", st)
	}
	if !strings.Contains(p.logTail(), "using external meeting core") {
		t.Fatalf("log does not say the external core is used:\n%s", p.logTail())
	}
}
