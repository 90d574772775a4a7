package bfcp

import (
	"net"
	"reflect"
	"slices"
	"testing"
)

func grant(Request) RequestStatus   { return StatusGranted }
func pending(Request) RequestStatus { return StatusPending }
func deny(Request) RequestStatus    { return StatusDenied }

// TestServerTransitions drives the floor request state machine of RFC 8855
// §5.2.5 through a Client over TCP, one transition per case.
func TestServerTransitions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		decide func(Request) RequestStatus
		run    func(t *testing.T, e *env)
	}{
		{"idle->FloorRequest(Floors grants)->Granted", grant, func(t *testing.T, e *env) {
			r, err := e.cl.RequestFloor(guard(t), testFloor)
			if err != nil || r.Status != StatusGranted || !slices.Equal(r.FloorIDs, []uint16{testFloor}) || r.ID == 0 {
				t.Fatalf("%+v %v", r, err)
			}
			if ev := e.event(t); ev.Request.Status != StatusGranted || ev.Prev != 0 || ev.Request.UserID != testUser {
				t.Fatalf("event %+v", ev)
			}
		}},
		{"idle->FloorRequest(Floors denies)->Denied", deny, func(t *testing.T, e *env) {
			r, err := e.cl.RequestFloor(guard(t), testFloor)
			if err != nil || r.Status != StatusDenied {
				t.Fatalf("%+v %v", r, err)
			}
			if len(e.srv.Requests()) != 0 {
				t.Fatal("denied request kept")
			}
		}},
		{"idle->FloorRequest(pending)->Pending->Grant->Granted", pending, func(t *testing.T, e *env) {
			r, err := e.cl.RequestFloor(guard(t), testFloor)
			if err != nil || r.Status != StatusPending {
				t.Fatalf("%+v %v", r, err)
			}
			e.event(t)
			if err := e.srv.Grant(r.ID); err != nil {
				t.Fatal(err)
			}
			m := e.note(t)
			if n := noteStatus(t, m); n.ID != r.ID || n.Status != StatusGranted || m.TransactionID != 0 {
				t.Fatalf("notification %+v tid %d", n, m.TransactionID)
			}
			if ev := e.event(t); ev.Prev != StatusPending || ev.Request.Status != StatusGranted {
				t.Fatalf("event %+v", ev)
			}
		}},
		{"Pending->Accept->Accepted->Grant->Granted", pending, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			if err := e.srv.Accept(r.ID); err != nil {
				t.Fatal(err)
			}
			if n := noteStatus(t, e.note(t)); n.Status != StatusAccepted {
				t.Fatalf("%+v", n)
			}
			if err := e.srv.Grant(r.ID); err != nil {
				t.Fatal(err)
			}
			if n := noteStatus(t, e.note(t)); n.Status != StatusGranted {
				t.Fatalf("%+v", n)
			}
		}},
		{"Pending->Deny->Denied", pending, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			if err := e.srv.Deny(r.ID, "host locked sharing"); err != nil {
				t.Fatal(err)
			}
			m := e.note(t)
			if n := noteStatus(t, m); n.Status != StatusDenied {
				t.Fatalf("%+v", n)
			}
			a, _ := m.Find(FloorRequestInformation)
			o, _ := Find(a.Group, OverallRequestStatusAttr)
			if si, ok := Find(o.Group, StatusInfo); !ok || string(si.Value) != "host locked sharing" {
				t.Fatalf("STATUS-INFO missing: %+v", o)
			}
			if err := e.srv.Grant(r.ID); err == nil {
				t.Fatal("Grant after Deny succeeded")
			}
		}},
		{"Granted->Revoke->Revoked", grant, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			if err := e.srv.Revoke(r.ID, "browser shares"); err != nil {
				t.Fatal(err)
			}
			if n := noteStatus(t, e.note(t)); n.Status != StatusRevoked {
				t.Fatalf("%+v", n)
			}
			// The revoked request is gone: a second one is allowed again.
			if _, err := e.cl.RequestFloor(guard(t), testFloor); err != nil {
				t.Fatal(err)
			}
		}},
		{"Pending->Revoke->error", pending, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			if err := e.srv.Revoke(r.ID, ""); err == nil {
				t.Fatal("revoked a pending request")
			}
		}},
		{"Granted->FloorRelease->Released", grant, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			got, err := e.cl.Release(guard(t), r.ID)
			if err != nil || got.Status != StatusReleased {
				t.Fatalf("%+v %v", got, err)
			}
			if rel := e.released(t); rel.ID != r.ID || rel.Status != StatusReleased {
				t.Fatalf("Released(%+v)", rel)
			}
		}},
		{"Pending->FloorRelease->Cancelled", pending, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			got, err := e.cl.Release(guard(t), r.ID)
			if err != nil || got.Status != StatusCancelled {
				t.Fatalf("%+v %v", got, err)
			}
			if rel := e.released(t); rel.Status != StatusCancelled {
				t.Fatalf("Released(%+v)", rel)
			}
		}},
		{"Granted->Goodbye->GoodbyeAck,Released", grant, func(t *testing.T, e *env) {
			e.cl.RequestFloor(guard(t), testFloor)
			if err := e.cl.Goodbye(guard(t)); err != nil {
				t.Fatal(err)
			}
			if rel := e.released(t); rel.Status != StatusReleased {
				t.Fatalf("Released(%+v)", rel)
			}
			for range e.cl.Notifications() { // the server closes the connection
			}
		}},
		{"Granted->connection closed->Released", grant, func(t *testing.T, e *env) {
			e.cl.RequestFloor(guard(t), testFloor)
			e.cl.Close()
			if rel := e.released(t); rel.Status != StatusReleased {
				t.Fatalf("Released(%+v)", rel)
			}
		}},
		{"Floors.Request calls Grant->Granted", nil, func(t *testing.T, e *env) {
			e.floors.decide = func(r Request) RequestStatus {
				if err := e.srv.Grant(r.ID); err != nil {
					t.Error(err)
				}
				return StatusPending
			}
			r, err := e.cl.RequestFloor(guard(t), testFloor)
			if err != nil || r.Status != StatusGranted {
				t.Fatalf("%+v %v", r, err)
			}
		}},
		{"Hello->HelloAck(supported)", grant, func(t *testing.T, e *env) {
			ps, ts, err := e.cl.Hello(guard(t))
			if err != nil || !slices.Contains(ps, FloorRequest) || !slices.Contains(ps, Goodbye) || len(ts) != 18 {
				t.Fatalf("%v %v %v", ps, ts, err)
			}
		}},
		{"FloorRequestQuery->FloorRequestStatus", pending, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			q, err := e.cl.QueryRequest(guard(t), r.ID)
			if err != nil || q.ID != r.ID || q.Status != StatusPending {
				t.Fatalf("%+v %v", q, err)
			}
			_, err = e.cl.QueryRequest(guard(t), r.ID+100)
			wantCode(t, err, ErrFloorRequestNotFound)
		}},
		{"FloorQuery->FloorStatus,Grant->FloorStatus notification", pending, func(t *testing.T, e *env) {
			fs, err := e.cl.QueryFloors(guard(t), testFloor)
			if err != nil || fs.Primitive != FloorStatus {
				t.Fatalf("%v %v", fs, err)
			}
			if f, _ := fs.Uint16(FloorID); f != testFloor || len(FindAll(fs.Attributes, FloorRequestInformation)) != 0 {
				t.Fatalf("%+v", fs.Attributes)
			}
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			m := e.note(t) // FloorStatus: the new pending request
			if m.Primitive != FloorStatus {
				t.Fatalf("%s", m.Primitive)
			}
			e.srv.Grant(r.ID)
			var sawGrantedFloor bool
			for !sawGrantedFloor {
				m := e.note(t)
				if m.Primitive == FloorStatus {
					a, _ := m.Find(FloorRequestInformation)
					sawGrantedFloor = ParseRequestInfo(a).Status == StatusGranted
				}
			}
		}},
		{"UserQuery->UserStatus", pending, func(t *testing.T, e *env) {
			r, _ := e.cl.RequestFloor(guard(t), testFloor)
			m, err := e.cl.Do(guard(t), UserQuery)
			if err != nil || m.Primitive != UserStatus {
				t.Fatalf("%v %v", m, err)
			}
			a, ok := m.Find(FloorRequestInformation)
			if !ok || ParseRequestInfo(a).ID != r.ID {
				t.Fatalf("%+v", m.Attributes)
			}
		}},
		{"FloorRequest(unknown floor)->Error 6", grant, func(t *testing.T, e *env) {
			_, err := e.cl.RequestFloor(guard(t), 99)
			wantCode(t, err, ErrInvalidFloorID)
		}},
		{"FloorRequest(no FLOOR-ID)->Error 10", grant, func(t *testing.T, e *env) {
			_, err := e.cl.RequestFloor(guard(t))
			wantCode(t, err, ErrUnparsable)
		}},
		{"FloorRequest(third party)->Error 5", grant, func(t *testing.T, e *env) {
			_, err := e.cl.Do(guard(t), FloorRequest, NewUint16(FloorID, testFloor), NewUint16(BeneficiaryID, 9))
			wantCode(t, err, ErrUnauthorized)
		}},
		{"Pending,Pending->FloorRequest->Error 8", pending, func(t *testing.T, e *env) {
			e.cl.RequestFloor(guard(t), testFloor)
			e.cl.RequestFloor(guard(t), 2)
			_, err := e.cl.RequestFloor(guard(t), testFloor)
			wantCode(t, err, ErrTooManyRequests)
		}},
		{"FloorRelease(unknown id)->Error 7", grant, func(t *testing.T, e *env) {
			_, err := e.cl.Release(guard(t), 4242)
			wantCode(t, err, ErrFloorRequestNotFound)
		}},
		{"other conference->Error 1", grant, func(t *testing.T, e *env) {
			e.cl.cfg.ConferenceID = testConf + 1
			_, err := e.cl.RequestFloor(guard(t), testFloor)
			wantCode(t, err, ErrConferenceNotFound)
		}},
		{"unknown mandatory attribute->Error 4", grant, func(t *testing.T, e *env) {
			m, err := e.cl.Do(guard(t), FloorRequest, NewUint16(FloorID, testFloor), Attribute{Type: 99, Mandatory: true})
			wantCode(t, err, ErrUnknownMandatoryAttr)
			a, _ := m.Find(ErrorCodeAttr)
			if !reflect.DeepEqual(a.AttrTypes(), []AttrType{99}) {
				t.Fatalf("unknown types %v", a.AttrTypes())
			}
		}},
		{"unknown optional attribute->ignored", grant, func(t *testing.T, e *env) {
			_, err := e.cl.Do(guard(t), FloorRequest, NewUint16(FloorID, testFloor), Attribute{Type: 99})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"unknown primitive->Error 3", grant, func(t *testing.T, e *env) {
			_, err := e.cl.Do(guard(t), Primitive(42))
			wantCode(t, err, ErrUnknownPrimitive)
		}},
		{"ChairAction->Error 5", grant, func(t *testing.T, e *env) {
			_, err := e.cl.Do(guard(t), ChairAction)
			wantCode(t, err, ErrUnauthorized)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, tcpEnv(t, tc.decide))
		})
	}
}

// TestServerDialsPassiveRoomSystem covers a=setup:active on the gateway's
// side: the room system listens and the server connects.
func TestServerDialsPassiveRoomSystem(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	events := make(chan FloorEvent, 8)
	srv := newServer(t, testConfig(newFloors(nil), events))
	if err := srv.DialTCP(guard(t), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	cl := NewClient(c, ClientConfig{ConferenceID: testConf, UserID: testUser})
	defer cl.Close()
	if r, err := cl.RequestFloor(guard(t), testFloor); err != nil || r.Status != StatusGranted {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestClientFailsWhenServerCloses: Close releases nothing to Floors, ends
// the connections, and a client transaction fails instead of hanging.
func TestClientFailsWhenServerCloses(t *testing.T) {
	e := tcpEnv(t, grant)
	if _, err := e.cl.RequestFloor(guard(t), testFloor); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	for range e.cl.Notifications() {
	}
	if _, _, err := e.cl.Hello(guard(t)); err == nil {
		t.Fatal("Hello succeeded on a closed server")
	}
	select {
	case r := <-e.floors.released:
		t.Fatalf("Floors.Released(%+v) on Close", r)
	default:
	}
}
