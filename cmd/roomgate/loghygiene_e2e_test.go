//go:build e2e

package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2ELogHygiene runs a meeting end to end at the shipped log level (info, text):
// two browsers, a SIP room system dialling in (roomsim) and one dialled out (baresip),
// everybody leaving normally, then SIGTERM. The whole log has no WARN or ERROR line, no
// key twice on a line, none of the credentials (the meeting core's configured key and
// secret, the generated operator token, the meeting's host key and hardware password);
// during the calls the gateway listens on no address outside its bind addresses.
func TestE2ELogHygiene(t *testing.T) {
	const coreKey, coreSecret = "APIhygieneKey0001", "hygiene-core-secret-0123456789abcdef"
	g, dir := sipGatewayConfig(t, "", "")
	path := filepath.Join(dir, "roomgate.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "  level: debug\n", "  level: info\n", 1)
	cfg = strings.Replace(cfg, "  embedded:\n", fmt.Sprintf("  embedded:\n    api_key: %s\n    api_secret: %s\n", coreKey, coreSecret), 1)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	g.proc = start(t, dir)
	id, hw, hostKey := g.meeting(t, map[string]any{"topic": "Log hygiene"})

	alice := startBrowserPeer(t, g, id, "Alice", "")
	bob := startBrowserPeer(t, g, id, "Bob", "")
	alice.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })
	bob.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })

	room := startSim(t, "room", "-gw", fmt.Sprintf("127.0.0.1:%d", g.SIPPort), "-meeting", id, "-n", "1", "-d", "15s",
		"-rtp-base", "31000", "-video", "gen", "-fps", "10")
	room.waitLine("started: 1 established: 1", 20*time.Second)
	in := g.waitSIPParticipant(t, id, 15*time.Second)

	bs := startBaresip(t, baresipOpts{User: "room", AnswerMode: "auto", ToneHz: 1000, RTPMin: 12400})
	st, c := g.do("POST", "/api/v1/meetings/"+id+"/dialout", hostKey, map[string]any{"protocol": "sip",
		"address": fmt.Sprintf("sip:room@127.0.0.1:%d;transport=udp", bs.SIPPort), "display_name": "Board Room"})
	if st != 202 {
		t.Fatalf("dialout: %d %v", st, c)
	}
	callID, _ := c["id"].(string)
	if final := g.waitCallState(t, hostKey, callID, 20*time.Second, "connected", "failed", "no_answer", "ended"); final["state"] != "connected" {
		t.Fatalf("dial-out to baresip: %v", final)
	}
	out := g.waitSIPParticipant(t, id, 15*time.Second, fmt.Sprint(in["identity"]))
	t.Logf("dialled room system: %v", out)
	if out["vendor"] != "baresip" {
		t.Errorf("dialled baresip listed with vendor %v, want baresip (from its answer's User-Agent/Server)", out["vendor"])
	}

	rtcUDP := 0
	if m := regexp.MustCompile(`rtc_udp_port: (\d+)`).FindStringSubmatch(cfg); m != nil {
		rtcUDP, _ = strconv.Atoi(m[1])
	}
	configured := func(port int) bool {
		return port == g.SIPPort || port == rtcUDP || port >= g.MediaMin && port <= g.MediaMax
	}
	checkListeners(t, g.cmd.Process.Pid, configured)

	room.call(40 * time.Second) // roomsim hangs up (BYE) after 15 s
	if st, body := g.do("DELETE", "/api/v1/calls/"+callID, hostKey, nil); st != 204 {
		t.Fatalf("DELETE dial-out: %d %v", st, body)
	}
	g.waitCallState(t, hostKey, callID, 10*time.Second, "ended")
	alice.stop()
	bob.stop()
	g.waitNoSIPParticipant(t, id, 15*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for len(g.participants(t, id)) > 0 && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
	}
	if ps := g.participants(t, id); len(ps) > 0 {
		t.Errorf("participants still listed after everybody left: %v", ps)
	}
	token := g.Token
	g.proc.stop()

	log, err := os.ReadFile(g.logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	t.Logf("gateway log: %d lines", len(lines))
	for i, l := range lines {
		keys, err := logfmtKeys(l)
		if err != nil {
			t.Errorf("line %d is not one slog text line (%v): %s", i+1, err, l)
			continue
		}
		if lv := keys.get("level"); lv != "INFO" {
			t.Errorf("line %d at %s: %s", i+1, lv, l)
		}
		for k, n := range keys.count {
			if n > 1 {
				t.Errorf("line %d has key %q %d times: %s", i+1, k, n, l)
			}
		}
	}
	secrets := map[string]string{"core API key": coreKey, "core API secret": coreSecret, "operator token": token, "host key": hostKey}
	if len(hw) >= 6 {
		secrets["hardware password"] = hw
	}
	for what, s := range secrets {
		if s == "" {
			t.Errorf("%s unknown to the test", what)
			continue
		}
		if strings.Contains(string(log), s) {
			t.Errorf("the log shows the %s", what)
		}
	}
	if t.Failed() {
		keepArtifacts(t, g.logPath, "TestE2ELogHygiene-roomgate.log")
	}
}

