// Package jitter is an RTP audio jitter buffer: it reorders packets by
// sequence number (RFC 3550 §A.1 extended sequence numbers, so wrap-around is
// transparent), drops duplicates and packets that come after their playout
// slot, adapts its target delay to the measured interarrival jitter (RFC 3550
// §A.8) and to late arrivals, and tells the decoder which frames were lost so
// they can be concealed (or recovered from the next packet's Opus FEC).
//
// A Buffer does no I/O, owns no goroutine and never reads the clock: arrival
// and playout times are passed in, so behaviour is deterministic under test.
// One Buffer per received stream; not safe for concurrent use.
package jitter

import (
	"errors"
	"time"
)

// Config tunes a Buffer. Zero fields take the defaults noted.
type Config struct {
	ClockRate    int           // RTP clock rate in Hz (default 8000)
	FrameDelta   uint32        // timestamp step per packet when unknown (default 20 ms of ClockRate)
	MinDelay     time.Duration // lower bound of the target delay (default 40 ms)
	MaxDelay     time.Duration // upper bound of the target delay (default 200 ms)
	InitialDelay time.Duration // starting target delay (default 60 ms)
	MaxPackets   int           // capacity; older packets are dropped beyond it (default 64)
	// MaxDropout is the sequence jump beyond which the stream is treated as
	// restarted (RFC 3550 §A.1 uses 3000). Default 3000.
	MaxDropout int
	// MaxTimestampJump resynchronizes when the timestamp moves further than
	// this from what the sequence number predicts (default 10 s).
	MaxTimestampJump time.Duration
}

func (c *Config) defaults() {
	if c.ClockRate <= 0 {
		c.ClockRate = 8000
	}
	if c.FrameDelta == 0 {
		c.FrameDelta = uint32(c.ClockRate / 50)
	}
	if c.MinDelay <= 0 {
		c.MinDelay = 40 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 200 * time.Millisecond
	}
	if c.MaxDelay < c.MinDelay {
		c.MaxDelay = c.MinDelay
	}
	if c.InitialDelay <= 0 {
		c.InitialDelay = 60 * time.Millisecond
	}
	c.InitialDelay = min(max(c.InitialDelay, c.MinDelay), c.MaxDelay)
	if c.MaxPackets <= 0 {
		c.MaxPackets = 64
	}
	if c.MaxDropout <= 0 {
		c.MaxDropout = 3000
	}
	if c.MaxTimestampJump <= 0 {
		c.MaxTimestampJump = 10 * time.Second
	}
}

// Packet is one received RTP packet, reduced to what playout needs.
type Packet struct {
	SSRC      uint32
	Seq       uint16
	Timestamp uint32
	Marker    bool
	Payload   []byte
}

// Frame is one playout slot returned by Pop.
type Frame struct {
	// Packet is valid when Lost is false.
	Packet Packet
	// Lost means the packet for this slot never came (or came too late):
	// the decoder should conceal. Next, when non-nil, is the payload of the
	// packet that follows, already buffered, for codecs with in-band FEC.
	Lost bool
	Next []byte
	// Reset is set on the first frame of a new stream (SSRC change or
	// resynchronization): decoders should be reset.
	Reset bool
}

// Stats counts what happened to packets.
type Stats struct {
	Received   int // accepted into the buffer
	Played     int
	Lost       int // slots concealed because the packet was missing
	Late       int // arrived after their slot was played
	Duplicates int
	Overflow   int // dropped because the buffer was full (MaxPackets)
	Skipped    int // dropped to cut latency after a burst (depth over target)
	Resyncs    int // SSRC changes, large sequence or timestamp jumps
	Underruns  int // Pop found the buffer empty while playing
}

// Push errors say why a packet was not buffered; they are informational.
var (
	ErrDuplicate = errors.New("jitter: duplicate packet")
	ErrLate      = errors.New("jitter: packet too late")
)

type slot struct {
	ext     int64
	arrival time.Time
	pkt     Packet
}

// Buffer is the jitter buffer.
type Buffer struct {
	cfg Config

	active  bool // a stream is known (ssrc, maxExt valid)
	ssrc    uint32
	maxExt  int64  // highest extended seq received
	baseTS  uint32 // timestamp of baseExt, for jump detection
	baseExt int64

	playing   bool // playout started; next is valid
	next      int64
	played    int64 // highest slot played or concealed in this stream
	anyPlayed bool
	firstTime time.Time // arrival of the first packet while buffering
	reset     bool      // next Pop reports Reset

	pkts []slot // sorted by ext

	// Jitter estimate (RFC 3550 §A.8) in timestamp units, and the previous
	// packet's arrival and timestamp.
	jitter    float64
	lastArr   time.Time
	lastTS    uint32
	haveLast  bool
	frame     uint32 // observed timestamp step per packet
	target    time.Duration
	lateBoost time.Duration // delay floor raised by late packets, decays
	calmPops  int           // pops since the last late packet

	stats Stats
}

// New returns an empty Buffer.
func New(cfg Config) *Buffer {
	cfg.defaults()
	// The initial delay acts as a late-packet boost that decays while the
	// network stays calm, so a new call starts safe and then tightens.
	return &Buffer{cfg: cfg, target: cfg.InitialDelay, lateBoost: cfg.InitialDelay, frame: cfg.FrameDelta}
}

// Stats returns the counters so far.
func (b *Buffer) Stats() Stats { return b.stats }

// TargetDelay is the current adaptive playout delay.
func (b *Buffer) TargetDelay() time.Duration { return b.target }

// Jitter is the RFC 3550 interarrival jitter estimate.
func (b *Buffer) Jitter() time.Duration {
	return time.Duration(b.jitter * float64(time.Second) / float64(b.cfg.ClockRate))
}

// Len is the number of buffered packets.
func (b *Buffer) Len() int { return len(b.pkts) }
