// Package directory is roomgate's meeting directory: the durable record of every
// meeting a room system or a browser can join.
//
// For each meeting it stores the numeric meeting ID (9–11 digits, the only thing a
// room system can dial), the topic, the optional meeting password, the six-digit
// numeric hardware password that room systems key in with DTMF when the meeting
// has a password, the host key, the schedule (start time and duration) and the
// per-meeting settings (lock, waiting room, mute on entry, self-unmute, host-only
// screen share). Live state (who is in the meeting, who is host right now) lives
// in the meeting core, not here.
//
// The store is an SQLite database file (pure-Go driver modernc.org/sqlite) in WAL
// mode; its schema is versioned with PRAGMA user_version and upgraded in place by
// an ordered list of migrations when an older file is opened. The JSON shape of
// [Meeting] is the "Meeting" object of the REST contract in docs/api.md.
//
// Secrets are generated from a caller-supplied [io.Reader] (crypto/rand in
// production) by rejection sampling, so every value in a range is equally likely.
package directory
