package control

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// TestContentCapabilities: our capability set announces H.239 and
// presentation H.264 next to audio and people video; the remote's content
// is chosen only when it takes H.239 and H.264 content.
func TestContentCapabilities(t *testing.T) {
	own := roundTrip(t, DefaultCaps().TerminalCapabilitySet(1)).Request.TerminalCapabilitySet
	rc, err := ParseTCS(own)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.H239 {
		t.Error("our set does not announce the H.239 control capability")
	}
	ch := Choose(rc, DefaultCaps())
	if ch.Content == nil || ch.Content.Kind != KindContent || ch.Content.Codec != media.H264 {
		t.Fatalf("content choice %+v (%s)", ch.Content, ch.ContentReason)
	}
	if l := ch.Content.H264; l.LevelIDC != 31 || l.MaxFS != 8192 || l.MaxMBPS != 122500 || ch.Content.MaxBitrate != 1_500_000 {
		t.Errorf("content limits %+v at %d bit/s, want level 3.1, max-fs 8192, max-mbps 122500, 1.5 Mbit/s", l, ch.Content.MaxBitrate)
	}
	if ch.Video == nil || ch.Video.Kind != KindVideo || ch.Video.H264.LevelIDC != 40 {
		t.Errorf("people video %+v: content must not be taken for it", ch.Video)
	}
	// Audio, video and content are each in their own alternative set of
	// the one descriptor: all three run at once.
	sets := rc.Simultaneous[0]
	where := func(k CapKind) int {
		for i, set := range sets {
			for _, c := range set {
				if rc.Caps[c].Kind == k {
					return i
				}
			}
		}
		return -1
	}
	if a, v, c := where(KindAudio), where(KindVideo), where(KindContent); a < 0 || v < 0 || c < 0 || a == v || v == c || a == c {
		t.Errorf("alternative sets audio %d video %d content %d", a, v, c)
	}

	h264 := h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31}.VideoCapability()
	h263 := h245.VideoCapability{H263VideoCapability: &h245.H263VideoCapability{CifMPI: new(int64(1)), MaxBitRate: 3840}}
	content := func(r h239.Role, v h245.VideoCapability) h245.Capability {
		return h245.Capability{ReceiveVideoCapability: new(h239.ExtendedVideo(r, v))}
	}
	cases := []struct {
		name   string
		caps   []h245.Capability
		reason string
	}{
		{"H.239 with H.264 content", []h245.Capability{rxAudio(media.PCMU), content(h239.RolePresentation, h264), h239.ControlCapability()}, ""},
		{"H.263 content only", []h245.Capability{rxAudio(media.PCMU), content(h239.RolePresentation, h263), h239.ControlCapability()}, "content h263VideoCapability"},
		{"live role only", []h245.Capability{rxAudio(media.PCMU), content(h239.RoleLive, h264), h239.ControlCapability()}, "(role 2)"},
		{"no H.239 control capability", []h245.Capability{rxAudio(media.PCMU), content(h239.RolePresentation, h264)}, "does not announce H.239"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sim [][]int
			for i := range c.caps {
				sim = append(sim, []int{i})
			}
			rc, err := ParseTCS(roundTrip(t, h245.NewTerminalCapabilitySet(1, c.caps, sim)).Request.TerminalCapabilitySet)
			if err != nil {
				t.Fatal(err)
			}
			ch := Choose(rc, DefaultCaps())
			if c.reason == "" {
				if ch.Content == nil || ch.Content.H264.LevelIDC != 31 {
					t.Fatalf("content %+v (%s)", ch.Content, ch.ContentReason)
				}
				return
			}
			if ch.Content != nil || !strings.Contains(ch.ContentReason, c.reason) {
				t.Errorf("content %+v reason %q, want none because %q", ch.Content, ch.ContentReason, c.reason)
			}
		})
	}
}

