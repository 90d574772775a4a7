//go:build e2e

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/siptest"
)

// browserPeer is a Chromium participant run by rooms/web/e2e/sip_peer.mjs.
type browserPeer struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr siptest.Buffer
	mu     sync.Mutex
	events []map[string]any
	notify chan struct{}
	exited chan error
}

func startBrowserPeer(t *testing.T, g *sipGW, id, name, password string) *browserPeer {
	t.Helper()
	return startPeerScript(t, g, "e2e/sip_peer.mjs", "MEETING_ID="+id, "PEER_NAME="+name, "MEETING_PASSWORD="+password)
}

// startPeerScript runs a browser peer script of rooms/web (env: more, besides the
// gateway's URL and token) and collects its JSON lines.
func startPeerScript(t *testing.T, g *sipGW, script string, env ...string) *browserPeer {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("/usr/bin/chromium missing: `make test` installs it (apt-get install chromium)")
	}
	b := &browserPeer{t: t, notify: make(chan struct{}, 1), exited: make(chan error, 1)}
	b.cmd = exec.Command("node", script)
	b.cmd.Dir = filepath.Join(repoDir(t), "rooms", "web")
	b.cmd.Env = append(append(os.Environ(), "ROOMGATE_URL="+g.URL, "ROOMGATE_TOKEN="+g.Token, "ARTIFACTS_DIR="+t.TempDir()), env...)
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if b.stdin, err = b.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("node: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			b.mu.Lock()
			b.events = append(b.events, m)
			b.mu.Unlock()
			select {
			case b.notify <- struct{}{}:
			default:
			}
		}
		b.exited <- b.cmd.Wait()
	}()
	t.Cleanup(b.stop)
	return b
}

