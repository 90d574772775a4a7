package gateway

import (
	"errors"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/dtmf"
	"github.com/roomgate/roomgate/transcode/jitter"
	"github.com/roomgate/roomgate/transcode/media"
	"github.com/roomgate/roomgate/transcode/resample"
)

// meetingRate is the PCM rate inside the gateway: the meeting's Opus rate.
const meetingRate = 48000

// frame48 is 20 ms at meetingRate.
const frame48 = meetingRate / 50

// audioPath carries one call's audio both ways:
//
//	room system RTP → jitter buffer → decode → Opus (at the codec's rate) → meeting
//	                                        └─► the meeting's tap (the other room systems)
//	the tap's mix of the meeting (all but this room system) → codec → RTP
//
// One 20 ms tick of the audio clock (start) drives both directions, so the room system
// gets a steady stream even when the meeting is silent.
type audioPath struct {
	log     *slog.Logger
	sess    *rtpsession.Session
	codec   media.Codec
	pt      uint8
	tePT    uint8 // telephone-event payload type; 0 when not negotiated
	onDigit func(d byte)

	mu        sync.Mutex
	jb        *jitter.Buffer
	in        *audio.Inbound
	toMeeting audio.Encoder
	toRoom    *audio.Outbound
	dtmfRx    dtmf.Receiver
	dtmfLast  time.Time   // when the last telephone-event packet came; zero once flushed (clock goroutine only)
	src       audioSource // the meeting as the room system hears it (its tap)
	self      string      // the call's participant in the meeting
	heard     heard       // this tick's share of the meeting mix
	br        *bridge.Bridge
	muted     bool
	prompt    []int16 // 48 kHz PCM of prompts still to play (IVR)
	seq       uint16
	ts        uint32
	tsStep    uint32
	pcmIn     []int16
	quiet     int // consecutive quiet frames from the room system
	enc       []byte
	promptBuf []int16      // one 48 kHz frame (prompt, silence), reused
	toRoomBuf []byte       // encoded frame for the room system, reused
	arrivals  [128]arrival // recent packets' arrival times, by sequence number
	latency   []time.Duration

	// Reading the room system's RTP (drain, on the clock's goroutine only).
	drained     func(*rtp.Packet, netip.AddrPort, time.Time)
	drainFailed bool // logged once
}

// arrival is when an RTP packet came in.
type arrival struct {
	seq uint16
	at  time.Time
}

// maxLatencySamples bounds the latency record of a call (about 100 s of audio).
const maxLatencySamples = 5000

// latencyStats reports the RTP-in → Opus-out delay of the call's audio (jitter buffer
// included): median and 99th percentile, and the sample count.
func (a *audioPath) latencyStats() (p50, p99 time.Duration, n int) {
	a.mu.Lock()
	l := append([]time.Duration(nil), a.latency...)
	a.mu.Unlock()
	if len(l) == 0 {
		return 0, 0, 0
	}
	slices.Sort(l)
	return l[len(l)/2], l[min(len(l)-1, len(l)*99/100)], len(l)
}

// audioSource is the meeting's audio as calls hear it (*meetingTap; a fake in tests).
type audioSource interface {
	// hear is what the call whose participant is self hears in tick n.
	hear(n uint64, self string, c media.Codec, h *heard) error
	// speak hands over the call's own audio of tick n (PCM at rate) for the other
	// room systems in the meeting.
	speak(n uint64, self string, pcm []int16, rate int) error
}

func newAudioPath(log *slog.Logger, sess *rtpsession.Session, codec media.Codec, pt, tePT uint8, onDigit func(byte)) (*audioPath, error) {
	// The Opus encoder takes the room codec's own rate (8 or 16 kHz): no resampling
	// up to 48 kHz on the way into the meeting.
	ocfg := audio.RoomToMeetingOpus(codec)
	if r := codec.SampleRate(); r == 8000 || r == 16000 {
		ocfg.InputRate = r
	}
	enc, err := audio.NewEncoder(media.Opus, ocfg)
	if err != nil {
		return nil, err
	}
	in, err := audio.NewInbound(codec, audio.Config{}, enc.SampleRate())
	if err != nil {
		return nil, err
	}
	out, err := audio.NewOutbound(codec, audio.Config{}, meetingRate)
	if err != nil {
		return nil, err
	}
	a := &audioPath{
		log: log, sess: sess, codec: codec, pt: pt, tePT: tePT, onDigit: onDigit,
		jb: jitter.New(jitter.Config{ClockRate: codec.ClockRate()}), in: in, toMeeting: enc, toRoom: out,
		tsStep: uint32(codec.ClockRate() / 50), seq: uint16(time.Now().UnixNano()),
		// A call starts out quiet: it talks from its first loud frame, not for its
		// first quietHangover frames whatever they hold (a G.722 room that "talked" at
		// answer would leave the shared stream until the meeting falls silent).
		quiet: quietHangover + 1,
	}
	a.drained = func(pkt *rtp.Packet, _ netip.AddrPort, at time.Time) { a.receive(pkt, at) }
	if g, ok := out.Encoder().(*audio.G722Encoder); ok {
		a.heard.g722 = g // shares the meeting's G.722 stream while it does not talk
	}
	return a, nil
}

