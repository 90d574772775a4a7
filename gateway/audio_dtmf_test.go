package gateway

import (
	"log/slog"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/transcode/dtmf"
	"github.com/roomgate/roomgate/transcode/media"
)

// TestAudioPathDTMF: key presses by RFC 4733 reach the IVR once each, also a press
// whose three end packets were all lost (after dtmfEndSilence without its packets),
// and the late end packets of that press add nothing.
func TestAudioPathDTMF(t *testing.T) {
	var got []byte
	a, err := newAudioPath(slog.New(slog.DiscardHandler), nil, media.PCMU, 0, 101, func(d byte) { got = append(got, d) })
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_700_000_000, 0)
	var last time.Time // when the last telephone-event packet came
	send := func(ts uint32, pkts []dtmf.Payload, keepEnds bool) {
		for i, p := range pkts {
			if p.End && !keepEnds {
				continue
			}
			b, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			a.receive(&rtp.Packet{Header: rtp.Header{PayloadType: 101, Timestamp: ts, Marker: i == 0}, Payload: b}, at)
			last = at
			at = at.Add(20 * time.Millisecond)
			a.flushDTMF(at)
		}
	}
	// Room system → meeting audio is not touched by telephone-event packets.
	a.receive(&rtp.Packet{Header: rtp.Header{PayloadType: 101, Timestamp: 100}, Payload: []byte{1}}, at)

	send(1000, dtmf.Packets(1, 10, 800, 160), true)
	if string(got) != "1" {
		t.Fatalf("after a whole press: %q, want \"1\"", got)
	}
	lost := dtmf.Packets(2, 10, 800, 160)
	send(3000, lost, false)
	if string(got) != "1" {
		t.Fatalf("press without its end packets reported before the silence: %q", got)
	}
	a.flushDTMF(last.Add(dtmfEndSilence - time.Millisecond))
	if string(got) != "1" {
		t.Fatalf("press reported before dtmfEndSilence without its packets: %q", got)
	}
	at = last.Add(dtmfEndSilence)
	a.flushDTMF(at)
	if string(got) != "12" {
		t.Fatalf("press without end packets after the silence: %q, want \"12\"", got)
	}
	var ends []dtmf.Payload
	for _, p := range lost {
		if p.End {
			ends = append(ends, p)
		}
	}
	send(3000, ends, true) // the end packets arrive after all
	a.flushDTMF(at.Add(2 * dtmfEndSilence))
	send(5000, dtmf.Packets(11, 10, 800, 160), true)
	if string(got) != "12#" {
		t.Errorf("digits %q, want \"12#\"", got)
	}
}
