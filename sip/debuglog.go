package sip

import (
	"context"
	"log/slog"
)

// debugOnly lowers every record to debug level: sipgo's own lines (one per
// unparseable packet, with its bytes) must not reach an operator's log at
// error level, where an attacker could write megabytes a minute. What they
// report is counted in Stats.
type debugOnly struct{ h slog.Handler }

func (d debugOnly) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugOnly) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return d.h.Handle(ctx, r)
}

func (d debugOnly) WithAttrs(a []slog.Attr) slog.Handler { return debugOnly{d.h.WithAttrs(a)} }
func (d debugOnly) WithGroup(n string) slog.Handler      { return debugOnly{d.h.WithGroup(n)} }