func (b *browserPeer) stop() {
	if b.stdin == nil {
		return
	}
	b.stdin.Close()
	b.stdin = nil
	select {
	case <-b.exited:
	case <-time.After(15 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
}

// waitFor waits until pred holds for some event (scanning all events so far).
func (b *browserPeer) waitFor(what string, within time.Duration, pred func(map[string]any) bool) map[string]any {
	b.t.Helper()
	return b.waitFrom(0, what, within, pred)
}

// waitFrom is waitFor on the events from index from on (see mark).
func (b *browserPeer) waitFrom(from int, what string, within time.Duration, pred func(map[string]any) bool) map[string]any {
	b.t.Helper()
	deadline := time.After(within)
	for {
		b.mu.Lock()
		for _, e := range b.events[min(from, len(b.events)):] {
			if e["event"] == "error" {
				b.mu.Unlock()
				b.t.Fatalf("browser peer failed: %v\n%s", e["error"], lastN(b.stderr.String(), 2000))
			}
			if pred(e) {
				b.mu.Unlock()
				return e
			}
		}
		b.mu.Unlock()
		select {
		case <-b.notify:
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			b.mu.Lock()
			last := ""
			if n := len(b.events); n > 0 {
				j, _ := json.Marshal(b.events[n-1])
				last = string(j)
			}
			b.mu.Unlock()
			b.t.Fatalf("browser peer: %s not seen within %v; last event %s\n%s", what, within, last, lastN(b.stderr.String(), 2000))
			return nil
		}
	}
}

// sipStats returns, from a stats event, the stats of the first remote whose identity
// starts with "sip-".
func sipStats(e map[string]any) (string, map[string]any) {
	st, _ := e["stats"].(map[string]any)
	for ident, v := range st {
		if strings.HasPrefix(ident, "sip-") {
			m, _ := v.(map[string]any)
			return ident, m
		}
	}
	return "", nil
}

func num(m map[string]any, k string) float64 {
	f, _ := m[k].(float64)
	return f
}

// remoteTones returns the loud peak frequencies the browser measured on ident's audio.
func (b *browserPeer) remoteTones(ident string) []float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []float64
	for _, e := range b.events {
		tones, _ := e["tones"].(map[string]any)
		if x, ok := tones[ident].(map[string]any); ok && num(x, "db") > -75 {
			out = append(out, num(x, "hz"))
		}
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestE2ESIPBaresipMeeting: baresip (PCMU 1000 Hz tone, H.264 via avcodec) dials
// ID@gateway while a Chromium participant is in the meeting. The browser decodes the
// room system's video and audio; baresip hears the browser's microphone tone and decodes
// H.264; the participants API describes the room system.
func TestE2ESIPBaresipMeeting(t *testing.T) {
	g := startSIPGateway(t, "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "SIP media"})
	peer := startBrowserPeer(t, g, id, "Browser Bea", "")
	mic := peer.waitFor("mic_tone", 60*time.Second, func(e map[string]any) bool { return e["event"] == "mic_tone" })
	micHz := num(mic, "hz")
	t.Logf("browser fake microphone: dominant %.0f Hz (%v loud readings)", micHz, mic["loud"])
	if micHz < 100 || micHz > 3800 {
		t.Fatalf("browser microphone tone %.0f Hz is not measurable through PCMU", micHz)
	}
	peer.waitFor("joined", 60*time.Second, func(e map[string]any) bool { return e["event"] == "joined" })

	room := startBaresip(t, baresipOpts{User: "room", AnswerMode: "manual", ToneHz: 1000, RTPMin: 12000})
	dialAt := time.Now()
	room.command("dial", fmt.Sprintf("sip:%s@127.0.0.1:%d", id, g.SIPPort))
	if _, err := room.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
		t.Fatalf("baresip: %v\nbaresip log:\n%s\nserver log:\n%s", err, lastN(room.log(), 3000), g.logTail())
	}
	t.Logf("dial → established in %v", time.Since(dialAt))

	p := g.waitSIPParticipant(t, id, 15*time.Second)
	t.Logf("participant: %v", p)
	// docs/api.md names the field "name"; the issue says display_name: either will do.
	if dn, _ := p["display_name"].(string); dn == "" {
		if n, _ := p["name"].(string); n == "" {
			t.Errorf("room system has no display name: %v", p)
		}
	}
	if v, _ := p["vendor"].(string); !strings.EqualFold(v, "baresip") {
		t.Errorf("vendor %q, want baresip (User-Agent: baresip v1.0.0 …)", v)
	}
	if codecs, _ := p["codecs"].([]any); len(codecs) == 0 || !strings.Contains(strings.ToLower(fmt.Sprint(codecs)), "pcmu") || !strings.Contains(strings.ToLower(fmt.Sprint(codecs)), "h264") {
		t.Errorf("codecs %v, want the negotiated PCMU and H264", p["codecs"])
	}

	// The browser decodes the room system's video and audio.
	var ident string
	first := peer.waitFor("sip-* video frames decoded", 30*time.Second, func(e map[string]any) bool {
		i, s := sipStats(e)
		ident = i
		return s != nil && num(s, "framesDecoded") > 0
	})
	_, s1 := sipStats(first)
	later := peer.waitFor("sip-* frames and audio growing", 20*time.Second, func(e map[string]any) bool {
		_, s := sipStats(e)
		return s != nil && num(s, "framesDecoded") > num(s1, "framesDecoded")+10 && num(s, "audioPackets") > num(s1, "audioPackets") && num(s, "audioEnergy") > 0
	})
	_, s2 := sipStats(later)
	t.Logf("browser decodes %s: video %v frames (%v), audio %v packets, energy %.3g", ident, num(s2, "framesDecoded"), s2["videoCodec"], num(s2, "audioPackets"), num(s2, "audioEnergy"))
	if c, _ := s2["videoCodec"].(string); !strings.EqualFold(c, "video/H264") {
		t.Errorf("room-system video reaches the browser as %q, want video/H264 (passthrough)", c)
	}

	time.Sleep(6 * time.Second) // let baresip record the browser
	if tones := peer.remoteTones(ident); len(tones) > 0 {
		hz := median(tones)
		t.Logf("browser hears the room system at %.0f Hz (%d readings)", hz, len(tones))
		if math.Abs(hz-1000) > 60 {
			t.Errorf("browser hears %.0f Hz from the room system, want its 1000 Hz tone", hz)
		}
	} else {
		t.Logf("browser's WebAudio analyser got no loud reading of the remote track (energy above is the audio check)")
	}

	room.command("hangup", "")
	if _, err := room.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Errorf("baresip hang-up: %v", err)
	}
	g.waitNoSIPParticipant(t, id, 10*time.Second)
	room.stop()

	samples, rate, file, err := room.recording()
	if err != nil {
		t.Fatal(err)
	}
	tone := dominantTone(samples, rate)
	t.Logf("baresip recorded %.1f s (%s): %+v; browser microphone %.0f Hz", float64(len(samples))/float64(rate), filepath.Base(file), tone, micHz)
	keepArtifacts(t, file, "sip-baresip-received.wav")
	if tone.LoudWindows < 10 || math.Abs(tone.Hz-micHz) > 0.05*micHz+15 || tone.PeakShare < 0.5 {
		t.Errorf("baresip hears %+v, want the browser's %.0f Hz tone", tone, micHz)
	}
	if !videoDecoded(room.log()) {
		t.Errorf("baresip decoded no H.264 from the gateway; log tail:\n%s", lastN(room.log(), 3000))
	}
}

// TestE2ESIPRoomSystemsHearEachOther: three baresip room systems in one meeting,
// nobody else: a PCMU room with a 1000 Hz tone, a G.722 room with a 440 Hz tone and a
// silent G.722 room. Each talking room hears the other's tone and not its own — the
// gateway mixes its own calls' audio for each other directly, not through the meeting
// core — and the silent room hears both, on the G.722 stream the gateway encodes once
// for the rooms that do not talk. All decode the H.264 they are sent.
func TestE2ESIPRoomSystemsHearEachOther(t *testing.T) {
	g := startSIPGateway(t, "")
	id, _, _ := g.meeting(t, map[string]any{"topic": "three rooms"})
	rooms := []*baresip{
		startBaresip(t, baresipOpts{User: "room-a", AnswerMode: "manual", ToneHz: 1000, RTPMin: 12000}),
		startBaresip(t, baresipOpts{User: "room-b", AnswerMode: "manual", ToneHz: 440, RTPMin: 12200, Codec: "g722"}),
		startBaresip(t, baresipOpts{User: "room-c", AnswerMode: "manual", ToneHz: 0, RTPMin: 12400, Codec: "g722"}),
	}
	var seen []string
	for _, r := range rooms {
		r.command("dial", fmt.Sprintf("sip:%s@127.0.0.1:%d", id, g.SIPPort))
		if _, err := r.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
			t.Fatalf("baresip: %v\nbaresip log:\n%s\nserver log:\n%s", err, lastN(r.log(), 3000), g.logTail())
		}
		p := g.waitSIPParticipant(t, id, 15*time.Second, seen...)
		seen = append(seen, fmt.Sprint(p["identity"]))
		t.Logf("joined: %v", p)
	}
	time.Sleep(8 * time.Second) // all record each other
	hangUpAll(t, g, id, rooms)
	for i, r := range rooms {
		r.stop()
		samples, rate, file, err := r.recording()
		if err != nil {
			t.Fatal(err)
		}
		keepArtifacts(t, file, fmt.Sprintf("sip-room-%d-received.wav", i))
		if !videoDecoded(r.log()) {
			t.Errorf("room %d decoded no H.264 from the gateway; log tail:\n%s", i, lastN(r.log(), 3000))
		}
		if i == 2 {
			// The silent room: both tones, neither far below the other.
			x := make([]float64, 0, len(samples))
			for _, v := range samples[min(len(samples), rate):] { // past the first second
				x = append(x, float64(v))
			}
			p440, p1k := goertzelPower(x, rate, 440), goertzelPower(x, rate, 1000)
			ratio := 10 * math.Log10(p440/p1k)
			t.Logf("room %d (silent, G.722) recorded %.1f s at %d Hz: 440 Hz vs 1000 Hz %.1f dB", i, float64(len(samples))/float64(rate), rate, ratio)
			if math.IsNaN(ratio) || math.Abs(ratio) > 10 || dominantTone(samples, rate).LoudWindows < 10 {
				t.Errorf("the silent room does not hear both rooms: 440 Hz vs 1000 Hz %.1f dB", ratio)
			}
			continue
		}
		want := []float64{440, 1000}[i] // the other talking room's tone
		tone := dominantTone(samples, rate)
		t.Logf("room %d recorded %.1f s at %d Hz: %+v (want %.0f Hz)", i, float64(len(samples))/float64(rate), rate, tone, want)
		if tone.LoudWindows < 10 || math.Abs(tone.Hz-want) > 0.05*want+15 || tone.PeakShare < 0.5 {
			t.Errorf("room %d hears %+v, want the other room's %.0f Hz tone and not its own", i, tone, want)
		}
	}
}

// hangUpAll hangs every room up and waits until none is left in the meeting.
func hangUpAll(t *testing.T, g *sipGW, id string, rooms []*baresip) {
	t.Helper()
	for _, r := range rooms {
		r.command("hangup", "")
		if _, err := r.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
			t.Errorf("baresip hang-up: %v", err)
		}
	}
	g.waitNoSIPParticipant(t, id, 10*time.Second)
}

