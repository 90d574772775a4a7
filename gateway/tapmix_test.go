package gateway

import (
	"math"
	"slices"
	"testing"

	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/media"
)

// tonePower is the power of x at hz (one DFT bin).
func tonePower(x []int16, rate int, hz float64) float64 {
	var re, im float64
	for i, v := range x {
		ph := 2 * math.Pi * hz * float64(i) / float64(rate)
		re += float64(v) * math.Cos(ph)
		im += float64(v) * math.Sin(ph)
	}
	return (re*re + im*im) / float64(len(x)*len(x))
}

func TestTapMixesOnceAndExcludesSelf(t *testing.T) {
	tap := newTestTap()
	web, own := opusTone(t, 10, 440), opusTone(t, 10, 1000)
	for i := range web {
		tap.onAudio("web-1", "TR_web1", uint16(i), uint32(i*960), web[i]) // a browser
		tap.onAudio("sip-a", "TR_a", uint16(i), uint32(i*960), own[i])    // call a's own track
	}
	if n := len(tap.streams); n != 2 {
		t.Errorf("tap keeps %d decoders, want 2 (one per meeting track, not per call)", n)
	}
	var a, b, c, d heard
	var pcmA, pcmB, pcmD []int16
	for n := uint64(1); n <= 8; n++ {
		for _, x := range []struct {
			self  string
			codec media.Codec
			h     *heard
		}{{"sip-a", media.PCMU, &a}, {"sip-b", media.PCMU, &b}, {"sip-c", media.PCMU, &c}, {"sip-d", media.G722, &d}} {
			if err := tap.hear(n, x.self, x.codec, x.h); err != nil {
				t.Fatal(err)
			}
		}
		if !a.own || len(a.pcm48) != frame48 {
			t.Fatalf("tick %d: sip-a talks but got the shared mix (own=%v, %d samples)", n, a.own, len(a.pcm48))
		}
		if b.own || c.own || d.own {
			t.Fatalf("tick %d: a listener got a private mix", n)
		}
		if len(b.pcm) != 160 || len(b.enc) != 160 || !slices.Equal(b.enc, c.enc) {
			t.Fatalf("tick %d: PCMU listeners got %d samples, %d bytes; same bytes: %v", n, len(b.pcm), len(b.enc), slices.Equal(b.enc, c.enc))
		}
		if len(d.pcm) != 320 || len(d.enc) != 160 || !d.shared {
			t.Fatalf("tick %d: G.722 listener got %d samples at 16 kHz and %d encoded bytes, shared %v (want 320, 160, true)", n, len(d.pcm), len(d.enc), d.shared)
		}
		pcmA, pcmB, pcmD = append(pcmA, a.pcm48...), append(pcmB, b.pcm...), append(pcmD, d.pcm...)
	}
	// Every stream was taken once per tick, however many calls asked.
	if got := queued(tap); len(got) != 2 {
		t.Errorf("streams with audio left after 8 of 10 frames: %v, want both", got)
	}
	for _, s := range tap.streams {
		if len(s.fifo) != 2*frame48 {
			t.Errorf("%s: %d samples left, want %d", s.identity, len(s.fifo), 2*frame48)
		}
	}
	if len(tap.mix.out) != 2 {
		t.Errorf("%d shared mixes, want one per codec (2)", len(tap.mix.out))
	}
	// The room system that talks does not hear itself; the others hear both.
	skip := 2 * frame48 // the decoders' start-up
	if p440, p1k := tonePower(pcmA[skip:], meetingRate, 440), tonePower(pcmA[skip:], meetingRate, 1000); p440 < 1000*p1k {
		t.Errorf("sip-a's mix-minus: 440 Hz %.0f, its own 1000 Hz %.0f", p440, p1k)
	}
	for name, x := range map[string]struct {
		pcm  []int16
		rate int
	}{"sip-b": {pcmB, 8000}, "sip-d": {pcmD, 16000}} {
		tail := x.pcm[skip*x.rate/meetingRate:]
		p440, p1k := tonePower(tail, x.rate, 440), tonePower(tail, x.rate, 1000)
		if p440 < 1e5 || p1k < 1e5 || p440 > 4*p1k || p1k > 4*p440 {
			t.Errorf("%s's mix: 440 Hz %.0f, 1000 Hz %.0f: want both", name, p440, p1k)
		}
	}
}

