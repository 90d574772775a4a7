package gateway

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// The H.239 token sequences of an H.323 room system against the meeting's floor,
// on the in-process link of content_h239_test.go (the gateway's driver and content
// path, a room system's control.Session).

// roomEvents is the room system's token events so far.
func (l *h239Link) roomEvents() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// roomContent is the room system's content stream in its plan (ok false: none).
func (l *h239Link) roomContent() (st media.Stream, ok bool) {
	l.roomDo(func(_ time.Time, s *control.Session) { st, ok = s.Plan().Stream(media.RoleContent) })
	return st, ok
}

// roomOpensContent has the room system open its content channel without asking
// for the token, and waits until the gateway acknowledged it.
func (l *h239Link) roomOpensContent(t *testing.T) {
	t.Helper()
	l.roomDo(func(now time.Time, s *control.Session) { _ = s.OpenContentChannel(now) })
	eventually(t, "the room's content channel is open", func() bool { c, ok := l.roomContent(); return ok && c.Remote.IsValid() })
}

// sync waits until both sessions handled what was sent to them so far: two round
// trips through each runner after the link went quiet.
func (l *h239Link) sync() {
	for range 2 {
		l.roomDo(func(time.Time, *control.Session) {})
		l.drv.do(func(time.Time, *control.Session) {})
	}
}

// gateway asks (a browser shares) -> the room grants -> the gateway sends on its
// content channel -> the browser stops -> the gateway releases the token and
// closes its channel: the room sees the release and has no content stream left.
func TestH239GatewayRequestRoomGrantsGatewayReleases(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.browserPresents(t)
	eventually(t, "the room receives on the gateway's content channel", func() bool {
		c, ok := l.roomContent()
		return ok && c.Direction == media.RecvOnly
	})
	l.floor.Release("web-1")
	eventually(t, "the token is free", func() bool { return l.roomToken() == control.TokenNone })
	eventually(t, "the gateway's content channel is closed", func() bool { _, ok := l.roomContent(); return !ok })
	if ev := l.roomEvents(); !slices.Equal(ev, []string{"requested", "released"}) {
		t.Errorf("room events %v, want requested, released", ev)
	}
	if n := l.gw.names(); !inOrder(n, "openLogicalChannel", "presentationTokenRequest", "presentationTokenIndicateOwner",
		"presentationTokenRelease", "closeLogicalChannel") {
		t.Errorf("gateway sent %v", n)
	}
}

// Both sides ask at once: the room's presentationTokenRequest reaches the gateway
// while its own request's content channel is still opening. symmetryBreaking
// decides (H.239 §7.4): the higher value wins, and the floor and token agree
// afterwards.
func TestH239SimultaneousSymmetryBreaking(t *testing.T) {
	for _, tt := range []struct {
		name            string
		gwSym, roomSym  uint32
		presenter       string
		roomHolds       control.TokenHolder
		roomEvents      []string
		gatewayAnswered string // the gateway's answer to the room's request
	}{
		{name: "gateway wins", gwSym: 100, roomSym: 7, presenter: "web-1", roomHolds: control.TokenRemote,
			roomEvents: []string{"refused", "requested"}, gatewayAnswered: "presentationTokenResponse(reject)"},
		{name: "room wins", gwSym: 7, roomSym: 100, presenter: "h323-a", roomHolds: control.TokenLocal,
			roomEvents: []string{"granted"}, gatewayAnswered: "presentationTokenResponse(ack)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newH239LinkWith(t, linkOpts{gwSym: tt.gwSym, roomSym: tt.roomSym})
			l.capsDone(t)
			// The room's content channel is open already (as at connect), so its
			// request goes out at once.
			l.roomOpensContent(t)

			l.hold(true)
			opened := func() int { return count(l.gw.names(), "openLogicalChannel") }
			eventually(t, "the gateway's audio and video channels", func() bool { return opened() >= 2 })
			before := opened()
			if r := l.floor.Request("web-1"); r != call.FloorAllowed {
				t.Fatalf("browser refused: %s", r)
			}
			eventually(t, "the gateway opens its content channel", func() bool { return opened() > before })
			l.roomDo(func(now time.Time, s *control.Session) { _ = s.RequestToken(now) })
			eventually(t, "the gateway answers the room's request", func() bool {
				return slices.Contains(l.gw.names(), tt.gatewayAnswered)
			})
			l.hold(false)

			eventually(t, "the token follows the floor", func() bool {
				return l.presenter() == tt.presenter && l.roomToken() == tt.roomHolds
			})
			l.sync()
			if p, h := l.presenter(), l.roomToken(); p != tt.presenter || h != tt.roomHolds {
				t.Errorf("settled at presenter %q, room token %d; want %q, %d", p, h, tt.presenter, tt.roomHolds)
			}
			if ev := l.roomEvents(); !slices.Equal(ev, tt.roomEvents) {
				t.Errorf("room events %v, want %v", ev, tt.roomEvents)
			}
			// The gateway that lost gave its opening channel up before it answered.
			if n := l.gw.names(); tt.presenter == "h323-a" && !inOrder(n, "openLogicalChannel", "closeLogicalChannel", tt.gatewayAnswered) {
				t.Errorf("gateway sent %v: want its content channel closed before %s", n, tt.gatewayAnswered)
			}
		})
	}
}

