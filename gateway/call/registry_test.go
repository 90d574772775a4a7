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
