//go:build e2e

// Harness for the H.323 room-system end-to-end tests (issue 12): a roomgate with its
// H.323 leg (call signalling and the built-in gatekeeper on loopback) and its SIP leg,
// and cmd/roomsim runs as H.323 and SIP room systems whose final JSON line says what
// they received.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/siptest"
)

// h323GW is a roomgate serve process with the H.323 and SIP legs.
type h323GW struct {
	*sipGW
	H323Port, RASPort int
}

// startH323Gateway starts roomgate with h323.enabled; extraH323 goes under h323:
// (e.g. "  media_timeout: 3s\n"). h323Port and rasPort 0 pick free ports.
func startH323Gateway(t *testing.T, extraH323 string, h323Port, rasPort int) *h323GW {
	t.Helper()
	if h323Port == 0 {
		h323Port = freePort(t, "tcp")
	}
	if rasPort == 0 {
		rasPort = freePort(t, "udp")
	}
	g, dir := sipGatewayConfig(t, "", fmt.Sprintf("h323:\n  enabled: true\n  listen: 127.0.0.1:%d\n  ras_listen: 127.0.0.1:%d\n%s",
		h323Port, rasPort, extraH323))
	t.Cleanup(func() {
		if t.Failed() {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
			logs, _ := filepath.Glob(filepath.Join(dir, "roomgate-*.log"))
			for _, l := range logs {
				keepArtifacts(t, l, name+"-roomgate.log")
			}
		}
	})
	hg := &h323GW{sipGW: g, H323Port: h323Port, RASPort: rasPort}
	// Every H.323 test call is captured (call signalling, separate H.245, RAS, SIP,
	// RTP) and dissected by tshark at the end: no malformed packet, no expert error.
	g.capture = h323Capture(t, hg, dir, g.SIPPort)
	g.proc = start(t, dir)
	return hg
}

func (g *h323GW) h323Addr() string { return fmt.Sprintf("127.0.0.1:%d", g.H323Port) }

