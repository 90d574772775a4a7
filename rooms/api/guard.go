package api

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/policy"
)

// LevelAlert is the log level of security alerts (one meeting drawing password
// guesses from many sources): above Error, so that a handler filtering at Error
// still shows them. Text and JSON handlers print it as "ERROR+4"; every alert
// line also carries alert=true.
const LevelAlert = slog.LevelError + 4

// SecurityStats counts security events since start (GET /api/v1/security).
type SecurityStats struct {
	WrongPasswords uint64 `json:"wrong_passwords"` // counted failures (repeated guesses excluded)
	Refused        uint64 `json:"refused"`         // attempts not evaluated: banned, backing off, meeting guarded
	Bans           uint64 `json:"bans"`
	Alerts         uint64 `json:"alerts"`
	Lookups        uint64 `json:"lookups_refused"` // anonymous lookups over the rate limit
}

type securityCounters struct {
	wrong, refused, bans, alerts, lookups atomic.Uint64
}

func (c *securityCounters) snapshot() SecurityStats {
	return SecurityStats{WrongPasswords: c.wrong.Load(), Refused: c.refused.Load(), Bans: c.bans.Load(),
		Alerts: c.alerts.Load(), Lookups: c.lookups.Load()}
}

// Stats returns the security counters.
func (s *Server) Stats() SecurityStats { return s.sec.snapshot() }

// restoreBans puts the stored ban list back on the guard (after a restart).
func (s *Server) restoreBans(ctx context.Context) error {
	if s.Store == nil {
		return nil
	}
	bans, err := s.Store.Bans(ctx, s.now().Add(-s.guard.Config().BanMax))
	if err != nil {
		return err
	}
	list := make([]policy.Ban, 0, len(bans))
	for _, b := range bans {
		list = append(list, policy.Ban{Source: b.Source, Until: b.Until, Count: b.Count})
	}
	s.guard.Restore(list)
	if n := len(s.guard.Bans(s.now())); n > 0 {
		s.log.Info("ban list restored", "banned_sources", n)
	}
	return nil
}

// tryPassword evaluates a guessable secret (meeting or hardware password) that src
// gave for meeting id; m is nil when no such meeting exists, which fails like a
// wrong password. It reports whether the secret is right, or why the attempt was
// not evaluated (refusal other than Allowed) and for how long.
//
// Per-attempt outcomes are logged at debug level only: one attacker must not be
// able to fill the log. What an operator must see is one line per ban (warn) and
// per alert (LevelAlert), and the counters.
func (s *Server) tryPassword(src netip.Addr, id string, m *directory.Meeting, given string, roomSystem bool, kind string) (bool, policy.Refusal, time.Duration) {
	now := s.now()
	if r, wait := s.guard.Check(src, id, now); r != policy.Allowed {
		s.sec.refused.Add(1)
		s.log.Debug("password attempt refused", "meeting", id, "source", src, "reason", r.String(), "kind", kind, "retry_after", wait)
		return false, r, wait
	}
	if m != nil && policy.CheckPassword(*m, given, roomSystem) {
		s.guard.Succeed(src, id, now)
		return true, policy.Allowed, 0
	}
	res := s.guard.Fail(src, id, maphash.String(s.seed, given), now)
	if res.Counted {
		s.sec.wrong.Add(1)
	}
	s.log.Debug("wrong password", "meeting", id, "source", src, "kind", kind, "counted", res.Counted)
	if res.Ban != nil {
		s.banned(*res.Ban)
	}
	if res.Alert != nil {
		s.sec.alerts.Add(1)
		s.log.Log(context.Background(), LevelAlert, "security alert: meeting draws wrong passwords from many sources",
			"alert", true, "meeting", res.Alert.Meeting, "sources", res.Alert.Sources, "failures", res.Alert.Failures,
			"guarded", "sources that never got in wait; known sources, host key and operator token still pass")
	}
	return false, policy.Allowed, 0
}

// banned records and reports one ban: the security event of a source's guessing.
func (s *Server) banned(b policy.Ban) {
	s.sec.bans.Add(1)
	s.log.Warn("security event: source banned", "event", "ban", "source", b.Source, "until", b.Until.UTC().Format(time.RFC3339),
		"ban_count", b.Count, "failures", b.Failures, "meetings", b.Meetings)
	if s.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Store.SaveBan(ctx, directory.Ban{Source: b.Source, Until: b.Until, Count: b.Count}); err != nil {
		s.log.Error("ban not stored: it ends at restart", "source", b.Source, "err", err)
	}
}

// rateLimited is the API error of an attempt the guard held back.
func rateLimited(w http.ResponseWriter, retry time.Duration) *apiError {
	secs := int(retry/time.Second) + 1
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	return errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; retry in %d s", secs)
}

// errWrongPassword is the answer to a wrong password and, for callers without a
// credential, to a meeting that does not exist: the two look alike.
func errWrongPasswordAPI() *apiError {
	return errorf(http.StatusUnauthorized, "wrong_password", "wrong meeting ID or password")
}

// lookup rate-limits anonymous requests that tell something about a meeting ID
// (its public view, its invitation): it reports false, having answered 429, when
// src made too many.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) bool {
	src, now := sourceAddr(r), s.now()
	if ok, retry := s.lookups.Allow(src, "", now); !ok {
		s.sec.lookups.Add(1)
		s.writeError(w, r, rateLimited(w, retry))
		return false
	}
	s.lookups.Fail(src, "", now) // every lookup counts
	return true
}

// isNotFound reports whether err means "no such meeting".
func isNotFound(err error) bool {
	var ae *apiError
	return errors.Is(err, directory.ErrNotFound) || (errors.As(err, &ae) && ae.Status == http.StatusNotFound)
}

func (s *Server) handleSecurity(w http.ResponseWriter, r *http.Request) {
	if !s.identify(r, nil).Operator {
		s.writeError(w, r, errUnauthorized)
		return
	}
	type ban struct {
		Source string `json:"source"`
		Until  string `json:"until"`
		Count  int    `json:"count"`
	}
	bans := []ban{}
	for _, b := range s.guard.Bans(s.now()) {
		bans = append(bans, ban{b.Source.String(), b.Until.UTC().Format(time.RFC3339), b.Count})
	}
	writeJSON(w, http.StatusOK, map[string]any{"counters": s.Stats(), "bans": bans})
}
