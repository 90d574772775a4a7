package bfcp

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// lossyRelay forwards datagrams between a client and the server on
// 127.0.0.1 and drops every other datagram in each direction.
type lossyRelay struct {
	pc      net.PacketConn
	server  net.Addr
	mu      sync.Mutex
	client  net.Addr
	n       [2]int
	dropped atomic.Int64
}

func (r *lossyRelay) run() {
	buf := make([]byte, 65536)
	for {
		n, from, err := r.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		dir, to := 0, r.server
		if from.String() == r.server.String() {
			dir, to = 1, r.client
		} else {
			r.client = from
		}
		r.n[dir]++
		drop := r.n[dir]%2 == 1 // the first, third, … datagram of each direction
		r.mu.Unlock()
		if drop || to == nil {
			r.dropped.Add(1)
			continue
		}
		_, _ = r.pc.WriteTo(buf[:n], to)
	}
}

// TestUDPLossyRelayRecovers runs a floor request's whole life over UDP
// through a relay that loses every other datagram: retransmissions (client
// requests, server notifications) recover, and duplicates are answered from
// the response cache, so Floors sees each request once.
func TestUDPLossyRelayRecovers(t *testing.T) {
	f := newFloors(pending)
	events := make(chan FloorEvent, 16)
	cfg := testConfig(f, events)
	cfg.T1 = 20 * time.Millisecond
	cfg.MaxRetransmits = 6
	srv := newServer(t, cfg)
	spc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.ServeUDP(spc); err != nil {
		t.Fatal(err)
	}
	rpc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := &lossyRelay{pc: rpc, server: spc.LocalAddr()}
	done := make(chan struct{})
	go func() { relay.run(); close(done) }()
	defer func() { rpc.Close(); <-done }()

	c, err := net.Dial("udp", rpc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	cl := NewClient(c, ClientConfig{ConferenceID: testConf, UserID: testUser, T1: 20 * time.Millisecond, MaxRetransmits: 6})
	defer cl.Close()
	e := &env{srv: srv, cl: cl, floors: f, events: events}

	if _, _, err := cl.Hello(guard(t)); err != nil {
		t.Fatal(err)
	}
	r, err := cl.RequestFloor(guard(t), testFloor)
	if err != nil || r.Status != StatusPending {
		t.Fatalf("%+v %v", r, err)
	}
	if err := srv.Grant(r.ID); err != nil {
		t.Fatal(err)
	}
	m := e.note(t)
	if n := noteStatus(t, m); n.Status != StatusGranted || m.TransactionID == 0 || m.Version != Version2 {
		t.Fatalf("%+v %v", n, m)
	}
	got, err := cl.Release(guard(t), r.ID)
	if err != nil || got.Status != StatusReleased {
		t.Fatalf("%+v %v", got, err)
	}
	if err := cl.Goodbye(guard(t)); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	asked := len(f.asked)
	f.mu.Unlock()
	if asked != 1 {
		t.Fatalf("Floors.Request called %d times: a retransmitted FloorRequest was processed twice", asked)
	}
	if relay.dropped.Load() < 4 {
		t.Fatalf("relay dropped %d datagrams", relay.dropped.Load())
	}
	select { // the Grant notification went out once however often it was resent
	case m := <-cl.Notifications():
		if m.Primitive == FloorRequestStatus && noteStatus(t, m).Status == StatusGranted {
			t.Fatal("Granted notification delivered twice")
		}
	default:
	}
}

// TestUDPRetransmitScheduleAndDeadPeer checks RFC 8855 §6.2 timing in a
// synctest bubble: a notification nobody acknowledges is sent at 0, T1, 3T1,
// 7T1, 15T1 (T1 doubling, 4 retransmissions) and the peer is then dead: its
// granted floor is released.
func TestUDPRetransmitScheduleAndDeadPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFloors(pending)
		srv, mn, spc := memServer(t, Config{ConferenceID: testConf, FloorIDs: []uint16{testFloor}, Floors: f})
		cc := mn.listen("client", "server")
		start := time.Now()
		var mu sync.Mutex
		var sends []time.Duration
		spc.drop = func(b []byte) bool {
			if b[1] == byte(FloorRequestStatus) && b[0]&0x10 == 0 { // a notification, not the response
				mu.Lock()
				sends = append(sends, time.Since(start))
				mu.Unlock()
			}
			return false
		}
		// A raw client: request, then never acknowledge anything.
		req := Message{Header: Header{Version: Version2, Primitive: FloorRequest, ConferenceID: testConf,
			TransactionID: 1, UserID: testUser}, Attributes: []Attribute{NewUint16(FloorID, testFloor)}}
		b, _ := req.Marshal()
		cc.Write(b)
		buf := make([]byte, 1500)
		n, _ := cc.Read(buf)
		var resp Message
		if _, err := resp.Unmarshal(buf[:n]); err != nil || !resp.Responder {
			t.Fatalf("%v %v", resp, err)
		}
		a, _ := resp.Find(FloorRequestInformation)
		id := ParseRequestInfo(a).ID
		start = time.Now()
		if err := srv.Grant(id); err != nil {
			t.Fatal(err)
		}
		rel := <-f.released
		if rel.ID != id || rel.Status != StatusReleased {
			t.Fatalf("Released(%+v)", rel)
		}
		t1 := 500 * time.Millisecond
		want := []time.Duration{0, t1, 3 * t1, 7 * t1, 15 * t1}
		mu.Lock()
		defer mu.Unlock()
		if len(sends) != len(want) {
			t.Fatalf("notification sent at %v, want %v", sends, want)
		}
		for i := range want {
			if sends[i] != want[i] {
				t.Fatalf("notification sent at %v, want %v", sends, want)
			}
		}
		if dead := time.Since(start); dead != 31*t1 {
			t.Fatalf("peer declared dead after %v, want %v", dead, 31*t1)
		}
	})
}

