package dtmf

import "time"

// Event is one key press recognised from the RTP stream.
type Event struct {
	Digit     rune
	Code      byte
	Timestamp uint32 // RTP timestamp of the event's first packet
	Duration  uint16 // in timestamp units, as last reported
	// Ended is false when the event was closed without an end packet
	// (all of them lost, or Flush called mid-press).
	Ended bool
}

// DurationAt converts the event's duration at an RTP clock rate.
func (e Event) DurationAt(clockRate int) time.Duration {
	if clockRate <= 0 {
		return 0
	}
	return time.Duration(int64(e.Duration) * int64(time.Second) / int64(clockRate))
}

// Receiver turns RFC 4733 packets into Events exactly once per key press:
// the repeated end packets, late duplicates and the continuation segments
// of long events (§2.5.2.3) do not repeat a digit. It reports a digit when
// its end packet arrives, or when the next event starts if every end packet
// was lost. Not safe for concurrent use.
//
// Events are ordered by their RTP timestamps in serial-number arithmetic: a
// packet whose timestamp is before the latest event's belongs to an event
// already reported (a redundant end packet, a reordered update, an earlier
// segment of a long event) and is dropped, however many events ago that was.
// A jump back of more than lateWindow is no late packet but a sender that
// restarted its timestamps, and starts afresh.
type Receiver struct {
	have   bool   // an event was seen: last is valid
	active bool   // cur is in progress (last == cur.Timestamp)
	last   uint32 // timestamp of the latest event, active or finished
	cur    Event
	out    []Event
}

// lateWindow bounds how far back a packet may be and still be taken for a
// late packet of an earlier event: 2^19 units is 65 s at 8 kHz, 11 s at
// 48 kHz, far beyond any reordering; a restarted sender lands there with a
// chance of 1 in 8192.
const lateWindow = 1 << 19

func (r *Receiver) finish(ended bool) {
	r.cur.Ended = ended
	r.out = append(r.out, r.cur)
	r.active = false
}

// Push consumes one telephone-event RTP packet and returns the events it
// completes (usually none or one; the slice is reused by the next call).
// Unknown event codes (tones, line events) are ignored without error.
func (r *Receiver) Push(timestamp uint32, marker bool, payload []byte) ([]Event, error) {
	r.out = r.out[:0]
	var p Payload
	if _, err := p.Unmarshal(payload); err != nil {
		return r.out, err
	}
	digit, err := Digit(p.Event)
	if err != nil {
		return r.out, nil
	}
	if r.have {
		switch back := r.last - timestamp; {
		case back == 0 && !r.active:
			return r.out, nil // redundant end or late update of the event just finished
		case back != 0 && back <= lateWindow:
			return r.out, nil // a packet of an earlier event or segment
		}
	}
	if r.active && timestamp != r.cur.Timestamp {
		// A long event continues in a new, later segment: new timestamp,
		// same code, no marker (§2.5.2.3).
		if !marker && p.Event == r.cur.Code && timestamp-r.last < 1<<31 {
			r.last = timestamp
			r.cur.Timestamp = timestamp
			r.cur.Duration = max(r.cur.Duration, p.Duration)
			if p.End {
				r.finish(true)
			}
			return r.out, nil
		}
		// Every end packet of the current event was lost (or the sender
		// restarted its timestamps mid-press).
		r.finish(false)
	}
	if !r.active {
		r.have, r.active, r.last = true, true, timestamp
		r.cur = Event{Digit: digit, Code: p.Event, Timestamp: timestamp}
	}
	r.cur.Duration = max(r.cur.Duration, p.Duration)
	if p.End {
		r.finish(true)
	}
	return r.out, nil
}

// Flush closes an event whose end never arrived (the gateway calls it once a
// second passed without telephone-event packets). ok is false if none was
// pending; later packets of the flushed event are dropped.
func (r *Receiver) Flush() (ev Event, ok bool) {
	if !r.active {
		return Event{}, false
	}
	r.out = r.out[:0]
	r.finish(false)
	return r.out[0], true
}