// A stray presentationTokenRelease from the room while the gateway holds the token
// toward it (a browser presents) changes nothing: the browser keeps the floor,
// the gateway the token.
func TestH239RoomReleaseWhileGatewayHolds(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.browserPresents(t)
	rel, err := h239.Message{Kind: h239.PresentationTokenRelease, ChannelID: 1}.MultimediaSystemControlMessage()
	if err != nil {
		t.Fatal(err)
	}
	l.drv.deliver(&rel)
	l.sync()
	if p := l.presenter(); p != "web-1" {
		t.Errorf("presenter %q after a stray release, want web-1", p)
	}
	var holder control.TokenHolder
	l.drv.do(func(_ time.Time, s *control.Session) { holder = s.Token() })
	if holder != control.TokenLocal {
		t.Errorf("gateway token %d after a stray release, want local", holder)
	}
}

// The room presents, then its H.245 session ends (endSessionCommand, the call
// clears): the meeting's floor is free at once.
func TestH239PresenterRoomEndsSession(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.roomPresents(t)
	l.roomDo(func(_ time.Time, s *control.Session) { s.End() })
	eventually(t, "the floor is free", func() bool { return l.presenter() == "" })
}

// A browser presents toward the room, then leaves the meeting: the gateway gives
// the token back.
func TestH239PresenterBrowserLeaves(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.browserPresents(t)
	l.floor.Leave("web-1")
	eventually(t, "the token is free", func() bool { return l.roomToken() == control.TokenNone })
	if p := l.presenter(); p != "" {
		t.Errorf("presenter %q after the browser left", p)
	}
}

// A room that opens its content channel at connect and never asks for the token
// does not take the floor; a browser then presents as usual and the token goes to
// the gateway.
func TestH239ContentChannelWithoutTokenNoFloor(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.roomOpensContent(t)
	l.sync()
	if p, h := l.presenter(), l.roomToken(); p != "" || h != control.TokenNone {
		t.Fatalf("presenter %q, room token %d with only a content channel open: want none", p, h)
	}
	if n := l.rm.names(); slices.Contains(n, "presentationTokenRequest") {
		t.Fatalf("the room asked for the token: %v", n)
	}
	l.browserPresents(t)
}

// Host-only sharing: the room's token request is refused and the floor stays free.
func TestH239HostOnlyDeniesRoom(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.floor.SetHost("web-1")
	l.floor.SetHostOnly(true)
	l.roomDo(func(now time.Time, s *control.Session) { _ = s.RequestToken(now) })
	eventually(t, "the room's request is refused", func() bool { return slices.Contains(l.roomEvents(), "refused") })
	if p, h := l.presenter(), l.roomToken(); p != "" || h != control.TokenNone {
		t.Errorf("presenter %q, room token %d: want none", p, h)
	}
}

// Polycom order: a room that sends its content OLC and its token request back to
// back (without waiting for the Ack) gets the OLC Ack before the token response
// (Polycom answers nothing before its channel is acknowledged).
func TestH239PolycomOrderAckBeforeTokenResponse(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.hold(true) // the room session must not see the answers to messages it did not send
	v := h239.ExtendedVideo(h239.RolePresentation, control.DefaultContent().VideoCapability())
	olc, err := h245.Channel{Number: 40, SessionID: 32, DataType: h245.DataType{VideoData: &v}, PayloadType: 109,
		RTCP: netip.MustParseAddrPort("127.0.0.1:47005")}.OpenLogicalChannel()
	if err != nil {
		t.Fatal(err)
	}
	req, err := h239.Message{Kind: h239.PresentationTokenRequest, ChannelID: 40, SymmetryBreaking: 9}.MultimediaSystemControlMessage()
	if err != nil {
		t.Fatal(err)
	}
	l.drv.deliver(h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc}))
	l.drv.deliver(&req)
	eventually(t, "the gateway answers the token request", func() bool {
		return slices.Contains(l.gw.names(), "presentationTokenResponse(ack)")
	})
	n := l.gw.names()
	ack, resp := slices.Index(n, "openLogicalChannelAck"), slices.Index(n, "presentationTokenResponse(ack)")
	if ack < 0 || ack > resp {
		t.Errorf("gateway sent %v: want openLogicalChannelAck before presentationTokenResponse", n)
	}
	eventually(t, "the room presents", func() bool { return l.presenter() == "h323-a" })
}

// count is how many of have are s.
func count(have []string, s string) int {
	n := 0
	for _, h := range have {
		if h == s {
			n++
		}
	}
	return n
}

// inOrder reports whether want occur in have in that order (others between).
func inOrder(have []string, want ...string) bool {
	for _, h := range have {
		if len(want) > 0 && h == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

// An H.323 room that opens its content channel before ours: the content stream
// starts with its channel's limits (how it encodes), and takes its decoder's (our
// channel's: packetization mode 1, its largest picture) once our channel is open,
// so that the keyframes of what it is sent are packetized and not dropped as too
// large.
func TestH239ContentTakesDecoderLimitsFromOurChannel(t *testing.T) {
	rc := testRoomCall(t)
	cp := rc.content
	in := media.Stream{Role: media.RoleContent, Codec: media.H264, PT: 96, Direction: media.RecvOnly,
		H264: &media.H264Limits{ProfileIDC: 66, LevelIDC: 10, PacketizationMode: 0}}
	if err := cp.start(in, mediaOptions{}); err != nil {
		t.Fatal(err)
	}
	both := in
	both.Direction, both.Remote = media.SendRecv, netip.MustParseAddrPort("127.0.0.1:47004")
	both.H264 = &media.H264Limits{ProfileIDC: 66, LevelIDC: 31, PacketizationMode: 1}
	if err := cp.start(both, mediaOptions{}); err != nil {
		t.Fatal(err)
	}
	cp.mu.Lock()
	mode, maxFS := cp.outPack.Mode, cp.maxFS
	cp.mu.Unlock()
	if mode != 1 || maxFS != 3600 {
		t.Errorf("content sent in packetization mode %d up to %d macroblocks; want mode 1 and level 3.1's 3600", mode, maxFS)
	}
}
