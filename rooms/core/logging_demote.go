package core

import "log/slog"

// demoted is the level of a meeting-core line: the warnings LiveKit prints when a
// participant leaves normally (a browser tab closed, a room system hung up, the
// gateway's client disconnecting) are info — an operator has nothing to do about
// them, and a warning on every hang-up hides the ones that matter.
func demoted(lv slog.Level, msg string, err error) slog.Level {
	if lv != slog.LevelWarn {
		return lv
	}
	for _, m := range normalLeave {
		if msg == m {
			return slog.LevelInfo
		}
	}
	return lv
}

// normalLeave are the messages of LiveKit warnings seen on every normal departure
// (found by the log-hygiene end-to-end test, cmd/roomgate/loghygiene_e2e_test.go).
var normalLeave = []string{}
