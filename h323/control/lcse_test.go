package control

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// ready is a gateway session whose capability exchange and MSD are done
// (against a remote with our own capabilities) and whose channels 1
// (audio, G.722) and 2 (video) await their Acks.
func ready(t *testing.T, master bool, q Quirks) *Session {
	t.Helper()
	s := New(Config{Local: localAt("127.0.0.1", 4000), Rand: seeded(1), Quirks: q, RTDInterval: -1})
	rc, err := ParseTCS(DefaultCaps().TerminalCapabilitySet(1).Request.TerminalCapabilitySet)
	if err != nil {
		t.Fatal(err)
	}
	s.in.remote = rc
	s.newCaps()
	s.msd.done, s.msd.status = true, msdSlave
	if master {
		s.msd.status = msdMaster
	}
	s.after(t0)
	if len(s.chans) != 2 {
		t.Fatalf("ready: %d channels", len(s.chans))
	}
	s.Drain(nil)
	return s
}

func olcAudio(num int64, c media.Codec, session int64) *h245.MultimediaSystemControlMessage {
	olc, err := h245.Channel{Number: num, SessionID: session, DataType: h245.DataType{AudioData: audioCapability(c, 20)},
		RTCP: localAt("127.0.0.2", 6000).RTCP(media.RoleAudio), Audio: true}.OpenLogicalChannel()
	if err != nil {
		panic(err)
	}
	return h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc})
}

func olcAck(num int64, session *int64, withMedia bool) *h245.MultimediaSystemControlMessage {
	m, err := h245.NewOpenLogicalChannelAck(num, 1, localAt("127.0.0.2", 6000).RTP(media.RoleAudio), localAt("127.0.0.2", 6000).RTCP(media.RoleAudio))
	if err != nil {
		panic(err)
	}
	p := m.Response.OpenLogicalChannelAck.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters
	p.SessionID = session
	if !withMedia {
		p.MediaChannel = nil
	}
	return m
}

func olcReject(num int64, c RejectCause) *h245.MultimediaSystemControlMessage {
	return h245.Response(h245.ResponseMessage{OpenLogicalChannelReject: &h245.OpenLogicalChannelReject{
		ForwardLogicalChannelNumber: h245.LogicalChannelNumber(num), Cause: c.cause()}})
}

func accept(s *Session, num int64) {
	l := localAt("127.0.0.1", 4000)
	if err := s.AcceptChannel(t0, num, l.RTP(media.RoleAudio), l.RTCP(media.RoleAudio)); err != nil {
		panic(err)
	}
}

func stateOf(s *Session, num int64, out bool) string {
	if c := s.find(num, out); c != nil {
		return c.state.String()
	}
	return "released"
}

