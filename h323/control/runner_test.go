package control

import (
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// pipeConn delivers what one runner sends to the other.
type pipeConn struct {
	peer *Runner
	done chan struct{}
}

func (c *pipeConn) SendH245(m *h245.MultimediaSystemControlMessage) error {
	c.peer.Deliver(m)
	return nil
}
func (c *pipeConn) Done() <-chan struct{} { return c.done }

// Two runners complete the capability exchange, master/slave determination and
// both audio channels on their own goroutines; Do reaches the session; the call's
// end stops them.
func TestRunnerBackToBack(t *testing.T) { synctest.Test(t, testRunnerBackToBack) }

func testRunnerBackToBack(t *testing.T) {
	local := func(port int) media.Local {
		return media.Local{Addr: netip.MustParseAddr("127.0.0.1"), Ports: map[media.Role]int{media.RoleAudio: port, media.RoleMain: port + 2}}
	}
	var mu sync.Mutex
	plans := map[string]media.Plan{}
	done := make(chan struct{})
	mk := func(name string, l media.Local, tt int64) (*Runner, *pipeConn) {
		conn := &pipeConn{done: done}
		s := New(Config{Local: l, TerminalType: tt, RTDInterval: -1})
		var r *Runner
		r = NewRunner(s, conn, slog.New(slog.DiscardHandler), func(now time.Time, ev Event) {
			switch ev := ev.(type) {
			case IncomingChannel:
				if err := r.Session().AcceptOn(now, ev, l); err != nil {
					t.Errorf("%s: accept: %v", name, err)
				}
			case PlanChanged:
				mu.Lock()
				plans[name] = ev.Plan
				mu.Unlock()
			}
		})
		return r, conn
	}
	a, ca := mk("gateway", local(4000), TerminalTypeMCU)
	b, cb := mk("room", local(5000), 50)
	ca.peer, cb.peer = b, a
	a.Start(nil)
	b.Start(nil)
	synctest.Wait() // both sessions idle: everything was exchanged
	mu.Lock()
	pa, pb := plans["gateway"], plans["room"]
	mu.Unlock()
	sa, okA := pa.Stream(media.RoleAudio)
	sb, okB := pb.Stream(media.RoleAudio)
	if !okA || !okB || sa.Remote.Port() != 5000 || sb.Remote.Port() != 4000 {
		t.Fatalf("no audio both ways: gateway %+v, room %+v", pa, pb)
	}
	var master bool
	if !a.Do(func(time.Time) { master, _ = a.Session().Master() }) || !master {
		t.Errorf("Do: gateway master %v", master)
	}
	close(done)
	a.Close()
	b.Close()
	if a.Do(func(time.Time) {}) {
		t.Error("Do after the call ended ran")
	}
}

// A runner that was never started does no work and closes at once; a flood beyond
// the inbox is dropped and counted.
func TestRunnerNotStartedAndFlood(t *testing.T) {
	r := NewRunner(New(Config{}), &pipeConn{done: make(chan struct{})}, slog.New(slog.DiscardHandler), nil)
	if r.Do(func(time.Time) { t.Error("ran") }) {
		t.Error("Do on a runner that never started")
	}
	for range InboxSize + 10 {
		r.Deliver(h245.Indication(h245.IndicationMessage{}))
	}
	if r.Dropped() != 10 {
		t.Errorf("dropped %d, want 10", r.Dropped())
	}
	r.Close()
}
