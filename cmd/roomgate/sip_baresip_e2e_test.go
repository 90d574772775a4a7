//go:build e2e

package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/sip/siptest"
	"github.com/roomgate/roomgate/transcode/audio"
)

// baresip is a headless baresip 1.0 (Debian baresip-core + baresip-ffmpeg) standing in
// for a SIP room system: a WAV tone as microphone (aufile), fakevideo as camera encoded
// to H.264 by avcodec (libx264), what it receives recorded by sndfile, driven over
// ctrl_tcp (netstring JSON). The config is written from testdata/sip/baresip/config.tmpl.
type baresip struct {
	t        *testing.T
	dir      string
	SIPPort  int
	ctrlPort int
	cmd      *exec.Cmd
	out      siptest.Buffer
	exited   chan error
	conn     net.Conn
	events   chan map[string]any
	replies  chan map[string]any
}

type baresipOpts struct {
	User       string // account user part
	AnswerMode string // manual or auto
	ToneHz     int    // microphone tone (0: silence)
	Codec      string // audio codec: pcmu (default) or g722
	RTPMin     int    // first RTP port (100 ports; keep below 20000, where the gateways' ranges start)
	MediaEnc   string // account mediaenc: "srtp" (SDES when offered), "srtp-mand" (SDES, RTP/SAVP)
	CAFile     string // PEM file of the CA that signed the gateway's SIP/TLS certificate
	IP         string // SIP and media address ("": 127.0.0.1)
}

