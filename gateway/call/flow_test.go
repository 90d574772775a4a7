package call

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/roomgate/roomgate/gateway/ivr"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/transcode/media"
)

// fakeLeg records what the flow did to a call.
type fakeLeg struct {
	mu       sync.Mutex
	info     Info
	plan     media.Plan // what Negotiate returns
	late     media.Plan // what Answer returns when plan is empty
	negErr   error
	answered bool
	rejected *Refusal
	hungUp   []string
	events   Events
	done     chan struct{}
	doneOnce sync.Once
}

func newFakeLeg(dialled ...string) *fakeLeg {
	return &fakeLeg{
		info: Info{Leg: "test-in", Protocol: "sip", ProtocolID: "p1", Source: netip.MustParseAddrPort("127.0.0.1:5062"),
			Dialled: dialled, Caller: "Room"},
		plan: media.Plan{Streams: []media.Stream{{Role: media.RoleAudio, Codec: media.PCMU}}},
		done: make(chan struct{}),
	}
}

func (l *fakeLeg) end() { l.doneOnce.Do(func() { close(l.done) }) }

func (l *fakeLeg) HangUp(reason string) error {
	l.mu.Lock()
	l.hungUp = append(l.hungUp, reason)
	l.mu.Unlock()
	l.end()
	return nil
}
func (l *fakeLeg) RequestKeyframe(context.Context) error { return nil }
func (l *fakeLeg) Close()                                {}
func (l *fakeLeg) SetEvents(e Events)                    { l.mu.Lock(); l.events = e; l.mu.Unlock() }
func (l *fakeLeg) Done() <-chan struct{}                 { return l.done }
func (l *fakeLeg) EndReason() string                     { return "test" }
func (l *fakeLeg) Info() Info                            { return l.info }
func (l *fakeLeg) Negotiate(media.Local) (media.Plan, error) {
	return l.plan, l.negErr
}
func (l *fakeLeg) Ringing() error { return nil }
func (l *fakeLeg) Answer(context.Context) (media.Plan, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered = true
	if len(l.plan.Streams) == 0 {
		return l.late, nil
	}
	return l.plan, nil
}
func (l *fakeLeg) Reject(r Refusal, _ string) error {
	l.mu.Lock()
	l.rejected = &r
	l.mu.Unlock()
	l.end()
	return nil
}

func (l *fakeLeg) digit(d byte) {
	l.mu.Lock()
	on := l.events.OnDigit
	l.mu.Unlock()
	on(d)
}

// fakeMedia stands in for the media bridge.
type fakeMedia struct {
	mu      sync.Mutex
	started *media.Plan
	joined  string
	played  []ivr.Prompt
	closed  bool
	onEnded func()
}

func (m *fakeMedia) Local() media.Local { return media.Local{} }
func (m *fakeMedia) Start(p media.Plan, _ netip.AddrPort, _ func(byte), _ func()) error {
	m.mu.Lock()
	m.started = &p
	m.mu.Unlock()
	return nil
}
func (m *fakeMedia) Update(media.Plan) error { return nil }
func (m *fakeMedia) KeyframeFromRoom()       {}
func (m *fakeMedia) LimitVideo(int)          {}
func (m *fakeMedia) Play(ps ...ivr.Prompt) {
	m.mu.Lock()
	m.played = append(m.played, ps...)
	m.mu.Unlock()
}
func (m *fakeMedia) Silence()      {}
func (m *fakeMedia) Playing() bool { return false }
func (m *fakeMedia) Join(_ context.Context, adm api.RoomSystemAdmission, id string) error {
	m.mu.Lock()
	m.joined = id + "/" + adm.Identity
	m.mu.Unlock()
	return nil
}
func (m *fakeMedia) OnEnded(f func()) { m.onEnded = f }
func (m *fakeMedia) Ended() string    { return "" }
func (m *fakeMedia) Close()           { m.mu.Lock(); m.closed = true; m.mu.Unlock() }

