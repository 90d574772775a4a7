package call

import (
	"slices"
	"testing"
)

// The meeting's floor, transition by transition: what each step returns and which
// changes the listeners see.
func TestFloor(t *testing.T) {
	type step struct {
		do   func(f *Floor) FloorRefusal
		want FloorRefusal
		seen []string // the changes the step makes listeners see
	}
	req := func(id string) func(*Floor) FloorRefusal { return func(f *Floor) FloorRefusal { return f.Request(id) } }
	act := func(fn func(*Floor)) func(*Floor) FloorRefusal {
		return func(f *Floor) FloorRefusal { fn(f); return FloorAllowed }
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"idle->room-request->room-presents", []step{{req("sip-a"), FloorAllowed, []string{`presenter="sip-a" revoked=""`}}}},
		{"room-presents->browser-shares->room-revoked", []step{
			{req("sip-a"), FloorAllowed, []string{`presenter="sip-a" revoked=""`}},
			{req("web-b"), FloorAllowed, []string{`presenter="web-b" revoked="sip-a"`}}}},
		{"presenting->request-again->no-change", []step{
			{req("h323-c"), FloorAllowed, []string{`presenter="h323-c" revoked=""`}},
			{req("h323-c"), FloorAllowed, nil}}},
		{"presenting->release->idle", []step{
			{req("h323-c"), FloorAllowed, []string{`presenter="h323-c" revoked=""`}},
			{act(func(f *Floor) { f.Release("h323-c") }), FloorAllowed, []string{`presenter="" revoked=""`}}}},
		{"presenting->other-releases->no-change", []step{
			{req("h323-c"), FloorAllowed, []string{`presenter="h323-c" revoked=""`}},
			{act(func(f *Floor) { f.Release("sip-a") }), FloorAllowed, nil}}},
		{"presenting->host-stops->idle-revoked", []step{
			{req("sip-a"), FloorAllowed, []string{`presenter="sip-a" revoked=""`}},
			{act(func(f *Floor) { f.Stop() }), FloorAllowed, []string{`presenter="" revoked="sip-a"`}}}},
		{"presenting->presenter-leaves->idle", []step{
			{req("sip-a"), FloorAllowed, []string{`presenter="sip-a" revoked=""`}},
			{act(func(f *Floor) { f.Leave("sip-a") }), FloorAllowed, []string{`presenter="" revoked=""`}}}},
		{"host-only->room-request->refused", []step{
			{act(func(f *Floor) { f.SetHostOnly(true) }), FloorAllowed, nil},
			{req("sip-a"), FloorHostOnly, nil},
			{req("web-host"), FloorAllowed, []string{`presenter="web-host" revoked=""`}}}},
		{"room-presents->host-only-lock->revoked", []step{
			{req("sip-a"), FloorAllowed, []string{`presenter="sip-a" revoked=""`}},
			{act(func(f *Floor) { f.SetHostOnly(true) }), FloorAllowed, []string{`presenter="" revoked="sip-a"`}}}},
		{"stranger->request->unknown", []step{{req("nobody"), FloorUnknown, nil}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFloor()
			for _, id := range []string{"sip-a", "web-b", "h323-c", "web-host"} {
				f.Join(Presenter{Identity: id, Kind: id[:3]})
			}
			f.SetHost("web-host")
			var seen []string
			stop := f.Watch(func(c FloorChange) { seen = append(seen, c.String()) })
			defer stop()
			seen = nil // the current state on Watch
			for i, s := range tc.steps {
				seen = nil
				if got := s.do(f); got != s.want {
					t.Fatalf("step %d: %q, want %q", i, got, s.want)
				}
				if !slices.Equal(seen, s.seen) {
					t.Fatalf("step %d: listeners saw %q, want %q", i, seen, s.seen)
				}
			}
		})
	}
}

// A room system that starts watching while someone presents learns it at once.
func TestFloorWatchWhilePresenting(t *testing.T) {
	f := NewFloor()
	f.Join(Presenter{Identity: "web-b", Kind: "web"})
	f.Request("web-b")
	var first FloorChange
	stop := f.Watch(func(c FloorChange) { first = c })
	stop()
	if first.Presenter.Identity != "web-b" || first.Presenter.Kind != "web" {
		t.Errorf("first change %v", first)
	}
	f.Release("web-b")
	if first.Presenter.None() {
		t.Error("a stopped watcher still heard a change")
	}
}