// TestE2ESIPBaresipPasswordAndIVR: baresip joins a password meeting with ID.HWPASS, and
// through the IVR (sip:ivr@) typing ID# and HWPASS# as RFC 4733 telephone-events.
func TestE2ESIPBaresipPasswordAndIVR(t *testing.T) {
	g := startSIPGateway(t, "")
	id, hw, _ := g.meeting(t, map[string]any{"topic": "SIP password", "password": "tiger7"})
	if !reHWPass.MatchString(hw) {
		t.Fatalf("meeting has no hardware password: %q", hw)
	}
	room := startBaresip(t, baresipOpts{User: "room", AnswerMode: "manual", ToneHz: 1000, RTPMin: 12200})

	room.command("dial", fmt.Sprintf("sip:%s.%s@127.0.0.1:%d", id, hw, g.SIPPort))
	if _, err := room.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
		t.Fatalf("ID.HWPASS dial: %v\nserver log:\n%s", err, g.logTail())
	}
	first := g.waitSIPParticipant(t, id, 15*time.Second)
	t.Logf("joined with ID.HWPASS: %v", first)
	room.command("hangup", "")
	if _, err := room.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Errorf("hang-up: %v", err)
	}
	g.waitNoSIPParticipant(t, id, 10*time.Second)

	room.command("dial", fmt.Sprintf("sip:ivr@127.0.0.1:%d", g.SIPPort))
	if _, err := room.waitEvent("CALL_ESTABLISHED", 20*time.Second); err != nil {
		t.Fatalf("IVR dial: %v\nserver log:\n%s", err, g.logTail())
	}
	time.Sleep(3 * time.Second) // welcome prompt
	room.command("sndcode", id+"#")
	time.Sleep(3 * time.Second) // password prompt
	room.command("sndcode", hw+"#")
	// A new identity: the first call's participant must not satisfy this check.
	p := g.waitSIPParticipant(t, id, 20*time.Second, fmt.Sprint(first["identity"]))
	t.Logf("joined through the IVR (RFC 4733): %v", p)
	room.command("hangup", "")
	if _, err := room.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Errorf("hang-up: %v", err)
	}
	g.waitNoSIPParticipant(t, id, 10*time.Second, fmt.Sprint(p["identity"]))
	room.stop()
	g.capture.stop()
	if n := g.capture.count("rtpevent"); n == 0 {
		t.Errorf("no RFC 4733 telephone-event packets in the capture: DTMF did not go in-band")
	} else {
		t.Logf("%d telephone-event packets toward the IVR", n)
	}
}

