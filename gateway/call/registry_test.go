package call

import (
	"context"
	"fmt"
	"testing"

	"github.com/roomgate/roomgate/rooms/api"
)

// An ended call keeps its record but lets go of its hang-up, which holds the call's
// signalling and media; hanging up an ended call does nothing.
func TestCallRegistryEndedCallReleasesHangup(t *testing.T) {
	r := NewRegistry()
	calls := 0
	id := r.Add(api.CallInfo{MeetingID: "1", State: api.CallRinging}, func(context.Context) error { calls++; return nil })
	if err := r.Hangup(context.Background(), id); err != nil || calls != 1 {
		t.Fatalf("live call: Hangup = %v, hang-ups %d", err, calls)
	}
	r.Update(id, func(ci *api.CallInfo) { ci.State = api.CallEnded })
	if e := r.calls[id]; e.hangup != nil {
		t.Error("ended call still holds its hang-up (and with it the call's media)")
	}
	if err := r.Hangup(context.Background(), id); err != nil || calls != 1 {
		t.Errorf("ended call: Hangup = %v, hang-ups %d (want no new one)", err, calls)
	}
	if ci, ok := r.Call(id); !ok || ci.State != api.CallEnded || ci.EndedAt == nil {
		t.Errorf("ended call record = %+v, %v", ci, ok)
	}
	if err := r.Hangup(context.Background(), "c-unknown"); err == nil {
		t.Error("Hangup of an unknown call succeeded")
	}
}

// A flood of short calls keeps the registry bounded.
func TestCallRegistryBoundsEndedCalls(t *testing.T) {
	r := NewRegistry()
	for i := range maxEnded + 500 {
		id := r.Add(api.CallInfo{MeetingID: fmt.Sprint(i)}, nil)
		r.Update(id, func(ci *api.CallInfo) { ci.State = api.CallEnded })
	}
	live := r.Add(api.CallInfo{MeetingID: "live"}, func(context.Context) error { return nil })
	if n := len(r.calls); n > maxEnded+1 {
		t.Errorf("%d calls kept, want at most %d ended + the live one", n, maxEnded)
	}
	if _, ok := r.Call(live); !ok {
		t.Error("the live call was dropped")
	}
}

// A live call's network diagnostics are found by its participant identity once it is
// in the meeting, and let go when it ends.
func TestCallRegistryNetwork(t *testing.T) {
	r := NewRegistry()
	id := r.Add(api.CallInfo{MeetingID: "1", State: api.CallRinging}, nil)
	reads := 0
	r.SetNetwork(id, func() api.Network { reads++; return api.Network{Profile: "lan"} })
	if _, ok := r.Network("sip-1"); ok {
		t.Fatal("network found before the call has an identity")
	}
	if _, ok := r.Network(""); ok {
		t.Fatal("network found for the empty identity")
	}
	r.Update(id, func(ci *api.CallInfo) { ci.State, ci.Identity = api.CallConnected, "sip-1" })
	if n, ok := r.Network("sip-1"); !ok || n.Profile != "lan" || reads != 1 {
		t.Fatalf("Network = %+v, %v (reads %d)", n, ok, reads)
	}
	r.Update(id, func(ci *api.CallInfo) { ci.State = api.CallEnded })
	if _, ok := r.Network("sip-1"); ok || r.calls[id].network != nil {
		t.Fatal("an ended call still reports (and holds) its network diagnostics")
	}
}

// The OnEnd functions hear once of each ended call, with its last network
// diagnostics, and of refused calls (which the registry does not keep); ActiveCalls
// lists only live calls.
func TestCallRegistryOnEndAndActiveCalls(t *testing.T) {
	r := NewRegistry()
	var ended []api.EndedCall
	r.OnEnd(func(c api.EndedCall) { ended = append(ended, c) })
	live := r.Add(api.CallInfo{MeetingID: "1", Protocol: "sip", Direction: "in", State: api.CallRinging}, nil)
	done := r.Add(api.CallInfo{MeetingID: "2", Protocol: "h323", Direction: "out", State: api.CallCalling}, nil)
	r.SetNetwork(done, func() api.Network { return api.Network{RX: api.Traffic{Packets: 42}} })
	r.Update(live, func(ci *api.CallInfo) { ci.State = api.CallConnected })
	r.Update(done, func(ci *api.CallInfo) { ci.State, ci.Status = api.CallEnded, 200 })
	r.Update(done, func(ci *api.CallInfo) { ci.State = api.CallFailed }) // ignored: already ended
	r.Refused(api.CallInfo{MeetingID: "3", Protocol: "sip", Direction: "in"}, NotFound)

	if len(ended) != 2 {
		t.Fatalf("%d ended calls reported, want 2: %+v", len(ended), ended)
	}
	if e := ended[0]; e.ID != done || e.State != api.CallEnded || e.Status != 200 || e.EndedAt == nil ||
		e.Network == nil || e.Network.RX.Packets != 42 || e.Refusal != "" {
		t.Errorf("ended call = %+v", e)
	}
	if e := ended[1]; e.ID == "" || e.State != api.CallDeclined || e.Refusal != "meeting not found" ||
		e.Reason != "meeting not found" || e.EndedAt == nil || e.StartedAt.IsZero() {
		t.Errorf("refused call = %+v", e)
	}
	if _, ok := r.Call(ended[1].ID); ok {
		t.Error("the registry keeps a refused call")
	}
	active := r.ActiveCalls()
	if len(active) != 1 || active[0].ID != live || active[0].State != api.CallConnected || active[0].AnsweredAt == nil {
		t.Errorf("active calls = %+v", active)
	}
}