// TestUDPAckStopsRetransmission: an acknowledged notification is not sent
// again, and a duplicate request gets the cached response.
func TestUDPAckStopsRetransmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFloors(pending)
		srv, mn, spc := memServer(t, Config{ConferenceID: testConf, FloorIDs: []uint16{testFloor}, Floors: f})
		var notes atomic.Int64
		spc.drop = func(b []byte) bool {
			if b[1] == byte(FloorRequestStatus) && b[0]&0x10 == 0 {
				notes.Add(1)
			}
			return false
		}
		cc := mn.listen("client", "server")
		cl := NewClient(cc, ClientConfig{ConferenceID: testConf, UserID: testUser})
		defer cl.Close()
		r, err := cl.RequestFloor(t.Context(), testFloor)
		if err != nil {
			t.Fatal(err)
		}
		// Duplicate of the FloorRequest (the client's transaction 1) within
		// ResponseLinger: answered from the cache, not decided again.
		dup := Message{Header: Header{Version: Version2, Primitive: FloorRequest, ConferenceID: testConf,
			TransactionID: 1, UserID: testUser}, Attributes: []Attribute{NewUint16(FloorID, testFloor)}}
		b, _ := dup.Marshal()
		cc.Write(b)
		time.Sleep(time.Second)
		synctest.Wait()
		f.mu.Lock()
		asked := len(f.asked)
		f.mu.Unlock()
		if asked != 1 {
			t.Fatalf("Floors.Request called %d times: duplicate FloorRequest decided again", asked)
		}
		srv.Grant(r.ID)
		<-cl.Notifications()
		time.Sleep(time.Minute)
		synctest.Wait()
		if notes.Load() != 1 {
			t.Fatalf("notification sent %d times despite the Ack", notes.Load())
		}
	})
}

// TestUDPFragmentedRequest: a FloorRequest split into fragments (F bit,
// RFC 8855 §6.2), sent out of order, is reassembled and answered; one that
// would exceed MaxMessageSize is refused with Error 13.
func TestUDPFragmentedRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.MaxMessageSize = 256
		_, mn, _ := memServer(t, cfg)
		cc := mn.listen("client", "server")
		req := Message{Header: Header{Version: Version2, Primitive: FloorRequest, ConferenceID: testConf,
			TransactionID: 9, UserID: testUser}, Attributes: []Attribute{NewUint16(FloorID, testFloor),
			NewText(ParticipantProvidedInfo, "a long enough participant provided info to need three fragments")}}
		frags, err := Fragments(&req, 32)
		if err != nil || len(frags) < 3 {
			t.Fatalf("%d %v", len(frags), err)
		}
		for i := len(frags) - 1; i >= 0; i-- {
			cc.Write(frags[i])
		}
		buf := make([]byte, 1500)
		n, _ := cc.Read(buf)
		var resp Message
		if _, err := resp.Unmarshal(buf[:n]); err != nil || resp.Primitive != FloorRequestStatus || resp.TransactionID != 9 {
			t.Fatalf("%v %v", resp, err)
		}
		a, _ := resp.Find(FloorRequestInformation)
		if r := ParseRequestInfo(a); r.Status != StatusGranted || r.Info != "a long enough participant provided info to need three fragments" {
			t.Fatalf("%+v", r)
		}
		big := Message{Header: Header{Version: Version2, Primitive: FloorRequest, ConferenceID: testConf,
			TransactionID: 10, UserID: testUser, Fragment: true, PayloadLength: 1000}, FragmentData: make([]byte, 8)}
		b, _ := big.Marshal()
		cc.Write(b)
		n, _ = cc.Read(buf)
		if _, err := resp.Unmarshal(buf[:n]); err != nil || resp.Primitive != Error || resp.TransactionID != 10 {
			t.Fatalf("%v %v", resp, err)
		}
		if a, _ := resp.Find(ErrorCodeAttr); a.Value[0] != byte(ErrIncorrectLength) {
			t.Fatalf("%+v", resp.Attributes)
		}
	})
}

// TestUDPVersion1Peer: an RFC 4582-style peer speaking version 1 over UDP
// gets version 1 answers and notifications with Transaction ID 0, which it
// cannot acknowledge, so they are sent once and the peer is not declared
// dead for missing Acks.
func TestUDPVersion1Peer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFloors(pending)
		srv, mn, spc := memServer(t, Config{ConferenceID: testConf, FloorIDs: []uint16{testFloor}, Floors: f})
		var notes atomic.Int64
		spc.drop = func(b []byte) bool {
			if b[1] == byte(FloorRequestStatus) && b[8] == 0 && b[9] == 0 {
				notes.Add(1)
			}
			return false
		}
		cc := mn.listen("client", "server")
		cl := NewClient(cc, ClientConfig{ConferenceID: testConf, UserID: testUser, Version: Version1})
		defer cl.Close()
		r, err := cl.RequestFloor(t.Context(), testFloor)
		if err != nil {
			t.Fatal(err)
		}
		srv.Grant(r.ID)
		m := <-cl.Notifications()
		if m.Version != Version1 || m.TransactionID != 0 || noteStatus(t, m).Status != StatusGranted {
			t.Fatalf("%v", m)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if notes.Load() != 1 {
			t.Fatalf("version 1 notification sent %d times", notes.Load())
		}
		if got := srv.Requests(); len(got) != 1 || got[0].Status != StatusGranted {
			t.Fatalf("requests %+v: peer dropped", got)
		}
	})
}
