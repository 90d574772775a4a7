package sip

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// sessionTimer is the RFC 4028 state of a dialog. It is guarded by call.mu.
type sessionTimer struct {
	interval     time.Duration // negotiated Session-Expires; 0 = off
	weRefresh    bool
	peerSupports bool
	t            *time.Timer
}

func (t *sessionTimer) stop() {
	if t.t != nil {
		t.t.Stop()
		t.t = nil
	}
}

// headerValue returns a header by full or compact name (RFC 3261 §7.3.3).
func headerValue(m sip.Message, full, compact string) (string, bool) {
	if h := m.GetHeaders(full); len(h) > 0 {
		return h[0].Value(), true
	}
	if compact != "" {
		if h := m.GetHeaders(compact); len(h) > 0 {
			return h[0].Value(), true
		}
	}
	return "", false
}

// sessionExpires reads "Session-Expires: 1800;refresher=uac" (RFC 4028 §4).
func sessionExpires(m sip.Message) (time.Duration, string, bool) {
	v, ok := headerValue(m, "Session-Expires", "x")
	if !ok {
		return 0, "", false
	}
	parts := strings.Split(v, ";")
	secs, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || secs <= 0 || secs > 1<<24 {
		return 0, "", false
	}
	refresher := ""
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return time.Duration(secs) * time.Second, refresher, true
}