// attach connects the path to the meeting once the room system is admitted: br
// publishes the room system's audio, src (the meeting's tap) is what it hears; self
// is its participant identity, whose own audio src leaves out.
func (a *audioPath) attach(br *bridge.Bridge, src audioSource, self string) {
	a.mu.Lock()
	a.br, a.src, a.self = br, src, self
	a.mu.Unlock()
}

// setMuted stops (or resumes) the room system's audio into the meeting.
func (a *audioPath) setMuted(m bool) {
	a.mu.Lock()
	a.muted = m
	br := a.br
	a.mu.Unlock()
	if br != nil {
		br.SetAudioMuted(m)
	}
}

// play queues prompts (IVR) in place of the meeting mix, replacing what was queued.
func (a *audioPath) play(pcm48 []int16) {
	a.mu.Lock()
	a.prompt = append(a.prompt[:0], pcm48...)
	a.mu.Unlock()
}

// drain takes the room system's RTP that arrived since the last tick, each packet with
// the time it arrived: the audio is read on the clock's tick, not by a goroutine that
// wakes for every packet (rtpsession.DrainRTP).
func (a *audioPath) drain() {
	if err := a.sess.DrainRTP(a.drained); err != nil && !errors.Is(err, rtpsession.ErrClosed) && !a.drainFailed {
		a.drainFailed = true
		a.log.Warn("reading the room system's audio failed", "err", err)
	}
}

func (a *audioPath) receive(pkt *rtp.Packet, now time.Time) {
	if a.tePT != 0 && pkt.PayloadType == a.tePT {
		a.dtmfLast = now
		a.mu.Lock()
		events, err := a.dtmfRx.Push(pkt.Timestamp, pkt.Marker, pkt.Payload)
		var digits []byte
		for _, e := range events {
			digits = append(digits, byte(e.Digit))
		}
		a.mu.Unlock()
		if err == nil && a.onDigit != nil {
			for _, d := range digits {
				a.onDigit(d)
			}
		}
		return
	}
	if pkt.PayloadType != a.pt {
		return // comfort noise or a codec we did not negotiate
	}
	a.mu.Lock()
	a.arrivals[pkt.SequenceNumber%uint16(len(a.arrivals))] = arrival{pkt.SequenceNumber, now}
	_ = a.jb.Push(jitter.Packet{SSRC: pkt.SSRC, Seq: pkt.SequenceNumber, Timestamp: pkt.Timestamp, Marker: pkt.Marker,
		Payload: append([]byte(nil), pkt.Payload...)}, now)
	a.mu.Unlock()
}

// dtmfEndSilence is how long a key press may go without telephone-event packets before
// it is taken as ended: senders repeat an event every 50 ms or so while the key is
// down, then send its end three times; when all three are lost, the digit still counts.
const dtmfEndSilence = time.Second

// flushDTMF reports a key press whose end packets were all lost once no packet of it
// came for dtmfEndSilence (its late packets are then dropped by the receiver).
// Called on the clock's tick; dtmfLast is only touched there (receive runs in drain),
// so the usual tick takes no lock here.
func (a *audioPath) flushDTMF(now time.Time) {
	if a.dtmfLast.IsZero() || now.Sub(a.dtmfLast) < dtmfEndSilence {
		return
	}
	a.dtmfLast = time.Time{}
	a.mu.Lock()
	ev, ok := a.dtmfRx.Flush()
	a.mu.Unlock()
	if ok && a.onDigit != nil {
		a.onDigit(byte(ev.Digit))
	}
}

// start drives the path from the audio clock until the returned stop is called.
func (a *audioPath) start(clock *frameClock) (stop func()) {
	return clock.add(a.tick)
}

