package control

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// name239 is an H.239 message's sub-message name, or the H.245 name.
func name239(m *h245.MultimediaSystemControlMessage) string {
	if g, ok := h239.Find(m); ok {
		if x, err := h239.Parse(g); err == nil {
			n := x.Kind.String()
			if x.Kind == h239.PresentationTokenResponse || x.Kind == h239.FlowControlReleaseResponse {
				n += map[bool]string{true: "(ack)", false: "(reject)"}[x.Acknowledge]
			}
			return n
		}
	}
	return msgName(m)
}

func names239(outs []Output) (msgs, events []string) {
	for _, x := range outs {
		if x.Msg != nil {
			msgs = append(msgs, name239(x.Msg))
		} else {
			events = append(events, reflect.TypeOf(x.Event).Name())
		}
	}
	return msgs, events
}

// tok builds an H.239 message as the remote sends it, through PER.
func tok(t testing.TB, m h239.Message) *h245.MultimediaSystemControlMessage {
	t.Helper()
	msg, err := m.MultimediaSystemControlMessage()
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, &msg)
}

// olcContent is the remote's content OLC: number, session, and H.264 (or
// H.263) inside the presentation role.
func olcContent(num, session int64, h263 bool) *h245.MultimediaSystemControlMessage {
	inner := h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31}.VideoCapability()
	if h263 {
		inner = h245.VideoCapability{H263VideoCapability: &h245.H263VideoCapability{CifMPI: new(int64(1)), MaxBitRate: 3840}}
	}
	v := h239.ExtendedVideo(h239.RolePresentation, inner)
	pt := int64(97)
	olc, err := h245.Channel{Number: num, SessionID: session, DataType: h245.DataType{VideoData: &v}, PayloadType: pt,
		RTCP: localAt("127.0.0.2", 6000).RTCP(media.RoleContent)}.OpenLogicalChannel()
	if err != nil {
		panic(err)
	}
	return h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc})
}

func contentAck(num int64, session int64) *h245.MultimediaSystemControlMessage {
	l := localAt("127.0.0.2", 6000)
	m, err := h245.NewOpenLogicalChannelAck(num, session, l.RTP(media.RoleContent), l.RTCP(media.RoleContent))
	if err != nil {
		panic(err)
	}
	return m
}

func acceptContent(s *Session, num int64) error {
	l := localAt("127.0.0.1", 4000)
	return s.AcceptChannel(t0, num, l.RTP(media.RoleContent), l.RTCP(media.RoleContent))
}

const ourContent = 3 // ready() opened audio 1 and video 2

