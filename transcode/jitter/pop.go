package jitter

import "time"

// calmDecay is the number of pops without a late packet after which the
// late-packet boost shrinks by one frame (about 5 s of 20 ms frames).
const calmDecay = 250

// Pop returns the frame to play at now, one per packet interval. ok is false
// while the buffer is still filling to its target delay (at start, after a
// resync or an underrun): the caller plays silence or comfort noise.
func (b *Buffer) Pop(now time.Time) (f Frame, ok bool) {
	if !b.playing {
		if len(b.pkts) == 0 || now.Sub(b.firstTime) < b.target {
			return Frame{}, false
		}
		b.playing = true
		b.next = b.pkts[0].ext
	}
	if len(b.pkts) == 0 {
		// Underrun: stop and re-buffer rather than marching next past
		// packets that are merely delayed (or a sender in silence).
		b.stats.Underruns++
		b.playing = false
		b.firstTime = time.Time{}
		return Frame{}, false
	}
	b.calmPops++
	if b.calmPops >= calmDecay && b.lateBoost > 0 {
		b.lateBoost = max(b.lateBoost-b.frameDur(), 0)
		b.calmPops = 0
		b.adapt()
	}
	// Too deep (the jitter went down, or a burst arrived): skip the oldest
	// packet to bring latency back toward the target.
	if b.depth() > b.target+2*b.frameDur() && len(b.pkts) > 1 {
		if head := b.pkts[0].ext; head != b.next {
			b.stats.Lost += int(head - b.next) // skipped, not concealed
			b.played, b.anyPlayed = head-1, true
			b.next = head
		} else {
			b.dropOldest()
			b.stats.Skipped++
			b.next = b.pkts[0].ext
		}
	}
	f.Reset, b.reset = b.reset, false
	head := b.pkts[0]
	if head.ext != b.next {
		// The packet for this slot is missing; later ones are here.
		f.Lost = true
		f.Next = head.pkt.Payload
		if head.ext != b.next+1 {
			f.Next = nil // the FEC in head covers head-1 only
		}
		b.stats.Lost++
		b.markPlayed()
		return f, true
	}
	b.pkts = b.pkts[:copy(b.pkts, b.pkts[1:])]
	f.Packet = head.pkt
	b.stats.Played++
	b.markPlayed()
	return f, true
}

func (b *Buffer) markPlayed() {
	b.played, b.anyPlayed = b.next, true
	b.next++
}

// depth is the buffered audio from the next slot to the newest packet.
func (b *Buffer) depth() time.Duration {
	if len(b.pkts) == 0 {
		return 0
	}
	slots := b.pkts[len(b.pkts)-1].ext - b.next + 1
	return time.Duration(slots) * b.frameDur()
}