// minSE reads Min-SE (RFC 4028 §5); 0 when absent.
func minSE(m sip.Message) time.Duration {
	v, ok := headerValue(m, "Min-SE", "")
	if !ok {
		return 0
	}
	v, _, _ = strings.Cut(v, ";")
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 || secs > 1<<24 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// supports reports whether an option tag is in Supported or Require.
func supports(m sip.Message, tag string) bool {
	for _, name := range []string{"Supported", "k", "Require"} {
		for _, h := range m.GetHeaders(name) {
			for opt := range strings.SplitSeq(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(opt), tag) {
					return true
				}
			}
		}
	}
	return false
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// checkRequest rejects a Session-Expires below our Min-SE with 422
// (RFC 4028 §8.1).
func (t *sessionTimer) checkRequest(req *sip.Request, cfg Config) (int, []sip.Header, bool) {
	se, _, ok := sessionExpires(req)
	if ok && se < cfg.MinSE {
		return 422, []sip.Header{sip.NewHeader("Min-SE", seconds(cfg.MinSE))}, false
	}
	return 0, nil, true
}

// fromRequest sets the timer as UAS of a (re-)INVITE or UPDATE (RFC 4028 §9).
func (t *sessionTimer) fromRequest(req *sip.Request, cfg Config) {
	se, refresher, ok := sessionExpires(req)
	t.peerSupports = supports(req, "timer")
	switch {
	case ok:
		t.interval = se
		if cfg.SessionExpires > 0 && cfg.SessionExpires < se {
			// A UAS may lower the interval, not below any Min-SE (§9).
			t.interval = max(cfg.SessionExpires, minSE(req), cfg.MinSE)
		}
	case cfg.SessionExpires == 0:
		t.interval = 0
	case t.interval == 0:
		t.interval = cfg.SessionExpires
	}
	switch {
	case refresher == "uac":
		t.weRefresh = false
	case refresher == "uas":
		t.weRefresh = true
	default:
		// We choose: the UAC when it supports timers, else us (§9).
		t.weRefresh = !t.peerSupports
	}
}

// fromResponse sets the timer as UAC from a 2xx (RFC 4028 §7.2).
func (t *sessionTimer) fromResponse(res *sip.Response, requested time.Duration) {
	se, refresher, ok := sessionExpires(res)
	if !ok {
		// The UAS does not do timers; we may still refresh on our own.
		t.interval, t.weRefresh = requested, requested > 0
		return
	}
	t.interval = se
	t.weRefresh = refresher != "uas"
	t.peerSupports = true
}

// addTimerHeaders puts our timer decision into a 2xx we send as UAS.
func (c *call) addTimerHeaders(res *sip.Response, uas bool) {
	c.mu.Lock()
	t := c.timer
	c.mu.Unlock()
	if t.interval == 0 {
		return
	}
	who := "uac"
	if t.weRefresh == uas {
		who = "uas"
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", seconds(t.interval)+";refresher="+who))
	if t.peerSupports {
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
}

// timerRequestHeaders are the RFC 4028 headers of a request we send as the
// refresher.
func (s *Service) timerRequestHeaders(interval time.Duration) []sip.Header {
	if interval == 0 {
		return []sip.Header{sip.NewHeader("Supported", "timer")}
	}
	return []sip.Header{
		sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", seconds(interval)+";refresher=uac"),
		sip.NewHeader("Min-SE", seconds(s.cfg.MinSE)),
	}
}

// armTimer (re)starts the refresh or expiry timer (RFC 4028 §10): the
// refresher refreshes at half the interval; the other side gives up at
// interval minus min(32 s, interval/3) without a refresh.
func (c *call) armTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer.stop()
	if c.timer.interval == 0 || c.state != stateConfirmed {
		return
	}
	if c.timer.weRefresh {
		c.timer.t = time.AfterFunc(c.timer.interval/2, c.refresh)
		return
	}
	c.timer.t = time.AfterFunc(c.timer.interval-min(32*time.Second, c.timer.interval/3), func() {
		c.log.Warn("session timer expired without refresh")
		_ = c.bye(context.Background(), EndSessionExpired, "session expired")
	})
}

// refresh sends the session refresh: re-INVITE with our unchanged SDP, or
// UPDATE without body when configured and the peer allows it (RFC 4028
// §7.4). 422 raises the interval to the peer's Min-SE; a failed refresh
// ends the call with BYE.
func (c *call) refresh() {
	ctx, cancel := context.WithTimeout(c.ctx, 64*c.svc.cfg.T1)
	defer cancel()
	for attempt := 0; attempt < 3; attempt++ {
		c.mu.Lock()
		if c.state != stateConfirmed {
			c.mu.Unlock()
			return
		}
		interval := c.timer.interval
		useUpdate := c.svc.cfg.RefreshWithUpdate && strings.Contains(strings.ToUpper(c.peerAllow), "UPDATE")
		local := c.localSDP
		c.reinviting = !useUpdate
		c.mu.Unlock()

		hdrs := c.svc.timerRequestHeaders(interval)
		var res *sip.Response
		var err error
		if useUpdate {
			res, err = c.request(ctx, sip.UPDATE, nil, "", hdrs...)
		} else {
			res, err = c.request(ctx, sip.INVITE, local, "application/sdp", hdrs...)
		}
		c.mu.Lock()
		c.reinviting = false
		c.mu.Unlock()
		if err != nil {
			c.log.Warn("session refresh failed", "err", err)
			break
		}
		switch {
		case res.IsSuccess():
			c.mu.Lock()
			c.timer.fromResponse(res, interval)
			c.mu.Unlock()
			if len(res.Body()) > 0 {
				c.setSDP(nil, res.Body())
			}
			c.log.Debug("session refreshed", "interval", interval)
			c.armTimer()
			return
		case res.StatusCode == 422:
			if m := minSE(res); m > interval {
				c.mu.Lock()
				c.timer.interval = m
				c.mu.Unlock()
				continue
			}
		case res.StatusCode == 491:
			// Glare (RFC 3261 §14.1): retry after a short while.
			select {
			case <-time.After(time.Duration(1+attempt) * c.svc.cfg.T1 * 2):
				continue
			case <-c.done:
				return
			}
		}
		c.log.Warn("session refresh rejected", "status", res.StatusCode)
		break
	}
	if c.EndReason() == "" {
		_ = c.bye(context.Background(), EndRefreshFailed, "session refresh failed")
	}
}