// TestTokenTransitions drives the presentation token from each state with
// each input: the state reached, the messages sent (H.239 sub-messages by
// name) and the events, in order.
func TestTokenTransitions(t *testing.T) {
	req := func(sym int64) h239.Message {
		return h239.Message{Kind: h239.PresentationTokenRequest, ChannelID: 20, SymmetryBreaking: sym}
	}
	resp := func(ack bool) h239.Message {
		return h239.Message{Kind: h239.PresentationTokenResponse, Acknowledge: ack, ChannelID: ourContent}
	}
	release := h239.Message{Kind: h239.PresentationTokenRelease, ChannelID: 20}
	// Setups: each leaves the session in a state, outputs drained.
	opening := func(t *testing.T, s *Session) {
		if err := s.RequestToken(t0); err != nil {
			t.Fatal(err)
		}
	}
	requesting := func(t *testing.T, s *Session) {
		opening(t, s)
		s.Handle(t0, contentAck(ourContent, 3))
	}
	ours := func(t *testing.T, s *Session) {
		requesting(t, s)
		s.Handle(t0, tok(t, resp(true)))
	}
	asked := func(t *testing.T, s *Session) { s.Handle(t0, tok(t, req(5))) }
	remote := func(t *testing.T, s *Session) {
		s.Handle(t0, olcContent(20, 3, false))
		if err := acceptContent(s, 20); err != nil {
			t.Fatal(err)
		}
		asked(t, s)
		if err := s.GrantToken(t0); err != nil {
			t.Fatal(err)
		}
	}
	revoking := func(t *testing.T, s *Session) {
		remote(t, s)
		if err := s.RevokeToken(t0); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		master bool
		setup  func(*testing.T, *Session)
		sym    int64 // our symmetryBreaking, when set
		input  func(*testing.T, *Session)
		to     string
		holder TokenHolder
		msgs   []string
		events []string
	}{
		{name: "idle->RequestToken->opening", input: opening, to: "opening", msgs: []string{"openLogicalChannel"}},
		{name: "opening->OLCAck->requesting", setup: opening, input: func(t *testing.T, s *Session) { s.Handle(t0, contentAck(ourContent, 3)) },
			to: "requesting", msgs: []string{"presentationTokenRequest"}, events: []string{"PlanChanged"}},
		{name: "opening->OLCReject->idle", setup: opening, input: func(t *testing.T, s *Session) {
			s.Handle(t0, olcReject(ourContent, RejectDataTypeNotSupported))
		}, to: "idle", events: []string{"ChannelRejected", "TokenResponse"}},
		{name: "opening->T103->idle", setup: opening, input: func(t *testing.T, s *Session) { s.Tick(t0.Add(time.Hour)) },
			to: "idle", msgs: []string{"closeLogicalChannel", "closeLogicalChannel", "closeLogicalChannel"},
			events: []string{"Failure", "Failure", "ChannelRejected", "TokenResponse"}},
		{name: "requesting->response(ack)->ours", setup: requesting, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, resp(true))) },
			to: "ours", holder: TokenLocal, msgs: []string{"presentationTokenIndicateOwner"}, events: []string{"TokenResponse"}},
		{name: "requesting->response(reject)->idle", setup: requesting, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, resp(false))) },
			to: "idle", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelClosed", "TokenResponse", "PlanChanged"}},
		{name: "requesting->T103->idle", setup: requesting, input: func(t *testing.T, s *Session) {
			d, _ := s.tok.deadline, 0
			s.Handle(d, olcAck(1, nil, true))
			s.Handle(d, olcAck(2, nil, true))
			s.Drain(nil)
			s.Tick(d)
		}, to: "idle", msgs: []string{"presentationTokenRelease", "closeLogicalChannel"}, events: []string{"ChannelClosed", "TokenResponse", "PlanChanged"}},
		{name: "requesting->request(lower sym)->requesting", setup: requesting, sym: 50, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, req(49))) },
			to: "requesting", msgs: []string{"presentationTokenResponse(reject)"}},
		{name: "requesting->request(higher sym)->asked", setup: requesting, sym: 50, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, req(51))) },
			to: "asked", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelClosed", "TokenResponse", "TokenRequested", "PlanChanged"}},
		{name: "requesting->request(tie, master)->requesting", master: true, setup: requesting, sym: 50,
			input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, req(50))) },
			to:    "requesting", msgs: []string{"presentationTokenResponse(reject)"}},
		{name: "requesting->request(tie, slave)->asked", setup: requesting, sym: 50, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, req(50))) },
			to: "asked", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelClosed", "TokenResponse", "TokenRequested", "PlanChanged"}},
		{name: "opening->request(higher sym)->asked", setup: opening, sym: 1, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, req(2))) },
			to: "asked", msgs: []string{"closeLogicalChannel"}, events: []string{"ChannelClosed", "TokenResponse", "TokenRequested"}},
		{name: "ours->ReleaseToken->idle", setup: ours, input: func(t *testing.T, s *Session) { _ = s.ReleaseToken(t0) },
			to: "idle", msgs: []string{"presentationTokenRelease", "closeLogicalChannel"}, events: []string{"ChannelClosed", "PlanChanged"}},
		{name: "ours->request->asked", setup: ours, input: asked, to: "asked", holder: TokenLocal, events: []string{"TokenRequested"}},
		{name: "asked(ours)->GrantToken->remote", setup: func(t *testing.T, s *Session) { ours(t, s); asked(t, s) },
			input: func(t *testing.T, s *Session) { _ = s.GrantToken(t0) }, to: "remote", holder: TokenRemote,
			msgs: []string{"closeLogicalChannel", "presentationTokenResponse(ack)"}, events: []string{"ChannelClosed", "TokenOwner", "PlanChanged"}},
		{name: "asked(ours)->DenyToken->ours", setup: func(t *testing.T, s *Session) { ours(t, s); asked(t, s) },
			input: func(t *testing.T, s *Session) { _ = s.DenyToken(t0) }, to: "ours", holder: TokenLocal,
			msgs: []string{"presentationTokenResponse(reject)"}},
		{name: "ours->empty TCS->idle", setup: ours, input: func(t *testing.T, s *Session) { s.Handle(t0, EmptyTerminalCapabilitySet(9)) },
			to: "idle", msgs: []string{"terminalCapabilitySetAck", "closeLogicalChannel", "closeLogicalChannel", "closeLogicalChannel"},
			events: []string{"Hold", "TokenResponse", "ChannelClosed", "ChannelClosed", "ChannelClosed", "PlanChanged"}},
		{name: "ours->RequestChannelClose(content)->idle", setup: ours, input: func(t *testing.T, s *Session) {
			s.Handle(t0, h245.Request(h245.RequestMessage{RequestChannelClose: &h245.RequestChannelClose{ForwardLogicalChannelNumber: ourContent}}))
		}, to: "idle", msgs: []string{"requestChannelCloseAck", "closeLogicalChannel"}, events: []string{"ChannelClosed", "TokenResponse", "PlanChanged"}},
		{name: "idle->request->asked", input: asked, to: "asked", events: []string{"TokenRequested"}},
		{name: "idle->IndicateOwner->idle", input: func(t *testing.T, s *Session) {
			s.Handle(t0, tok(t, h239.Message{Kind: h239.PresentationTokenIndicateOwner, ChannelID: 20}))
		}, to: "idle"},
		{name: "asked->GrantToken->remote", setup: asked, input: func(t *testing.T, s *Session) { _ = s.GrantToken(t0) },
			to: "remote", holder: TokenRemote, msgs: []string{"presentationTokenResponse(ack)"}, events: []string{"TokenOwner"}},
		{name: "asked->DenyToken->idle", setup: asked, input: func(t *testing.T, s *Session) { _ = s.DenyToken(t0) },
			to: "idle", msgs: []string{"presentationTokenResponse(reject)"}},
		{name: "asked->release->idle", setup: asked, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, release)) },
			to: "idle", events: []string{"TokenReleased"}},
		{name: "asked->request again->asked", setup: asked, input: asked, to: "asked"},
		// Polycom: its content OLC, then its token request; the grant waits
		// for the OLC's Ack.
		{name: "asked(content OLC awaiting accept)->GrantToken->granting", setup: func(t *testing.T, s *Session) {
			s.Handle(t0, olcContent(20, 3, false))
			asked(t, s)
		}, input: func(t *testing.T, s *Session) { _ = s.GrantToken(t0) }, to: "granting"},
		{name: "granting->AcceptChannel->remote", setup: func(t *testing.T, s *Session) {
			s.Handle(t0, olcContent(20, 3, false))
			asked(t, s)
			_ = s.GrantToken(t0)
		}, input: func(t *testing.T, s *Session) { _ = acceptContent(s, 20) }, to: "remote", holder: TokenRemote,
			msgs: []string{"openLogicalChannelAck", "presentationTokenResponse(ack)"}, events: []string{"TokenOwner", "PlanChanged"}},
		{name: "granting->RejectChannel->idle", setup: func(t *testing.T, s *Session) {
			s.Handle(t0, olcContent(20, 3, false))
			asked(t, s)
			_ = s.GrantToken(t0)
		}, input: func(t *testing.T, s *Session) { _ = s.RejectChannel(t0, 20, RejectInsufficientBandwidth) }, to: "idle",
			msgs: []string{"openLogicalChannelReject", "presentationTokenResponse(reject)"}},
		{name: "remote->request again->remote", setup: remote, input: asked, to: "remote", holder: TokenRemote,
			msgs: []string{"presentationTokenResponse(ack)"}},
		{name: "remote->release->idle", setup: remote, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, release)) },
			to: "idle", events: []string{"TokenReleased"}},
		{name: "remote->CLC(content)->idle", setup: remote, input: func(t *testing.T, s *Session) { s.Handle(t0, h245.NewCloseLogicalChannel(20)) },
			to: "idle", msgs: []string{"closeLogicalChannelAck"}, events: []string{"ChannelClosed", "TokenReleased", "PlanChanged"}},
		{name: "remote->endSessionCommand->idle", setup: remote, input: func(t *testing.T, s *Session) {
			s.Handle(t0, h245.Command(h245.CommandMessage{EndSessionCommand: &h245.EndSessionCommand{Disconnect: &struct{}{}}}))
		}, to: "idle", msgs: []string{"endSessionCommand"}, events: []string{"TokenReleased", "EndSession"}},
		{name: "remote->RevokeToken->revoking", setup: remote, input: func(t *testing.T, s *Session) { _ = s.RevokeToken(t0) },
			to: "revoking", holder: TokenRemote, msgs: []string{"presentationTokenRequest"}},
		{name: "revoking->response(ack)->idle", setup: revoking, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, resp(true))) },
			to: "idle", msgs: []string{"presentationTokenRelease"}, events: []string{"TokenReleased", "TokenResponse"}},
		{name: "revoking->response(reject)->idle", setup: revoking, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, resp(false))) },
			to: "idle", msgs: []string{"requestChannelClose"}, events: []string{"TokenReleased", "TokenResponse"}},
		{name: "revoking->T103->idle", setup: revoking, input: func(t *testing.T, s *Session) {
			d := s.tok.deadline
			s.Handle(d, olcAck(1, nil, true))
			s.Handle(d, olcAck(2, nil, true))
			s.Drain(nil)
			s.Tick(d)
		}, to: "idle", msgs: []string{"requestChannelClose"}, events: []string{"TokenReleased", "TokenResponse"}},
		{name: "revoking->release->idle", setup: revoking, input: func(t *testing.T, s *Session) { s.Handle(t0, tok(t, release)) },
			to: "idle", events: []string{"TokenReleased"}},
		{name: "revoking->request->revoking", setup: revoking, input: asked, to: "revoking", holder: TokenRemote,
			msgs: []string{"presentationTokenResponse(reject)"}},
		{name: "remote->RequestToken->requesting->ours", setup: remote, input: func(t *testing.T, s *Session) {
			_ = s.RequestToken(t0)
			s.Handle(t0, contentAck(ourContent, 3))
			s.Handle(t0, tok(t, resp(true)))
		}, to: "ours", holder: TokenLocal, msgs: []string{"openLogicalChannel", "presentationTokenRequest", "presentationTokenIndicateOwner"},
			events: []string{"PlanChanged", "TokenReleased", "TokenResponse"}},
		// Content channel at connect without the token (some endpoints never present):
		// the channel opens, nobody holds the token; a later request uses it at once.
		{name: "idle->OpenContentChannel->idle(channel open)", input: func(t *testing.T, s *Session) {
			if err := s.OpenContentChannel(t0); err != nil {
				t.Fatal(err)
			}
			s.Handle(t0, contentAck(ourContent, 3))
		}, to: "idle", msgs: []string{"openLogicalChannel"}, events: []string{"PlanChanged"}},
		{name: "idle(channel open)->RequestToken->requesting", setup: func(t *testing.T, s *Session) {
			_ = s.OpenContentChannel(t0)
			s.Handle(t0, contentAck(ourContent, 3))
		}, input: opening, to: "requesting", msgs: []string{"presentationTokenRequest"}},
		{name: "idle(channel open)->remote request->asked->GrantToken->remote(channel kept)", setup: func(t *testing.T, s *Session) {
			_ = s.OpenContentChannel(t0)
			s.Handle(t0, contentAck(ourContent, 3))
			s.Handle(t0, olcContent(20, 3, false))
			if err := acceptContent(s, 20); err != nil {
				t.Fatal(err)
			}
		}, input: func(t *testing.T, s *Session) { asked(t, s); _ = s.GrantToken(t0) }, to: "remote", holder: TokenRemote,
			msgs: []string{"presentationTokenResponse(ack)"}, events: []string{"TokenRequested", "TokenOwner"}},
		{name: "requesting->OpenContentChannel->requesting", setup: requesting, input: func(t *testing.T, s *Session) {
			_ = s.OpenContentChannel(t0)
		}, to: "requesting"},
		{name: "idle->flowControlReleaseRequest->idle", input: func(t *testing.T, s *Session) {
			s.Handle(t0, tok(t, h239.Message{Kind: h239.FlowControlReleaseRequest, ChannelID: ourContent, BitRate: 10000}))
		}, to: "idle", msgs: []string{"flowControlReleaseResponse(ack)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ready(t, tt.master, Quirks{})
			if tt.setup != nil {
				tt.setup(t, s)
			}
			if tt.sym != 0 {
				s.tok.sym = tt.sym
			}
			s.Drain(nil)
			tt.input(t, s)
			if got := s.tok.state.String(); got != tt.to {
				t.Errorf("token %s, want %s", got, tt.to)
			}
			if got := s.Token(); got != tt.holder {
				t.Errorf("holder %d, want %d", got, tt.holder)
			}
			msgs, events := names239(s.Drain(nil))
			if !slices.Equal(msgs, tt.msgs) || !slices.Equal(events, tt.events) {
				t.Errorf("sent %v events %v, want %v %v", msgs, events, tt.msgs, tt.events)
			}
		})
	}
}

// TestTokenCallErrors: the call's token actions in states where they make
// no sense are errors, not messages.
func TestTokenCallErrors(t *testing.T) {
	s := ready(t, true, Quirks{})
	for name, f := range map[string]func(time.Time) error{
		"ReleaseToken": s.ReleaseToken, "RevokeToken": s.RevokeToken, "GrantToken": s.GrantToken, "DenyToken": s.DenyToken,
	} {
		if err := f(t0); err == nil {
			t.Errorf("%s in idle: no error", name)
		}
	}
	if out := s.Drain(nil); len(out) != 0 {
		t.Errorf("outputs %v", out)
	}
}