func TestTapStreamPrimesAndRebuffers(t *testing.T) {
	tap := newTestTap()
	frames := opusFrames(t, 4)
	var h heard
	tap.onAudio("web-1", "TR_w", 0, 0, frames[0])
	if err := tap.hear(1, "sip-a", media.PCMU, &h); err != nil {
		t.Fatal(err)
	}
	if s := tap.streams["TR_w"]; s.inMix || len(s.fifo) != frame48 {
		t.Errorf("one frame buffered: mixed %v, %d left (want it held until %d frames)", s.inMix, len(s.fifo), mixPrime)
	}
	tap.onAudio("web-1", "TR_w", 1, 960, frames[1])
	for n := uint64(2); n <= 3; n++ {
		_ = tap.hear(n, "sip-a", media.PCMU, &h)
		if s := tap.streams["TR_w"]; !s.inMix {
			t.Errorf("tick %d: primed stream not mixed", n)
		}
	}
	_ = tap.hear(4, "sip-a", media.PCMU, &h) // ran dry: re-buffers
	tap.onAudio("web-1", "TR_w", 2, 2*960, frames[2])
	_ = tap.hear(5, "sip-a", media.PCMU, &h)
	if s := tap.streams["TR_w"]; s.inMix || s.primed {
		t.Errorf("after running dry one frame restarted the stream (mixed %v)", s.inMix)
	}
	_ = tap.hear(5, "sip-b", media.PCMU, &h) // the same tick again: nothing moves
	if s := tap.streams["TR_w"]; len(s.fifo) != frame48 {
		t.Errorf("a second call in the same tick moved the stream: %d samples left", len(s.fifo))
	}
}