// waitParticipant polls until a participant of kind is listed whose identity is not
// one of ignore.
func (g *h323GW) waitParticipant(t *testing.T, id, kind string, within time.Duration, ignore ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var last []map[string]any
	for time.Now().Before(deadline) {
		last = g.participants(t, id)
		for _, p := range last {
			if p["kind"] == kind && !slices.Contains(ignore, fmt.Sprint(p["identity"])) {
				return p
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no participant of kind %s in meeting %s after %v; participants: %v\nserver log tail:\n%s", kind, id, within, last, g.logTail())
	return nil
}

// waitNoParticipant polls until no participant of kind is listed.
func (g *h323GW) waitNoParticipant(t *testing.T, id, kind string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last []map[string]any
	for time.Now().Before(deadline) {
		last = g.participants(t, id)
		if !slices.ContainsFunc(last, func(p map[string]any) bool { return p["kind"] == kind }) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("participant of kind %s still in meeting %s %v later: %v\nserver log tail:\n%s", kind, id, within, last, lastN(g.logTail(), 3000))
}

// ---- roomsim ----

var (
	roomsimOnce sync.Once
	roomsimPath string
	roomsimErr  error
)

// roomsimBin is ROOMSIM_BIN, bin/roomsim next to ROOMGATE_BIN (make build), or a
// fresh go build.
func roomsimBin(t *testing.T) string {
	t.Helper()
	roomsimOnce.Do(func() {
		if p := os.Getenv("ROOMSIM_BIN"); p != "" {
			roomsimPath = p
			return
		}
		if p := filepath.Join(filepath.Dir(binPath(t)), "roomsim"); fileExists(p) {
			roomsimPath = p
			return
		}
		roomsimPath = filepath.Join(os.TempDir(), fmt.Sprintf("roomsim-e2e-%d", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", roomsimPath, "./cmd/roomsim")
		cmd.Dir = repoDir(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			roomsimErr = fmt.Errorf("go build ./cmd/roomsim: %v\n%s", err, out)
		}
	})
	if roomsimErr != nil {
		t.Fatal(roomsimErr)
	}
	return roomsimPath
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// simResult is roomsim's final JSON line.
type simResult struct {
	Mode       string    `json:"mode"`
	Registered bool      `json:"registered"`
	Calls      []simCall `json:"calls"`
}

type simCall struct {
	Established  bool     `json:"established"`
	Error        string   `json:"error"`
	States       []string `json:"states"`
	EndBy        string   `json:"end_by"`
	EndWhy       string   `json:"end_why"`
	Cause        int      `json:"cause"`
	Reason       string   `json:"reason"`
	FastStart    string   `json:"faststart"`
	Tunnelling   bool     `json:"tunnelling"`
	H245Separate bool     `json:"h245_separate"`
	PeerProduct  string   `json:"peer_product"`
	ConnectMS    float64  `json:"connect_ms"`
	FirstMediaMS float64  `json:"first_media_ms"`
	AudioTx      uint64   `json:"audio_tx"`
	VideoTx      uint64   `json:"video_tx"`
	Rx           struct {
		AudioPackets  uint64 `json:"audio_packets"`
		VideoPackets  uint64 `json:"video_packets"`
		AudioCodec    string `json:"audio_codec"`
		H264Frames    int    `json:"h264_frames"`
		H264Keyframes int    `json:"h264_keyframes"`
		H264SPS       bool   `json:"h264_sps"`
		Tone          struct {
			Hz          float64 `json:"hz"`
			LoudWindows int     `json:"loud_windows"`
			PeakShare   float64 `json:"peak_share"`
		} `json:"tone"`
	} `json:"rx"`
}

// sim is one roomsim process.
type sim struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  siptest.Buffer
	err  siptest.Buffer
	done chan error
	res  *simResult
	werr error
	fin  bool
}

func startSim(t *testing.T, name string, args ...string) *sim {
	t.Helper()
	s := &sim{t: t, name: name, done: make(chan error, 1)}
	s.cmd = exec.Command(roomsimBin(t), args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.err
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("roomsim: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if !s.fin {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// waitLine waits until roomsim printed a line starting with prefix.
func (s *sim) waitLine(prefix string, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(s.out.String(), "\n") {
			if strings.HasPrefix(l, prefix) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("roomsim %s: no %q within %v\nstdout:\n%s\nstderr:\n%s", s.name, prefix, within, s.out.String(), lastN(s.err.String(), 3000))
}

// wait waits for roomsim to exit and returns its report (exit status aside: a call
// that failed on purpose exits non-zero).
func (s *sim) wait(within time.Duration) *simResult {
	s.t.Helper()
	if !s.fin {
		select {
		case s.werr = <-s.done:
		case <-time.After(within):
			_ = s.cmd.Process.Kill()
			s.werr = <-s.done
			s.t.Errorf("roomsim %s still running after %v (killed)", s.name, within)
		}
		s.fin = true
		sc := bufio.NewScanner(strings.NewReader(s.out.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "{") {
				var r simResult
				if json.Unmarshal([]byte(l), &r) == nil {
					s.res = &r
				}
			}
		}
	}
	if s.res == nil || len(s.res.Calls) == 0 {
		s.t.Fatalf("roomsim %s (%v) printed no report\nstdout:\n%s\nstderr:\n%s", s.name, s.werr, s.out.String(), lastN(s.err.String(), 3000))
	}
	return s.res
}

// call is the report's only call.
func (s *sim) call(within time.Duration) simCall {
	s.t.Helper()
	return s.wait(within).Calls[0]
}

func (s *sim) logs() string {
	return fmt.Sprintf("roomsim %s stdout:\n%s\nstderr:\n%s", s.name, lastN(s.out.String(), 2000), lastN(s.err.String(), 4000))
}

// checkHears: the call received audio at want Hz and, when video, complete H.264
// access units with an IDR and its SPS.
func checkHears(t *testing.T, who string, c simCall, want float64, video bool) {
	t.Helper()
	tone := c.Rx.Tone
	if c.Rx.AudioPackets < 50 || tone.LoudWindows < 10 || tone.PeakShare < 0.5 || tone.Hz < want*0.95-10 || tone.Hz > want*1.05+10 {
		t.Errorf("%s hears %+v in %d audio packets (%s), want %.0f Hz", who, tone, c.Rx.AudioPackets, c.Rx.AudioCodec, want)
	}
	if video && (c.Rx.H264Frames < 10 || c.Rx.H264Keyframes < 1 || !c.Rx.H264SPS) {
		t.Errorf("%s decoded %d complete H.264 access units (%d IDR, SPS %v) of %d packets, want ≥ 10 with an IDR and SPS",
			who, c.Rx.H264Frames, c.Rx.H264Keyframes, c.Rx.H264SPS, c.Rx.VideoPackets)
	}
}
