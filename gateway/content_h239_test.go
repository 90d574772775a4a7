package gateway

import (
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// pipeEnd is one side of an in-memory H.245 link: what it sends is delivered, in
// order, to the other side's runner by a forwarding goroutine, and named in sent.
type pipeEnd struct {
	out  chan *h245.MultimediaSystemControlMessage
	done chan struct{}

	mu   sync.Mutex
	sent []string
}

func (p *pipeEnd) SendH245(m *h245.MultimediaSystemControlMessage) error {
	p.mu.Lock()
	p.sent = append(p.sent, msgName(m))
	p.mu.Unlock()
	select {
	case p.out <- m:
		return nil
	case <-p.done:
		return nil
	}
}

func (p *pipeEnd) Done() <-chan struct{} { return p.done }

// names is what this end sent so far, in order.
func (p *pipeEnd) names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// msgName names an H.245 message by its alternative, an H.239 generic message by
// its sub-message ("presentationTokenRequest"), with "(ack)" or "(reject)" on a
// token response.
func msgName(m *h245.MultimediaSystemControlMessage) string {
	g, ok := h239.Find(m)
	if !ok {
		return pduName(m)
	}
	x, err := h239.Parse(g)
	if err != nil {
		return "badH239"
	}
	if x.Kind == h239.PresentationTokenResponse {
		if x.Acknowledge {
			return x.Kind.String() + "(ack)"
		}
		return x.Kind.String() + "(reject)"
	}
	return x.Kind.String()
}

// h239Link is a gateway H.323 call's content side (driver + contentPath on a
// meeting floor) linked to a simulated room system's H.245 session.
type h239Link struct {
	rc     *roomCall
	drv    *h245Driver
	room   *control.Runner
	floor  *call.Floor
	gw, rm *pipeEnd
	gate   chan bool // gateway → room delivery: false holds it, true lets it go on

	mu     sync.Mutex
	events []string // the room system's token events
}

// linkOpts change a link: the symmetryBreaking value each side draws (1..127;
// 0: random).
type linkOpts struct {
	gwSym, roomSym uint32
}

// fixedRand always draws the value that makes symmetryBreaking r (the MSD
// numbers too: the sides' terminal types differ, so MSD never compares them).
type fixedRand uint32

func (r fixedRand) Uint32() uint32 { return uint32(r) - 1 }

func newH239Link(t *testing.T) *h239Link { return newH239LinkWith(t, linkOpts{}) }

func newH239LinkWith(t *testing.T, o linkOpts) *h239Link {
	t.Helper()
	l := &h239Link{rc: testRoomCall(t), gate: make(chan bool, 1)}
	done := make(chan struct{})
	l.gw = &pipeEnd{out: make(chan *h245.MultimediaSystemControlMessage, 64), done: done}
	l.rm = &pipeEnd{out: make(chan *h245.MultimediaSystemControlMessage, 64), done: done}
	log := slog.New(slog.DiscardHandler)
	local := l.rc.mediaLocal(netip.MustParseAddr("127.0.0.1"))
	gwCfg := control.Config{Caps: control.DefaultCaps(), Local: local}
	if o.gwSym != 0 {
		gwCfg.Rand = fixedRand(o.gwSym)
	}
	l.drv = newH245Driver(log, l.gw, gwCfg, func(string) {})
	l.drv.useContent(l.rc.content)
	roomLocal := media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Ports: map[media.Role]int{
		media.RoleAudio: 47000, media.RoleMain: 47002, media.RoleContent: 47004}}
	roomCfg := control.Config{Caps: control.DefaultCaps(), Local: roomLocal, TerminalType: 50}
	if o.roomSym != 0 {
		roomCfg.Rand = fixedRand(o.roomSym)
	}
	var room *control.Runner
	room = control.NewRunner(control.New(roomCfg), l.rm, log,
		func(now time.Time, ev control.Event) {
			switch ev := ev.(type) {
			case control.IncomingChannel:
				_ = room.Session().AcceptOn(now, ev, roomLocal)
			case control.TokenRequested:
				l.note("requested")
				_ = room.Session().GrantToken(now)
			case control.TokenResponse:
				if ev.Granted {
					l.note("granted")
				} else {
					l.note("refused")
				}
			case control.TokenReleased:
				l.note("released")
			}
		})
	l.room = room
	var wg sync.WaitGroup
	wg.Go(func() { l.forwardGated(done) })
	wg.Go(func() {
		for {
			select {
			case m := <-l.rm.out:
				l.drv.deliver(m)
			case <-done:
				return
			}
		}
	})
	l.floor = call.NewFloor()
	l.floor.Join(call.Presenter{Identity: "web-1", Kind: "web"})
	// The call joins the floor as in a meeting (attach), before any content channel
	// is open: its worker must run without a content stream.
	cp := l.rc.content
	cp.mu.Lock()
	cp.tap, cp.self = &meetingTap{floor: l.floor}, "h323-a"
	cp.mu.Unlock()
	cp.joinFloor()
	l.drv.start(nil)
	room.Start(nil)
	t.Cleanup(func() {
		close(done)
		room.Close()
		l.drv.close()
		wg.Wait()
	})
	return l
}

