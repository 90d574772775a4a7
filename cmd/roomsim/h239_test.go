package main

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/transcode/h264/synth"
	"github.com/roomgate/roomgate/transcode/media"
)

// TestH239ContentEvents: the H.323 content side follows the session's events: a
// granted token starts the slides (from the IDR picture) and the -present-for
// timer, a refused one does not (and ends the round); our content channel's
// destination goes to the sender, "channel open" once per opening; the gateway's keyframe request for content restarts from the
// IDR picture; events are recorded in order.
func TestH239ContentEvents(t *testing.T) {
	p, err := listenPair(netip.MustParseAddr("127.0.0.1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newH239Content(0, p, contentOptions{enabled: true}, false, func() int { return 7 })
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	sess := control.New(control.Config{Caps: control.DefaultCaps()})
	now := time.Now()
	content := media.Stream{Role: media.RoleContent, Codec: media.H264, PT: 96, Direction: media.SendOnly,
		Remote: netip.MustParseAddrPort("127.0.0.1:9")}
	plan := control.PlanChanged{Plan: media.Plan{Streams: []media.Stream{content}}}

	h.onEvent(now, sess, control.TokenResponse{Reason: "refused"})
	if h.cc.presenting.Load() || len(h.grants) != 0 || len(h.ends) != 1 {
		t.Fatalf("a refused request: presenting %v, grants %d, round ended %d×", h.cc.presenting.Load(), len(h.grants), len(h.ends))
	}
	if h.cc.target.Load() != nil {
		t.Fatal("a content destination before our channel is acknowledged")
	}
	h.onEvent(now, sess, plan)
	h.onEvent(now, sess, plan) // unchanged: "channel open" once
	if tg := h.cc.target.Load(); tg == nil || tg.dst != content.Remote || tg.pt != 96 {
		t.Fatalf("content target %+v, want %v PT 96", tg, content.Remote)
	}
	h.onEvent(now, sess, control.TokenResponse{Granted: true})
	if !h.cc.presenting.Load() || !h.cc.restart.Load() || len(h.grants) != 1 {
		t.Fatalf("granted: presenting %v, restart %v, grants %d", h.cc.presenting.Load(), h.cc.restart.Load(), len(h.grants))
	}
	h.cc.restart.Store(false)
	h.onEvent(now, sess, control.FastUpdate{Role: media.RoleMain}) // the camera's: not ours
	h.onEvent(now, sess, control.FastUpdate{Role: media.RoleContent})
	if !h.cc.restart.Load() || h.cc.kfReq.Load() != 1 {
		t.Errorf("content fast update: restart %v, requests %d", h.cc.restart.Load(), h.cc.kfReq.Load())
	}
	h.onEvent(now, sess, control.TokenResponse{Granted: true, Revoke: true}) // answers a revoke of ours: nothing here
	h.onEvent(now, sess, control.TokenOwner{Channel: 5})
	h.onEvent(now, sess, control.TokenReleased{Reason: "released"})
	h.onEvent(now, sess, control.PlanChanged{}) // our channel closed
	h.onEvent(now, sess, plan)                  // and opened again
	var got []string
	for _, e := range h.cc.events {
		got = append(got, e.Event)
		if e.MainFrames != 7 {
			t.Errorf("%s: main video at %d frames, want the call's count (7)", e.Event, e.MainFrames)
		}
	}
	want := []string{"denied", "channel open", "granted", "gateway presents", "gateway released", "channel open"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestContentCheckedWithoutTarget: the content received is checked before (and
// without) a destination of our own, as for an H.323 room that only receives:
// the sender's loop reports "rx stopped" once content stops for contentIdle,
// sends nothing and no PLI while it has nowhere to send them.
func TestContentCheckedWithoutTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rx, err := newContentRx("")
		if err != nil {
			t.Fatal(err)
		}
		frames, err := packetize(synth.Stream(64, 48, 1, 4))
		if err != nil {
			t.Fatal(err)
		}
		cc := &contentCall{opts: contentOptions{enabled: true}, frames: frames, rx: rx, start: time.Now()}
		cc.presenting.Store(true) // even so: no target, nothing sent
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { cc.send(ctx) })
		f := &contentFeed{t: t, r: rx, ssrc: 5, now: time.Now()}
		f.frame(frames[1], -1) // a P picture: undecodable, a keyframe is wanted
		time.Sleep(contentIdle / 2)
		synctest.Wait()
		if n := len(cc.report().Events); n != 0 {
			t.Fatalf("%d events while content flowed recently, want none", n)
		}
		time.Sleep(contentIdle)
		synctest.Wait()
		cancel()
		wg.Wait()
		r := cc.report()
		if len(r.Events) != 1 || r.Events[0].Event != "rx stopped" {
			t.Errorf("events %+v, want one rx stopped", r.Events)
		}
		if r.TxFrames != 0 || r.KeyframeSent != 0 {
			t.Errorf("without a target: %d frames and %d PLIs sent, want none", r.TxFrames, r.KeyframeSent)
		}
	})
}
