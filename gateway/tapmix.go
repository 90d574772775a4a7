package gateway

import (
	"time"

	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/media"
	"github.com/roomgate/roomgate/transcode/mixer"
	"github.com/roomgate/roomgate/transcode/resample"
)

// The meeting's audio toward its room systems is mixed the way a conference bridge
// does it. Every 20 ms (tick n of the audio clock, the same frame for every call) the
// tap takes one frame of each decoded stream and sums them once. A room system that is
// not itself among those streams — in a meeting, all but the few who talk — hears
// exactly that sum, so it is resampled to each codec's rate once and, for G.711 and
// G.722, encoded once, for all of them. A room system that is among the streams gets
// its own mix-minus (the sum less its own audio) and encodes it itself.

// The audio of the gateway's own calls does not travel through the meeting core to
// reach the other room systems: the tap does not subscribe to it (subscribes) and each
// call hands its decoded audio over directly (speak). That saves, per room system,
// the meeting core's forwarding to the tap, its encryption and decryption, and the
// tap's Opus decoding — and 20 ms or more of delay between two room systems.

// subscribes is the tap's subscription filter: every track but our own calls' audio.
func (t *meetingTap) subscribes(identity string, video bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return video || !t.local[identity]
}

// expect registers a call's participant identity before it joins, so the tap does not
// subscribe to its audio.
func (t *meetingTap) expect(identity string) {
	t.mu.Lock()
	t.local[identity] = true
	t.mu.Unlock()
}

// unexpect forgets a call that left (or failed to join), with its audio stream.
func (t *meetingTap) unexpect(identity string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.local, identity)
	delete(t.streams, localKey(identity))
}

func localKey(identity string) string { return "local:" + identity }

// speak takes 20 ms of a call's own audio (PCM at rate) from its tick n, for the
// other room systems of the meeting. It is mixed from tick n+1 on: whichever of the
// calls' ticks runs first, every call hears it in the same frame.
func (t *meetingTap) speak(n uint64, identity string, pcm []int16, rate int) error {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.local[identity] {
		return nil // left
	}
	key := localKey(identity)
	s := t.streams[key]
	if s == nil {
		up, err := resample.New(rate, meetingRate)
		if err != nil {
			return err
		}
		s = &tapStream{identity: identity, local: true, up: up}
		t.streams[key] = s
	}
	if t.speakers != nil && !t.speakers[identity] && t.busy(s, now.UnixNano()) >= maxMixed+1 {
		return nil // not among the loudest, and enough others are talking
	}
	s.last.Store(now.UnixNano())
	s.flush(n + 1)
	s.pend = s.up.Process(pcm, s.pend)
	s.pendN = n
	return nil
}

// flush queues a local stream's pending frame once tick n has come (tap mu held).
func (s *tapStream) flush(n uint64) {
	if s.local && len(s.pend) > 0 && s.pendN < n {
		s.queue(s.pend, time.Now())
		s.pend = s.pend[:0]
	}
}

// tapMix is one tick of the meeting's audio (guarded by the tap's mu).
type tapMix struct {
	n      uint64
	sum    []int32 // all streams of this tick, summed
	full   []int16 // sum, clipped (when fullOK)
	fullOK bool
	out    map[media.Codec]*sharedOut // the full mix per room codec
}

// sharedOut is the full mix at one codec's rate, and its encoding for G.711 and G.722.
//
// G.722 is ADPCM: the room system's decoder follows the encoder's state, and two
// encoders never reach the same state (the tests measured it), so a call cannot hop
// between the shared stream and its own without its decoder going wrong for a moment.
// It hops without that: onto its own encoder by copying the shared encoder's state
// (the decoder cannot tell), back onto the shared stream only while the meeting is
// quiet (a mismatch in silence decodes as silence).
type sharedOut struct {
	n     uint64 // the tick pcm/enc belong to
	rs    *resample.Resampler
	enc   audio.Encoder      // nil for Opus: each call encodes
	g722  *audio.G722Encoder // enc, for G.722
	prev  *audio.G722Encoder // g722's state before this tick's frame
	pcm   []int16
	buf   []byte
	quiet bool // G.722: the frame is below quietLevel
}

// heard is what one call hears in one tick.
type heard struct {
	// own: the call is itself among the mixed streams, and pcm48 is its mix-minus at
	// 48 kHz. Otherwise pcm is the meeting's mix at the call's codec rate and, when
	// shared is set, enc its encoding to send as it is.
	own    bool
	pcm48  []int16
	pcm    []int16
	enc    []byte
	shared bool

	// G.722 calls: the call's own encoder (set by the call), and whether the room
	// system's decoder follows it rather than the shared stream (kept by hear; a new
	// call starts on the shared stream).
	g722   *audio.G722Encoder
	ownEnc bool
}

// mixFrames are the 20 ms frames a stream may buffer: enough to ride out the jitter
// of packets from the meeting, little enough not to add delay.
const (
	mixPrime = 2  // start a stream with 40 ms buffered
	mixMax   = 10 // keep at most 200 ms: drop the oldest
)

