//go:build e2e

// Adversarial end-to-end tests of the meeting side (issue 11): attackers on other
// loopback addresses (127.0.0.2 …) against a real `roomgate serve`, legitimate users
// on 127.0.0.1. Each test names the attack and what must still work.
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fromAddr is an HTTP client whose connections leave from the loopback address src.
func fromAddr(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// doFrom is proc.do from the address src.
func (p *proc) doFrom(src, method, path, auth string, body any) (int, map[string]any) {
	p.t.Helper()
	return p.doWith(fromAddr(src), method, path, auth, body)
}

func (p *proc) createMeeting(body map[string]any) map[string]any {
	p.t.Helper()
	st, m := p.do("POST", "/api/v1/meetings", p.Token, body)
	if st != 201 {
		p.t.Fatalf("create meeting: %d %v", st, m)
	}
	return m
}

// logCount counts the server log lines containing s.
func (p *proc) logCount(s string) int {
	b, _ := os.ReadFile(p.logPath)
	return bytes.Count(b, []byte(s))
}

// TestAttackRoomsTrickleLockout: a trickle of wrong passwords from four addresses
// (five each, a "company NAT" worth of typos or a slow guesser) must not lock the
// right password, the host key or the operator token out from a fifth address.
func TestAttackRoomsTrickleLockout(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir)
	m := p.createMeeting(map[string]any{"topic": "trickle", "password": "tiger"})
	id, hostKey := m["id"].(string), m["host_key"].(string)
	join := "/api/v1/meetings/" + id + "/join"
	for a := 2; a <= 5; a++ {
		src := fmt.Sprintf("127.0.0.%d", a)
		for i := range 5 {
			if st, b := p.doFrom(src, "POST", join, "", map[string]any{"name": "x", "password": fmt.Sprintf("guess%d", i)}); st != 401 {
				t.Fatalf("guess %d from %s: %d %v, want 401", i, src, st, b)
			}
		}
	}
	for _, c := range []struct {
		name, auth string
		body       map[string]any
	}{
		{"right password", "", map[string]any{"name": "Ann", "password": "tiger"}},
		{"host key", "", map[string]any{"name": "Host", "host_key": hostKey}},
		{"operator token", p.Token, map[string]any{"name": "Operator"}},
	} {
		if st, b := p.doFrom("127.0.0.1", "POST", join, c.auth, c.body); st != 200 || b["status"] != "joined" {
			t.Errorf("%s from 127.0.0.1 after the trickle: %d %v, want 200 joined", c.name, st, b)
		}
	}
	// The guessers themselves are held back at this meeting now.
	if st, _ := p.doFrom("127.0.0.2", "POST", join, "", map[string]any{"name": "x", "password": "guess9"}); st != 429 {
		t.Errorf("sixth guess from 127.0.0.2: %d, want 429", st)
	}
	// No line per attempt at warn level or above: refusals are counted, not logged.
	if n := p.logCount(`msg="join refused"`); n > 0 {
		t.Errorf("%d 'join refused' lines for wrong passwords: one attacker must not fill the log", n)
	}
}

// sipDial sends one INVITE for user@gw from src over UDP and returns the final
// status. An answered call (200) is acknowledged and hung up at once.
func sipDial(t *testing.T, src string, gwPort int, user string) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	gw := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: gwPort}
	local := c.LocalAddr().(*net.UDPAddr)
	callID := fmt.Sprintf("atk-%d@%s", time.Now().UnixNano(), src)
	tag := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	sdp := fmt.Sprintf("v=0\r\no=atk 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", src, src, local.Port+2)
	head := func(method string, cseq int, branch, toTag string) string {
		to := fmt.Sprintf("<sip:%s@127.0.0.1:%d>", user, gwPort)
		if toTag != "" {
			to += ";tag=" + toTag
		}
		return fmt.Sprintf("%s sip:%s@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\n"+
			"From: <sip:attacker@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:attacker@%s>\r\n",
			method, user, gwPort, local, branch, src, tag, to, callID, cseq, method, local)
	}
	invite := head("INVITE", 1, "inv"+tag, "") + fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(sdp), sdp)
	buf := make([]byte, 65535)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.WriteToUDP([]byte(invite), gw); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				break // retransmit
			}
			msg := string(buf[:n])
			if !strings.HasPrefix(msg, "SIP/2.0 ") || !strings.Contains(msg, callID) {
				continue // a request from the gateway (none expected before the answer)
			}
			status, _ := strconv.Atoi(msg[8:11])
			if status < 200 {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				continue
			}
			if status >= 300 {
				ack := head("ACK", 1, "inv"+tag, toTagOf(msg)) + "Content-Length: 0\r\n\r\n"
				c.WriteToUDP([]byte(ack), gw)
				return status
			}
			toTag := toTagOf(msg)
			c.WriteToUDP([]byte(head("ACK", 1, "ack"+tag, toTag)+"Content-Length: 0\r\n\r\n"), gw)
			bye := head("BYE", 2, "bye"+tag, toTag) + "Content-Length: 0\r\n\r\n"
			c.WriteToUDP([]byte(bye), gw)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				n, _, err := c.ReadFromUDP(buf)
				if err != nil || strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") && strings.Contains(string(buf[:n]), "BYE") {
					return status
				}
			}
		}
	}
	t.Fatalf("INVITE %s from %s: no final answer", user, src)
	return 0
}