func TestTapTakesOwnCallsAudioDirectly(t *testing.T) {
	tap := newTestTap()
	tap.expect("sip-a")
	tap.expect("sip-b")
	// The tap subscribes to everything but its own calls' audio.
	for _, c := range []struct {
		id    string
		video bool
		want  bool
	}{{"sip-a", false, false}, {"sip-a", true, true}, {"web-1", false, true}, {"sip-other-node", false, true}} {
		if got := tap.subscribes(c.id, c.video); got != c.want {
			t.Errorf("subscribes(%s, video=%v) = %v, want %v", c.id, c.video, got, c.want)
		}
	}
	// Should the meeting core deliver a local call's audio anyway, it is not mixed twice.
	tap.onAudio("sip-a", "TR_a", 0, 0, opusFrames(t, 1)[0])
	if q := queued(tap); len(q) != 0 {
		t.Errorf("a local call's meeting track was decoded: %v", q)
	}
	// sip-a talks (a 1 kHz tone at 8 kHz); its frame of tick n is heard from tick n+1
	// by everybody, whichever call's tick runs first.
	tone := make([]int16, 160)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/8000))
	}
	var a, b, c heard
	var heardB []int16
	for n := uint64(1); n <= 10; n++ {
		if n%2 == 0 { // b's tick before a's
			_ = tap.hear(n, "sip-b", media.PCMU, &b)
		}
		if err := tap.speak(n, "sip-a", tone, 8000); err != nil {
			t.Fatal(err)
		}
		_ = tap.hear(n, "sip-a", media.PCMU, &a)
		if n%2 == 1 {
			_ = tap.hear(n, "sip-b", media.PCMU, &b)
		}
		_ = tap.hear(n, "sip-c", media.PCMU, &c)
		if n == 1 {
			if a.own || rms(b.pcm) != 0 {
				t.Fatalf("tick 1: a's frame of this tick already mixed (own=%v, b hears rms %.0f)", a.own, rms(b.pcm))
			}
			continue
		}
		if !a.own || rms(a.pcm48) != 0 {
			t.Fatalf("tick %d: sip-a hears itself (own=%v, rms %.0f)", n, a.own, rms(a.pcm48))
		}
		if b.own || !slices.Equal(b.enc, c.enc) {
			t.Fatalf("tick %d: listeners b and c differ", n)
		}
		heardB = append(heardB, b.pcm...)
	}
	if p := tonePower(heardB[160:], 8000, 1000); p < 1e6 {
		t.Errorf("sip-b hears sip-a's tone at power %.0f", p)
	}
	// The call leaves: its stream goes.
	tap.unexpect("sip-a")
	if _, ok := tap.streams[localKey("sip-a")]; ok || tap.subscribes("sip-a", false) != true {
		t.Error("local stream kept after the call left")
	}
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestTapG722ForksAndRejoinsInQuiet(t *testing.T) {
	tap := newTestTap()
	tap.expect("sip-a")
	web := opusTone(t, 60, 440)
	a := heard{g722: audio.NewG722Encoder()}
	var b heard
	tone := make([]int16, 320)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/16000))
	}
	n := uint64(0)
	tick := func(webTalks, aTalks, bFirst bool) {
		t.Helper()
		n++
		if webTalks {
			tap.onAudio("web-1", "TR_w", uint16(n), uint32(n*960), web[n%60])
		}
		if bFirst {
			_ = tap.hear(n, "sip-b", media.G722, &b)
		}
		if aTalks {
			_ = tap.speak(n, "sip-a", tone, 16000)
		}
		if err := tap.hear(n, "sip-a", media.G722, &a); err != nil {
			t.Fatal(err)
		}
		if !bFirst {
			_ = tap.hear(n, "sip-b", media.G722, &b)
		}
	}
	for range 5 {
		tick(true, false, false)
	}
	if a.own || !a.shared || a.ownEnc || !slices.Equal(a.enc, b.enc) {
		t.Fatalf("a listener is not on the shared G.722 stream (own %v, shared %v)", a.own, a.shared)
	}
	// sip-a talks: from the next tick it hears its mix-minus with its own encoder,
	// which starts in the state the room's decoder follows (the shared encoder's state
	// after the last shared frame a was sent), whichever call asked for the mix first.
	for _, bFirst := range []bool{true, false} {
		tick(true, true, bFirst)         // a's frame is mixed from the next tick on
		before := audio.NewG722Encoder() // the shared stream after the frame a was sent
		before.CopyStateFrom(tap.mix.out[media.G722].g722)
		tick(true, true, bFirst) // bFirst: the shared stream has moved on when a asks

		if !a.own || !a.ownEnc {
			t.Fatalf("talking: own %v, on shared %v", a.own, !a.ownEnc)
		}
		if !a.g722.SameState(before) {
			t.Errorf("b first %v: the call's encoder did not take the shared stream's state", bFirst)
		}
		// It stops; the browser keeps talking: it stays on its own encoder (no hop
		// while there is sound to spoil).
		for range 4 {
			tick(true, false, bFirst)
		}
		if a.own || a.shared || len(a.pcm) != 320 {
			t.Fatalf("after talking, with the meeting loud: own %v, shared %v, %d samples", a.own, a.shared, len(a.pcm))
		}
		// The meeting goes quiet: back onto the shared stream.
		for range 8 {
			tick(false, false, bFirst)
		}
		if !a.shared || a.ownEnc || !slices.Equal(a.enc, b.enc) {
			t.Fatalf("in a quiet moment the call did not go back onto the shared stream (shared %v)", a.shared)
		}
	}
}
