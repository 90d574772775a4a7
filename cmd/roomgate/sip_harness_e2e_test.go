//go:build e2e

// Harness for the SIP room-system end-to-end tests (issue 4): a roomgate with its SIP
// leg on loopback, a packet capture of every SIP test checked by tshark, SIPp runs from
// the scenarios in testdata/sip/sipp and REST helpers for meetings, participants and
// calls. SIP per RFC 3261, SDP per RFC 4566/3264.
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/roomgate/roomgate/sip/siptest"
)

// sipGW is a roomgate serve process with SIP enabled.
type sipGW struct {
	*proc
	SIPPort  int
	MediaMin int
	MediaMax int
	capture  *capture
}

// mediaBlock hands each test its own RTP range (500 ports in 20000–29999), below the
// kernel's ephemeral range (32768+) where the WebRTC stacks bind: SRTCP there would be
// captured and misread as malformed RTCP.
var mediaBlock atomic.Int32

// freeSIPPort returns a port free for both UDP and TCP on 127.0.0.1.
func freeSIPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return 0
}

// startSIPGateway starts roomgate with the SIP leg; extraMedia is appended under media:
// (e.g. "  timeout: 3s\n"). A capture of the SIP port and the media range runs for the
// whole test and is dissected by tshark at the end (zero malformed packets).
func startSIPGateway(t *testing.T, extraMedia string) *sipGW {
	t.Helper()
	return startSIPGatewayWith(t, "", extraMedia)
}

// startSIPGatewayWith is startSIPGateway with extra keys under sip: too.
func startSIPGatewayWith(t *testing.T, extraSIP, extraMedia string) *sipGW {
	t.Helper()
	g, dir := sipGatewayConfig(t, extraSIP, extraMedia)
	t.Cleanup(func() {
		// Runs after the gateway stopped: keep its log and the capture of a failed test.
		if t.Failed() {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
			logs, _ := filepath.Glob(filepath.Join(dir, "roomgate-*.log"))
			for _, l := range logs {
				keepArtifacts(t, l, name+"-roomgate.log")
			}
			if g.capture != nil {
				keepArtifacts(t, g.capture.file, name+".pcapng")
			}
		}
	})
	g.capture = startCapture(t, fmt.Sprintf("udp portrange %d-%d or port %d", g.MediaMin, g.MediaMax, g.SIPPort), g.SIPPort)
	g.proc = start(t, dir)
	return g
}

// sipGatewayConfig writes the config of a SIP-enabled gateway with its own SIP port
// and media block (extraSIP under sip:, extraMedia under media:) into a new directory.
func sipGatewayConfig(t *testing.T, extraSIP, extraMedia string) (*sipGW, string) {
	t.Helper()
	g := &sipGW{SIPPort: freeSIPPort(t)}
	b := int(mediaBlock.Add(1) - 1)
	g.MediaMin = 20000 + (b%20)*500
	g.MediaMax = g.MediaMin + 499
	dir := t.TempDir()
	writeConfig(t, dir, fmt.Sprintf("sip:\n  enabled: true\n  listen: 127.0.0.1:%d\n%smedia:\n  port_min: %d\n  port_max: %d\n%s",
		g.SIPPort, extraSIP, g.MediaMin, g.MediaMax, extraMedia))
	return g, dir
}

// meeting creates a meeting with the operator token and returns id, hardware password
// and host key.
func (g *sipGW) meeting(t *testing.T, body map[string]any) (id, hw, hostKey string) {
	t.Helper()
	st, m := g.do("POST", "/api/v1/meetings", g.Token, body)
	if st != 201 {
		t.Fatalf("create meeting: %d %v", st, m)
	}
	id, _ = m["id"].(string)
	hw, _ = m["hardware_password"].(string)
	hostKey, _ = m["host_key"].(string)
	return id, hw, hostKey
}

