package bfcp

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// floors is a Floors that answers with decide and records what it saw.
type floors struct {
	decide func(r Request) RequestStatus

	mu       sync.Mutex
	asked    []Request
	released chan Request
}

func newFloors(decide func(Request) RequestStatus) *floors {
	return &floors{decide: decide, released: make(chan Request, 16)}
}

func (f *floors) Request(r Request) RequestStatus {
	f.mu.Lock()
	f.asked = append(f.asked, r)
	f.mu.Unlock()
	if f.decide == nil {
		return StatusGranted
	}
	return f.decide(r)
}

func (f *floors) Released(r Request) { f.released <- r }

const (
	testConf  = 77
	testUser  = 5
	testFloor = 1
)

// env is a Server and a Client talking over loopback.
type env struct {
	srv    *Server
	cl     *Client
	floors *floors
	events chan FloorEvent
}

// guard bounds a test step so a broken server fails the test instead of
// hanging it; it is not a timing assertion.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testConfig(f *floors, events chan FloorEvent) Config {
	return Config{ConferenceID: testConf, FloorIDs: []uint16{testFloor, 2}, Floors: f,
		OnFloorChange: func(e FloorEvent) { events <- e }}
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// tcpEnv starts a server listening on 127.0.0.1 and a client connected to it.
func tcpEnv(t *testing.T, decide func(Request) RequestStatus) *env {
	t.Helper()
	e := &env{floors: newFloors(decide), events: make(chan FloorEvent, 64)}
	e.srv = newServer(t, testConfig(e.floors, e.events))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Serve(ln); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	e.cl = NewClient(c, ClientConfig{ConferenceID: testConf, UserID: testUser})
	t.Cleanup(func() { _ = e.cl.Close() })
	return e
}

func (e *env) event(t *testing.T) FloorEvent {
	t.Helper()
	select {
	case ev := <-e.events:
		return ev
	case <-guard(t).Done():
		t.Fatal("no floor event")
	}
	return FloorEvent{}
}

func (e *env) note(t *testing.T) *Message {
	t.Helper()
	select {
	case m, ok := <-e.cl.Notifications():
		if !ok {
			t.Fatal("client connection ended")
		}
		return m
	case <-guard(t).Done():
		t.Fatal("no notification")
	}
	return nil
}

func (e *env) released(t *testing.T) Request {
	t.Helper()
	select {
	case r := <-e.floors.released:
		return r
	case <-guard(t).Done():
		t.Fatal("Floors.Released not called")
	}
	return Request{}
}

// noteStatus returns the request a FloorRequestStatus notification carries.
func noteStatus(t *testing.T, m *Message) Request {
	t.Helper()
	if m.Primitive != FloorRequestStatus {
		t.Fatalf("notification %s, want FloorRequestStatus", m.Primitive)
	}
	a, ok := m.Find(FloorRequestInformation)
	if !ok {
		t.Fatal("FloorRequestStatus without FLOOR-REQUEST-INFORMATION")
	}
	return ParseRequestInfo(a)
}

func wantCode(t *testing.T, err error, code ErrorCode) {
	t.Helper()
	se, ok := err.(*ServerError)
	if !ok || se.Code != code {
		t.Fatalf("err %v, want server Error %d", err, code)
	}
}
