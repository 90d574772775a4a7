package control

import (
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
)

// exchange runs a whole TCS + MSD + OLC exchange between a gateway and an
// endpoint session; viaPER encodes and decodes every message on the way,
// as the call does.
func exchange(b *testing.B, viaPER bool) {
	gw := New(Config{Local: localAt("127.0.0.1", 4000), Rand: seeded(1), RTDInterval: -1})
	ep := New(Config{Local: localAt("127.0.0.2", 6000), Rand: seeded(2), TerminalType: 50, RTDInterval: -1})
	gw.Start(t0)
	ep.Start(t0)
	var buf []Output
	var opened int
	for range 50 {
		moved := false
		for _, p := range [2][2]*Session{{gw, ep}, {ep, gw}} {
			buf = p[0].Drain(buf[:0])
			for _, o := range buf {
				if ic, ok := o.Event.(IncomingChannel); ok {
					l := localAt("127.0.0.1", 4000)
					if err := p[0].AcceptChannel(t0, ic.Number, l.RTP(ic.Role), l.RTCP(ic.Role)); err != nil {
						b.Fatal(err)
					}
					opened++
					moved = true
				}
				if o.Msg == nil {
					continue
				}
				m := o.Msg
				if viaPER {
					data, err := m.Marshal()
					if err != nil {
						b.Fatal(err)
					}
					m = &h245.MultimediaSystemControlMessage{}
					if err := m.Unmarshal(data); err != nil {
						b.Fatal(err)
					}
				}
				p[1].Handle(t0, m)
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	if opened != 4 {
		b.Fatalf("%d channels opened, want 4", opened)
	}
}

// BenchmarkExchange: a call's whole H.245 start between two sessions
// (both sides' work), with every message through PER.
func BenchmarkExchange(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		exchange(b, true)
	}
}

// BenchmarkExchangeNoPER is the state machines' share alone.
func BenchmarkExchangeNoPER(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		exchange(b, false)
	}
}

// BenchmarkTokenRound: the gateway takes the presentation token toward a
// connected endpoint and gives it back: content OLC and Ack, request,
// grant, indicateOwner, release, CLC and Ack, through PER, both sides'
// work.
func BenchmarkTokenRound(b *testing.B) {
	gw, ep := pair(b)
	connect(b, gw, ep)
	b.ReportAllocs()
	for b.Loop() {
		if err := gw.s.RequestToken(t0); err != nil {
			b.Fatal(err)
		}
		wire(b, t0, gw, ep)
		if gw.s.Token() != TokenLocal {
			b.Fatal("token not granted")
		}
		if err := gw.s.ReleaseToken(t0); err != nil {
			b.Fatal(err)
		}
		wire(b, t0, gw, ep)
		gw.events, ep.events, gw.sent, ep.sent = gw.events[:0], ep.events[:0], gw.sent[:0], ep.sent[:0]
	}
}