// TestE2ESIPDialoutBaresip: POST /dialout to a baresip in auto-answer; the call goes
// calling/ringing → connected, the room system joins, DELETE hangs up (BYE). The URI
// asks for UDP: the offer with content and BFCP is over 1300 bytes and would go over
// TCP otherwise, from a port the capture does not watch.
func TestE2ESIPDialoutBaresip(t *testing.T) {
	g := startSIPGateway(t, "")
	id, _, hostKey := g.meeting(t, map[string]any{"topic": "SIP dial-out"})
	room := startBaresip(t, baresipOpts{User: "room", AnswerMode: "auto", ToneHz: 1000, RTPMin: 12400})
	st, c := g.do("POST", "/api/v1/meetings/"+id+"/dialout", hostKey, map[string]any{"protocol": "sip", "address": fmt.Sprintf("sip:room@127.0.0.1:%d;transport=udp", room.SIPPort), "display_name": "Board Room"})
	if st != 202 {
		t.Fatalf("dialout: %d %v", st, c)
	}
	callID, _ := c["id"].(string)
	if s, _ := c["state"].(string); s != "calling" && s != "ringing" && s != "connected" {
		t.Errorf("fresh call state %q, want calling/ringing", s)
	}
	if c["direction"] != "out" || c["protocol"] != "sip" {
		t.Errorf("call fields: %v", c)
	}
	final := g.waitCallState(t, hostKey, callID, 20*time.Second, "connected", "busy", "declined", "no_answer", "failed", "ended")
	if final["state"] != "connected" {
		t.Fatalf("dial-out to an auto-answering baresip: %v\nserver log:\n%s", final, g.logTail())
	}
	if _, err := room.waitEvent("CALL_ESTABLISHED", 10*time.Second); err != nil {
		t.Errorf("baresip: %v", err)
	}
	p := g.waitSIPParticipant(t, id, 15*time.Second)
	if dn, n := p["display_name"], p["name"]; dn != "Board Room" && n != "Board Room" {
		t.Errorf("dialled room system shows as %v/%v, want the display_name given to /dialout (Board Room)", dn, n)
	}
	t.Logf("dialled participant: %v", p)
	if st, body := g.do("DELETE", "/api/v1/calls/"+callID, hostKey, nil); st != 204 {
		t.Fatalf("DELETE connected call: %d %v", st, body)
	}
	if _, err := room.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Errorf("baresip did not get the BYE: %v", err)
	}
	g.waitCallState(t, hostKey, callID, 10*time.Second, "ended")
	g.waitNoSIPParticipant(t, id, 10*time.Second)
}