// queue adds 20 ms of decoded audio to the stream (tap mu held).
func (s *tapStream) queue(pcm []int16, now time.Time) {
	if now.Sub(s.queued) > 100*time.Millisecond {
		// The stream paused (stopped speaking, or was not among the loudest): no stale
		// remainder in front of what comes now.
		s.fifo, s.primed = s.fifo[:0], false
	}
	s.queued = now
	s.fifo = append(s.fifo, pcm...)
	if over := len(s.fifo) - mixMax*frame48; over > 0 {
		s.fifo = s.fifo[:copy(s.fifo, s.fifo[over:])] // in place: keep the storage
	}
}

// advance moves the mix to tick n, taking one frame from every stream that has one
// (tap mu held). A stream starts only with mixPrime frames buffered and re-buffers
// when it runs dry, so room systems hear it whole.
func (t *meetingTap) advance(n uint64) {
	m := &t.mix
	if m.sum != nil && m.n == n {
		return
	}
	m.n, m.fullOK = n, false
	if m.sum == nil {
		m.sum, m.full = make([]int32, frame48), make([]int16, frame48)
	}
	clear(m.sum)
	for _, s := range t.streams {
		s.inMix = false
		s.flush(n)
		prime := mixPrime
		if s.local {
			prime = 1 // one frame per tick from the same clock: no jitter to ride out
		}
		if !s.primed && len(s.fifo) >= prime*frame48 {
			s.primed = true
		}
		if !s.primed || len(s.fifo) < frame48 {
			s.primed = false
			continue
		}
		if s.frame == nil {
			s.frame = make([]int16, frame48)
		}
		copy(s.frame, s.fifo)
		s.fifo = s.fifo[:copy(s.fifo, s.fifo[frame48:])]
		s.inMix = true
		mixer.Accumulate(m.sum, s.frame)
	}
}

// hear fills h with what the call whose participant is self hears in tick n, for its
// codec c.
func (t *meetingTap) hear(n uint64, self string, c media.Codec, h *heard) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(n)
	m := &t.mix
	h.own, h.shared = false, false
	t.ownFrames = t.ownFrames[:0]
	for _, s := range t.streams {
		if s.inMix && s.identity == self {
			t.ownFrames = append(t.ownFrames, s.frame)
		}
	}
	if len(t.ownFrames) > 0 {
		// Mix-minus: everyone but the call itself.
		h.own = true
		if h.g722 != nil && !h.ownEnc {
			// Leave the shared G.722 stream where the room system's decoder is.
			if sh := t.mix.out[c]; sh != nil {
				if sh.n == n {
					h.g722.CopyStateFrom(sh.prev)
				} else {
					h.g722.CopyStateFrom(sh.g722)
				}
			}
			h.ownEnc = true
		}
		if cap(h.pcm48) < frame48 {
			h.pcm48 = make([]int16, frame48)
		}
		var err error
		h.pcm48, err = mixer.ClampMinus(h.pcm48[:frame48], m.sum, t.ownFrames...)
		return err
	}
	sh, err := t.shared(c)
	if err != nil {
		return err
	}
	switch {
	case sh.enc == nil: // Opus: every call encodes
	case sh.g722 == nil: // G.711: no state
		h.shared = true
	default:
		// G.722: a call that had its own encoder (it talked) goes back onto the
		// shared stream in a quiet moment.
		h.ownEnc = h.ownEnc && !sh.quiet
		h.shared = !h.ownEnc
	}
	h.pcm = append(h.pcm[:0], sh.pcm...)
	h.enc = h.enc[:0]
	if h.shared {
		h.enc = append(h.enc, sh.buf...)
	}
	return nil
}

// shared returns this tick's full mix for codec c, making it on the first request
// (tap mu held).
func (t *meetingTap) shared(c media.Codec) (*sharedOut, error) {
	m := &t.mix
	if m.out == nil {
		m.out = map[media.Codec]*sharedOut{}
	}
	sh := m.out[c]
	if sh == nil {
		rs, err := resample.New(meetingRate, c.SampleRate())
		if err != nil {
			return nil, err
		}
		sh = &sharedOut{rs: rs}
		switch c {
		case media.PCMU, media.PCMA:
			if sh.enc, err = audio.NewEncoder(c, audio.Config{}); err != nil {
				return nil, err
			}
		case media.G722:
			sh.g722, sh.prev = audio.NewG722Encoder(), audio.NewG722Encoder()
			sh.enc = sh.g722
		}
		m.out[c] = sh
	} else if sh.n == m.n {
		return sh, nil
	}
	if !m.fullOK {
		if _, err := mixer.ClampMinus(m.full, m.sum); err != nil {
			return nil, err
		}
		m.fullOK = true
	}
	sh.n = m.n
	sh.pcm = sh.rs.Process(m.full, sh.pcm)
	if sh.g722 != nil {
		sh.quiet = levelDBov(sh.pcm) >= quietLevel
		sh.prev.CopyStateFrom(sh.g722)
	}
	if sh.enc != nil {
		var err error
		if sh.buf, err = sh.enc.Encode(sh.pcm, sh.buf); err != nil {
			return nil, err
		}
	}
	return sh, nil
}