func TestLCSETransitions(t *testing.T) {
	h263 := func() *h245.MultimediaSystemControlMessage {
		m := olcAudio(20, media.PCMU, 2)
		m.Request.OpenLogicalChannel.ForwardLogicalChannelParameters.DataType = h245.DataType{VideoData: &h245.VideoCapability{
			H263VideoCapability: &h245.H263VideoCapability{CifMPI: new(int64(1)), MaxBitRate: 3840}}}
		return m
	}
	bidir := func() *h245.MultimediaSystemControlMessage {
		m := olcAudio(20, media.PCMU, 1)
		m.Request.OpenLogicalChannel.ReverseLogicalChannelParameters = &h245.OpenLogicalChannelReverseLogicalChannelParameters{
			DataType: h245.DataType{AudioData: audioCapability(media.PCMU, 20)}}
		return m
	}
	tests := []struct {
		name   string
		master bool
		quirks Quirks
		input  func(s *Session)
		num    int64 // the channel whose state is checked
		out    bool
		to     string
		msgs   []string
		events []string
		check  func(t *testing.T, s *Session)
	}{
		{name: "awaiting-establishment->OLCAck->established", input: func(s *Session) { s.Handle(t0, olcAck(1, nil, true)) },
			num: 1, out: true, to: "established", events: []string{"PlanChanged"}},
		{name: "awaiting-establishment->OLCAck(session 33)->established", input: func(s *Session) { s.Handle(t0, olcAck(1, new(int64(33)), true)) },
			num: 1, out: true, to: "established", events: []string{"PlanChanged"},
			check: func(t *testing.T, s *Session) {
				if c := s.find(1, true); c.session != 33 {
					t.Errorf("session %d, want the Ack's 33", c.session)
				}
			}},
		{name: "awaiting-establishment->OLCAck(no mediaChannel)->released", input: func(s *Session) { s.Handle(t0, olcAck(1, nil, false)) },
			num: 1, out: true, to: "released", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelRejected"}},
		{name: "awaiting-establishment->OLCReject->released", input: func(s *Session) { s.Handle(t0, olcReject(1, RejectDataTypeNotSupported)) },
			num: 1, out: true, to: "released", events: []string{"ChannelRejected"}},
		{name: "awaiting-establishment->OLCReject(masterSlaveConflict, slave)->released", input: func(s *Session) {
			s.Handle(t0, olcReject(1, RejectMasterSlaveConflict))
		}, num: 1, out: true, to: "released", events: []string{"ChannelRejected"},
			check: func(t *testing.T, s *Session) {
				// The master's PCMU channel comes; ours follows it.
				s.Handle(t0, olcAudio(20, media.PCMU, 1))
				accept(s, 20)
				c := s.byRole(media.RoleAudio, true, chAwaitingAck)
				if c == nil || c.codec != media.PCMU {
					t.Errorf("after the master's channel our audio is %+v, want a new PCMU OLC", c)
				}
			}},
		{name: "awaiting-establishment->T103->released", input: func(s *Session) { s.Tick(t0.Add(time.Hour)) },
			num: 1, out: true, to: "released", msgs: []string{"closeLogicalChannel", "closeLogicalChannel"}, events: []string{"Failure", "Failure"}},
		{name: "established->CloseChannel->awaiting-release", input: func(s *Session) {
			s.Handle(t0, olcAck(1, nil, true))
			s.Drain(nil)
			_ = s.CloseChannel(t0, media.RoleAudio)
		}, num: 1, out: true, to: "awaiting-release", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelClosed", "PlanChanged"}},
		{name: "awaiting-release->CLCAck->released", input: func(s *Session) {
			_ = s.CloseChannel(t0, media.RoleAudio)
			s.Drain(nil)
			s.Handle(t0, h245.Response(h245.ResponseMessage{CloseLogicalChannelAck: &h245.CloseLogicalChannelAck{ForwardLogicalChannelNumber: 1}}))
		}, num: 1, out: true, to: "released"},
		{name: "awaiting-release->T103->released", input: func(s *Session) {
			_ = s.CloseChannel(t0, media.RoleAudio)
			s.Handle(t0, olcAck(2, nil, true))
			s.Drain(nil)
			s.Tick(t0.Add(time.Hour))
		}, num: 1, out: true, to: "released"},
		{name: "established->RequestChannelClose->awaiting-release", input: func(s *Session) {
			s.Handle(t0, olcAck(1, nil, true))
			s.Drain(nil)
			s.Handle(t0, h245.Request(h245.RequestMessage{RequestChannelClose: &h245.RequestChannelClose{ForwardLogicalChannelNumber: 1}}))
		}, num: 1, out: true, to: "awaiting-release", msgs: []string{"requestChannelCloseAck", "closeLogicalChannel"}, events: []string{"ChannelClosed", "PlanChanged"}},
		{name: "idle->RequestChannelClose(unknown)->idle", input: func(s *Session) {
			s.Handle(t0, h245.Request(h245.RequestMessage{RequestChannelClose: &h245.RequestChannelClose{ForwardLogicalChannelNumber: 9}}))
		}, num: 9, out: true, to: "released", msgs: []string{"requestChannelCloseReject"}},
		{name: "idle->OLC->awaiting-accept", input: func(s *Session) { s.Handle(t0, olcAudio(20, media.G722, 1)) },
			num: 20, to: "awaiting-accept", events: []string{"IncomingChannel"}},
		{name: "awaiting-accept->Accept->established", input: func(s *Session) {
			s.Handle(t0, olcAudio(20, media.G722, 1))
			s.Drain(nil)
			accept(s, 20)
		}, num: 20, to: "established", msgs: []string{"openLogicalChannelAck"}, events: []string{"PlanChanged"}},
		{name: "awaiting-accept->Reject->released", input: func(s *Session) {
			s.Handle(t0, olcAudio(20, media.G722, 1))
			s.Drain(nil)
			_ = s.RejectChannel(t0, 20, RejectInsufficientBandwidth)
		}, num: 20, to: "released", msgs: []string{"openLogicalChannelReject"}},
		{name: "established->OLC(replacementFor)->awaiting-accept", input: func(s *Session) {
			s.Handle(t0, olcAudio(20, media.G722, 1))
			accept(s, 20)
			s.Drain(nil)
			m := olcAudio(21, media.G722, 1)
			m.Request.OpenLogicalChannel.ForwardLogicalChannelParameters.ReplacementFor = new(h245.LogicalChannelNumber(20))
			s.Handle(t0, m)
		}, num: 21, to: "awaiting-accept", events: []string{"ChannelClosed", "IncomingChannel", "PlanChanged"},
			check: func(t *testing.T, s *Session) {
				if s.find(20, false) != nil {
					t.Error("the replaced channel stays")
				}
			}},
		{name: "established->OLC(same role)->rejected", input: func(s *Session) {
			s.Handle(t0, olcAudio(20, media.G722, 1))
			accept(s, 20)
			s.Drain(nil)
			s.Handle(t0, olcAudio(21, media.PCMU, 1))
		}, num: 21, to: "released", msgs: []string{"openLogicalChannelReject"}},
		{name: "idle->OLC(H.263)->released", input: func(s *Session) { s.Handle(t0, h263()) },
			num: 20, to: "released", msgs: []string{"openLogicalChannelReject"}},
		{name: "idle->OLC(bidirectional)->released", input: func(s *Session) { s.Handle(t0, bidir()) },
			num: 20, to: "released", msgs: []string{"openLogicalChannelReject"}},
		{name: "established->CLC->released", input: func(s *Session) {
			s.Handle(t0, olcAudio(20, media.G722, 1))
			accept(s, 20)
			s.Drain(nil)
			s.Handle(t0, h245.NewCloseLogicalChannel(20))
		}, num: 20, to: "released", msgs: []string{"closeLogicalChannelAck"}, events: []string{"ChannelClosed", "PlanChanged"}},
		{name: "idle->OLC(conflict, master)->released", master: true, input: func(s *Session) { s.Handle(t0, olcAudio(20, media.PCMU, 1)) },
			num: 20, to: "released", msgs: []string{"openLogicalChannelReject"},
			check: func(t *testing.T, s *Session) {
				if c := s.find(1, true); c == nil || c.state != chAwaitingAck {
					t.Error("the master's own channel should stay")
				}
			}},
		{name: "idle->OLC(conflict, master, NoReproposeAfterConflict)->awaiting-accept", master: true,
			quirks: Quirks{NoReproposeAfterConflict: true},
			input:  func(s *Session) { s.Handle(t0, olcAudio(20, media.PCMU, 1)) },
			num:    20, to: "awaiting-accept", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelClosed", "IncomingChannel"},
			check: func(t *testing.T, s *Session) {
				accept(s, 20)
				c := s.byRole(media.RoleAudio, true, chAwaitingAck)
				if c == nil || c.codec != media.PCMU {
					t.Errorf("our audio after taking Polycom's channel: %+v, want a PCMU OLC", c)
				}
			}},
		{name: "idle->OLC(conflict, slave)->awaiting-accept", input: func(s *Session) { s.Handle(t0, olcAudio(20, media.PCMU, 1)) },
			num: 20, to: "awaiting-accept", events: []string{"IncomingChannel"}},
		{name: "established->master's OLC(other codec), slave->awaiting-release", input: func(s *Session) {
			s.Handle(t0, olcAck(1, nil, true))
			s.Handle(t0, olcAudio(20, media.PCMU, 1))
			s.Drain(nil)
			accept(s, 20)
		}, num: 1, out: true, to: "awaiting-release", msgs: []string{"openLogicalChannelAck", "closeLogicalChannel", "openLogicalChannel"},
			events: []string{"ChannelClosed", "PlanChanged"},
			check: func(t *testing.T, s *Session) {
				if c := s.byRole(media.RoleAudio, true, chAwaitingAck); c == nil || c.codec != media.PCMU {
					t.Errorf("the slave's new audio channel %+v, want PCMU like the master's", c)
				}
			}},
		{name: "established->slave's OLC(other codec), master->established", master: true, input: func(s *Session) {
			s.Handle(t0, olcAck(1, nil, true))
			s.Handle(t0, olcAudio(20, media.PCMU, 1))
			s.Drain(nil)
			accept(s, 20)
		}, num: 1, out: true, to: "established", msgs: []string{"openLogicalChannelAck"}, events: []string{"PlanChanged"}},
		{name: "idle->OLC(session 0)->awaiting-accept", master: true, input: func(s *Session) { s.Handle(t0, olcAudio(20, media.G722, 0)) },
			num: 20, to: "awaiting-accept", events: []string{"IncomingChannel"},
			check: func(t *testing.T, s *Session) {
				accept(s, 20)
				var ack *h245.OpenLogicalChannelAck
				for _, o := range s.Drain(nil) {
					if o.Msg != nil && o.Msg.Response != nil && o.Msg.Response.OpenLogicalChannelAck != nil {
						ack = o.Msg.Response.OpenLogicalChannelAck
					}
				}
				if ack == nil || *ack.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters.SessionID != 1 {
					t.Error("the Ack should assign session 1")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ready(t, tt.master, tt.quirks)
			tt.input(s)
			if got := stateOf(s, tt.num, tt.out); got != tt.to {
				t.Errorf("channel %d: %s, want %s", tt.num, got, tt.to)
			}
			o := outbox{q: s.Drain(nil)}
			msgs, events := outNames(&o)
			if !slices.Equal(msgs, tt.msgs) || !reflect.DeepEqual(events, tt.events) {
				t.Errorf("sent %v events %v, want %v %v", msgs, events, tt.msgs, tt.events)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestCESETransitions(t *testing.T) {
	tcs := func(seq int64) *h245.TerminalCapabilitySet {
		return DefaultCaps().TerminalCapabilitySet(seq).Request.TerminalCapabilitySet
	}
	build := DefaultCaps().TerminalCapabilitySet
	t.Run("out", func(t *testing.T) {
		tests := []struct {
			name   string
			tries  int
			input  func(c *ceseOut, o *outbox)
			to     ceseState
			msgs   []string
			events []string
		}{
			{"idle->start->awaiting-response", 0, func(c *ceseOut, o *outbox) { c.start(t0, build, o) }, ceseAwaiting, []string{"terminalCapabilitySet"}, nil},
			{"awaiting-response->TCSAck->idle", 1, func(c *ceseOut, o *outbox) { c.onAck(&h245.TerminalCapabilitySetAck{SequenceNumber: 0}) }, ceseIdle, nil, nil},
			{"awaiting-response->TCSAck(stale)->awaiting-response", 1, func(c *ceseOut, o *outbox) { c.onAck(&h245.TerminalCapabilitySetAck{SequenceNumber: 7}) }, ceseAwaiting, nil, nil},
			{"awaiting-response->TCSReject->idle", 1, func(c *ceseOut, o *outbox) {
				c.onReject(&h245.TerminalCapabilitySetReject{Cause: h245.TerminalCapabilitySetRejectCause{Unspecified: &struct{}{}}}, o)
			}, ceseIdle, nil, []string{"Failure"}},
			{"awaiting-response->T101->awaiting-response", 1, func(c *ceseOut, o *outbox) { c.tick(t0.Add(time.Hour), o) }, ceseAwaiting, []string{"terminalCapabilitySet"}, nil},
			{"awaiting-response->T101(retries used)->idle", 2, func(c *ceseOut, o *outbox) { c.tick(t0.Add(time.Hour), o) }, ceseIdle,
				[]string{"terminalCapabilitySetRelease"}, []string{"Failure"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := &ceseOut{retries: 1, t101: time.Second, build: build, tries: tt.tries, sent: 1}
				if tt.tries > 0 {
					c.state, c.deadline = ceseAwaiting, t0.Add(time.Second)
				}
				var o outbox
				tt.input(c, &o)
				msgs, events := outNames(&o)
				if c.state != tt.to || !slices.Equal(msgs, tt.msgs) || !slices.Equal(events, tt.events) {
					t.Errorf("state %s sent %v events %v, want %s %v %v", c.state, msgs, events, tt.to, tt.msgs, tt.events)
				}
			})
		}
	})
	t.Run("in", func(t *testing.T) {
		undefined := tcs(3)
		undefined.CapabilityDescriptors[0].SimultaneousCapabilities[0] = append(undefined.CapabilityDescriptors[0].SimultaneousCapabilities[0], 99)
		tooMany := tcs(4)
		for i := range maxTableEntries {
			tooMany.CapabilityTable = append(tooMany.CapabilityTable, h245.CapabilityTableEntry{CapabilityTableEntryNumber: h245.CapabilityTableEntryNumber(100 + i),
				Capability: tooMany.CapabilityTable[0].Capability})
		}
		manyDesc := tcs(5)
		for range maxDescriptors {
			manyDesc.CapabilityDescriptors = append(manyDesc.CapabilityDescriptors, manyDesc.CapabilityDescriptors[0])
		}
		empty := EmptyTerminalCapabilitySet(6).Request.TerminalCapabilitySet
		tests := []struct {
			name   string
			held   bool
			in     *h245.TerminalCapabilitySet
			want   tcsResult
			held2  bool
			msg    string
			cause  string
			events []string
		}{
			{"idle->TCS->idle", false, tcs(1), tcsCaps, false, "terminalCapabilitySetAck", "", nil},
			{"idle->TCS(empty)->held", false, empty, tcsHold, true, "terminalCapabilitySetAck", "", []string{"Hold"}},
			{"held->TCS(empty)->held", true, empty, tcsRepeat, true, "terminalCapabilitySetAck", "", nil},
			{"held->TCS->idle", true, tcs(2), tcsResume, false, "terminalCapabilitySetAck", "", []string{"Resume"}},
			{"idle->TCS(undefined entry)->idle", false, undefined, tcsRejected, false, "terminalCapabilitySetReject", "undefinedTableEntryUsed", nil},
			{"idle->TCS(too many entries)->idle", false, tooMany, tcsRejected, false, "terminalCapabilitySetReject", "tableEntryCapacityExceeded", nil},
			{"idle->TCS(too many descriptors)->idle", false, manyDesc, tcsRejected, false, "terminalCapabilitySetReject", "descriptorCapacityExceeded", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := &ceseIn{held: tt.held}
				var o outbox
				got := c.onTCS(tt.in, &o)
				msgs, events := outNames(&o)
				if got != tt.want || c.held != tt.held2 || !slices.Equal(msgs, []string{tt.msg}) || !slices.Equal(events, tt.events) {
					t.Errorf("result %d held %v sent %v events %v, want %d %v %s %v", got, c.held, msgs, events, tt.want, tt.held2, tt.msg, tt.events)
				}
				if tt.cause != "" {
					r := o.q[0].Msg.Response.TerminalCapabilitySetReject
					if name := tcsCauseName(&r.Cause); name != tt.cause || r.SequenceNumber != tt.in.SequenceNumber {
						t.Errorf("reject cause %s seq %d, want %s %d", name, r.SequenceNumber, tt.cause, tt.in.SequenceNumber)
					}
				}
			})
		}
	})
}
