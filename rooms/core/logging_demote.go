package core

import (
	"log/slog"
	"strings"
)

// demoted is the level of a meeting-core line: the warnings and errors LiveKit and
// pion print when a participant leaves normally (a browser tab closed, a room system
// hung up, the gateway's client disconnecting) are info — an operator has nothing to
// do about them, and a warning on every hang-up hides the ones that matter. At
// roomgate's default level the core's info lines are not written.
func demoted(lv slog.Level, unit, msg string, err error) slog.Level {
	for _, n := range normalLeave {
		if lv == n.level && strings.HasPrefix(msg, n.msg) && (n.unit == "" || unit == n.unit) &&
			(n.err == "" || err != nil && strings.Contains(err.Error(), n.err)) {
			return slog.LevelInfo
		}
	}
	return lv
}

// normalLeave are the core's lines seen on every normal departure (found by the
// log-hygiene end-to-end test, cmd/roomgate/loghygiene_e2e_test.go): level, start of
// the message, and a part of the error that marks the departure.
var normalLeave = []struct {
	level          slog.Level
	unit, msg, err string // unit "": any
}{
	// The peer closed its data channels (SCTP ABORT, RFC 4960 §3.3.7) as it left.
	{slog.LevelWarn, "", "error reading data channel", "User Initiated Abort"},
	// pion's stats read of a transport LiveKit just closed.
	{slog.LevelError, "", "Failed to get selected candidate pair stats: the agent is closed", ""},
	// The leaving client (the gateway's meeting tap, a closed tab) shut its signalling
	// WebSocket while the core still wrote to it, and the core's sink for it closed.
	{slog.LevelWarn, "", "error writing to websocket", "broken pipe"},
	{slog.LevelWarn, "", "error writing to request sink", "stream closed"},
	// The gateway removes its meeting tap from the core after the tap left; a single
	// node whose participant is already gone does not answer that request.
	{slog.LevelWarn, "psrpc.Participant.RemoveParticipant", "client error", "no response from servers"},
}