// fakeMeetings has meetings by ID with their password ("" none), a locked set and
// a waiting room.
type fakeMeetings struct {
	pw      map[string]string
	locked  map[string]bool
	waiting bool
	limited bool
}

func (f *fakeMeetings) MeetingInfo(_ context.Context, id string) (bool, bool) {
	pw, ok := f.pw[id]
	return ok, pw != ""
}
func (f *fakeMeetings) CheckRoomSystemPIN(_ context.Context, id, pin string, _ netip.Addr) error {
	if f.limited {
		return api.ErrRateLimited
	}
	if f.pw[id] != pin {
		return api.ErrWrongPassword
	}
	return nil
}
func (f *fakeMeetings) JoinRoomSystem(_ context.Context, j api.RoomSystemJoin) (api.RoomSystemAdmission, error) {
	if _, ok := f.pw[j.MeetingID]; !ok {
		return api.RoomSystemAdmission{}, api.ErrMeetingNotFound
	}
	if f.pw[j.MeetingID] != j.PIN {
		return api.RoomSystemAdmission{}, api.ErrWrongPassword
	}
	if f.locked[j.MeetingID] {
		return api.RoomSystemAdmission{}, api.ErrLocked
	}
	if f.waiting {
		return api.RoomSystemAdmission{Ticket: "t1"}, nil
	}
	return api.RoomSystemAdmission{Identity: "rs-" + j.Kind}, nil
}
func (f *fakeMeetings) WaitAdmission(context.Context, string, string) (api.RoomSystemAdmission, error) {
	return api.RoomSystemAdmission{}, api.ErrDenied
}
func (f *fakeMeetings) AdmitInvited(_ context.Context, j api.RoomSystemJoin) (api.RoomSystemAdmission, error) {
	return f.JoinRoomSystem(context.Background(), api.RoomSystemJoin{MeetingID: j.MeetingID, Kind: j.Kind, PIN: f.pw[j.MeetingID]})
}

func testFlow(m *fakeMeetings, fm *fakeMedia, mediaErr error) *Flow {
	return &Flow{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Meetings: m, Registry: NewRegistry(),
		NewMedia: func(*slog.Logger, Peer) (Media, error) {
			if mediaErr != nil {
				return nil, mediaErr
			}
			return fm, nil
		}}
}

// Refusals before the answer reach the leg as neutral refusals.
func TestInboundRefusals(t *testing.T) {
	meetings := func() *fakeMeetings {
		return &fakeMeetings{pw: map[string]string{"123456789": "", "223456789": "654321", "323456789": ""},
			locked: map[string]bool{"323456789": true}}
	}
	cases := []struct {
		name     string
		dialled  string
		mod      func(*fakeMeetings, *fakeLeg)
		mediaErr error
		want     Refusal
	}{
		{"unknown meeting->NotFound", "923456789", nil, nil, NotFound},
		{"locked meeting->Locked", "323456789", nil, nil, Locked},
		{"banned source->RateLimited", "223456789#111111", func(m *fakeMeetings, _ *fakeLeg) { m.limited = true }, nil, RateLimited},
		{"no ports->NoMediaPorts", "123456789", nil, errors.New("exhausted"), NoMediaPorts},
		{"no common codec->NotAcceptable", "123456789", func(_ *fakeMeetings, l *fakeLeg) {
			l.negErr = Refuse(NotAcceptable, errors.New("no codec"))
		}, nil, NotAcceptable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, fm := meetings(), &fakeMedia{}
			leg := newFakeLeg(tc.dialled)
			if tc.mod != nil {
				tc.mod(m, leg)
			}
			f := testFlow(m, fm, tc.mediaErr)
			f.Inbound(context.Background(), leg)
			if leg.rejected == nil || *leg.rejected != tc.want {
				t.Fatalf("rejected = %v, want %v", leg.rejected, tc.want)
			}
			if leg.answered {
				t.Error("refused call was answered")
			}
		})
	}
}

