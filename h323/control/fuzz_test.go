package control

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
	"github.com/roomgate/roomgate/transcode/media"
)

// frames joins messages as the fuzz input: per message one control octet
// (bit 0: tick before it, bit 1: accept incoming channels, bit 2: reject
// them, the rest: seconds to advance), a 16-bit length and PER bytes.
func frames(msgs ...[]byte) []byte {
	var out []byte
	for i, m := range msgs {
		out = append(out, byte(i%8)<<3|2)
		out = binary.BigEndian.AppendUint16(out, uint16(len(m)))
		out = append(out, m...)
	}
	return out
}

// remoteScript is what a simulated room system sends in a whole call,
// captured from a back-to-back run.
func remoteScript(tb testing.TB) [][]byte {
	gw, ep := pair(tb)
	var script [][]byte
	gw.s.Start(t0)
	ep.s.Start(t0)
	for range 20 {
		for _, o := range ep.s.Drain(nil) {
			if ic, ok := o.Event.(IncomingChannel); ok {
				_ = ep.s.AcceptChannel(t0, ic.Number, ep.local.RTP(ic.Role), ep.local.RTCP(ic.Role))
			}
			if o.Msg != nil {
				b, err := o.Msg.Marshal()
				if err != nil {
					tb.Fatal(err)
				}
				script = append(script, b)
				gw.s.Handle(t0, o.Msg)
			}
		}
		for _, o := range gw.s.Drain(nil) {
			if ic, ok := o.Event.(IncomingChannel); ok {
				_ = gw.s.AcceptChannel(t0, ic.Number, gw.local.RTP(ic.Role), gw.local.RTCP(ic.Role))
			}
			if o.Msg != nil {
				ep.s.Handle(t0, o.Msg)
			}
		}
	}
	ep.s.Hold(t0)
	ep.s.Resume(t0)
	_ = ep.s.RequestFastUpdate(media.RoleMain)
	ep.s.SendUserInput("123#", time.Second)
	ep.s.End()
	for _, o := range ep.s.Drain(nil) {
		if o.Msg != nil {
			b, _ := o.Msg.Marshal()
			script = append(script, b)
		}
	}
	return script
}

// contentScript is what a simulated room system sends while it presents,
// is asked for the token back and presents again, captured from a
// back-to-back run: capability sets with H.239, content OLCs and Acks, the
// token messages.
func contentScript(tb testing.TB) [][]byte {
	gw, ep := pair(tb)
	var script [][]byte
	ep.tap = func(b []byte) { script = append(script, b) }
	connect(tb, gw, ep)
	for _, step := range []func(){
		func() { _ = ep.s.RequestToken(t0) },
		func() { _ = gw.s.RevokeToken(t0) },
		func() { _ = gw.s.RequestToken(t0) },
		func() { _ = ep.s.RequestToken(t0) },
		func() { _ = ep.s.ReleaseToken(t0) },
	} {
		step()
		wire(tb, t0, gw, ep)
	}
	for k := h239.FlowControlReleaseRequest; k <= h239.PresentationTokenIndicateOwner; k++ {
		m, err := h239.Message{Kind: k, ChannelID: 1, SymmetryBreaking: 64, Acknowledge: true}.MultimediaSystemControlMessage()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := m.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		script = append(script, b)
	}
	return script
}

func FuzzSession(f *testing.F) {
	f.Add(frames(remoteScript(f)...))
	f.Add(frames(contentScript(f)...))
	var capture [][]byte
	for _, s := range pdutest.Seeds(f, pdutest.H245) {
		capture = append(capture, s)
		f.Add(frames(s))
	}
	f.Add(frames(capture...))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := New(Config{Local: localAt("127.0.0.1", 4000), Rand: seeded(7), Quirks: Quirks{NoReproposeAfterConflict: len(in)%2 == 0}})
		now := t0
		s.Start(now)
		check := func(ctl byte) {
			outs := s.Drain(nil)
			if len(outs) > 64 {
				t.Fatalf("%d outputs for one input", len(outs))
			}
			for _, o := range outs {
				if (o.Msg == nil) == (o.Event == nil) {
					t.Fatalf("output with %v message and %v event", o.Msg != nil, o.Event != nil)
				}
				if o.Msg != nil {
					if _, err := o.Msg.Marshal(); err != nil {
						t.Fatalf("a message we send does not encode: %v", err)
					}
				}
				if ic, ok := o.Event.(IncomingChannel); ok && ctl&2 != 0 {
					_ = s.AcceptChannel(now, ic.Number, netipLocal.RTP(ic.Role), netipLocal.RTCP(ic.Role))
				} else if ok && ctl&4 != 0 {
					_ = s.RejectChannel(now, ic.Number, RejectUnspecified)
				}
				if _, ok := o.Event.(TokenRequested); ok && ctl&2 != 0 {
					_ = s.GrantToken(now)
				} else if ok && ctl&4 != 0 {
					_ = s.DenyToken(now)
				}
			}
			if len(s.chans) > maxChannels {
				t.Fatalf("%d channels", len(s.chans))
			}
			// Presenting toward the remote means a content channel to
			// present on.
			if s.Token() == TokenLocal && s.byRole(media.RoleContent, true, chEstablished) == nil {
				t.Fatalf("token held without a content channel (state %s)", s.tok.state)
			}
		}
		check(2)
		for n := 0; len(in) >= 3 && n < 200; n++ {
			ctl, size := in[0], int(binary.BigEndian.Uint16(in[1:3]))
			in = in[3:]
			if size > len(in) {
				size = len(in)
			}
			msg := in[:size]
			in = in[size:]
			now = now.Add(time.Duration(ctl>>3) * time.Second)
			if ctl&1 != 0 {
				s.Tick(now)
				check(ctl)
			}
			var m h245.MultimediaSystemControlMessage
			if m.Unmarshal(msg) != nil {
				continue
			}
			s.Handle(now, &m)
			check(ctl)
			// The call's token actions, at times the input picks.
			switch ctl >> 3 {
			case 29:
				_ = s.RequestToken(now)
			case 30:
				_ = s.ReleaseToken(now)
			case 31:
				_ = s.RevokeToken(now)
			}
			check(ctl)
			_ = s.Plan()
			_, _ = s.NextDeadline()
		}
	})
}

var netipLocal = localAt("127.0.0.1", 4000)

func FuzzAnswerFastStart(f *testing.F) {
	props, err := ProposeFastStart(DefaultCaps(), localAt("127.0.0.2", 6000))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frames(props...))
	f.Fuzz(func(t *testing.T, in []byte) {
		var ps [][]byte
		for len(in) >= 3 && len(ps) < 2*maxProposals {
			size := min(int(binary.BigEndian.Uint16(in[1:3])), len(in)-3)
			ps = append(ps, in[3:3+size])
			in = in[3+size:]
		}
		fs, err := AnswerFastStart(ps, DefaultCaps(), netipLocal)
		if err != nil {
			return
		}
		if len(fs.OLCs) > 4 || len(fs.Channels) != len(fs.OLCs) {
			t.Fatalf("%d answers, %d channels", len(fs.OLCs), len(fs.Channels))
		}
		if _, err := AcceptedFastStart(fs.OLCs, DefaultCaps()); err != nil {
			t.Fatalf("our answers do not read back: %v", err)
		}
	})
}