// TestContentOLCRejected: content the gateway cannot take is refused with
// dataTypeNotSupported; the call goes on.
func TestContentOLCRejected(t *testing.T) {
	for name, m := range map[string]*h245.MultimediaSystemControlMessage{
		"H.263 content": olcContent(20, 3, true),
		"live role": func() *h245.MultimediaSystemControlMessage {
			m := olcContent(20, 3, false)
			v := h239.ExtendedVideo(h239.RoleLive, h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31}.VideoCapability())
			m.Request.OpenLogicalChannel.ForwardLogicalChannelParameters.DataType.VideoData = &v
			return m
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			s := ready(t, true, Quirks{})
			s.Handle(t0, roundTrip(t, m))
			out := s.Drain(nil)
			if len(out) != 1 || out[0].Msg == nil || out[0].Msg.Response.OpenLogicalChannelReject == nil ||
				out[0].Msg.Response.OpenLogicalChannelReject.Cause.DataTypeNotSupported == nil {
				t.Fatalf("outputs %v, want one openLogicalChannelReject dataTypeNotSupported", names(out))
			}
		})
	}
	// Without content on our side even H.264 content is refused.
	caps := DefaultCaps()
	caps.Content = nil
	s := New(Config{Local: localAt("127.0.0.1", 4000), Caps: caps, Rand: seeded(1)})
	s.Handle(t0, olcContent(20, 3, false))
	if out := s.Drain(nil); len(out) != 1 || out[0].Msg.Response.OpenLogicalChannelReject == nil {
		t.Errorf("outputs %v", names(out))
	}
	if err := s.RequestToken(t0); err != nil {
		t.Fatal(err) // capabilities not known yet: it waits
	}
}

func names(outs []Output) []string {
	m, e := names239(outs)
	return append(m, e...)
}

func contentStream(t *testing.T, e *end) media.Stream {
	t.Helper()
	p, _ := lastPlan(e.events)
	st, ok := p.Stream(media.RoleContent)
	if !ok {
		t.Fatalf("%s: no content stream in %+v", e.name, p)
	}
	return st
}

// TestContentBackToBack: the gateway presents toward the endpoint and
// stops; the endpoint presents toward the gateway; its call ends while it
// presents. Both sides run this package through PER.
func TestContentBackToBack(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	if _, ok := lastPlan(gw.events); !ok {
		t.Fatal("no plan")
	}
	if p, _ := lastPlan(gw.events); slices.ContainsFunc(p.Streams, func(s media.Stream) bool { return s.Role == media.RoleContent }) {
		t.Fatal("content stream before anyone presents")
	}
	if gw.s.Token() != TokenNone || ep.s.Token() != TokenNone {
		t.Fatal("a token holder at connect")
	}

	// The gateway presents.
	if err := gw.s.RequestToken(t0); err != nil {
		t.Fatal(err)
	}
	wire(t, t0, gw, ep)
	if r, ok := has[TokenResponse](gw.events); !ok || !r.Granted || r.Revoke {
		t.Fatalf("gateway's token response %+v %v", r, ok)
	}
	if _, ok := has[TokenRequested](ep.events); !ok {
		t.Error("the endpoint was not asked")
	}
	if o, ok := has[TokenOwner](ep.events); !ok || o.Channel != gw.s.outContent() {
		t.Errorf("endpoint TokenOwner %+v %v, want channel %d", o, ok, gw.s.outContent())
	}
	if gw.s.Token() != TokenLocal || ep.s.Token() != TokenRemote {
		t.Errorf("holders gateway %d endpoint %d", gw.s.Token(), ep.s.Token())
	}
	st := contentStream(t, gw)
	if st.Direction != media.SendOnly || st.Codec != media.H264 || st.PT != DefaultH264PT || st.Remote != ep.local.RTP(media.RoleContent) ||
		st.MaxBitrate != 1_500_000 || st.H264 == nil || st.H264.LevelIDC != 31 || st.H264.PacketizationMode != 1 || st.Keyframe&media.KeyframeSignalling == 0 {
		t.Errorf("gateway content stream %+v (H.264 %+v)", st, st.H264)
	}
	if st := contentStream(t, ep); st.Direction != media.RecvOnly {
		t.Errorf("endpoint content stream %+v", st)
	}
	if c := gw.s.byRole(media.RoleContent, true, chEstablished); c == nil || c.session != 3 {
		t.Errorf("gateway content channel %+v, want session 3", c)
	}

	// The gateway stops.
	gw.events, ep.events = nil, nil
	if err := gw.s.ReleaseToken(t0); err != nil {
		t.Fatal(err)
	}
	wire(t, t0, gw, ep)
	if r, ok := has[TokenReleased](ep.events); !ok || r.Reason != "released" {
		t.Errorf("endpoint TokenReleased %+v %v", r, ok)
	}
	if p, _ := lastPlan(gw.events); len(p.Streams) != 2 {
		t.Errorf("gateway plan after release %+v", p)
	}
	if gw.s.Token() != TokenNone || ep.s.Token() != TokenNone {
		t.Errorf("holders after release: gateway %d endpoint %d", gw.s.Token(), ep.s.Token())
	}

	// The endpoint presents; the gateway's call grants.
	gw.events, ep.events = nil, nil
	if err := ep.s.RequestToken(t0); err != nil {
		t.Fatal(err)
	}
	wire(t, t0, gw, ep)
	if _, ok := has[TokenOwner](gw.events); !ok || gw.s.Token() != TokenRemote {
		t.Fatalf("gateway events %v, holder %d", gw.events, gw.s.Token())
	}
	if st := contentStream(t, gw); st.Direction != media.RecvOnly || st.Codec != media.H264 {
		t.Errorf("gateway content stream %+v", st)
	}

	// The presenter's call ends: the token goes with it.
	gw.events = nil
	ep.s.End()
	wire(t, t0, gw, ep)
	if r, ok := has[TokenReleased](gw.events); !ok || r.Reason != "session ended" {
		t.Errorf("gateway TokenReleased %+v %v", r, ok)
	}
	if _, ok := has[EndSession](gw.events); !ok || gw.s.Token() != TokenNone {
		t.Errorf("gateway events %v holder %d", gw.events, gw.s.Token())
	}
}

