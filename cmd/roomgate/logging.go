package main

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/roomgate/roomgate/configs"
)

// newLogger is roomgate's one logger: text or JSON lines at the configured level,
// every key once per line (dedupHandler), known secrets and sensitive keys redacted
// (redactHandler). The meeting core's own lines come through it too (rooms/core).
func newLogger(w io.Writer, format, level string, secrets *secretSet) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	// Dedup outside: it hands redaction whole lines, scrubbed with the secrets known
	// when the line is written (generated credentials are added after the start).
	return slog.New(&dedupHandler{next: &redactHandler{next: h, secrets: secrets}})
}

// configSecrets are the credentials of the configuration: the operator API token
// and the meeting core's key and secret.
func configSecrets(cfg *configs.Config) *secretSet {
	s := &secretSet{}
	lk, e := cfg.Meeting.LiveKit, cfg.Meeting.Embedded
	s.Add(cfg.API.Token, lk.APIKey, lk.APISecret, e.APIKey, e.APISecret)
	return s
}

// dedupHandler writes each key once per line: a logger made With("component", "sip")
// and then With("component", "gatekeeper") says component=gatekeeper, not both. The
// attributes given With are kept here and merged into each record, later ones
// replacing earlier ones of the same key.
type dedupHandler struct {
	next  slog.Handler // has no attributes of its own at the current group level
	attrs []slog.Attr
}

func (h *dedupHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *dedupHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := slices.Clone(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		attrs = setAttr(attrs, a)
		return true
	})
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(attrs...)
	return h.next.Handle(ctx, nr)
}

// setAttr sets a in attrs: replaces the attribute of the same key, or appends.
func setAttr(attrs []slog.Attr, a slog.Attr) []slog.Attr {
	if a.Key == "" && a.Value.Kind() != slog.KindGroup {
		return attrs
	}
	for i := range attrs {
		if attrs[i].Key == a.Key {
			attrs[i] = a
			return attrs
		}
	}
	return append(attrs, a)
}

func (h *dedupHandler) WithAttrs(as []slog.Attr) slog.Handler {
	attrs := slices.Clone(h.attrs)
	for _, a := range as {
		attrs = setAttr(attrs, a)
	}
	return &dedupHandler{next: h.next, attrs: attrs}
}

// WithGroup hands the attributes so far to the next handler (they are outside the
// group) and deduplicates within the group from here on.
func (h *dedupHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &dedupHandler{next: h.next.WithAttrs(h.attrs).WithGroup(name)}
}

// redacted replaces a secret in a log line.
const redacted = "[redacted]"

// sensitiveKeys are attribute keys whose values are never logged, whatever the value.
var sensitiveKeys = []string{
	"password", "passwd", "pin", "host_key", "hostkey", "token", "access_token", "api_token",
	"secret", "api_secret", "apisecret", "api_key", "apikey", "authorization", "cookie",
	"srtp_key", "master_key", "key_params", "crypto", "private_key",
}

func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	return slices.Contains(sensitiveKeys, k) || strings.HasSuffix(k, "_secret") || strings.HasSuffix(k, "_password")
}

// secretSet holds the secret values this process knows (configured and generated
// credentials); redactHandler removes them wherever they appear in a line.
type secretSet struct {
	mu   sync.RWMutex
	vals []string
}

// minSecret is the shortest value redacted by value: a 4-digit meeting PIN would
// blank every number it appears in; those are caught by key.
const minSecret = 8

// Add adds secret values; empty and short ones are ignored.
func (s *secretSet) Add(vals ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vals {
		if len(v) >= minSecret && !slices.Contains(s.vals, v) {
			s.vals = append(s.vals, v)
		}
	}
}

// sdesKey is an SDES key in SDP (a=crypto:… inline:KEY|2^31|1:1, RFC 4568 §6.1), as
// a SIP message logged at debug carries it.
var sdesKey = regexp.MustCompile(`inline:[A-Za-z0-9+/=]+`)

// scrub returns v with every known secret and SRTP key replaced.
func (s *secretSet) scrub(v string) string {
	if strings.Contains(v, "inline:") {
		v = sdesKey.ReplaceAllString(v, "inline:"+redacted)
	}
	if s == nil {
		return v
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sec := range s.vals {
		if strings.Contains(v, sec) {
			v = strings.ReplaceAll(v, sec, redacted)
		}
	}
	return v
}

// redactHandler removes secrets from log lines: the values of sensitive keys, and
// known secret values anywhere (message, attribute values, errors).
type redactHandler struct {
	next    slog.Handler
	secrets *secretSet
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, h.secrets.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, nr)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if sensitiveKey(a.Key) && v.Kind() != slog.KindBool { // password=true says there is one
		return slog.String(a.Key, redacted)
	}
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = h.attr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindString:
		return slog.String(a.Key, h.secrets.scrub(v.String()))
	case slog.KindAny:
		// Errors, Stringers, structs: as the handler would print them, scrubbed.
		if s, ok := anyText(v.Any()); ok {
			if c := h.secrets.scrub(s); c != s {
				return slog.String(a.Key, c)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// anyText is the text of an error or Stringer value (the values that may carry a
// secret in their message).
func anyText(v any) (string, bool) {
	switch x := v.(type) {
	case error:
		return x.Error(), true
	case interface{ String() string }:
		return x.String(), true
	}
	return "", false
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(out), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}
