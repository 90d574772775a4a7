package control

import (
	"net/netip"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

var t0 = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

func localAt(ip string, base int) media.Local {
	return media.Local{Addr: netip.MustParseAddr(ip), Ports: map[media.Role]int{media.RoleAudio: base, media.RoleMain: base + 2, media.RoleContent: base + 4}}
}

// end is one side of a back-to-back test: a Session, the events it gave
// and whether it accepts incoming channels by itself.
type end struct {
	name   string
	s      *Session
	local  media.Local
	events []Event
	sent   []string // names of the messages it sent
	accept bool
	mute   bool // drop everything it sends (a dead peer)
	// tap sees the PER bytes of every message it sends.
	tap func(pdu []byte)
	// deny answers the remote's token requests with DenyToken instead of
	// GrantToken; hold leaves them to the test.
	deny, holdToken bool
	// rewrite changes what it sends after PER decoding (a vendor's
	// session IDs, say).
	rewrite func(m *h245.MultimediaSystemControlMessage)
}

func newEnd(name string, cfg Config) *end {
	if cfg.Rand == nil {
		cfg.Rand = seeded(uint64(len(name)) + uint64(name[0]))
	}
	return &end{name: name, s: New(cfg), local: cfg.Local, accept: true}
}

// wire moves messages between a and b through PER (what we build must
// encode, and the peer sees what a decoder gives) until both are quiet.
func wire(t testing.TB, now time.Time, a, b *end) {
	t.Helper()
	for range 100 {
		moved := false
		for _, p := range [][2]*end{{a, b}, {b, a}} {
			from, to := p[0], p[1]
			for _, o := range from.s.Drain(nil) {
				if o.Event != nil {
					from.events = append(from.events, o.Event)
					moved = from.react(t, now, o.Event) || moved
					continue
				}
				from.sent = append(from.sent, msgName(o.Msg))
				if from.mute {
					continue
				}
				moved = true
				to.s.Handle(now, deliver(t, from, o.Msg))
			}
		}
		if !moved {
			return
		}
	}
	t.Fatal("sessions never went quiet")
}

// react does what an end does by itself on an event: accept a channel,
// answer a token request.
func (e *end) react(t testing.TB, now time.Time, ev Event) bool {
	t.Helper()
	switch x := ev.(type) {
	case IncomingChannel:
		if !e.accept {
			return false
		}
		if err := e.s.AcceptChannel(now, x.Number, e.local.RTP(x.Role), e.local.RTCP(x.Role)); err != nil {
			t.Fatalf("%s: accept %d: %v", e.name, x.Number, err)
		}
		return true
	case TokenRequested:
		if e.holdToken {
			return false
		}
		answer := e.s.GrantToken
		if e.deny {
			answer = e.s.DenyToken
		}
		if err := answer(now); err != nil {
			t.Fatalf("%s: answer token request: %v", e.name, err)
		}
		return true
	}
	return false
}

// deliver encodes m, shows the bytes to from's tap, and decodes them.
func deliver(t testing.TB, from *end, m *h245.MultimediaSystemControlMessage) *h245.MultimediaSystemControlMessage {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatalf("encode %s: %v", msgName(m), err)
	}
	if from.tap != nil {
		from.tap(b)
	}
	var out h245.MultimediaSystemControlMessage
	if err := out.Unmarshal(b); err != nil {
		t.Fatalf("decode %s: %v", msgName(m), err)
	}
	if from.rewrite != nil {
		from.rewrite(&out)
	}
	return &out
}

func roundTrip(t testing.TB, m *h245.MultimediaSystemControlMessage) *h245.MultimediaSystemControlMessage {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatalf("encode %s: %v", msgName(m), err)
	}
	var out h245.MultimediaSystemControlMessage
	if err := out.Unmarshal(b); err != nil {
		t.Fatalf("decode %s: %v", msgName(m), err)
	}
	return &out
}

// msgName is the ASN.1 name of a message's alternative, e.g.
// "openLogicalChannelAck".
func msgName(m *h245.MultimediaSystemControlMessage) string {
	b, err := m.Marshal()
	if err != nil {
		return "unencodable"
	}
	var v h245.MultimediaSystemControlMessage
	if v.Unmarshal(b) != nil {
		return "undecodable"
	}
	j, _ := jsonName(&v)
	return j
}

func failures(evs []Event) []string {
	var out []string
	for _, e := range evs {
		if f, ok := e.(Failure); ok {
			out = append(out, f.Reason)
		}
	}
	return out
}

func has[T Event](evs []Event) (T, bool) {
	for _, e := range evs {
		if x, ok := e.(T); ok {
			return x, true
		}
	}
	var zero T
	return zero, false
}

func count[T Event](evs []Event) int {
	n := 0
	for _, e := range evs {
		if _, ok := e.(T); ok {
			n++
		}
	}
	return n
}

func lastPlan(evs []Event) (media.Plan, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if p, ok := evs[i].(PlanChanged); ok {
			return p.Plan, true
		}
	}
	return media.Plan{}, false
}
