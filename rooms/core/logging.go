package core

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// coreLogLevel maps roomgate's log level to the meeting core's. LiveKit's info level
// is chatty (a CPU-load line every minute); roomgate logs the meeting events operators
// need itself, so LiveKit logs warnings unless debugging.
func coreLogLevel(level string) slog.Level {
	switch level {
	case "debug":
		return slog.LevelInfo
	case "error":
		return slog.LevelError
	}
	return slog.LevelWarn
}

// SetClientLogging sends the logs of the meeting-core client library (the gateway's
// participants) and of pion under it through h: LiveKit's level for roomgate's, pion
// errors only. The logger is leveled per component, so pion's trace messages (the ICE
// checks and keepalives of every call's peer connection) are dropped unformatted.
func SetClientLogging(h slog.Handler, level string) {
	lksdk.SetLogger(NewLogger(h, level).WithName("client"))
}

// NewLogger is the meeting core's logger (LiveKit's logger.Logger) writing through
// the slog handler h, so that its lines have roomgate's format and keys:
// component=core, unit (LiveKit's logger name and component), meeting, identity, err.
// Its level follows roomgate's (coreLogLevel), pion logs errors only, and the
// warnings LiveKit prints on every normal departure are info (see demoted).
func NewLogger(h slog.Handler, level string) logger.ZapLogger {
	return &coreLogger{h: h, lv: &levels{base: coreLogLevel(level), comp: map[string]slog.Level{"pion": slog.LevelError}}}
}

// levels are the minimum levels: base, and per component path prefix ("pion").
type levels struct {
	base slog.Level
	comp map[string]slog.Level
}

// of is the level of a component path: that of its longest configured prefix, else
// of a configured name anywhere in it (LiveKit names pion's loggers below its own,
// e.g. "transport.pion.ice"), else base.
func (l *levels) of(component string) slog.Level {
	for c := component; c != ""; {
		if lv, ok := l.comp[c]; ok {
			return lv
		}
		i := strings.LastIndexByte(c, '.')
		if i < 0 {
			break
		}
		c = c[:i]
	}
	for _, seg := range strings.Split(component, ".") {
		if lv, ok := l.comp[seg]; ok {
			return lv
		}
	}
	return l.base
}

// coreLogger implements LiveKit's logger.ZapLogger over slog. ZapLogger, not only
// Logger: LiveKit's pion adapter checks a ZapLogger's component level before it
// formats a message, and formats every trace message of a plain Logger.
type coreLogger struct {
	h         slog.Handler
	lv        *levels
	name      string      // LiveKit's logger name, e.g. "livekit.room"
	component string      // component path for levels, e.g. "pion.ice"
	attrs     []slog.Attr // WithValues, one per key
	min       zapcore.LevelEnabler
	deferred  []*deferredValues
}

var _ logger.ZapLogger = (*coreLogger)(nil)

func (l *coreLogger) enabled(lv slog.Level) bool {
	if l.min != nil && l.min.Enabled(zapLevel(lv)) {
		return l.h.Enabled(context.Background(), lv)
	}
	return lv >= l.lv.of(l.component) && l.h.Enabled(context.Background(), lv)
}

func (l *coreLogger) log(lv slog.Level, msg string, err error, kv []any) {
	lv = demoted(lv, l.unit(), msg, err)
	if !l.enabled(lv) {
		return
	}
	r := slog.NewRecord(time.Now(), lv, msg, 0)
	attrs := make([]slog.Attr, 0, len(l.attrs)+len(kv)/2+3)
	attrs = append(attrs, slog.String("component", "core"))
	if unit := l.unit(); unit != "" {
		attrs = append(attrs, slog.String("unit", unit))
	}
	attrs = append(attrs, l.attrs...)
	for _, d := range l.deferred {
		attrs = addPairs(attrs, d.get())
	}
	attrs = addPairs(attrs, kv)
	if err != nil {
		attrs = setAttr(attrs, slog.Any("err", err))
	}
	r.AddAttrs(attrs...)
	_ = l.h.Handle(context.Background(), r)
}

// unit is where in the core a line comes from: the logger's name without the
// "livekit" every line would carry, or its component.
func (l *coreLogger) unit() string {
	n := strings.TrimPrefix(strings.TrimPrefix(l.name, "livekit"), ".")
	if n == "" {
		return l.component
	}
	return n
}

// coreKeys renames LiveKit's keys to roomgate's: a LiveKit room is a meeting (its
// name is the meeting ID), a participant is named by its identity.
var coreKeys = map[string]string{"room": "meeting", "participant": "identity", "error": "err"}

// addPairs adds LiveKit's key-value list to attrs, one attribute per key.
func addPairs(attrs []slog.Attr, kv []any) []slog.Attr {
	for i := 0; i < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		if k, ok := coreKeys[key]; ok {
			key = k
		}
		var v any = "(missing)"
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		attrs = setAttr(attrs, slog.Any(key, v))
	}
	return attrs
}

