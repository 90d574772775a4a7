package bridge

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
)

// signalProxy forwards TCP connections to the meeting core's signalling port until
// cut: from then on it drops what clients send, and keeps the core's side open, so a
// client's leave request never arrives and its closing is never seen — as when LiveKit
// loses a leave request inside the server.
type signalProxy struct {
	ln  net.Listener
	cut atomic.Bool
	mu  sync.Mutex
	cs  []net.Conn
}

func startSignalProxy(t *testing.T, target string) *signalProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &signalProxy{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.cs {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.cs = append(p.cs, c, s)
			p.mu.Unlock()
			go func() { // client → core, dropped once cut
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 && !p.cut.Load() {
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return // the core's side stays open: no close reaches it
					}
				}
			}()
			go func() { _, _ = io.Copy(c, s) }() // core → client
		}
	}()
	return p
}

// A participant whose leave request the meeting core never gets stays in the meeting
// (until its ICE times out, about 20 s); Close with Params.Rooms removes it there, so
// the others see it leave at once.
func TestCloseRemovesParticipantTheCoreKept(t *testing.T) {
	c := startCore(t)
	var mu sync.Mutex
	var joined, left []string
	obs := join(t, c, "observer", Params{NoAudio: true, NoVideo: true})
	obs.OnParticipant(func(e ParticipantEvent) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case ParticipantJoined:
			joined = append(joined, e.Identity)
		case ParticipantLeft:
			left = append(left, e.Identity)
		}
	})
	heard := func(events *[]string, id string) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(*events, id)
	}
	hasLeft := func(id string) bool { return heard(&left, id) }
	listed := func(id string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.Rooms().ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: meetingID})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(res.Participants, func(p *livekit.ParticipantInfo) bool { return p.Identity == id })
	}

	for _, tc := range []struct {
		identity string
		rooms    bool
	}{{"without-rooms", false}, {"with-rooms", true}} {
		proxy := startSignalProxy(t, c.SignalURL[len("ws://"):])
		p := Params{NoVideo: true, NoSubscribe: true, URL: "ws://" + proxy.ln.Addr().String()}
		if tc.rooms {
			p.Rooms = c.Rooms()
		}
		b := join(t, c, tc.identity, p)
		waitUntil(t, tc.identity+"'s joined event at the observer", 10*time.Second, func() bool { return heard(&joined, tc.identity) })
		proxy.cut.Store(true)
		b.Close()
		if !tc.rooms {
			// The test's premise: the core did not get the leave and keeps the
			// participant. (Then it is taken out here, as the gateway would.)
			time.Sleep(2 * time.Second)
			if !listed(tc.identity) || hasLeft(tc.identity) {
				t.Fatalf("%s: gone from the meeting without its leave request (listed %v, left event %v): the test proves nothing",
					tc.identity, listed(tc.identity), hasLeft(tc.identity))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := c.Rooms().RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: meetingID, Identity: tc.identity})
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if listed(tc.identity) {
			t.Errorf("%s still in the meeting core after Close", tc.identity)
		}
		// The others hear it left well before the ICE timeout would have told them.
		waitUntil(t, tc.identity+"'s left event at the observer", 10*time.Second, func() bool { return hasLeft(tc.identity) })
	}
}
