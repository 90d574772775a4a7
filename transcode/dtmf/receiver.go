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
type Receiver struct {
	active bool
	cur    Event
	// Timestamps of recently finished events, to ignore their redundant end
	// packets (and reordered updates) that arrive afterwards.
	done  [4]uint32
	ndone int
	out   []Event
}

func (r *Receiver) isDone(ts uint32) bool {
	for i := 0; i < min(r.ndone, len(r.done)); i++ {
		if r.done[i] == ts {
			return true
		}
	}
	return false
}

func (r *Receiver) finish(ended bool) {
	r.cur.Ended = ended
	r.out = append(r.out, r.cur)
	r.done[r.ndone%len(r.done)] = r.cur.Timestamp
	r.ndone++
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
	if r.isDone(timestamp) {
		return r.out, nil // redundant end or late update of a finished event
	}
	if r.active && timestamp != r.cur.Timestamp {
		// A long event continues in a new segment: new timestamp, same
		// code, no marker (§2.5.2.3).
		if !marker && p.Event == r.cur.Code {
			r.done[r.ndone%len(r.done)] = r.cur.Timestamp
			r.ndone++
			r.cur.Timestamp = timestamp
			r.cur.Duration = max(r.cur.Duration, p.Duration)
			if p.End {
				r.finish(true)
			}
			return r.out, nil
		}
		// Every end packet of the current event was lost.
		r.finish(false)
	}
	if !r.active {
		r.active = true
		r.cur = Event{Digit: digit, Code: p.Event, Timestamp: timestamp}
	}
	r.cur.Duration = max(r.cur.Duration, p.Duration)
	if p.End {
		r.finish(true)
	}
	return r.out, nil
}

// Flush closes an event whose end never arrived (call the gateway's
// inter-digit timeout, or at hang-up). ok is false if none was pending.
func (r *Receiver) Flush() (ev Event, ok bool) {
	if !r.active {
		return Event{}, false
	}
	r.out = r.out[:0]
	r.finish(false)
	return r.out[0], true
}
