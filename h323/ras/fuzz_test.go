package ras

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// seedRequests are valid requests of every kind the gatekeeper handles.
func seedRequests(t testing.TB) [][]byte {
	ep := endpoint(roomA, h323ID("room-a"), digits("1001"))
	ep.ID = "0123456789abcdef"
	ka := ep.RegistrationRequest(2, true, 60)
	ka.RegistrationRequest.TerminalAlias = nil
	irr := ep.InfoRequestResponse(9, true)
	irr.InfoRequestResponse.NeedResponse = ptr(true)
	msgs := []*h225.RasMessage{
		ep.GatekeeperRequest(1),
		ep.RegistrationRequest(1, false, 60),
		endpoint(roomB, h323ID("room-b")).RegistrationRequest(1, false, 0),
		ka,
		ep.UnregistrationRequest(3),
		ep.AdmissionRequest(4, 7, call(), []h225.AliasAddress{digits("123456789")}, false, 7680),
		ep.DisengageRequest(5, 7, call(), false),
		ep.LocationRequest(6, []h225.AliasAddress{h323ID("room-b")}),
		{BandwidthRequest: &h225.BandwidthRequest{RequestSeqNum: 7, EndpointIdentifier: ep.ID,
			ConferenceID: h225.ConferenceIdentifier(call().CallID), CallReferenceValue: 7, BandWidth: 100}},
		irr,
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, pdutest.Encode(t, m))
	}
	return out
}

// fuzzLimits keep the caps small so that the fuzzer reaches them.
var fuzzLimits = Limits{MaxRegistrations: 8, RegistrationsPerSource: 3, RequestsPerSecond: 1e6, Burst: 1e6}

// FuzzGatekeeper feeds arbitrary datagrams, from a few sources and with
// time passing, to a live gatekeeper: no panic, every answer within the
// amplification bound, registrations within their caps.
func FuzzGatekeeper(f *testing.F) {
	for _, s := range append(seedRequests(f), pdutest.Seeds(f, pdutest.RAS)...) {
		f.Add(byte(0), byte(0), s)
	}
	clock := newManualClock()
	g, err := NewGatekeeper(Config{Listen: "127.0.0.1:0", CallSignal: []netip.AddrPort{gatewayCS}, OwnsAlias: ownsMeeting,
		Clock: clock, Limits: fuzzLimits, SweepInterval: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { g.Close() })
	f.Fuzz(func(t *testing.T, source, elapse byte, b []byte) {
		clock.Advance(time.Duration(elapse) * time.Second)
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 2 + source%6}), 1719+uint16(source/6%2))
		reply := g.datagram(b, src)
		if len(reply) > len(b)+MaxReplyGrowth {
			t.Fatalf("answer of %d octets to %d", len(reply), len(b))
		}
		if reply != nil {
			var m h225.RasMessage
			if err := m.Unmarshal(reply); err != nil {
				t.Fatalf("our answer does not decode: %v", err)
			}
		}
		checkCaps(t, g)
	})
}

func checkCaps(t *testing.T, g *Gatekeeper) {
	regs := g.Registrations()
	if len(regs) > fuzzLimits.MaxRegistrations {
		t.Fatalf("%d registrations", len(regs))
	}
	per := map[netip.Addr]int{}
	for _, r := range regs {
		if per[r.Source.Addr()]++; per[r.Source.Addr()] > fuzzLimits.RegistrationsPerSource {
			t.Fatalf("%d registrations from %v", per[r.Source.Addr()], r.Source.Addr())
		}
		if len(r.Aliases) > 16 || len(r.CallSignal) == 0 || len(r.CallSignal) > maxAddresses {
			t.Fatalf("registration %+v", r)
		}
	}
}

// TestHostileDatagrams sends garbage, truncated and flipped requests and
// oversized datagrams over real sockets from several sources, then checks
// the gatekeeper still answers, its caps held, and Close leaves no
// goroutine behind.
func TestHostileDatagrams(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := newManualClock()
	g, err := NewGatekeeper(Config{Listen: "127.0.0.1:0", Clock: clock, Limits: fuzzLimits, CallSignal: []netip.AddrPort{gatewayCS}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	seeds := append(seedRequests(t), pdutest.Seeds(t, pdutest.RAS)...)
	rng := rand.New(rand.NewPCG(1, 2))
	var peers []*udpPeer
	for i := range 4 {
		peers = append(peers, newPeer(t, netip.AddrFrom4([4]byte{127, 0, 0, byte(20 + i)}).String(), g.Addr()))
	}
	// Everything a socket sent before a probe GRQ is read before it (one
	// reader): its answer means the batch was processed, and pacing the
	// flood by batches keeps it within the socket buffer.
	probe := newPeer(t, "127.0.0.30", g.Addr())
	probeSeq := int64(0)
	roundTrip := func() {
		probeSeq++
		probe.send(endpoint("127.0.0.30").GatekeeperRequest(probeSeq))
		for {
			ans := probe.recv()
			if ans.GatekeeperConfirm != nil && int64(ans.GatekeeperConfirm.RequestSeqNum) == probeSeq {
				return
			}
		}
	}
	sent := 0
	for i := range 2000 {
		p := peers[i%len(peers)]
		b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		switch i % 4 {
		case 0: // flip bits
			for range 1 + rng.IntN(4) {
				b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
			}
		case 1: // truncate
			b = b[:rng.IntN(len(b))]
		case 2: // random bytes
			b = make([]byte, rng.IntN(300))
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
		}
		if i == 7 {
			b = make([]byte, maxDatagram+500)
		}
		p.sendRaw(b)
		sent++
		if i%50 == 49 {
			roundTrip()
		}
	}
	roundTrip()
	if s := g.Stats(); s.Received < uint64(sent) || s.Malformed == 0 {
		t.Errorf("stats %+v after %d datagrams", s, sent)
	}
	checkCaps(t, g)
	g.Close()
	for _, p := range peers {
		p.conn.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}
