package control

import (
	"testing"
	"time"
)

// wireRewrite is wire with the endpoint's OpenLogicalChannelAcks carrying
// session 32 + n, as Tandberg MXP sends them.
func wireRewrite(t *testing.T, now time.Time, gw, ep *end) {
	t.Helper()
	n := int64(32)
	for range 100 {
		moved := false
		for _, o := range ep.s.Drain(nil) {
			if o.Event != nil {
				if ic, ok := o.Event.(IncomingChannel); ok {
					if err := ep.s.AcceptChannel(now, ic.Number, ep.local.RTP(ic.Role), ep.local.RTCP(ic.Role)); err != nil {
						t.Fatal(err)
					}
					moved = true
				}
				continue
			}
			m := roundTrip(t, o.Msg)
			if r := m.Response; r != nil && r.OpenLogicalChannelAck != nil {
				p := r.OpenLogicalChannelAck.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters
				s := n
				n++
				p.SessionID = &s
			}
			gw.s.Handle(now, m)
			moved = true
		}
		for _, o := range gw.s.Drain(nil) {
			if o.Event != nil {
				gw.events = append(gw.events, o.Event)
				if ic, ok := o.Event.(IncomingChannel); ok {
					if err := gw.s.AcceptChannel(now, ic.Number, gw.local.RTP(ic.Role), gw.local.RTCP(ic.Role)); err != nil {
						t.Fatal(err)
					}
					moved = true
				}
				continue
			}
			ep.s.Handle(now, roundTrip(t, o.Msg))
			moved = true
		}
		if !moved {
			return
		}
	}
	t.Fatal("never quiet")
}