// tick handles one 20 ms frame: n is the audio clock's frame number (the same frame
// for every call, so the meeting is mixed once per frame), now when it is due.
func (a *audioPath) tick(n uint64, now time.Time) {
	a.drain() // before a.mu: receive takes it
	a.flushDTMF(now)
	a.mu.Lock()
	defer a.mu.Unlock()
	// Room system → meeting.
	if f, ok := a.jb.Pop(now); ok {
		var err error
		if f.Lost {
			a.pcmIn, err = a.in.Lost(f.Next, a.pcmIn)
		} else {
			a.pcmIn, err = a.in.Decode(f.Packet.Payload, a.pcmIn)
		}
		inFrame := a.toMeeting.SampleRate() / 50 // 20 ms at the encoder's input rate
		if err == nil && a.br != nil && !a.muted && len(a.pcmIn) >= inFrame {
			level := levelDBov(a.pcmIn[:inFrame])
			if level >= quietLevel {
				a.quiet++
			} else {
				a.quiet = 0
			}
			talking, send := a.quiet <= quietHangover, true
			if talking {
				a.enc, err = a.toMeeting.Encode(a.pcmIn[:inFrame], a.enc)
			} else {
				// Silence: skip the encoder (the costliest step of a call) and send
				// Opus's own silence frame, only every dtxEvery frames.
				a.enc = append(a.enc[:0], opusSilence...)
				send = (a.quiet-quietHangover-1)%dtxEvery == 0
			}
			if err == nil && talking && a.src != nil {
				_ = a.src.speak(n, a.self, a.pcmIn[:inFrame], a.toMeeting.SampleRate())
			}
			if err == nil && send {
				_ = a.br.WriteAudioAt(a.enc, now, 20*time.Millisecond, level)
				if arr := a.arrivals[f.Packet.Seq%uint16(len(a.arrivals))]; !f.Lost && arr.seq == f.Packet.Seq && !arr.at.IsZero() && len(a.latency) < maxLatencySamples {
					a.latency = append(a.latency, time.Since(arr.at))
				}
			}
		}
	}
	// Meeting → room system: the prompt while one plays, else the meeting (all but
	// the room system itself), else (not admitted yet) silence.
	var err error
	switch {
	case len(a.prompt) > 0:
		k := min(frame48, len(a.prompt))
		out := a.frameBuf()
		copy(out, a.prompt[:k])
		clear(out[k:])
		a.prompt = a.prompt[k:]
		a.toRoomBuf, err = a.toRoom.Encode(out, a.toRoomBuf)
	case a.src != nil:
		if err = a.src.hear(n, a.self, a.codec, &a.heard); err != nil {
			break
		}
		switch h := &a.heard; {
		case h.own: // the room system talks: its own mix-minus, encoded here
			a.toRoomBuf, err = a.toRoom.Encode(h.pcm48, a.toRoomBuf)
		case h.shared: // the meeting's mix, encoded once for the calls with our codec
			a.toRoomBuf = append(a.toRoomBuf[:0], h.enc...)
		default: // the meeting's mix at our rate, encoded here (Opus; G.722 after talking)
			a.toRoomBuf, err = a.toRoom.EncodeNative(h.pcm, a.toRoomBuf)
		}
	default:
		out := a.frameBuf()
		clear(out)
		a.toRoomBuf, err = a.toRoom.Encode(out, a.toRoomBuf)
	}
	if err != nil {
		return
	}
	a.seq++
	a.ts += a.tsStep
	_ = a.sess.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: a.pt, SequenceNumber: a.seq, Timestamp: a.ts}, Payload: a.toRoomBuf})
}

// frameBuf is a 48 kHz frame buffer for prompts and silence (a.mu held).
func (a *audioPath) frameBuf() []int16 {
	if a.promptBuf == nil {
		a.promptBuf = make([]int16, frame48)
	}
	return a.promptBuf
}

// Silence toward the meeting. A room system is silent most of a meeting (one room
// talks at a time, muted microphones send digital silence); encoding silence costs as
// much as encoding speech. Below quietLevel (−60 dBov; speech is −20 … −40 dBov) for
// more than quietHangover frames (200 ms, so word endings are kept), the encoder is
// skipped and the stream goes discontinuous as Opus DTX does (RFC 7587 §3.1.3): one
// opusSilence frame every dtxEvery frames (400 ms), each with its true RTP timestamp.
// opusSilence is a valid 20 ms CELT frame that decodes to silence (RFC 6716 §3.1: TOC
// 0xf8 = config 31, CELT fullband 20 ms, mono, one frame), the frame LiveKit itself
// sends for muted tracks. Browsers publish with DTX too (livekit-client's default), so
// the meeting core and receivers expect it.
const (
	quietLevel    = 60
	quietHangover = 10
	dtxEvery      = 20
)

var opusSilence = []byte{0xf8, 0xff, 0xfe}

// levelDBov is the RFC 6464 audio level (0 loudest … 127 silence) of a frame, which
// the meeting core uses to find the active speaker.
func levelDBov(pcm []int16) uint8 {
	var sum float64
	for _, s := range pcm {
		v := float64(s) / 32768
		sum += v * v
	}
	if sum == 0 {
		return 127
	}
	db := -10 * math.Log10(sum/float64(len(pcm)))
	return uint8(min(127, max(0, db)))
}

// promptPCM resamples an IVR prompt to the meeting rate.
func promptPCM(pcm16k []int16) []int16 {
	rs, err := resample.New(16000, meetingRate)
	if err != nil {
		return nil
	}
	return rs.Process(pcm16k, nil)
}

// playing reports whether a prompt is still being played.
func (a *audioPath) playing() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.prompt) > 0
}
