package control

import (
	"fmt"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
)

// Capability exchange signalling entities, CESE (H.245 §8.3, SDL in C.3):
// the outgoing one sends our TerminalCapabilitySet and waits for its Ack
// under T101; the incoming one acknowledges or rejects the remote's.

type ceseState uint8

const (
	ceseIdle     ceseState = iota
	ceseAwaiting           // awaiting-response: our TCS sent
)

func (s ceseState) String() string { return [...]string{"idle", "awaiting-response"}[s] }

type ceseOut struct {
	state    ceseState
	seq      int64 // sequence number of the TCS in flight (0..255)
	sent     int   // how many TCS were sent (for the next number)
	tries    int   // sends of the current set
	retries  int
	t101     time.Duration
	deadline time.Time
	acked    bool
	build    func(seq int64) *h245.MultimediaSystemControlMessage
}

func (c *ceseOut) send(now time.Time, o *outbox) {
	c.seq = int64(c.sent % 256)
	c.sent++
	o.send(c.build(c.seq))
	c.state, c.deadline, c.acked = ceseAwaiting, now.Add(c.t101), false
}

// start sends a new capability set (a new one replaces one in flight, as
// H.245 C.3 allows).
func (c *ceseOut) start(now time.Time, build func(int64) *h245.MultimediaSystemControlMessage, o *outbox) {
	c.build, c.tries = build, 1
	c.send(now, o)
}

func (c *ceseOut) onAck(a *h245.TerminalCapabilitySetAck) bool {
	if c.state != ceseAwaiting || int64(a.SequenceNumber) != c.seq {
		return false // stale: for a set we replaced
	}
	c.state, c.deadline, c.acked = ceseIdle, time.Time{}, true
	return true
}

func (c *ceseOut) onReject(r *h245.TerminalCapabilitySetReject, o *outbox) {
	if c.state != ceseAwaiting || int64(r.SequenceNumber) != c.seq {
		return
	}
	c.state, c.deadline = ceseIdle, time.Time{}
	o.event(Failure{Reason: "the remote rejected our capability set: " + tcsCauseName(&r.Cause)})
}

// tick runs T101: send the set again (TCSRetries times), then release.
func (c *ceseOut) tick(now time.Time, o *outbox) {
	if c.state != ceseAwaiting || now.Before(c.deadline) {
		return
	}
	if c.tries <= c.retries {
		c.tries++
		c.send(now, o)
		return
	}
	c.state, c.deadline = ceseIdle, time.Time{}
	o.send(h245.Indication(h245.IndicationMessage{TerminalCapabilitySetRelease: &h245.TerminalCapabilitySetRelease{}}))
	o.event(Failure{Reason: fmt.Sprintf("capability exchange: no TerminalCapabilitySetAck within T101 (%s), %d tries", c.t101, c.tries)})
}

func tcsCauseName(c *h245.TerminalCapabilitySetRejectCause) string {
	switch {
	case c.UndefinedTableEntryUsed != nil:
		return "undefinedTableEntryUsed"
	case c.DescriptorCapacityExceeded != nil:
		return "descriptorCapacityExceeded"
	case c.TableEntryCapacityExceeded != nil:
		return "tableEntryCapacityExceeded"
	}
	return "unspecified"
}

// ceseIn is the incoming side: it has no waiting state (we answer at once),
// only what it learnt.
type ceseIn struct {
	remote *RemoteCaps // the last accepted non-empty set
	held   bool
}

// tcsResult is what the session does after the incoming CESE answered.
type tcsResult uint8

const (
	tcsRejected tcsResult = iota
	tcsCaps               // a non-empty set, accepted
	tcsHold               // an empty set: pause
	tcsResume             // a non-empty set after a pause
	tcsRepeat             // another empty set while paused: nothing changes
)

func (c *ceseIn) onTCS(t *h245.TerminalCapabilitySet, o *outbox) tcsResult {
	if IsEmptyTCS(t) {
		o.send(h245.NewTerminalCapabilitySetAck(int64(t.SequenceNumber)))
		if c.held {
			return tcsRepeat
		}
		c.held = true
		o.event(Hold{})
		return tcsHold
	}
	rc, err := ParseTCS(t)
	if err != nil {
		cause := h245.TerminalCapabilitySetRejectCause{Unspecified: &struct{}{}}
		if te, ok := err.(*TCSError); ok {
			cause = te.Cause
		}
		o.send(h245.Response(h245.ResponseMessage{TerminalCapabilitySetReject: &h245.TerminalCapabilitySetReject{
			SequenceNumber: t.SequenceNumber, Cause: cause}}))
		return tcsRejected
	}
	o.send(h245.NewTerminalCapabilitySetAck(int64(t.SequenceNumber)))
	c.remote = rc
	if c.held {
		c.held = false
		o.event(Resume{})
		return tcsResume
	}
	return tcsCaps
}