// participants lists the meeting's participants (operator token).
func (g *sipGW) participants(t *testing.T, id string) []map[string]any {
	t.Helper()
	st, body := g.do("GET", "/api/v1/meetings/"+id+"/participants", g.Token, nil)
	if st != 200 {
		t.Fatalf("GET participants: %d %v", st, body)
	}
	var out []map[string]any
	list, _ := body["participants"].([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// waitSIPParticipant polls until a participant of kind "sip" is listed whose identity
// is not one of ignore (earlier calls of the same test).
func (g *sipGW) waitSIPParticipant(t *testing.T, id string, within time.Duration, ignore ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var last []map[string]any
	for time.Now().Before(deadline) {
		last = g.participants(t, id)
		for _, p := range last {
			if p["kind"] == "sip" && !slices.Contains(ignore, fmt.Sprint(p["identity"])) {
				return p
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no participant of kind sip in meeting %s after %v; participants: %v\nserver log tail:\n%s", id, within, last, g.logTail())
	return nil
}

// waitNoSIPParticipant polls until no participant of kind "sip" is listed (only the
// given identities, when some are given).
func (g *sipGW) waitNoSIPParticipant(t *testing.T, id string, within time.Duration, identities ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last []map[string]any
	for time.Now().Before(deadline) {
		last = g.participants(t, id)
		found := false
		for _, p := range last {
			found = found || p["kind"] == "sip" && (len(identities) == 0 || slices.Contains(identities, fmt.Sprint(p["identity"])))
		}
		if !found {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Errorf("room system still listed in meeting %s %v after hang-up: %v\nserver log tail:\n%s", id, within, last, lastN(g.logTail(), 3000))
}

// waitCallState polls GET /api/v1/calls/{id} until the state is one of want.
func (g *sipGW) waitCallState(t *testing.T, auth, callID string, within time.Duration, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	var last map[string]any
	var seen []string
	for time.Now().Before(deadline) {
		st, c := g.do("GET", "/api/v1/calls/"+callID, auth, nil)
		if st != 200 {
			t.Fatalf("GET call %s: %d %v", callID, st, c)
		}
		last = c
		s, _ := c["state"].(string)
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		for _, w := range want {
			if s == w {
				t.Logf("call %s states seen: %v", callID, seen)
				return c
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("call %s never reached %v within %v (states seen %v, last %v)\nserver log tail:\n%s", callID, want, within, seen, last, g.logTail())
	return nil
}

// ---- packet capture and tshark ----

// capture is a dumpcap run on lo.
type capture struct {
	t       *testing.T
	file    string
	sipPort int
	cmd     *exec.Cmd
	stopped bool
	// sipOptional: a test that may make no SIP call (H.323 tests capture the
	// gateway's SIP port too) does not need SIP in the capture.
	sipOptional bool
}

// startCapture runs dumpcap on lo with filter for the rest of the test; at cleanup
// tshark dissects the file (SIP on sipPort, RTP/RTCP heuristics) and any malformed
// packet fails the test.
func startCapture(t *testing.T, filter string, sipPort int) *capture {
	t.Helper()
	return startCaptureOn(t, []string{"lo"}, filter, sipPort)
}

// startCaptureOn is startCapture on the given interfaces (the NAT lab's links).
func startCaptureOn(t *testing.T, ifaces []string, filter string, sipPort int) *capture {
	t.Helper()
	c := &capture{t: t, file: filepath.Join(t.TempDir(), "sip.pcapng"), sipPort: sipPort}
	// -p: no promiscuous mode, whose flag change on a link is a network change to
	// the browsers' WebRTC stacks in the same namespace.
	args := []string{"-q", "-p"}
	for _, i := range ifaces {
		args = append(args, "-i", i)
	}
	c.cmd = exec.Command("dumpcap", append(args, "-f", filter, "-w", c.file)...)
	var stderr siptest.Buffer
	c.cmd.Stderr = &stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("dumpcap (package tshark): %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "Capturing on") {
		if time.Now().After(deadline) {
			_ = c.cmd.Process.Kill()
			t.Fatalf("dumpcap did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		c.stop()
		checkCapture(t, c.file, sipPort, !c.sipOptional)
	})
	return c
}

// stop ends the capture (idempotent) so the file can be read.
func (c *capture) stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	time.Sleep(300 * time.Millisecond)
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	_ = c.cmd.Wait()
}

// count returns how many packets of the (stopped) capture match a display filter.
func (c *capture) count(filter string) int {
	out, err := exec.Command("tshark", tsharkArgs(c.file, c.sipPort, "-Y", filter, "-T", "fields", "-e", "frame.number")...).Output()
	if err != nil {
		c.t.Errorf("tshark -Y %q: %v", filter, err)
		return 0
	}
	return len(strings.Fields(string(out)))
}

// tsharkArgs decodes SIP on the gateway's port (none when 0) and RTP/RTCP by heuristics.
// The heuristics go before the dissectors tied to well-known UDP ports: otherwise media
// on a port that happens to be one (baresip once took 11211) is read as that protocol
// (memcache) and reported malformed.
func tsharkArgs(file string, sipPort int, more ...string) []string {
	args := []string{"-r", file, "-n", "-o", "udp.try_heuristic_first:TRUE",
		"--enable-heuristic", "rtp_udp", "--enable-heuristic", "rtcp_udp"}
	if sipPort > 0 {
		p := strconv.Itoa(sipPort)
		args = append(args, "-d", "udp.port=="+p+",sip", "-d", "tcp.port=="+p+",sip")
	}
	return append(args, more...)
}

func checkCapture(t *testing.T, file string, sipPort int, wantSIP bool) {
	t.Helper()
	out, err := exec.Command("tshark", tsharkArgs(file, sipPort, "-T", "fields", "-e", "frame.protocols")...).Output()
	if err != nil {
		t.Errorf("tshark on the capture: %v", err)
		return
	}
	counts := map[string]int{}
	total := 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l == "" {
			continue
		}
		total++
		for _, proto := range []string{"sip", "sdp", "rtp", "rtcp", "rtpevent"} {
			if strings.Contains(":"+l+":", ":"+proto+":") {
				counts[proto]++
			}
		}
	}
	bad, err := exec.Command("tshark", tsharkArgs(file, sipPort, "-Y", "_ws.malformed || _ws.expert.severity == error",
		"-T", "fields", "-e", "frame.number", "-e", "frame.protocols", "-e", "_ws.col.Info", "-e", "udp.srcport", "-e", "udp.dstport")...).Output()
	if err != nil {
		t.Errorf("tshark malformed filter: %v", err)
		return
	}
	// SRTCP (an m-line with a=crypto) is encrypted: tshark, which has no keys, dissects
	// it as plain RTCP when the SDP leads it to the port and now and then reads the
	// ciphertext as a malformed report. Those packets say nothing about what we send
	// (gateway/rtpsession's tshark test checks our SRTCP after decryption).
	srtcp := srtcpPorts(t, file, sipPort)
	var lines []string
	skipped := 0
	for _, l := range strings.Split(strings.TrimSpace(string(bad)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) >= 5 && strings.HasSuffix(f[1], ":rtcp") && (srtcp[f[3]] || srtcp[f[4]]) {
			skipped++
			continue
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	t.Logf("capture: %d packets, sip %d, sdp %d, rtp %d, rtcp %d, rtpevent %d (SRTCP read as RTCP and malformed: %d, not counted)",
		total, counts["sip"], counts["sdp"], counts["rtp"], counts["rtcp"], counts["rtpevent"], skipped)
	if s := strings.Join(lines, "\n"); s != "" {
		keep := filepath.Join(os.TempDir(), "roomgate-malformed-"+strconv.FormatInt(time.Now().UnixNano(), 10)+".pcapng")
		_ = copyFile(file, keep)
		t.Errorf("tshark reports malformed/erroneous packets (capture kept at %s):\n%s", keep, s)
	}
	if counts["sip"] == 0 && sipPort > 0 && wantSIP {
		t.Errorf("capture holds no SIP packet: the capture filter or the gateway's SIP port is wrong")
	}
}

// srtcpPorts returns the RTCP ports (RTP port + 1, and the RTP port for rtcp-mux) of
// every SDP m-line in the capture that carries a=crypto, as tshark prints ports.
func srtcpPorts(t *testing.T, file string, sipPort int) map[string]bool {
	t.Helper()
	out, err := exec.Command("tshark", tsharkArgs(file, sipPort, "-Y", "sdp", "-V")...).Output()
	if err != nil {
		t.Errorf("tshark SDP tree: %v", err)
		return nil
	}
	ports := map[string]bool{}
	port := 0
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if m, ok := strings.CutPrefix(l, "Media Description, name and address (m): "); ok {
			port = 0
			if f := strings.Fields(m); len(f) > 1 {
				port, _ = strconv.Atoi(f[1])
			}
			continue
		}
		if strings.HasPrefix(l, "Media Attribute (a): crypto:") && port > 0 {
			ports[strconv.Itoa(port)] = true
			ports[strconv.Itoa(port+1)] = true
		}
	}
	return ports
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// ---- SIPp ----

// sippRun is one SIPp process (one call: -m 1).
type sippRun struct {
	t         *testing.T
	name      string
	cmd       *exec.Cmd
	dir       string
	SIPPort   int // local SIP port
	MediaPort int // local RTP port (audio; video is MediaPort+2)
	out       siptest.Buffer
	done      chan error
	err       error
	finished  bool
}

// sippScenario renders testdata/sip/sipp/name (text/template with data) into dir.
func sippScenario(t *testing.T, dir, name string, data any) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoDir(t), "testdata", "sip", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := template.New(name).Delims("{{", "}}").Parse(string(src))
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	path := filepath.Join(dir, filepath.Base(name))
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startSIPp runs sipp with a scenario. remote is "host:port" for a UAC ("" for a UAS),
// sipPort the local SIP port, mediaPort the local RTP port. With both 0 it picks free
// ports itself (r.SIPPort, r.MediaPort) and returns once sipp holds them; a port taken
// meanwhile by another process makes sipp exit with "Address already in use", and it is
// started again on other ports (3 attempts).
func startSIPp(t *testing.T, scenario string, data any, remote string, sipPort, mediaPort int, args ...string) *sippRun {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Fatalf("sipp missing (Debian sip-tester; `make test` installs it): %v", err)
	}
	dir := t.TempDir()
	sf := sippScenario(t, dir, scenario, data)
	choose := sipPort == 0 && mediaPort == 0
	for attempt := 1; ; attempt++ {
		if choose {
			sipPort, mediaPort = freeSIPPort(t), freeSIPPort(t)
		}
		r := &sippRun{t: t, name: scenario, dir: dir, SIPPort: sipPort, MediaPort: mediaPort, done: make(chan error, 1)}
		all := []string{"-sf", sf, "-i", "127.0.0.1", "-p", strconv.Itoa(sipPort), "-mi", "127.0.0.1",
			"-mp", strconv.Itoa(mediaPort), "-m", "1", "-nostdin", "-timeout", "50", "-timeout_error",
			"-trace_msg", "-message_file", filepath.Join(r.dir, "messages.log"),
			"-trace_err", "-error_file", filepath.Join(r.dir, "errors.log"),
			"-trace_logs", "-log_file", filepath.Join(r.dir, "logs.log")}
		all = append(all, args...)
		if remote != "" {
			all = append(all, remote)
		}
		r.cmd = exec.Command("sipp", all...)
		r.cmd.Dir = r.dir
		r.cmd.Stdout = &r.out
		r.cmd.Stderr = &r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatalf("sipp: %v", err)
		}
		go func() { r.done <- r.cmd.Wait() }()
		// Still starting after 5 s or exited otherwise: wait() and the scenario's timeouts tell.
		if !choose || attempt == 3 || siptest.WaitSIPp(r.cmd.Process.Pid, r.done, &r.out, sipPort, mediaPort) != siptest.PortTaken {
			t.Cleanup(func() {
				if !r.finished {
					_ = r.cmd.Process.Kill()
					<-r.done
				}
			})
			return r
		}
		t.Logf("sipp %s attempt %d: a port was taken meanwhile, starting again on others", scenario, attempt)
	}
}

// wait waits for SIPp to exit; it returns nil when the call passed (exit 0).
func (r *sippRun) wait(within time.Duration) error {
	if r.finished {
		return r.err
	}
	select {
	case r.err = <-r.done:
	case <-time.After(within):
		_ = r.cmd.Process.Kill()
		<-r.done
		r.err = fmt.Errorf("sipp %s still running after %v (killed)", r.name, within)
	}
	r.finished = true
	return r.err
}

// mustPass waits and fails the test with SIPp's traces when the scenario failed.
func (r *sippRun) mustPass(g *sipGW, within time.Duration) {
	r.t.Helper()
	if err := r.wait(within); err != nil {
		tail := ""
		if g != nil {
			tail = g.logTail()
		}
		r.t.Fatalf("SIPp scenario %s failed: %v\nscreen:\n%s\nerrors:\n%s\nmessages:\n%s\nserver log tail:\n%s", r.name, err, lastN(r.out.String(), 1500), r.file("errors.log"), lastN(r.file("messages.log"), 8000), tail)
	}
}

func (r *sippRun) file(name string) string {
	b, _ := os.ReadFile(filepath.Join(r.dir, name))
	return string(b)
}

func lastN(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// sipMsg is one message of SIPp's message trace.
type sipMsg struct {
	Sent  bool
	At    time.Time
	First string // request line or status line
	Text  string
}

var reTraceHead = regexp.MustCompile(`(?m)^-{10,} (\S+\s+\S+)\s*\n(UDP|TCP) message (sent|received)[^\n]*\n`)

// messages parses SIPp's -trace_msg file.
func (r *sippRun) messages() []sipMsg {
	s := r.file("messages.log")
	idx := reTraceHead.FindAllStringSubmatchIndex(s, -1)
	var out []sipMsg
	for i, m := range idx {
		end := len(s)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		body := strings.TrimLeft(s[m[1]:end], "\r\n ")
		at, _ := time.ParseInLocation("2006-01-02 15:04:05.000000", strings.Join(strings.Fields(s[m[2]:m[3]]), " "), time.Local)
		first, _, _ := strings.Cut(body, "\n")
		out = append(out, sipMsg{Sent: s[m[6]:m[7]] == "sent", At: at, First: strings.TrimSpace(first), Text: body})
	}
	return out
}

// find returns the first message whose first line starts with prefix (received or sent).
func (r *sippRun) find(sent bool, prefix string) (sipMsg, bool) {
	for _, m := range r.messages() {
		if m.Sent == sent && strings.HasPrefix(m.First, prefix) {
			return m, true
		}
	}
	return sipMsg{}, false
}

// sdpBody returns the body of a SIP message (after the blank line).
func sdpBody(msg string) string {
	msg = strings.ReplaceAll(msg, "\r\n", "\n")
	if _, body, ok := strings.Cut(msg, "\n\n"); ok {
		return body
	}
	return ""
}

// mLines returns the m= lines of an SDP body.
func mLines(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "m=") {
			out = append(out, l)
		}
	}
	return out
}

// mPort returns the port of an m= line.
func mPort(m string) int {
	f := strings.Fields(m)
	if len(f) < 2 {
		return -1
	}
	n, err := strconv.Atoi(strings.Split(f[1], "/")[0])
	if err != nil {
		return -1
	}
	return n
}