// forwardGated delivers the gateway's messages to the room system, holding them
// while the gate is shut (hold).
func (l *h239Link) forwardGated(done chan struct{}) {
	open := true
	for {
		in := l.gw.out
		if !open {
			in = nil
		}
		select {
		case open = <-l.gate:
		case m := <-in:
			l.room.Deliver(m)
		case <-done:
			return
		}
	}
}

// hold stops (true) or resumes (false) the delivery of the gateway's messages.
func (l *h239Link) hold(on bool) { l.gate <- !on }

func (l *h239Link) note(s string) {
	l.mu.Lock()
	l.events = append(l.events, s)
	l.mu.Unlock()
}

// roomDo runs f on the room system's session.
func (l *h239Link) roomDo(f func(now time.Time, s *control.Session)) {
	l.room.Do(func(now time.Time) { f(now, l.room.Session()) })
}

// eventually waits (bounded) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

func (l *h239Link) presenter() string { return l.floor.Presenter().Identity }

func (l *h239Link) roomToken() control.TokenHolder {
	var h control.TokenHolder
	l.roomDo(func(_ time.Time, s *control.Session) { h = s.Token() })
	return h
}

func (l *h239Link) capsDone(t *testing.T) {
	t.Helper()
	eventually(t, "the capability exchange with content", func() bool {
		ok := false
		l.roomDo(func(_ time.Time, s *control.Session) {
			_, c := s.Remote()
			ok = c != nil && c.Content != nil
		})
		return ok
	})
}

// roomPresents has the room system ask for the token and waits until it presents
// on the meeting's floor holding the token.
func (l *h239Link) roomPresents(t *testing.T) {
	t.Helper()
	l.roomDo(func(now time.Time, s *control.Session) { _ = s.RequestToken(now) })
	eventually(t, "the room presents on the floor", func() bool { return l.presenter() == "h323-a" })
	eventually(t, "the room holds the token", func() bool { return l.roomToken() == control.TokenLocal })
}

// room requests -> granted (floor: the room) -> room releases -> floor free.
func TestH239RoomRequestGrantedRelease(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.roomPresents(t)
	l.roomDo(func(now time.Time, s *control.Session) { _ = s.ReleaseToken(now) })
	eventually(t, "the floor is free", func() bool { return l.presenter() == "" })
}

// room presents -> a browser takes the floor -> token revoked from the room ->
// the gateway asks the token toward the room (to send the browser's share).
func TestH239BrowserTakesFloorRevokes(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.roomPresents(t)
	if r := l.floor.Request("web-1"); r != call.FloorAllowed {
		t.Fatalf("browser refused: %s", r)
	}
	eventually(t, "the gateway holds the token toward the room", func() bool { return l.roomToken() == control.TokenRemote })
	if p := l.presenter(); p != "web-1" {
		t.Fatalf("presenter %q, want web-1", p)
	}
	// The browser stops: the gateway gives the token back.
	l.floor.Release("web-1")
	eventually(t, "the token is free", func() bool { return l.roomToken() == control.TokenNone })
}

// a browser presents -> the gateway takes the token toward the room system.
func TestH239BrowserPresentsTokenTowardRoom(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.browserPresents(t)
}

// browserPresents has web-1 share and waits until the gateway holds the token
// toward the room system.
func (l *h239Link) browserPresents(t *testing.T) {
	t.Helper()
	if r := l.floor.Request("web-1"); r != call.FloorAllowed {
		t.Fatalf("browser refused: %s", r)
	}
	eventually(t, "the gateway presents toward the room", func() bool { return l.roomToken() == control.TokenRemote })
	if p := l.presenter(); p != "web-1" {
		t.Fatalf("presenter %q, want web-1", p)
	}
}

// room presents -> the call ends (content side closed) -> the floor is free.
func TestH239PresenterRoomLeaves(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	l.roomDo(func(now time.Time, s *control.Session) { _ = s.RequestToken(now) })
	eventually(t, "the room presents", func() bool { return l.presenter() == "h323-a" })
	l.rc.content.close()
	if p := l.presenter(); p != "" {
		t.Fatalf("presenter %q after the room left, want none", p)
	}
}

// room and browser ask at once: exactly one presents, and the token agrees.
func TestH239SimultaneousRequests(t *testing.T) {
	l := newH239Link(t)
	l.capsDone(t)
	var wg sync.WaitGroup
	wg.Go(func() { l.roomDo(func(now time.Time, s *control.Session) { _ = s.RequestToken(now) }) })
	wg.Go(func() { _ = l.floor.Request("web-1") })
	wg.Wait()
	l.tokenFollowsFloor(t)
}

// tokenFollowsFloor waits until the room system's token agrees with the meeting's
// floor: the room presents holding the token, or a browser presents and the
// gateway holds it toward the room.
func (l *h239Link) tokenFollowsFloor(t *testing.T) {
	t.Helper()
	agree := func() bool {
		switch l.presenter() {
		case "h323-a":
			return l.roomToken() == control.TokenLocal
		case "web-1":
			return l.roomToken() == control.TokenRemote
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if agree() {
			return
		}
	}
	t.Fatalf("the token does not follow the floor: presenter %q, room token %d; room events %v\ngateway sent %v\nroom sent %v",
		l.presenter(), l.roomToken(), l.roomEvents(), l.gw.names(), l.rm.names())
}
