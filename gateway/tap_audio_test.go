package gateway

import (
	"math"
	"slices"
	"testing"

	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/media"
)

// opusFrames encodes n 20 ms frames of a 440 Hz tone.
func opusFrames(t testing.TB, n int) [][]byte { return opusTone(t, n, 440) }

// opusTone encodes n 20 ms frames of a tone at hz.
func opusTone(t testing.TB, n int, hz float64) [][]byte {
	t.Helper()
	enc, err := audio.NewEncoder(media.Opus, audio.Config{Bitrate: 32000})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, frame48)
	var out [][]byte
	for i := range n {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i*frame48+j)/meetingRate))
		}
		p, err := enc.Encode(pcm, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// queued lists the tracks with decoded audio waiting for the mix.
func queued(tap *meetingTap) []string {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	var tr []string
	for sid, s := range tap.streams {
		if len(s.fifo) > 0 {
			tr = append(tr, sid)
		}
	}
	slices.Sort(tr)
	return tr
}

func TestTapLimitsDecodedStreams(t *testing.T) {
	tap := newTestTap()
	l := newFakeListener("sip-x")
	tap.add(l)
	tap.onSpeakers([]string{"p1", "p2"})
	frames := opusFrames(t, 5)
	// Seven participants talk at once; two are the meeting core's active speakers.
	ids := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
	for i, p := range frames {
		for _, id := range ids {
			tap.onAudio(id, "TR_"+id, uint16(i), uint32(i*960), p)
		}
	}
	heard := queued(tap)
	if len(heard) != maxMixed+1 {
		t.Fatalf("decoded %v: want %d streams", heard, maxMixed+1)
	}
	for _, must := range []string{"TR_p1", "TR_p2"} {
		if !slices.Contains(heard, must) {
			t.Errorf("active speaker %s not decoded (decoded %v)", must, heard)
		}
	}
	if got := l.speakers; len(got) != 1 || !slices.Equal(got[0], []string{"p1", "p2"}) {
		t.Errorf("speakers handed to the call: %v", got)
	}
}

func TestOpusSilenceFrameDecodesToSilence(t *testing.T) {
	dec, err := audio.NewDecoder(media.Opus, audio.Config{Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := dec.Decode(opusSilence, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(pcm) != frame48 {
		t.Fatalf("%d samples, want %d (20 ms at 48 kHz)", len(pcm), frame48)
	}
	for i, v := range pcm {
		if v != 0 {
			t.Fatalf("sample %d = %d, want silence", i, v)
		}
	}
	if lvl := levelDBov(pcm); lvl < quietLevel {
		t.Errorf("silence frame level %d: the gate would count it as sound", lvl)
	}
}

func TestTapSkipsSilenceFrames(t *testing.T) {
	tap := newTestTap()
	l := newFakeListener("sip-a")
	tap.add(l)
	for i := range 5 {
		tap.onAudio("sip-b", "TR_b", uint16(i), uint32(i*960), opusSilence)
		tap.onAudio("web-1", "TR_w", uint16(i), uint32(i*960), []byte{0xf8}) // DTX
	}
	if q := queued(tap); len(q) != 0 {
		t.Errorf("silence frames were decoded and queued: %v", q)
	}
	tap.onAudio("sip-b", "TR_b", 6, 6*960, opusFrames(t, 1)[0])
	if q := queued(tap); !slices.Equal(q, []string{"TR_b"}) || len(tap.streams["TR_b"].fifo) != frame48 {
		t.Errorf("a real frame after silence: queued %v", q)
	}
}
