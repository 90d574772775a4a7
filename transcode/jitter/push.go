package jitter

import (
	"sort"
	"time"
)

// Push adds a packet that arrived at now. It returns ErrDuplicate or ErrLate
// for packets it drops; any other outcome is nil.
func (b *Buffer) Push(p Packet, now time.Time) error {
	if !b.active || p.SSRC != b.ssrc {
		b.resync(p)
	}
	ext := unwrap(b.maxExt, p.Seq)
	if b.jumped(ext, p.Timestamp) {
		b.resync(p)
		ext = unwrap(b.maxExt, p.Seq)
	}
	b.measure(p.Timestamp, now)
	// Late: its slot was already played or concealed, or playout moved
	// past it (also while re-buffering after an underrun).
	if (b.playing && ext < b.next) || (b.anyPlayed && ext <= b.played) {
		b.stats.Late++
		b.onLate()
		return ErrLate
	}
	i := sort.Search(len(b.pkts), func(i int) bool { return b.pkts[i].ext >= ext })
	if i < len(b.pkts) && b.pkts[i].ext == ext {
		b.stats.Duplicates++
		return ErrDuplicate
	}
	// Own the payload: callers reuse their receive buffers.
	p.Payload = append([]byte(nil), p.Payload...)
	b.pkts = append(b.pkts, slot{})
	copy(b.pkts[i+1:], b.pkts[i:])
	b.pkts[i] = slot{ext: ext, arrival: now, pkt: p}
	b.stats.Received++
	if ext > b.maxExt {
		if ext == b.maxExt+1 {
			if d := p.Timestamp - b.tsOf(b.maxExt); d > 0 && d < uint32(b.cfg.ClockRate) {
				b.frame = d
			}
		}
		b.maxExt = ext
		b.baseExt, b.baseTS = ext, p.Timestamp
	}
	if !b.playing && b.firstTime.IsZero() {
		b.firstTime = now
	}
	for len(b.pkts) > b.cfg.MaxPackets {
		b.dropOldest()
		b.stats.Overflow++
	}
	return nil
}

// tsOf returns the timestamp of a buffered packet, or the one predicted
// from the stream's base when it is not buffered.
func (b *Buffer) tsOf(ext int64) uint32 {
	for i := len(b.pkts) - 1; i >= 0; i-- {
		if b.pkts[i].ext == ext {
			return b.pkts[i].pkt.Timestamp
		}
	}
	return b.baseTS + uint32((ext-b.baseExt)*int64(b.frame))
}

// jumped reports a sequence jump beyond MaxDropout or a timestamp that
// disagrees with the sequence number by more than MaxTimestampJump: the
// sender restarted, or a SIP re-INVITE switched sources behind one SSRC.
// The prediction starts from the newest packet, so silence suppression
// (timestamps advance, sequence numbers do not) only trips it after a
// silence longer than MaxTimestampJump, where a resync is harmless.
func (b *Buffer) jumped(ext int64, ts uint32) bool {
	if d := ext - b.maxExt; d > int64(b.cfg.MaxDropout) || d < -int64(b.cfg.MaxDropout) {
		return true
	}
	want := int64(b.baseTS) + (ext-b.baseExt)*int64(b.frame)
	off := tsDiff(uint32(want), ts)
	limit := int64(b.cfg.MaxTimestampJump.Seconds() * float64(b.cfg.ClockRate))
	return off > limit || off < -limit
}

// resync forgets the current stream and starts a new one at p.
func (b *Buffer) resync(p Packet) {
	if b.active {
		b.stats.Resyncs++
	}
	b.active = true
	b.ssrc = p.SSRC
	// Start one cycle up so reordered predecessors still have room below,
	// and one below p so that p counts as new.
	b.baseExt = int64(p.Seq) + 1<<16
	b.baseTS = p.Timestamp
	b.maxExt = b.baseExt - 1
	b.pkts = b.pkts[:0]
	b.playing = false
	b.anyPlayed = false
	b.firstTime = time.Time{}
	b.haveLast = false
	b.reset = true
}

// measure updates the interarrival jitter (RFC 3550 §A.8).
func (b *Buffer) measure(ts uint32, now time.Time) {
	if b.haveLast {
		arr := now.Sub(b.lastArr).Seconds() * float64(b.cfg.ClockRate)
		d := arr - float64(tsDiff(b.lastTS, ts))
		if d < 0 {
			d = -d
		}
		b.jitter += (d - b.jitter) / 16
	}
	b.lastArr, b.lastTS, b.haveLast = now, ts, true
	b.adapt()
}

// onLate grows the delay by one frame: the buffer was too shallow.
func (b *Buffer) onLate() {
	b.lateBoost = min(b.lateBoost+b.frameDur(), b.cfg.MaxDelay)
	b.calmPops = 0
	b.adapt()
}

// adapt sets the target to about three jitter deviations plus a frame, at
// least the late-packet boost, within [MinDelay, MaxDelay].
func (b *Buffer) adapt() {
	t := 3*b.Jitter() + b.frameDur()
	t = max(t, b.lateBoost, b.cfg.MinDelay)
	b.target = min(t, b.cfg.MaxDelay)
}

func (b *Buffer) frameDur() time.Duration {
	return time.Duration(int64(b.frame) * int64(time.Second) / int64(b.cfg.ClockRate))
}

func (b *Buffer) dropOldest() {
	b.pkts = b.pkts[:copy(b.pkts, b.pkts[1:])]
	if b.playing && len(b.pkts) > 0 && b.pkts[0].ext > b.next {
		b.next = b.pkts[0].ext
		b.played, b.anyPlayed = b.next-1, true
	}
}