// A call with its meeting and hardware password is answered, joined and hung up.
func TestInboundJoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &fakeMeetings{pw: map[string]string{"223456789": "654321"}}
		fm := &fakeMedia{}
		f := testFlow(m, fm, nil)
		leg := newFakeLeg("223456789#654321")
		done := make(chan struct{})
		go func() { f.Inbound(context.Background(), leg); close(done) }()
		synctest.Wait()
		fm.mu.Lock()
		joined := fm.joined
		fm.mu.Unlock()
		if joined != "223456789/rs-sip" {
			t.Fatalf("joined %q", joined)
		}
		leg.end() // the room system hangs up
		<-done
		if !fm.closed {
			t.Error("media not closed")
		}
		calls := f.Registry.calls
		if len(calls) != 1 {
			t.Fatalf("%d calls registered", len(calls))
		}
		for _, e := range calls {
			if e.info.State != api.CallEnded || e.info.MeetingID != "223456789" || e.info.Direction != "in" {
				t.Errorf("record %+v", e.info)
			}
		}
	})
}

// Without a meeting ID the IVR asks for it; digits come from the leg.
func TestInboundIVR(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &fakeMeetings{pw: map[string]string{"123456789": ""}}
		fm := &fakeMedia{}
		f := testFlow(m, fm, nil)
		leg := newFakeLeg("ivr")
		done := make(chan struct{})
		go func() { f.Inbound(context.Background(), leg); close(done) }()
		synctest.Wait()
		for _, d := range []byte("123456789#") {
			leg.digit(d)
			synctest.Wait()
		}
		fm.mu.Lock()
		joined, played := fm.joined, slices.Clone(fm.played)
		fm.mu.Unlock()
		if joined != "123456789/rs-sip" {
			t.Fatalf("joined %q after the IVR (played %v)", joined, played)
		}
		if len(played) == 0 || played[0] != ivr.Welcome {
			t.Errorf("prompts %v", played)
		}
		leg.end()
		<-done
	})
}

// The IVR gives up after its digit timeout and hangs up.
func TestInboundIVRTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := testFlow(&fakeMeetings{}, &fakeMedia{}, nil)
		leg := newFakeLeg("")
		f.Inbound(context.Background(), leg)
		if len(leg.hungUp) != 1 || leg.hungUp[0] != "IVR: no valid meeting or password" {
			t.Errorf("hang-ups %v", leg.hungUp)
		}
	})
}

// A waiting room that does not admit ends the call.
func TestInboundWaitingRoomDenied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &fakeMeetings{pw: map[string]string{"123456789": ""}, waiting: true}
		fm := &fakeMedia{}
		leg := newFakeLeg("123456789")
		testFlow(m, fm, nil).Inbound(context.Background(), leg)
		if len(leg.hungUp) != 1 || leg.hungUp[0] != "not admitted" || fm.joined != "" {
			t.Errorf("hang-ups %v, joined %q", leg.hungUp, fm.joined)
		}
		if !slices.Contains(fm.played, ivr.Waiting) {
			t.Errorf("prompts %v: no waiting-room prompt", fm.played)
		}
	})
}

// Media agreed only after the answer (offer-less INVITE) is admitted then.
func TestInboundLateMedia(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &fakeMeetings{pw: map[string]string{"123456789": ""}}
		fm := &fakeMedia{}
		leg := newFakeLeg("123456789")
		leg.late, leg.plan = leg.plan, media.Plan{}
		f := testFlow(m, fm, nil)
		done := make(chan struct{})
		go func() { f.Inbound(context.Background(), leg); close(done) }()
		synctest.Wait()
		fm.mu.Lock()
		started, joined := fm.started, fm.joined
		fm.mu.Unlock()
		if started == nil || len(started.Streams) != 1 || joined == "" {
			t.Errorf("started %v, joined %q", started, joined)
		}
		leg.end()
		<-done
	})
}
