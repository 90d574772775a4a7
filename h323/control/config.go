package control

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/roomgate/roomgate/transcode/media"
)

// TerminalTypeMCU is H.323 Table 1's "MCU with MC, audio and video MP"
// (190), the default terminal type for master/slave determination: from the
// room system's side the gateway is an MCU (it mixes the meeting's audio and
// composes or switches its video), and being master lets it settle channel
// conflicts (H.245 §8.4.1) against every terminal (50) and gateway (60..110)
// instead of leaving them to a coin toss. Against a real MCU (also 190) the
// random numbers decide, as H.245 §8.2 wants.
const TerminalTypeMCU = 190

// Quirks switch on workarounds for one vendor's behaviour; the call derives
// them from the remote's vendor identity.
type Quirks struct {
	// NoReproposeAfterConflict: the remote never opens a channel again after
	// an OpenLogicalChannelReject with masterSlaveConflict (Polycom HDX). As
	// master we accept its channel and replace ours instead of rejecting.
	NoReproposeAfterConflict bool
}

// Config is a Session's configuration. Zero fields take the defaults
// documented on each.
type Config struct {
	// TerminalType for MSD (default TerminalTypeMCU).
	TerminalType int64
	// Caps is what we offer and take (default DefaultCaps()).
	Caps *LocalCaps
	// Local is where the gateway receives media (for the plan's fastStart
	// answers; H.245 channels are accepted with explicit addresses).
	Local  media.Local
	Quirks Quirks
	// Rand draws MSD numbers (default: a ChaCha8 seeded from crypto/rand).
	Rand interface{ Uint32() uint32 }

	// T101 capability exchange, T103 logical channel, T106 master/slave
	// determination timers (H.245 Annex C; default 30 s each, as OpenH323
	// and most room systems use).
	T101, T103, T106 time.Duration
	// N100 is how often MSD is tried when the result is indeterminate
	// (default 3, H.245 C.2).
	N100 int
	// TCSRetries is how often our capability set is sent again when T101
	// expires before the remote answers (default 1).
	TCSRetries int
	// RTDInterval is how often a RoundTripDelayRequest is sent as a
	// liveness check (default 10 s; negative: never); T105 how long one
	// waits for its response (default 10 s); RTDMisses consecutive
	// unanswered requests end the call (default 3).
	RTDInterval, T105 time.Duration
	RTDMisses         int
}

func (c *Config) defaults() {
	if c.TerminalType == 0 {
		c.TerminalType = TerminalTypeMCU
	}
	if c.Caps == nil {
		c.Caps = DefaultCaps()
	}
	if c.Rand == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:])
		c.Rand = rand.New(rand.NewChaCha8(seed))
	}
	setDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	setDur(&c.T101, 30*time.Second)
	setDur(&c.T103, 30*time.Second)
	setDur(&c.T106, 30*time.Second)
	setDur(&c.RTDInterval, 10*time.Second)
	setDur(&c.T105, 10*time.Second)
	if c.N100 <= 0 {
		c.N100 = 3
	}
	if c.TCSRetries == 0 {
		c.TCSRetries = 1
	}
	if c.RTDMisses <= 0 {
		c.RTDMisses = 3
	}
}

// seeded returns a deterministic Rand for tests and benchmarks.
func seeded(n uint64) *rand.Rand {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], n)
	return rand.New(rand.NewChaCha8(seed))
}
