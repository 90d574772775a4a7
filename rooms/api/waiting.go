package api

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/secretfile"
)

// WaitingLimits bound a meeting's waiting room: entries per source address and per
// meeting, and how long an entry lives without being polled (the web page polls its
// ticket every second, a room system's leg four times a second; browsers throttle
// the timers of a hidden tab to once a minute, hence the 2 min default).
type WaitingLimits struct {
	PerSource  int
	PerMeeting int
	Expire     time.Duration
}

// Waiting-room defaults.
const (
	DefaultWaitingPerSource  = 20
	DefaultWaitingPerMeeting = 500
	DefaultWaitingExpire     = 2 * time.Minute
	// admitBatch is how many waiting participants one step of "admit everyone" lets
	// in before it updates the meeting and checks for shutdown.
	admitBatch = 50
)

func (l WaitingLimits) withDefaults() WaitingLimits {
	if l.PerSource <= 0 {
		l.PerSource = DefaultWaitingPerSource
	}
	if l.PerMeeting <= 0 {
		l.PerMeeting = DefaultWaitingPerMeeting
	}
	if l.Expire <= 0 {
		l.Expire = DefaultWaitingExpire
	}
	return l
}

// errWaitingFull is ErrLocked for room systems (the legs answer "meeting locked").
var errWaitingFull = fmt.Errorf("%w: the waiting room is full", ErrLocked)

// enqueue puts a participant (rs nil) or a room system in m's waiting room,
// within the limits per source and per meeting.
func (s *Server) enqueue(ctx context.Context, m directory.Meeting, name string, src netip.Addr, rs *RoomSystemJoin) (*ticket, error) {
	now := s.now()
	t := &ticket{ID: secretfile.Random(12), Name: name, Since: now, Polled: now, Source: src, RoomSystem: rs}
	var err error
	s.live.with(m.ID, func(lm *liveMeeting) {
		n, fromSrc := 0, 0
		for _, o := range lm.Waiting {
			if o.State == ticketWaiting {
				n++
				if o.Source == src {
					fromSrc++
				}
			}
		}
		switch {
		case fromSrc >= s.Waiting.PerSource:
			err = errorf(http.StatusTooManyRequests, "rate_limited", "too many people waiting from this address")
		case n >= s.Waiting.PerMeeting:
			err = errorf(http.StatusServiceUnavailable, "waiting_room_full", "the waiting room is full")
		default:
			lm.Waiting[t.ID] = t
		}
	})
	if err != nil {
		s.log.Debug("waiting room refused", "meeting", m.ID, "source", src, "err", err)
		if rs != nil {
			return nil, errWaitingFull
		}
		return nil, err
	}
	s.syncRoom(ctx, m)
	return t, nil
}

// expireWaiting drops waiting entries nobody polled for the Expire time: their
// page was closed or their call ended.
func (lm *liveMeeting) expireWaiting(now time.Time, expire time.Duration) int {
	n := 0
	for id, t := range lm.Waiting {
		if t.State == ticketWaiting && now.Sub(t.Polled) > expire {
			delete(lm.Waiting, id)
			n++
		}
	}
	return n
}

// admitWaiting lets everybody in m's waiting room in, in batches, on a goroutine
// the server owns (Close waits for it): the request that asked for it returns at
// once however many are waiting.
func (s *Server) admitWaiting(m directory.Meeting) {
	s.background(func(ctx context.Context) {
		for ctx.Err() == nil {
			var batch []*ticket
			s.live.with(m.ID, func(lm *liveMeeting) {
				for _, t := range lm.Waiting {
					if t.State == ticketWaiting && !t.admitting {
						t.admitting = true
						batch = append(batch, t)
						if len(batch) == admitBatch {
							break
						}
					}
				}
			})
			if len(batch) == 0 {
				return
			}
			for _, t := range batch {
				if t.RoomSystem != nil {
					s.live.with(m.ID, func(*liveMeeting) { t.State, t.Decided = ticketAdmitted, s.now() })
					continue
				}
				res, err := s.mintSession(m, t.Name, false)
				if err != nil {
					s.log.Warn("admitting from the waiting room failed", "meeting", m.ID, "err", err)
					continue
				}
				s.live.with(m.ID, func(*liveMeeting) { t.State, t.Result, t.Decided = ticketAdmitted, res, s.now() })
			}
			s.syncRoom(ctx, m)
			s.log.Info("admitted from the waiting room", "meeting", m.ID, "count", len(batch))
		}
	})
}

// background runs fn on a goroutine the server owns: its ctx ends on Close, which
// waits for it. After Close, fn does not run.
func (s *Server) background(fn func(ctx context.Context)) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.bgClosed {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		fn(s.bgCtx)
	}()
}