// startBaresip writes a config from the template and starts baresip with ctrl_tcp.
func startBaresip(t *testing.T, o baresipOpts) *baresip {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Fatalf("baresip missing (Debian baresip-core baresip-ffmpeg; `make test` installs them): %v", err)
	}
	b := &baresip{t: t, dir: t.TempDir(),
		exited: make(chan error, 1), events: make(chan map[string]any, 64), replies: make(chan map[string]any, 8)}
	if err := os.MkdirAll(filepath.Join(b.dir, "rec"), 0o755); err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(b.dir, "tone.wav")
	if o.Codec == "" {
		o.Codec = "pcmu"
	}
	ip := o.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	wavRate := 8000
	if o.Codec == "g722" {
		wavRate = 16000
	}
	if err := writeToneWAV(wav, wavRate, o.ToneHz, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(repoDir(t), "testdata", "sip", "baresip", "config.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	// The ports are found free and then bound by baresip: something else on the
	// machine (the gateways' ICE sockets take ephemeral ports too) may take one in
	// between. baresip then exits at once; try other ports.
	for attempt := 1; ; attempt++ {
		b.SIPPort, b.ctrlPort = freeSIPPort(t), freePort(t, "tcp")
		cfg := strings.NewReplacer(
			"@IP@", ip,
			"@SIP_PORT@", strconv.Itoa(b.SIPPort),
			"@CTRL_PORT@", strconv.Itoa(b.ctrlPort),
			"@RTP_MIN@", strconv.Itoa(o.RTPMin),
			"@RTP_MAX@", strconv.Itoa(o.RTPMin+99),
			"@AUDIO_WAV@", wav,
			"@REC_DIR@", filepath.Join(b.dir, "rec"),
			"@EXTRA_MODULES@", extraModules(o),
			"@EXTRA_CONFIG@", extraConfig(o),
		).Replace(string(tmpl))
		acc := fmt.Sprintf("<sip:%s@%s:%d>;regint=0;answermode=%s;audio_codecs=%s", o.User, ip, b.SIPPort, o.AnswerMode, o.Codec)
		if o.MediaEnc != "" {
			acc += ";mediaenc=" + o.MediaEnc
		}
		acc += "\n"
		for name, body := range map[string]string{"config": cfg, "accounts": acc, "contacts": ""} {
			if err := os.WriteFile(filepath.Join(b.dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b.out.Reset()
		b.cmd = exec.Command("baresip", "-f", b.dir, "-v")
		b.cmd.Dir = b.dir
		b.cmd.Stdout = &b.out
		b.cmd.Stderr = &b.out
		b.cmd.Stdin = nil
		if err := b.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmd := b.cmd
		go func() { b.exited <- cmd.Wait() }()
		err := b.dialCtrl(15 * time.Second)
		if err == nil {
			break
		}
		if errors.Is(err, errBaresipPortTaken) && attempt < 3 {
			t.Logf("baresip (attempt %d): %v; other ports", attempt, err)
			continue
		}
		t.Fatalf("baresip ctrl_tcp not reachable: %v\n%s", err, lastN(b.out.String(), 3000))
	}
	go b.readCtrl()
	return b
}

var errBaresipPortTaken = errors.New("a port was taken")

// extraModules loads what the options need: srtp.so for SDES media encryption.
func extraModules(o baresipOpts) string {
	if o.MediaEnc != "" {
		return "module\t\t\tsrtp.so"
	}
	return ""
}

// extraConfig: the CA baresip checks the gateway's TLS certificate against.
func extraConfig(o baresipOpts) string {
	if o.CAFile != "" {
		return "sip_cafile\t\t" + o.CAFile
	}
	return ""
}

// dialCtrl connects to baresip's ctrl_tcp; it fails with errBaresipPortTaken when
// baresip exited because one of its ports is in use.
func (b *baresip) dialCtrl(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", b.ctrlPort))
		if err == nil {
			b.conn = c
			return nil
		}
		select {
		case exitErr := <-b.exited:
			if strings.Contains(b.out.String(), "Address already in use") {
				return fmt.Errorf("%w (%v)", errBaresipPortTaken, exitErr)
			}
			b.exited <- exitErr // for stop
			return fmt.Errorf("baresip exited: %v", exitErr)
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readCtrl splits the netstring stream into replies and events.
func (b *baresip) readCtrl() {
	rd := bufio.NewReader(b.conn)
	for {
		lenStr, err := rd.ReadString(':')
		if err != nil {
			close(b.events)
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
		if err != nil || n < 0 || n > 1<<20 {
			close(b.events)
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(rd, buf); err != nil {
			close(b.events)
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		if m["response"] == true {
			select {
			case b.replies <- m:
			default:
			}
			continue
		}
		select {
		case b.events <- m:
		default:
		}
	}
}

// command sends a ctrl_tcp command and waits for its response.
func (b *baresip) command(cmd, params string) map[string]any {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	if _, err := fmt.Fprintf(b.conn, "%d:%s,", len(body), body); err != nil {
		b.t.Fatalf("baresip ctrl %s: %v", cmd, err)
	}
	select {
	case r := <-b.replies:
		return r
	case <-time.After(5 * time.Second):
		b.t.Fatalf("baresip ctrl %s: no response\n%s", cmd, lastN(b.out.String(), 3000))
	}
	return nil
}

// waitEvent waits for a call event of the given type (e.g. CALL_ESTABLISHED).
func (b *baresip) waitEvent(typ string, within time.Duration) (map[string]any, error) {
	deadline := time.After(within)
	var seen []string
	for {
		select {
		case e, ok := <-b.events:
			if !ok {
				return nil, fmt.Errorf("baresip control connection closed (events %v)", seen)
			}
			s, _ := e["type"].(string)
			seen = append(seen, s+" "+fmt.Sprint(e["param"]))
			if s == typ {
				return e, nil
			}
		case <-deadline:
			return nil, fmt.Errorf("no %s within %v (events seen: %v)", typ, within, seen)
		}
	}
}

// stop quits baresip (ctrl quit, then SIGTERM, then SIGKILL).
func (b *baresip) stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	if b.conn != nil {
		body := `{"command":"quit","token":"quit"}`
		_, _ = fmt.Fprintf(b.conn, "%d:%s,", len(body), body)
	}
	select {
	case <-b.exited:
	case <-time.After(3 * time.Second):
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(3 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	if b.conn != nil {
		b.conn.Close()
	}
	b.cmd = nil
}

// log returns baresip's output so far.
func (b *baresip) log() string { return b.out.String() }

// recording returns the samples and rate of the WAV sndfile wrote for received audio.
func (b *baresip) recording() ([]int16, int, string, error) {
	files, _ := filepath.Glob(filepath.Join(b.dir, "rec", "*.wav"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		if strings.Contains(filepath.Base(f), "-dec") {
			s, rate, err := readWAV(f)
			return s, rate, f, err
		}
	}
	return nil, 0, "", fmt.Errorf("no decoded-audio WAV from sndfile (files: %v)", names)
}

// ---- audio helpers ----

// writeToneWAV writes a mono 16-bit PCM WAV with a sine at hz (amplitude -6 dBFS).
func writeToneWAV(path string, rate, hz int, d time.Duration) error {
	n := int(d.Seconds() * float64(rate))
	buf := make([]byte, 44+2*n)
	copy(buf[0:], "RIFF")
	binary.LittleEndian.PutUint32(buf[4:], uint32(36+2*n))
	copy(buf[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(buf[16:], 16)
	binary.LittleEndian.PutUint16(buf[20:], 1)
	binary.LittleEndian.PutUint16(buf[22:], 1)
	binary.LittleEndian.PutUint32(buf[24:], uint32(rate))
	binary.LittleEndian.PutUint32(buf[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(buf[32:], 2)
	binary.LittleEndian.PutUint16(buf[34:], 16)
	copy(buf[36:], "data")
	binary.LittleEndian.PutUint32(buf[40:], uint32(2*n))
	for i := range n {
		v := int16(16384 * math.Sin(2*math.Pi*float64(hz)*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(buf[44+2*i:], uint16(v))
	}
	return os.WriteFile(path, buf, 0o644)
}

// readWAV reads 16-bit PCM (first channel). The data chunk may carry a stale size
// when the writer was stopped early, so everything after its header is used.
func readWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	rate, channels, bits := 0, 1, 16
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return nil, 0, errors.New("short fmt chunk")
			}
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
		case "data":
			if bits != 16 || channels < 1 || rate <= 0 {
				return nil, 0, fmt.Errorf("unsupported WAV: %d bit, %d channels, %d Hz", bits, channels, rate)
			}
			data := b[body:]
			frame := 2 * channels
			out := make([]int16, len(data)/frame)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(data[i*frame:]))
			}
			return out, rate, nil
		}
		if size < 0 || body+size > len(b) {
			break
		}
		off = body + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

// The tone analysis lives in transcode/audio (roomsim uses it too).
var (
	goertzelPower = audio.GoertzelPower
	dominantTone  = audio.DominantTone
)

type toneReport = audio.ToneReport

// TestE2ESIPToneAnalysis checks the WAV writer/reader and the tone detector on known
// signals, so that the media assertions of the other tests rest on a checked tool.
func TestE2ESIPToneAnalysis(t *testing.T) {
	cases := []struct {
		name string
		hz   int
		rate int
	}{
		{name: "1000Hz_8k", hz: 1000, rate: 8000},
		{name: "440Hz_8k", hz: 440, rate: 8000},
		{name: "660Hz_16k", hz: 660, rate: 16000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "t.wav")
			if err := writeToneWAV(p, c.rate, c.hz, 2*time.Second); err != nil {
				t.Fatal(err)
			}
			s, rate, err := readWAV(p)
			if err != nil || rate != c.rate || len(s) != 2*c.rate {
				t.Fatalf("readWAV: %v rate %d len %d", err, rate, len(s))
			}
			r := dominantTone(s, rate)
			if math.Abs(r.Hz-float64(c.hz)) > 10 || r.PeakShare < 0.95 || r.LoudWindows != r.Windows {
				t.Fatalf("tone %d Hz detected as %+v", c.hz, r)
			}
		})
	}
	// A beeping source (100 ms of 400 Hz every 500 ms, quiet tails) as Chromium's fake
	// microphone produces.
	beep := make([]int16, 4*8000)
	for i := range beep {
		amp := 300.0
		if i%4000 < 800 {
			amp = 12000
		}
		beep[i] = int16(amp * math.Sin(2*math.Pi*400*float64(i)/8000))
	}
	if r := dominantTone(beep, 8000); math.Abs(r.Hz-400) > 10 || r.PeakShare < 0.9 || r.LoudWindows != 16 {
		t.Fatalf("beeping 400 Hz detected as %+v", r)
	}
	// Beeps as a room system receives Chromium's: 20 ms of 400 Hz and a decaying tail
	// (the codecs' smearing), each at another place across the analysis windows' edges
	// (as a stream's timing may put them). In the recordings of real runs, windows
	// that held a few milliseconds of a beep peaked up to 140 Hz off.
	for i := range beep {
		env := 0.0
		switch k := (i + 40 + 56*(i/4000)) % 4000; {
		case k < 160:
			env = 12000
		case k < 480:
			env = 6000 * math.Exp(-float64(k-160)/80)
		}
		beep[i] = int16(env * math.Sin(2*math.Pi*400*float64(i)/8000))
	}
	if r := dominantTone(beep, 8000); math.Abs(r.Hz-400) > 10 || r.PeakShare < 0.9 || r.LoudWindows < 8 {
		t.Fatalf("straddling 400 Hz beeps detected as %+v", r)
	}
	if r := dominantTone(make([]int16, 8000), 8000); r.LoudWindows != 0 {
		t.Fatalf("silence has loud windows: %+v", r)
	}
}

// TestE2ESIPBaresipSelfCheck calls one harness baresip from another on loopback (no
// gateway): both must decode the other's tone from their sndfile recording and H.264
// video, and RFC 4733 digits typed with sndcode must arrive. It proves the room-system
// stand-in works, so the gateway tests' failures are the gateway's.
func TestE2ESIPBaresipSelfCheck(t *testing.T) {
	capt := startCapture(t, "udp portrange 11000-11299", 0)
	callee := startBaresip(t, baresipOpts{User: "callee", AnswerMode: "auto", ToneHz: 1000, RTPMin: 11000})
	caller := startBaresip(t, baresipOpts{User: "caller", AnswerMode: "manual", ToneHz: 600, RTPMin: 11200})
	caller.command("dial", fmt.Sprintf("sip:callee@127.0.0.1:%d", callee.SIPPort))
	if _, err := caller.waitEvent("CALL_ESTABLISHED", 15*time.Second); err != nil {
		t.Fatalf("caller: %v\n%s", err, lastN(caller.log(), 3000))
	}
	time.Sleep(2 * time.Second)
	r := caller.command("sndcode", "12#")
	t.Logf("sndcode: %v", r)
	time.Sleep(4 * time.Second)
	caller.command("hangup", "")
	if _, err := callee.waitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Errorf("callee: %v", err)
	}
	caller.stop()
	callee.stop()
	for _, c := range []struct {
		who  string
		b    *baresip
		want float64
	}{{"callee", callee, 600}, {"caller", caller, 1000}} {
		s, rate, f, err := c.b.recording()
		if err != nil {
			t.Errorf("%s: %v", c.who, err)
			continue
		}
		tone := dominantTone(s, rate)
		t.Logf("%s recorded %s: %.1f s at %d Hz, tone %+v", c.who, filepath.Base(f), float64(len(s))/float64(rate), rate, tone)
		if math.Abs(tone.Hz-c.want) > 0.05*c.want || tone.PeakShare < 0.8 {
			t.Errorf("%s heard %+v, want %v Hz", c.who, tone, c.want)
		}
		if !videoDecoded(c.b.log()) {
			t.Errorf("%s decoded no H.264:\n%s", c.who, lastN(c.b.log(), 4000))
		}
	}
	capt.stop()
	if n := capt.count("rtpevent"); n == 0 {
		t.Errorf("sndcode sent no RFC 4733 telephone-event packets")
	} else {
		t.Logf("sndcode 12#: %d telephone-event packets", n)
	}
}

var (
	reDecodeFPS = regexp.MustCompile(`efps=[0-9.]+/([0-9.]+)`)
	reKeyframes = regexp.MustCompile(`decoder stats \(keyframes:([0-9]+)`)
)

// videoDecoded reports whether baresip's log shows received H.264 decoded: the
// avcodec H.264 decoder active, a non-zero decoded frame rate in the status line or
// keyframes counted by the decoder.
func videoDecoded(log string) bool {
	if !strings.Contains(log, "h264 decoder activated") {
		return false
	}
	for _, m := range reDecodeFPS.FindAllStringSubmatch(log, -1) {
		if f, _ := strconv.ParseFloat(m[1], 64); f > 0 {
			return true
		}
	}
	for _, m := range reKeyframes.FindAllStringSubmatch(log, -1) {
		if n, _ := strconv.Atoi(m[1]); n > 0 {
			return true
		}
	}
	return false
}
