package control

import (
	"reflect"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
)

type fixedRand uint32

func (f fixedRand) Uint32() uint32 { return uint32(f) }

// outNames splits an outbox into sent message names and event type names.
func outNames(o *outbox) (msgs, events []string) {
	for _, x := range o.q {
		if x.Msg != nil {
			msgs = append(msgs, msgName(x.Msg))
		} else {
			events = append(events, reflect.TypeOf(x.Event).Name())
		}
	}
	return msgs, events
}

func msdReq(tt, n int64) *h245.MasterSlaveDetermination {
	return &h245.MasterSlaveDetermination{TerminalType: tt, StatusDeterminationNumber: n}
}

func msdAck(master bool) *h245.MasterSlaveDeterminationAck {
	return h245.NewMasterSlaveDeterminationAck(master).Response.MasterSlaveDeterminationAck
}

func TestMSDTransitions(t *testing.T) {
	const ours = 0x100000 // the number fixedRand draws
	type fields struct {
		state  msdState
		status msdStatus
		count  int
	}
	tests := []struct {
		name   string
		from   fields
		input  func(m *msd, o *outbox)
		to     msdState
		status msdStatus
		msgs   []string
		events []string
	}{
		{"idle->start->outgoing-awaiting-response", fields{msdIdle, msdIndeterminate, 0},
			func(m *msd, o *outbox) { m.start(t0, o) }, msdOutgoing, msdIndeterminate,
			[]string{"masterSlaveDetermination"}, nil},
		{"idle->MSD(lower type)->incoming-awaiting-response", fields{msdIdle, msdIndeterminate, 0},
			func(m *msd, o *outbox) { m.onRequest(t0, msdReq(50, 7), o) }, msdIncoming, msdMaster,
			[]string{"masterSlaveDeterminationAck"}, nil},
		{"idle->MSD(identical)->idle", fields{msdIdle, msdIndeterminate, 0},
			func(m *msd, o *outbox) { m.onRequest(t0, msdReq(190, ours), o) }, msdIdle, msdIndeterminate,
			[]string{"masterSlaveDeterminationReject"}, nil},
		{"idle->MSDAck->idle", fields{msdIdle, msdIndeterminate, 0},
			func(m *msd, o *outbox) { m.onAck(msdAck(true), o) }, msdIdle, msdIndeterminate, nil, nil},
		{"outgoing-awaiting-response->MSDAck->idle", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.onAck(msdAck(true), o) }, msdIdle, msdMaster,
			[]string{"masterSlaveDeterminationAck"}, []string{"MasterSlave"}},
		{"outgoing-awaiting-response->MSD(higher type)->incoming-awaiting-response", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.onRequest(t0, msdReq(200, 1), o) }, msdIncoming, msdSlave,
			[]string{"masterSlaveDeterminationAck"}, nil},
		{"outgoing-awaiting-response->MSD(identical)->outgoing-awaiting-response", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.onRequest(t0, msdReq(190, ours), o) }, msdOutgoing, msdIndeterminate,
			[]string{"masterSlaveDetermination"}, nil},
		{"outgoing-awaiting-response->MSD(identical, N100 reached)->idle", fields{msdOutgoing, msdIndeterminate, 3},
			func(m *msd, o *outbox) { m.onRequest(t0, msdReq(190, ours), o) }, msdIdle, msdIndeterminate,
			nil, []string{"Failure"}},
		{"outgoing-awaiting-response->MSDReject->outgoing-awaiting-response", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.onReject(t0, o) }, msdOutgoing, msdIndeterminate,
			[]string{"masterSlaveDetermination"}, nil},
		{"outgoing-awaiting-response->MSDRelease->idle", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.onRelease(o) }, msdIdle, msdIndeterminate, nil, []string{"Failure"}},
		{"outgoing-awaiting-response->T106->idle", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.tick(t0.Add(time.Minute), o) }, msdIdle, msdIndeterminate,
			[]string{"masterSlaveDeterminationRelease"}, []string{"Failure"}},
		{"outgoing-awaiting-response->early tick->outgoing-awaiting-response", fields{msdOutgoing, msdIndeterminate, 1},
			func(m *msd, o *outbox) { m.tick(t0.Add(time.Second), o) }, msdOutgoing, msdIndeterminate, nil, nil},
		{"incoming-awaiting-response->MSDAck->idle", fields{msdIncoming, msdMaster, 1},
			func(m *msd, o *outbox) { m.onAck(msdAck(true), o) }, msdIdle, msdMaster, nil, []string{"MasterSlave"}},
		{"incoming-awaiting-response->MSDAck(contradicting)->idle", fields{msdIncoming, msdMaster, 1},
			func(m *msd, o *outbox) { m.onAck(msdAck(false), o) }, msdIdle, msdIndeterminate, nil, []string{"Failure"}},
		{"incoming-awaiting-response->MSD->idle", fields{msdIncoming, msdMaster, 1},
			func(m *msd, o *outbox) { m.onRequest(t0, msdReq(50, 1), o) }, msdIdle, msdIndeterminate, nil, []string{"Failure"}},
		{"incoming-awaiting-response->MSDReject->idle", fields{msdIncoming, msdMaster, 1},
			func(m *msd, o *outbox) { m.onReject(t0, o) }, msdIdle, msdIndeterminate, nil, []string{"Failure"}},
		{"incoming-awaiting-response->T106->idle", fields{msdIncoming, msdMaster, 1},
			func(m *msd, o *outbox) { m.tick(t0.Add(time.Minute), o) }, msdIdle, msdIndeterminate,
			[]string{"masterSlaveDeterminationRelease"}, []string{"Failure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &msd{state: tt.from.state, status: tt.from.status, count: tt.from.count, terminalType: 190,
				number: ours, n100: 3, t106: 30 * time.Second, rand: fixedRand(ours), deadline: t0.Add(30 * time.Second)}
			if m.state == msdIdle {
				m.deadline = time.Time{}
			}
			var o outbox
			tt.input(m, &o)
			msgs, events := outNames(&o)
			if m.state != tt.to || m.status != tt.status {
				t.Errorf("state %s status %d, want %s status %d", m.state, m.status, tt.to, tt.status)
			}
			if !reflect.DeepEqual(msgs, tt.msgs) || !reflect.DeepEqual(events, tt.events) {
				t.Errorf("sent %v events %v, want %v %v", msgs, events, tt.msgs, tt.events)
			}
		})
	}
}

