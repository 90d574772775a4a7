// Package call is the room-system call flow every protocol shares: dial plan →
// hardware password → admission → answer → IVR → waiting room → join → wait →
// hang-up, for dial-in and dial-out. It drives each protocol through a small Leg
// (the SIP and H.323 adapters implement it), the media bridge through Media, and
// sees the meeting side only through Meetings. It also keeps the call registry
// the API reads and routes dial-outs to one Dialer per protocol.
package call

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/rooms/api"
)

// Flow runs calls. Its zero value is not usable: set Log, Meetings, Registry and
// NewMedia.
type Flow struct {
	Log      *slog.Logger
	Meetings Meetings
	Registry *Registry
	DialPlan DialPlan
	NewMedia NewMedia
	// Dialers place dial-outs, by protocol ("sip", "h323").
	Dialers map[string]Dialer
	// IVRDigitTimeout and IVRTimeout bound the voice menu (0: 60 s and 3 min).
	IVRDigitTimeout, IVRTimeout time.Duration

	wg sync.WaitGroup // dial-outs
}

// Wait waits for the dial-outs the flow runs (their calls end when ctx of the
// signalling ends, e.g. at shutdown).
func (f *Flow) Wait() { f.wg.Wait() }

// callLog is the log scheme of every line of a call: call_id (the registry's ID),
// leg, and the protocol's own ID beside them.
func (f *Flow) callLog(id, leg, protocolID string) *slog.Logger {
	l := f.Log.With("call_id", id, "leg", leg)
	if protocolID != "" {
		l = l.With("protocol_id", protocolID)
	}
	return l
}

// hangUpAfterMedia ends a call once its media ran: the hang-up goes out (a no-op when
// the peer already hung up), naming why the media ended the call (timeout, RTCP BYE,
// removed from the meeting) where it did, else why; meanwhile the room system leaves
// the meeting and its ports are freed. Neither waits for the other: a dead peer never
// answers a SIP BYE (its transaction lasts 64·T1, 32 s), and leaving the meeting can
// take the meeting core a few seconds.
func hangUpAfterMedia(log *slog.Logger, m Media, leg Leg, why string) {
	var sent sync.WaitGroup
	if e := m.Ended(); e != "" {
		why = e
	}
	if why != "" {
		log.Info("ending call", "reason", why)
		sent.Go(func() { _ = leg.HangUp(why) })
	}
	m.Close()
	sent.Wait()
}

// untilDone returns a context that ends with ctx, when the leg's signalling ends
// the call, or with its cancel (the media ended the call). The goroutine it starts
// ends with the context.
func untilDone(ctx context.Context, leg Leg) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-leg.Done():
			cancel()
		case <-c.Done():
		}
	}()
	return c, cancel
}

// keyframer asks the room system for a keyframe through its signalling without
// blocking the media (a SIP INFO waits for its answer), one request at a time. The
// call waits for the last one (wait) before it ends.
type keyframer struct {
	busy sync.Mutex
	wg   sync.WaitGroup
}

func (k *keyframer) request(ctx context.Context, leg Leg) func() {
	return func() {
		if !k.busy.TryLock() {
			return
		}
		k.wg.Go(func() {
			defer k.busy.Unlock()
			_ = leg.RequestKeyframe(ctx)
		})
	}
}

func (k *keyframer) wait() { k.wg.Wait() }

func displayName(caller string, ep Identity) string {
	switch {
	case caller != "":
		return caller
	case ep.Product != "":
		return ep.Product
	}
	return "Room system"
}

// errUnsupported is a dial-out to a protocol this gateway does not run.
func errUnsupported(protocol string) error {
	return fmt.Errorf("%s: %w", protocol, api.ErrUnsupported)
}