// TestContentDenied: a refused request closes the channel opened for it.
func TestContentDenied(t *testing.T) {
	gw, ep := pair(t)
	ep.deny = true
	connect(t, gw, ep)
	_ = gw.s.RequestToken(t0)
	wire(t, t0, gw, ep)
	if r, ok := has[TokenResponse](gw.events); !ok || r.Granted {
		t.Fatalf("gateway token response %+v %v", r, ok)
	}
	if gw.s.outContent() != 0 || gw.s.Token() != TokenNone {
		t.Error("content channel or token left after a refusal")
	}
}

// TestContentSessionIDs: the content channel's RTP session is 3 when
// nobody says otherwise, and whatever the endpoint proposes (Huawei: 10)
// or assigns (Tandberg: 32) from then on, both ways.
func TestContentSessionIDs(t *testing.T) {
	cases := []struct {
		name            string
		olc, ack        int64 // session in the endpoint's content OLC and Ack (0: as built)
		wantOut, wantIn int64
		zeroOLC         bool // the endpoint's OLC leaves the session to the master
	}{
		{name: "proposed 3", wantOut: 3, wantIn: 3},
		{name: "Huawei proposes 10", olc: 10, ack: 10, wantOut: 10, wantIn: 10},
		{name: "Tandberg proposes 32", olc: 32, ack: 32, wantOut: 32, wantIn: 32},
		{name: "Tandberg assigns 32 in its Ack", ack: 32, wantOut: 32, wantIn: 3},
		{name: "slave leaves it to the master", zeroOLC: true, wantOut: 3, wantIn: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw, ep := pair(t)
			ep.rewrite = func(m *h245.MultimediaSystemControlMessage) {
				if r := m.Request; r != nil && r.OpenLogicalChannel != nil && r.OpenLogicalChannel.ForwardLogicalChannelParameters.DataType.VideoData != nil &&
					r.OpenLogicalChannel.ForwardLogicalChannelParameters.DataType.VideoData.ExtendedVideoCapability != nil {
					p := r.OpenLogicalChannel.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters
					switch {
					case c.zeroOLC:
						p.SessionID = 0
					case c.olc != 0:
						p.SessionID = c.olc
					}
				}
				if r := m.Response; r != nil && r.OpenLogicalChannelAck != nil && c.ack != 0 {
					if ch := ep.s.find(int64(r.OpenLogicalChannelAck.ForwardLogicalChannelNumber), false); ch != nil && ch.role == media.RoleContent {
						r.OpenLogicalChannelAck.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters.SessionID = new(c.ack)
					}
				}
			}
			var gwAcks []int64
			gw.rewrite = func(m *h245.MultimediaSystemControlMessage) {
				if r := m.Response; r != nil && r.OpenLogicalChannelAck != nil {
					if id := r.OpenLogicalChannelAck.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters.SessionID; id != nil && *id > 2 {
						gwAcks = append(gwAcks, *id)
					}
				}
			}
			connect(t, gw, ep)
			// The endpoint presents first, then the gateway takes over
			// (the endpoint closes its channel when it gives the token).
			_ = ep.s.RequestToken(t0)
			wire(t, t0, gw, ep)
			in := gw.s.byRole(media.RoleContent, false, chEstablished)
			if gw.s.Token() != TokenRemote || in == nil || in.session != c.wantIn {
				t.Errorf("gateway's incoming content %+v (holder %d), want session %d", in, gw.s.Token(), c.wantIn)
			}
			_ = gw.s.RequestToken(t0)
			wire(t, t0, gw, ep)
			if gw.s.Token() != TokenLocal || gw.s.byRole(media.RoleContent, false, chEstablished) != nil {
				t.Fatalf("gateway holder %d, events %v", gw.s.Token(), gw.events)
			}
			if !slices.Equal(gwAcks, []int64{c.wantIn}) {
				t.Errorf("gateway acknowledged content with sessions %v, want [%d]", gwAcks, c.wantIn)
			}
			out := gw.s.byRole(media.RoleContent, true, chEstablished)
			if out == nil || out.session != c.wantOut {
				t.Errorf("gateway's outgoing content %+v, want session %d", out, c.wantOut)
			}
		})
	}
}