func toTagOf(msg string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if l := strings.ToLower(line); strings.HasPrefix(l, "to:") || strings.HasPrefix(l, "t:") {
			if i := strings.Index(line, ";tag="); i >= 0 {
				return strings.TrimSpace(strings.SplitN(line[i+5:], ";", 2)[0])
			}
		}
	}
	return ""
}

// TestAttackRoomsPlainDials: dialling ID@gw without a PIN is the documented way into
// the IVR, not a wrong password. Seven plain dials from one address, then the
// dial string with the right hardware password from the same address gets in; a
// wrong PIN in the dial string is one guess, not two.
func TestAttackRoomsPlainDials(t *testing.T) {
	g := startSIPGateway(t, "")
	id, hw, _ := g.meeting(t, map[string]any{"topic": "plain dials", "password": "tiger"})
	for i := range 7 {
		if st := sipDial(t, "127.0.0.3", g.SIPPort, id); st != 200 {
			t.Fatalf("plain dial %d of %s@gw: %d, want 200 (answered for the IVR)", i+1, id, st)
		}
	}
	if st := sipDial(t, "127.0.0.3", g.SIPPort, id+"."+hw); st != 200 {
		t.Fatalf("dial with the right hardware password after plain dials: %d, want 200", st)
	}
	// One wrong PIN in the dial string from another address: counted once.
	if st := sipDial(t, "127.0.0.4", g.SIPPort, id+".000000"); st != 200 {
		t.Fatalf("dial with a wrong PIN: %d, want 200 (the IVR asks again)", st)
	}
	st, sec := g.do("GET", "/api/v1/security", g.Token, nil)
	if st != 200 {
		t.Fatalf("security counters: %d %v", st, sec)
	}
	if n := sec["counters"].(map[string]any)["wrong_passwords"].(float64); n != 1 {
		t.Fatalf("wrong passwords counted = %v, want 1 (plain dials are none, a dial-string PIN counts once)", n)
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestAttackRoomsSlowAndIdleHTTP: one address opens 700 connections, keep-alive
// ones left idle after a request and slow ones that never finish their body. The
// server's descriptor limit is set to what it uses plus 400. A legitimate API request
// from another address must still be answered.
func TestAttackRoomsSlowAndIdleHTTP(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir)
	pid := p.cmd.Process.Pid
	limit := openFDs(t, pid) + 400
	if out, err := exec.Command("prlimit", "--pid", strconv.Itoa(pid), fmt.Sprintf("--nofile=%d:%d", limit, limit)).CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v %s", err, out)
	}
	host := strings.TrimPrefix(p.URL, "http://")
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 2 * time.Second}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range 700 {
		c, err := d.Dial("tcp", host)
		if err != nil {
			continue // the backlog is full: the attacker is the one waiting
		}
		held = append(held, c)
		if i%2 == 0 {
			// idle keep-alive: one request, then nothing
			fmt.Fprintf(c, "GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
		} else {
			// slow: headers, then a body that never comes
			fmt.Fprintf(c, "POST /api/v1/meetings/123456789/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		}
	}
	// Let the accept loop reach every connection it will take.
	for _, c := range held[len(held)-5:] {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		c.Read(make([]byte, 1))
	}
	t.Logf("attacker holds %d connections; server fds %d of %d", len(held), openFDs(t, pid), limit)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", p.URL+"/api/v1/meetings", strings.NewReader(`{"topic":"legit"}`))
	req.Header.Set("Authorization", "Bearer "+p.Token)
	resp, err := fromAddr("127.0.0.1").Do(req)
	if err != nil {
		t.Fatalf("legitimate API request while an attacker holds connections: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("legitimate API request: %d, want 201", resp.StatusCode)
	}
	if n := p.logCount("connection cap reached"); n != 1 {
		t.Errorf("%d 'connection cap reached' lines, want 1 for one flooding source", n)
	}
}

// joinRTC opens the meeting core's signalling WebSocket through the gateway with a
// join token, so that the participant exists in the meeting (the handshake only:
// nothing is read; closing the connection leaves).
func joinRTC(t *testing.T, base, token string) net.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /rtc?access_token=%s&protocol=15&auto_subscribe=0 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", url.QueryEscape(token), u.Host)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		t.Fatalf("signalling upgrade: %q %v", status, err)
	}
	c.SetReadDeadline(time.Time{})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestAttackRoomsHostHandoverSecrets: the host leaves without naming a successor;
// the guest promoted to host runs the session (lock) but cannot read the host key
// or the passwords, nor change the password or delete the meeting — not even
// after leaving.
func TestAttackRoomsHostHandoverSecrets(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir)
	m := p.createMeeting(map[string]any{"topic": "handover", "password": "tiger"})
	id, hostKey := m["id"].(string), m["host_key"].(string)
	base := "/api/v1/meetings/" + id
	st, host := p.do("POST", base+"/join", "", map[string]any{"name": "Host", "host_key": hostKey})
	if st != 200 {
		t.Fatalf("host join: %d %v", st, host)
	}
	joinRTC(t, p.URL, host["token"].(string))
	st, guest := p.do("POST", base+"/join", "", map[string]any{"name": "Guest", "password": "tiger"})
	if st != 200 {
		t.Fatalf("guest join: %d %v", st, guest)
	}
	joinRTC(t, p.URL, guest["token"].(string))
	gs := guest["session"].(string)
	// Wait until both are in the meeting, then the host leaves.
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, ps := p.do("GET", base+"/participants", hostKey, nil)
		if st == 200 && len(ps["participants"].([]any)) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("participants never reached 2: %d %v", st, ps)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st, b := p.do("POST", base+"/leave", host["session"].(string), map[string]any{}); st != 204 {
		t.Fatalf("host leaves: %d %v", st, b)
	}
	// The guest is host for the session now: it may lock the meeting.
	if st, b := p.do("PATCH", base, gs, map[string]any{"settings": map[string]any{"locked": true}}); st != 200 {
		t.Fatalf("promoted guest locks: %d %v (is it host?)", st, b)
	}
	check := func(when string) {
		if st, v := p.do("GET", base, gs, nil); st != 200 || v["host_key"] != nil || v["password"] != nil || v["hardware_password"] != nil {
			t.Errorf("%s: promoted guest reads the meeting: %d %v, want no secrets", when, st, v)
		}
		if st, v := p.do("GET", base+"/invitation", gs, nil); st != 200 || v["password"] != nil || v["hardware_password"] != nil {
			t.Errorf("%s: promoted guest reads the invitation: %d %v, want no secrets", when, st, v)
		}
		if st, v := p.do("PATCH", base, gs, map[string]any{"password": "stolen"}); st != 403 {
			t.Errorf("%s: promoted guest changes the password: %d %v, want 403", when, st, v)
		}
		if st, _ := p.do("POST", base+"/hardware_password", gs, nil); st != 403 {
			t.Errorf("%s: promoted guest regenerates the hardware password: %d, want 403", when, st)
		}
		if st, _ := p.do("DELETE", base, gs, nil); st != 403 {
			t.Errorf("%s: promoted guest deletes the meeting: %d, want 403", when, st)
		}
	}
	check("in the meeting")
	p.do("POST", base+"/leave", gs, map[string]any{})
	check("after leaving")
	if st, v := p.do("GET", base, hostKey, nil); st != 200 || v["password"] != "tiger" {
		t.Fatalf("owner after the attempts: %d %v, want the meeting intact", st, v)
	}
}

// TestAttackRoomsBanSurvivesRestart: one address guesses at many meetings until it
// is banned (one log line, one counter); the ban holds after a restart — its right
// password is refused while another address gets in; ten addresses failing at one
// meeting raise one alert.
func TestAttackRoomsBanSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir)
	var ids []string
	for range 7 {
		ids = append(ids, p.createMeeting(map[string]any{"password": "tiger"})["id"].(string))
	}
	// 30 wrong passwords (the default ban_after), five per meeting (below each
	// meeting's back-off).
	n := 0
	for _, id := range ids {
		for i := 0; i < 5 && n < 30; i++ {
			st, _ := p.doFrom("127.0.0.6", "POST", "/api/v1/meetings/"+id+"/join", "", map[string]any{"name": "x", "password": fmt.Sprintf("g%d", n)})
			if st != 401 && n < 29 {
				t.Fatalf("guess %d: %d, want 401", n, st)
			}
			n++
		}
	}
	if c := p.logCount("security event: source banned"); c != 1 {
		t.Fatalf("%d ban lines, want exactly 1\n%s", c, p.logTail())
	}
	for a := 10; a < 20; a++ {
		p.doFrom(fmt.Sprintf("127.0.0.%d", a), "POST", "/api/v1/meetings/"+ids[6]+"/join", "", map[string]any{"name": "x", "password": "nope"})
	}
	if c := p.logCount("security alert"); c != 1 || p.logCount("level=ERROR+4") != 1 {
		t.Errorf("alert lines %d (ERROR+4: %d), want 1 for ten sources failing at one meeting", c, p.logCount("level=ERROR+4"))
	}
	p.stop()

	p2 := start(t, dir)
	if st, b := p2.doFrom("127.0.0.6", "POST", "/api/v1/meetings/"+ids[0]+"/join", "", map[string]any{"name": "x", "password": "tiger"}); st != 429 {
		t.Fatalf("banned address after a restart, right password: %d %v, want 429", st, b)
	}
	if st, _ := p2.doFrom("127.0.0.1", "POST", "/api/v1/meetings/"+ids[0]+"/join", "", map[string]any{"name": "x", "password": "tiger"}); st != 200 {
		t.Fatalf("another address after the restart: %d, want 200", st)
	}
	st, sec := p2.do("GET", "/api/v1/security", p2.Token, nil)
	if st != 200 || len(sec["bans"].([]any)) != 1 {
		t.Fatalf("ban list after restart: %d %v", st, sec)
	}
}