func setAttr(attrs []slog.Attr, a slog.Attr) []slog.Attr {
	for i := range attrs {
		if attrs[i].Key == a.Key {
			attrs[i] = a
			return attrs
		}
	}
	return append(attrs, a)
}

func (l *coreLogger) Debugw(msg string, kv ...any) { l.log(slog.LevelDebug, msg, nil, kv) }
func (l *coreLogger) Infow(msg string, kv ...any)  { l.log(slog.LevelInfo, msg, nil, kv) }
func (l *coreLogger) Warnw(msg string, err error, kv ...any) {
	l.log(slog.LevelWarn, msg, err, kv)
}
func (l *coreLogger) Errorw(msg string, err error, kv ...any) {
	l.log(slog.LevelError, msg, err, kv)
}

func (l *coreLogger) dup() *coreLogger {
	d := *l
	d.attrs = append([]slog.Attr(nil), l.attrs...)
	d.deferred = append([]*deferredValues(nil), l.deferred...)
	return &d
}

func (l *coreLogger) WithValues(kv ...any) logger.Logger {
	d := l.dup()
	d.attrs = addPairs(d.attrs, kv)
	return d
}

func (l *coreLogger) WithUnlikelyValues(kv ...any) logger.UnlikelyLogger {
	return logger.NewUnlikelyLogger(l, kv...)
}

func (l *coreLogger) WithName(name string) logger.Logger {
	d := l.dup()
	if d.name == "" {
		d.name = name
	} else {
		d.name += "." + name
	}
	return d
}

func (l *coreLogger) WithComponent(component string) logger.Logger {
	d := l.WithName(component).(*coreLogger)
	if d.component == "" {
		d.component = component
	} else {
		d.component += "." + component
	}
	return d
}

// Call depth and sampling: slog lines carry no caller, and roomgate samples nothing.
func (l *coreLogger) WithCallDepth(int) logger.Logger { return l }
func (l *coreLogger) WithItemSampler() logger.Logger  { return l }
func (l *coreLogger) WithoutSampler() logger.Logger   { return l }

// WithDeferredValues returns a logger whose lines carry values given later (LiveKit
// names a participant's logger before it knows the participant's ID).
func (l *coreLogger) WithDeferredValues() (logger.Logger, logger.DeferredFieldResolver) {
	d := l.dup()
	dv := &deferredValues{}
	d.deferred = append(d.deferred, dv)
	return d, dv
}

type deferredValues struct {
	mu sync.Mutex
	kv []any
}

func (d *deferredValues) Resolve(kv ...any) {
	d.mu.Lock()
	d.kv = append(d.kv[:0:0], kv...)
	d.mu.Unlock()
}

func (d *deferredValues) Reset() { d.Resolve() }

func (d *deferredValues) get() []any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.kv
}

// ToZap is this logger as a zap logger (a zap core writing through it).
func (l *coreLogger) ToZap() *zap.SugaredLogger { return zap.New(&zapCore{l: l}).Sugar() }

// ComponentLeveler gives the level of a component below this logger.
func (l *coreLogger) ComponentLeveler() logger.ZapComponentLeveler { return componentLeveler{l} }

func (l *coreLogger) WithMinLevel(lvl zapcore.LevelEnabler) logger.Logger {
	d := l.dup()
	d.min = lvl
	return d
}

type componentLeveler struct{ l *coreLogger }

func (c componentLeveler) ComponentLevel(component string) zapcore.LevelEnabler {
	if c.l.component != "" {
		component = c.l.component + "." + component
	}
	return minLevel(c.l.lv.of(component))
}

// minLevel enables the zap levels at or above a slog level.
type minLevel slog.Level

func (m minLevel) Enabled(z zapcore.Level) bool { return slogLevel(z) >= slog.Level(m) }

func slogLevel(z zapcore.Level) slog.Level {
	switch {
	case z <= zapcore.DebugLevel:
		return slog.LevelDebug
	case z == zapcore.InfoLevel:
		return slog.LevelInfo
	case z == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func zapLevel(l slog.Level) zapcore.Level {
	switch {
	case l < slog.LevelInfo:
		return zapcore.DebugLevel
	case l < slog.LevelWarn:
		return zapcore.InfoLevel
	case l < slog.LevelError:
		return zapcore.WarnLevel
	}
	return zapcore.ErrorLevel
}

// zapCore is a zap core that writes through a coreLogger.
type zapCore struct{ l *coreLogger }

func (c *zapCore) Enabled(z zapcore.Level) bool { return c.l.enabled(slogLevel(z)) }

func (c *zapCore) With(fields []zapcore.Field) zapcore.Core {
	return &zapCore{l: c.l.WithValues(fieldPairs(fields)...).(*coreLogger)}
}

func (c *zapCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *zapCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	c.l.log(slogLevel(e.Level), e.Message, nil, fieldPairs(fields))
	return nil
}

func (c *zapCore) Sync() error { return nil }

func fieldPairs(fields []zapcore.Field) []any {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	kv := make([]any, 0, 2*len(enc.Fields))
	for k, v := range enc.Fields {
		kv = append(kv, k, v)
	}
	return kv
}