// lockstep is wire with both sides' messages crossing: each round drains
// both, then delivers both, as on a real link with delay.
func lockstep(t *testing.T, now time.Time, a, b *end) {
	t.Helper()
	collect := func(e *end) []*h245.MultimediaSystemControlMessage {
		var msgs []*h245.MultimediaSystemControlMessage
		for {
			outs := e.s.Drain(nil)
			if len(outs) == 0 {
				return msgs
			}
			for _, o := range outs {
				if o.Event != nil {
					e.events = append(e.events, o.Event)
					e.react(t, now, o.Event)
					continue
				}
				msgs = append(msgs, o.Msg)
			}
		}
	}
	for range 100 {
		fromA, fromB := collect(a), collect(b)
		if len(fromA)+len(fromB) == 0 {
			return
		}
		for _, m := range fromA {
			b.s.Handle(now, deliver(t, a, m))
		}
		for _, m := range fromB {
			a.s.Handle(now, deliver(t, b, m))
		}
	}
	t.Fatal("never quiet")
}

// TestContentSimultaneousRequests: both ask for the token at once; the
// higher symmetryBreaking wins, the master (the gateway) on a tie. The
// loser gives its request up and grants the winner's.
func TestContentSimultaneousRequests(t *testing.T) {
	cases := []struct {
		name         string
		gwSym, epSym int64
		gatewayWins  bool
	}{
		{"gateway higher", 90, 10, true},
		{"endpoint higher", 10, 90, false},
		{"tie: the master wins", 42, 42, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw, ep := pair(t)
			connect(t, gw, ep)
			_ = gw.s.RequestToken(t0)
			_ = ep.s.RequestToken(t0)
			gw.s.tok.sym, ep.s.tok.sym = c.gwSym, c.epSym
			lockstep(t, t0, gw, ep)
			win, lose := gw, ep
			if !c.gatewayWins {
				win, lose = ep, gw
			}
			if win.s.Token() != TokenLocal || lose.s.Token() != TokenRemote {
				t.Fatalf("holders: %s %d, %s %d", win.name, win.s.Token(), lose.name, lose.s.Token())
			}
			if r, ok := has[TokenResponse](win.events); !ok || !r.Granted {
				t.Errorf("winner's response %+v", r)
			}
			if r, ok := has[TokenResponse](lose.events); !ok || r.Granted || !strings.Contains(r.Reason, "symmetryBreaking") {
				t.Errorf("loser's response %+v", r)
			}
			if _, ok := has[TokenOwner](lose.events); !ok {
				t.Error("the loser did not see the winner present")
			}
			if st := contentStream(t, win); st.Direction != media.SendOnly {
				t.Errorf("winner's content %+v", st)
			}
			if st := contentStream(t, lose); st.Direction != media.RecvOnly {
				t.Errorf("loser's content %+v", st)
			}
		})
	}
}

// TestContentPolycomOrder: the endpoint opens its content channel and asks
// for the token before the call accepted the channel; the gateway's call
// grants first, yet the channel's Ack goes out before the token response.
func TestContentPolycomOrder(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	// The endpoint's messages, as Polycom sends them back to back.
	gw.s.Handle(t0, roundTrip(t, olcContent(30, 0, false)))
	gw.s.Handle(t0, tok(t, h239.Message{Kind: h239.PresentationTokenRequest, ChannelID: 30, SymmetryBreaking: 7}))
	evs := gw.s.Drain(nil)
	if _, ev := names239(evs); !slices.Equal(ev, []string{"IncomingChannel", "TokenRequested"}) {
		t.Fatalf("events %v", ev)
	}
	if err := gw.s.GrantToken(t0); err != nil {
		t.Fatal(err)
	}
	if out := gw.s.Drain(nil); len(out) != 0 {
		t.Fatalf("sent %v before the channel was accepted", names(out))
	}
	if err := acceptContent(gw.s, 30); err != nil {
		t.Fatal(err)
	}
	msgs, evNames := names239(gw.s.Drain(nil))
	if !slices.Equal(msgs, []string{"openLogicalChannelAck", "presentationTokenResponse(ack)"}) || !slices.Contains(evNames, "TokenOwner") {
		t.Errorf("sent %v events %v", msgs, evNames)
	}
	if gw.s.Token() != TokenRemote {
		t.Errorf("holder %d", gw.s.Token())
	}
}

