package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/livekit/protocol/logger/pionlogger"
	"go.uber.org/zap/zapcore"
)

func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newTestLogger(level string) (*bytes.Buffer, *coreLogger) {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	return &buf, NewLogger(h, level).WithName("livekit").(*coreLogger)
}

// The meeting core's lines in roomgate's keys and levels.
func TestCoreLogger(t *testing.T) {
	buf, l := newTestLogger("info")
	room := l.WithComponent("room").WithValues("room", "123456789", "participant", "alice")
	room.Infow("participant joined") // LiveKit's info is below roomgate's info: dropped
	room.Warnw("could not publish", errors.New("no codec"), "participant", "bob", "room", "123456789")
	room.Errorw("failed", nil, "pID", "PA_1")
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 2 {
		t.Fatalf("%d lines, want the warning and the error: %s", len(lines), buf)
	}
	w := lines[0]
	if w["level"] != "WARN" || w["msg"] != "could not publish" || w["component"] != "core" || w["unit"] != "room" ||
		w["meeting"] != "123456789" || w["identity"] != "bob" || w["err"] != "no codec" {
		t.Errorf("warning %v", w)
	}
	for _, k := range []string{"room", "participant", "error"} {
		if _, ok := w[k]; ok {
			t.Errorf("LiveKit's key %q kept: %v", k, w)
		}
	}
	if e := lines[1]; e["level"] != "ERROR" || e["pID"] != "PA_1" || e["identity"] != "alice" {
		t.Errorf("error %v", e)
	}

	buf, l = newTestLogger("debug")
	l.Infow("node started", "nodeID", "N1")
	if lines := decodeLines(t, buf.Bytes()); len(lines) != 1 || lines[0]["level"] != "INFO" {
		t.Errorf("at debug, LiveKit's info is logged: %s", buf)
	}
}

// pion logs errors only, and its messages below are not even formatted.
func TestCoreLoggerPion(t *testing.T) {
	buf, l := newTestLogger("debug")
	lf := pionlogger.NewLoggerFactory(l)
	ice := lf.NewLogger("ice")
	formatted := false
	ice.Tracef("ping %v", stringerFunc(func() string { formatted = true; return "x" }))
	ice.Warnf("slow %d", 1)
	ice.Errorf("broken %d", 2)
	if formatted {
		t.Error("a pion trace message was formatted")
	}
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 1 || lines[0]["msg"] != "broken 2" || lines[0]["level"] != "ERROR" {
		t.Fatalf("pion lines %s", buf)
	}
	// LiveKit names pion's loggers below its own (a transport's "transport.pion.ice").
	tr := pionlogger.NewLoggerFactory(l.WithComponent("transport")).NewLogger("ice")
	tr.Warnf("Failed to ping without candidate pairs. Connection is not possible yet.")
	if n := len(decodeLines(t, buf.Bytes())); n != 1 {
		t.Errorf("a transport's pion warning was logged: %s", buf)
	}
	if !l.ComponentLeveler().ComponentLevel("pion.ice").Enabled(zapcore.ErrorLevel) ||
		l.ComponentLeveler().ComponentLevel("pion.ice").Enabled(zapcore.WarnLevel) {
		t.Error("pion's component level is not error")
	}
}

type stringerFunc func() string

func (f stringerFunc) String() string { return f() }

// Values given later (WithDeferredValues) and the zap view write through too.
func TestCoreLoggerDeferredAndZap(t *testing.T) {
	buf, l := newTestLogger("info")
	dl, resolve := l.WithDeferredValues()
	resolve.Resolve("pID", "PA_2")
	dl.Warnw("late", nil)
	l.ToZap().With("room", "987654321").Warnw("via zap", "n", 3)
	lines := decodeLines(t, buf.Bytes())
	if len(lines) != 2 || lines[0]["pID"] != "PA_2" || lines[1]["meeting"] != "987654321" || lines[1]["n"] != float64(3) {
		t.Fatalf("lines %s", buf)
	}
}

// Warnings LiveKit prints on every normal departure are info.
func TestCoreLoggerDemotes(t *testing.T) {
	leave := errors.New("[0x35a6ff691188] abort chunk, with following errors: (User Initiated Abort: )")
	if got := demoted(slog.LevelWarn, "", "error reading data channel", leave); got != slog.LevelInfo {
		t.Errorf("data channel closed by the leaving peer: %v, want INFO", got)
	}
	if got := demoted(slog.LevelWarn, "", "error reading data channel", errors.New("read: no route")); got != slog.LevelWarn {
		t.Errorf("data channel failed otherwise: %v, want WARN", got)
	}
	if got := demoted(slog.LevelWarn, "", "could not start", leave); got != slog.LevelWarn {
		t.Errorf("another warning: %v", got)
	}
	if got := demoted(slog.LevelError, "", "Failed to get selected candidate pair stats: the agent is closed", nil); got != slog.LevelInfo {
		t.Errorf("pion's stats of a closed transport: %v, want INFO", got)
	}
	pipe := errors.New("write tcp 127.0.0.1:38407->127.0.0.1:50216: write: broken pipe")
	if got := demoted(slog.LevelWarn, "", "error writing to websocket", pipe); got != slog.LevelInfo {
		t.Errorf("signalling socket closed by the leaving client: %v, want INFO", got)
	}
	if got := demoted(slog.LevelWarn, "", "error writing to websocket", errors.New("i/o timeout")); got != slog.LevelWarn {
		t.Errorf("a signalling write that timed out: %v, want WARN", got)
	}
	if got := demoted(slog.LevelWarn, "", "error writing to request sink", errors.New("stream closed")); got != slog.LevelInfo {
		t.Errorf("the leaving client's sink: %v, want INFO", got)
	}
	gone := errors.New("no response from servers")
	if got := demoted(slog.LevelWarn, "psrpc.Participant.RemoveParticipant", "client error", gone); got != slog.LevelInfo {
		t.Errorf("removing a participant already gone: %v, want INFO", got)
	}
	if got := demoted(slog.LevelWarn, "psrpc.Room.SendData", "client error", gone); got != slog.LevelWarn {
		t.Errorf("another RPC without an answer: %v, want WARN", got)
	}
	if got := demoted(slog.LevelError, "", "x", nil); got != slog.LevelError {
		t.Errorf("an error: %v", got)
	}
}

func TestRTCTCPPortFollowsBindAddresses(t *testing.T) {
	for _, tc := range []struct {
		bind []string
		want int
	}{{nil, 7881}, {[]string{"0.0.0.0"}, 7881}, {[]string{"::"}, 7881}, {[]string{"127.0.0.1"}, 0}, {[]string{"10.0.0.5", "127.0.0.1"}, 0}} {
		if got := rtcTCPPort(EmbeddedConfig{RTCTCPPort: 7881, BindAddresses: tc.bind}); got != tc.want {
			t.Errorf("bind %v: tcp port %d, want %d", tc.bind, got, tc.want)
		}
	}
}
