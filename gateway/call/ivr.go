package call

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/roomgate/roomgate/gateway/ivr"
)

// ivrMeetings adapts the meeting side to the IVR menu.
type ivrMeetings struct {
	ctx context.Context
	m   Meetings
	src netip.Addr
}

func (m ivrMeetings) Exists(id string) (bool, bool) { return m.m.MeetingInfo(m.ctx, id) }
func (m ivrMeetings) CheckPassword(id, pin string) bool {
	return m.m.CheckRoomSystemPIN(m.ctx, id, pin, m.src) == nil
}

// IVR limits: the longest wait for a key press, and for the whole menu (a meeting ID,
// a password, two retries each take well under a minute when typed).
const (
	ivrDigitTimeout = 60 * time.Second
	ivrTimeout      = 3 * time.Minute
)

// runIVR plays the menu and collects digits until the caller is through or gives up.
func (f *Flow) runIVR(ctx context.Context, log *slog.Logger, m Media, t Target, src netip.Addr, digits <-chan byte) (Target, bool) {
	digitTimeout, total := f.IVRDigitTimeout, f.IVRTimeout
	if digitTimeout <= 0 {
		digitTimeout = ivrDigitTimeout
	}
	if total <= 0 {
		total = ivrTimeout
	}
	menu, act := ivr.New(ivrMeetings{ctx, f.Meetings, src}, t.MeetingID, t.PIN)
	// A caller who keeps pressing a key now and then must not hold the call's ports
	// and an IVR forever.
	limit := time.NewTimer(total)
	defer limit.Stop()
	idle := time.NewTimer(digitTimeout)
	defer idle.Stop()
	for {
		if len(act.Play) > 0 {
			m.Play(act.Play...)
		}
		if act.Done {
			log.Info("IVR done", "meeting", act.MeetingID)
			m.Silence()
			return Target{MeetingID: act.MeetingID, PIN: act.PIN}, true
		}
		if act.Hangup {
			log.Info("call refused", "reason", act.Reason, "meeting", act.MeetingID)
			waitPrompt(ctx, m)
			return Target{}, false
		}
		select {
		case <-ctx.Done():
			return Target{}, false
		case d := <-digits:
			act = menu.Digit(d)
			idle.Reset(digitTimeout)
		case <-idle.C:
			log.Info("call refused", "reason", "IVR: no input for "+digitTimeout.String())
			return Target{}, false
		case <-limit.C:
			log.Info("call refused", "reason", "IVR: not through within "+total.String())
			return Target{}, false
		}
	}
}

// playAndWait plays one prompt to the end (or until ctx ends).
func playAndWait(ctx context.Context, m Media, p ivr.Prompt) {
	m.Play(p)
	waitPrompt(ctx, m)
}

func waitPrompt(ctx context.Context, m Media) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for m.Playing() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