// TestMSDDecide checks H.245 §8.2's comparison: terminal types first, then
// (remote − local) mod 2^24 against 2^23.
func TestMSDDecide(t *testing.T) {
	tests := []struct {
		name         string
		local, their int64
		tt           int64
		want         msdStatus
	}{
		{"higher type is master", 5, 5, 50, msdMaster},
		{"lower type is slave", 5, 5, 200, msdSlave},
		{"equal numbers indeterminate", 5, 5, 190, msdIndeterminate},
		{"half way indeterminate", 0, 1 << 23, 190, msdIndeterminate},
		{"difference below 2^23: master", 10, 11, 190, msdMaster},
		{"difference above 2^23: slave", 11, 10, 190, msdSlave},
		{"wraps modulo 2^24", 0xfffff0, 0x10, 190, msdMaster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &msd{terminalType: 190, number: tt.local}
			if got := m.decide(msdReq(tt.tt, tt.their)); got != tt.want {
				t.Errorf("decide = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestMSDBothIndeterminateThenDecide wires two sessions of the same type
// whose first numbers collide: the retry decides.
func TestMSDBothIndeterminateThenDecide(t *testing.T) {
	seq := &seqRand{vals: []uint32{42, 42, 1000}}
	seq2 := &seqRand{vals: []uint32{42, 42, 5}}
	a := newEnd("a", Config{Rand: seq, RTDInterval: -1, Local: localAt("127.0.0.1", 4000)})
	b := newEnd("b", Config{Rand: seq2, RTDInterval: -1, Local: localAt("127.0.0.2", 4000)})
	a.s.Start(t0)
	b.s.Start(t0)
	wire(t, t0, a, b)
	ma, oka := a.s.Master()
	mb, okb := b.s.Master()
	if !oka || !okb || ma == mb {
		t.Fatalf("a master=%v (%v), b master=%v (%v): want one master after the retry", ma, oka, mb, okb)
	}
	if f := append(failures(a.events), failures(b.events)...); len(f) > 0 {
		t.Fatal(f)
	}
}

type seqRand struct {
	vals []uint32
	i    int
}

func (s *seqRand) Uint32() uint32 {
	v := s.vals[min(s.i, len(s.vals)-1)]
	s.i++
	return v
}