// TestContentOpenedNeverPresented: an endpoint that opens its content
// channel at connect and never asks for the token does not present.
func TestContentOpenedNeverPresented(t *testing.T) {
	s := ready(t, true, Quirks{})
	s.Handle(t0, olcContent(20, 32, false))
	if err := acceptContent(s, 20); err != nil {
		t.Fatal(err)
	}
	if s.Token() != TokenNone {
		t.Errorf("holder %d with only a channel open", s.Token())
	}
	_, evs := names239(s.Drain(nil))
	if slices.Contains(evs, "TokenOwner") || slices.Contains(evs, "TokenRequested") {
		t.Errorf("events %v", evs)
	}
	if st, ok := s.Plan().Stream(media.RoleContent); !ok || st.Direction != media.RecvOnly {
		t.Errorf("content stream %+v %v: the channel is there, presenting is not", st, ok)
	}
}

// TestContentRevoke: the meeting's host stops the endpoint's share: the
// gateway asks for the token back; an endpoint that refuses is asked to
// close its content channel.
func TestContentRevoke(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "given back", true: "refused"}[refuse], func(t *testing.T) {
			gw, ep := pair(t)
			connect(t, gw, ep)
			_ = ep.s.RequestToken(t0)
			wire(t, t0, gw, ep)
			if gw.s.Token() != TokenRemote {
				t.Fatalf("gateway holder %d", gw.s.Token())
			}
			gw.events, ep.events = nil, nil
			ep.deny = refuse
			if err := gw.s.RevokeToken(t0); err != nil {
				t.Fatal(err)
			}
			wire(t, t0, gw, ep)
			r, ok := has[TokenResponse](gw.events)
			if !ok || !r.Revoke || r.Granted == refuse {
				t.Errorf("gateway's revoke response %+v %v", r, ok)
			}
			if _, ok := has[TokenReleased](gw.events); !ok {
				t.Error("no TokenReleased at the gateway")
			}
			if gw.s.Token() != TokenNone || ep.s.Token() != TokenNone {
				t.Errorf("holders after revoke: gateway %d endpoint %d", gw.s.Token(), ep.s.Token())
			}
			if ep.s.outContent() != 0 || gw.s.byRole(media.RoleContent, false, chEstablished) != nil {
				t.Error("the endpoint's content channel is still open")
			}
		})
	}
}

// TestContentOLCPacketizationMode: the remote's content channel tells its H.264
// packetization mode in mediaPacketization like a people-video channel; without
// it, it is single NAL unit mode (whose keyframes the gateway could not send
// back on a content stream that took its limits).
func TestContentOLCPacketizationMode(t *testing.T) {
	for _, tt := range []struct {
		name string
		oid  []uint32
		want int
	}{
		{"non-interleaved", oidNonInterleaved, 1},
		{"single NAL", oidSingleNAL, 0},
		{"none", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := ready(t, true, Quirks{})
			s.Drain(nil)
			m := olcContent(20, 3, false)
			if tt.oid != nil {
				o := h245.ObjectIdentifier(slices.Clone(tt.oid))
				pt := int64(97)
				m.Request.OpenLogicalChannel.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters.MediaPacketization =
					&h245.H2250LogicalChannelParametersMediaPacketization{RtpPayloadType: &h245.RTPPayloadType{
						PayloadDescriptor: h245.RTPPayloadTypePayloadDescriptor{Oid: &o}, PayloadType: &pt}}
			}
			s.Handle(t0, m)
			var in *IncomingChannel
			for _, o := range s.Drain(nil) {
				if ev, ok := o.Event.(IncomingChannel); ok {
					in = &ev
				}
			}
			if in == nil || in.Role != media.RoleContent || in.H264 == nil {
				t.Fatalf("no content IncomingChannel with H.264 limits: %+v", in)
			}
			if in.H264.PacketizationMode != tt.want {
				t.Errorf("packetization mode %d, want %d", in.H264.PacketizationMode, tt.want)
			}
		})
	}
}
