//go:build e2e

// End-to-end tests against real roomgate processes. They run from `make test` inside a
// network namespace that has only loopback (see the Makefile's test-e2e target).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/siptest"
)

// proc is a roomgate serve process under test.
type proc struct {
	t       *testing.T
	dir     string
	URL     string
	Token   string
	cmd     *exec.Cmd
	logPath string
	Ready   time.Duration
	exited  chan error
}

func binPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("ROOMGATE_BIN")
	if p == "" {
		t.Fatal("ROOMGATE_BIN is not set: run the e2e tests with `make test-e2e`")
	}
	return p
}

func repoDir(t *testing.T) string {
	if d := os.Getenv("ROOMGATE_REPO"); d != "" {
		return d
	}
	d, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
}

// writeConfig writes a config for an instance in dir; extra is appended YAML.
func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`http:
  listen: 127.0.0.1:%d
public_host: gw.example.test
data_dir: data
log:
  level: debug
meeting:
  embedded:
    port: %d
    rtc_udp_port: %d
    rtc_tcp_port: %d
%s`, freePort(t, "tcp"), freePort(t, "tcp"), freePort(t, "udp"), freePort(t, "tcp"), extra)
	path := filepath.Join(dir, "roomgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// start runs `roomgate serve` with the config in dir and waits for /healthz.
func start(t *testing.T, dir string) *proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p, err := startOnce(t, dir)
		if err == nil {
			return p
		}
		// The meeting core's and the web's ports were found free when the config was
		// written; another process (a WebRTC stack's ephemeral socket) may have taken
		// one since: pick others and start again.
		if attempt < 3 && strings.Contains(p.logTail(), "address already in use") && repickPorts(t, dir) {
			t.Logf("roomgate (attempt %d): a port was taken meanwhile; starting again on others", attempt)
			continue
		}
		t.Fatalf("%v\n%s", err, p.logTail())
	}
}

// repickPorts gives the config's web and meeting-core listeners new free ports.
func repickPorts(t *testing.T, dir string) bool {
	path := filepath.Join(dir, "roomgate.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	changed := false
	for i, l := range lines {
		key, _, _ := strings.Cut(strings.TrimSpace(l), ":")
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		switch {
		case key == "listen" && i > 0 && strings.TrimSpace(lines[i-1]) == "http:":
			lines[i] = fmt.Sprintf("%slisten: 127.0.0.1:%d", indent, freePort(t, "tcp"))
		case (key == "port" || key == "rtc_tcp_port") && i > 0 && inEmbedded(lines[:i]):
			lines[i] = fmt.Sprintf("%s%s: %d", indent, key, freePort(t, "tcp"))
		case key == "rtc_udp_port" && inEmbedded(lines[:i]):
			lines[i] = fmt.Sprintf("%s%s: %d", indent, key, freePort(t, "udp"))
		default:
			continue
		}
		changed = true
	}
	return changed && os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644) == nil
}

// inEmbedded: the last section header above is meeting.embedded.
func inEmbedded(above []string) bool {
	for i := len(above) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(above[i]); strings.HasSuffix(h, ":") {
			return h == "embedded:"
		}
	}
	return false
}

// startOnce runs `roomgate serve` with the config in dir and waits for /healthz; the
// error says why it is not ready (the process stays the test's to stop).
func startOnce(t *testing.T, dir string) (*proc, error) {
	t.Helper()
	p := &proc{t: t, dir: dir, logPath: filepath.Join(dir, fmt.Sprintf("roomgate-%d.log", time.Now().UnixNano()))}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	var out siptest.Buffer
	p.cmd = exec.Command(binPath(t), "serve", "--config", filepath.Join(dir, "roomgate.yaml"))
	p.cmd.Stdout = &out
	p.cmd.Stderr = logf
	begin := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(); logf.Close() })
	exited := make(chan error, 1)
	p.exited = exited
	go func() { exited <- p.cmd.Wait() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if url := parseURL(out.String()); url != "" {
			p.URL = url
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					p.Ready = time.Since(begin)
					break
				}
			}
		}
		select {
		case err := <-exited:
			p.exited = nil
			return p, fmt.Errorf("roomgate exited before ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return p, errors.New("roomgate not ready after 90 s")
		}
	}
	tok, err := os.ReadFile(filepath.Join(dir, "data", "api_token"))
	if err != nil {
		t.Fatalf("operator token not generated: %v", err)
	}
	p.Token = strings.TrimSpace(string(tok))
	return p, nil
}

func parseURL(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "web UI and API: "); i >= 0 {
			return strings.TrimSpace(line[i+len("web UI and API: "):])
		}
	}
	return ""
}

func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	if p.cmd == nil || p.cmd.Process == nil || p.exited == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("roomgate exited with %v after SIGTERM\n%s", err, p.logTail())
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Errorf("roomgate did not stop within 30 s of SIGTERM")
	}
	p.exited = nil
}

// do sends a JSON request; auth is the bearer credential ("" for none).
func (p *proc) do(method, path, auth string, body any) (int, map[string]any) {
	p.t.Helper()
	return p.doWith(http.DefaultClient, method, path, auth, body)
}

// doWith is do through client (e.g. one whose connections leave from another address).
func (p *proc) doWith(client *http.Client, method, path, auth string, body any) (int, map[string]any) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.URL+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			p.t.Fatalf("%s %s: %d, body is not JSON: %q", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}