// logLine is one slog text line's keys: their values, and how often each came.
type logLine struct {
	vals  map[string]string
	count map[string]int
}

func (l logLine) get(k string) string { return l.vals[k] }

// logfmtKeys reads the keys of a slog text line (key=value, values quoted when
// they need to be).
func logfmtKeys(line string) (logLine, error) {
	m := logLine{vals: map[string]string{}, count: map[string]int{}}
	s := line
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \"") {
			return m, fmt.Errorf("no key=value at %q", s)
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := 1
			for ; end < len(s); end++ {
				if s[end] == '\\' {
					end++
				} else if s[end] == '"' {
					break
				}
			}
			if end >= len(s) {
				return m, fmt.Errorf("unterminated value of %s", key)
			}
			uq, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return m, err
			}
			val, s = uq, s[end+1:]
		} else {
			sp := strings.IndexByte(s, ' ')
			if sp < 0 {
				sp = len(s)
			}
			val, s = s[:sp], s[sp:]
		}
		m.vals[key] = val
		m.count[key]++
	}
	return m, nil
}

func (l logLine) String() string { return fmt.Sprint(l.vals) }

// checkListeners: every TCP listener and every UDP socket on a configured port (SIP,
// the meeting core's RTC port, the media range) of the gateway process is on a
// loopback address: the test's configuration binds everything to 127.0.0.1, and the
// namespace also has 10.203.0.1. The other unconnected UDP sockets are those of the
// gateway's own meeting clients (LiveKit's Go SDK: ICE host candidates on every
// interface, mDNS on 5353); the SDK has no setting for their interfaces, so they are
// counted and logged, not failed.
func checkListeners(t *testing.T, pid int, configured func(port int) bool) {
	t.Helper()
	for _, args := range [][]string{{"-H", "-ltnp"}, {"-H", "-lunp"}} {
		out, err := exec.Command("ss", args...).Output()
		if err != nil {
			t.Fatalf("ss %v: %v", args, err)
		}
		n, clients := 0, 0
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			l := sc.Text()
			if !strings.Contains(l, fmt.Sprintf("pid=%d,", pid)) {
				continue
			}
			f := strings.Fields(l)
			if len(f) < 5 {
				continue
			}
			n++
			local := f[3]
			i := strings.LastIndexByte(local, ':')
			port, _ := strconv.Atoi(local[i+1:])
			host, _, _ := strings.Cut(strings.Trim(local[:i], "[]"), "%")
			host = strings.TrimSuffix(host, "]")
			ip, err := netip.ParseAddr(host)
			if err == nil && ip.Unmap().IsLoopback() {
				continue
			}
			if args[1] == "-lunp" && !configured(port) {
				clients++
				continue
			}
			t.Errorf("gateway listens on %s (ss %s): outside its bind addresses", local, strings.Join(args, " "))
		}
		t.Logf("ss %s: %d sockets of the gateway checked", strings.Join(args, " "), n)
		if clients > 0 {
			t.Logf("  of which %d UDP sockets of its meeting clients beyond loopback (ICE host candidates, mDNS: not configurable)", clients)
		}
	}
}
