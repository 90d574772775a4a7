package control

import (
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/transcode/media"
)

// pair is the gateway (defaults: MCU terminal type) and a simulated room
// system (terminal type 50), both with all our capabilities.
func pair(t testing.TB) (gw, ep *end) {
	gw = newEnd("gateway", Config{Local: localAt("127.0.0.1", 4000), Rand: seeded(1)})
	ep = newEnd("endpoint", Config{Local: localAt("127.0.0.2", 6000), TerminalType: 50, Rand: seeded(2)})
	return gw, ep
}

func connect(t testing.TB, gw, ep *end) {
	gw.s.Start(t0)
	ep.s.Start(t0)
	wire(t, t0, gw, ep)
}

func TestBackToBackCall(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	for _, e := range []*end{gw, ep} {
		if f := failures(e.events); len(f) > 0 {
			t.Fatalf("%s failed: %v", e.name, f)
		}
	}
	if m, ok := gw.s.Master(); !ok || !m {
		t.Errorf("gateway master=%v determined=%v, want master (190 > 50)", m, ok)
	}
	if m, ok := ep.s.Master(); !ok || m {
		t.Errorf("endpoint master=%v determined=%v, want slave", m, ok)
	}
	p, ok := lastPlan(gw.events)
	if !ok {
		t.Fatal("no plan")
	}
	a, ok := p.Stream(media.RoleAudio)
	if !ok || a.Codec != media.G722 || a.PT != 9 || a.Direction != media.SendRecv || a.Hold {
		t.Errorf("audio stream %+v, want G722/9 sendrecv", a)
	}
	if a.Remote != ep.local.RTP(media.RoleAudio) || a.RemoteRTCP != ep.local.RTCP(media.RoleAudio) {
		t.Errorf("audio remote %v/%v, want the endpoint's %v/%v", a.Remote, a.RemoteRTCP, ep.local.RTP(media.RoleAudio), ep.local.RTCP(media.RoleAudio))
	}
	if a.TelephoneEvent != DefaultTelephoneEventPT {
		t.Errorf("telephone-event PT %d, want %d (the endpoint offers RFC 2833)", a.TelephoneEvent, DefaultTelephoneEventPT)
	}
	v, ok := p.Stream(media.RoleMain)
	if !ok || v.Codec != media.H264 || v.PT != DefaultH264PT || v.Direction != media.SendRecv {
		t.Fatalf("video stream %+v, want H264/96 sendrecv", v)
	}
	if v.H264 == nil || v.H264.LevelIDC != 40 || v.H264.ProfileIDC != 66 || v.H264.PacketizationMode != 1 {
		t.Errorf("video H.264 limits %+v, want baseline level 4.0 mode 1", v.H264)
	}
	if v.MaxBitrate != 3_000_000 || v.Keyframe != media.KeyframeSignalling {
		t.Errorf("video max bitrate %d keyframe %v, want 3000000 and signalling", v.MaxBitrate, v.Keyframe)
	}
	if v.Remote != ep.local.RTP(media.RoleMain) {
		t.Errorf("video remote %v, want %v", v.Remote, ep.local.RTP(media.RoleMain))
	}
	if c, ok := has[Capabilities](gw.events); !ok || c.Choice.Audio == nil || c.Choice.Video == nil {
		t.Errorf("capabilities event %+v", c)
	}
	// Both sides see the same media, mirrored.
	pe, _ := lastPlan(ep.events)
	if a2, _ := pe.Stream(media.RoleAudio); a2.Remote != gw.local.RTP(media.RoleAudio) || a2.Codec != media.G722 {
		t.Errorf("endpoint audio %+v", a2)
	}
}

func TestHoldAndResume(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	now := t0.Add(time.Second)
	ep.s.Hold(now)
	wire(t, now, gw, ep)
	if _, ok := has[Hold](gw.events); !ok || !gw.s.Held() {
		t.Fatal("gateway did not see the hold")
	}
	p, _ := lastPlan(gw.events)
	for _, st := range p.Streams {
		if !st.Hold || st.Direction.Sends() {
			t.Errorf("held stream %s: hold=%v direction=%s, want held and not sending", st.Role, st.Hold, st.Direction)
		}
	}
	if len(p.Streams) == 0 {
		t.Error("the held plan lost the streams the endpoint still sends")
	}
	if count[ChannelClosed](gw.events) < 2 {
		t.Errorf("gateway closed %d channels on hold, want its 2", count[ChannelClosed](gw.events))
	}

	now = now.Add(time.Second)
	ep.s.Resume(now)
	wire(t, now, gw, ep)
	if _, ok := has[Resume](gw.events); !ok || gw.s.Held() {
		t.Fatal("gateway did not resume")
	}
	p, _ = lastPlan(gw.events)
	for _, role := range []media.Role{media.RoleAudio, media.RoleMain} {
		st, ok := p.Stream(role)
		if !ok || st.Hold || st.Direction != media.SendRecv {
			t.Errorf("resumed %s stream %+v, want sendrecv", role, st)
		}
	}
	if n := count[MasterSlave](gw.events); n != 2 {
		t.Errorf("gateway ran MSD %d times, want 2 (again after the pause)", n)
	}
	if f := failures(gw.events); len(f) > 0 {
		t.Errorf("failures: %v", f)
	}
}

// runTimers ticks a session at each deadline (at most n times), wiring
// after each, until a Failure appears.
func runTimers(t *testing.T, n int, a, b *end) (time.Time, string) {
	t.Helper()
	now := t0
	for range n {
		d, ok := a.s.NextDeadline()
		if !ok {
			break
		}
		now = d
		a.s.Tick(now)
		wire(t, now, a, b)
		if f := failures(a.events); len(f) > 0 {
			return now, f[0]
		}
	}
	return now, ""
}

func TestRTDLivenessFailure(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	// Answered round trips keep the call alive.
	now, _ := gw.s.NextDeadline()
	gw.s.Tick(now)
	wire(t, now, gw, ep)
	if _, ok := has[RoundTrip](gw.events); !ok {
		t.Fatal("no round trip measured")
	}
	ep.mute = true
	_, reason := runTimers(t, 20, gw, ep)
	if !strings.Contains(reason, "round trip delay: 3 requests") {
		t.Fatalf("failure %q, want 3 unanswered round trips", reason)
	}
	n := 0
	for _, s := range gw.sent {
		if s == "roundTripDelayRequest" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("sent %d RoundTripDelayRequests, want 1 answered + 3 missed", n)
	}
}

func TestTimerFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(gw, ep *end)
		want  string
	}{
		{"T101", func(gw, ep *end) { ep.mute = true; gw.s.msd.t106 = time.Hour }, "no TerminalCapabilitySetAck within T101"},
		{"T106", func(gw, ep *end) { ep.mute = true; gw.s.tcs.t101 = time.Hour },
			"no response within T106"},
		{"T103", func(gw, ep *end) { ep.accept = false }, "no OpenLogicalChannelAck within T103"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw, ep := pair(t)
			gw.s.cfg.RTDInterval = -1 // only the timer under test
			tt.setup(gw, ep)
			connect(t, gw, ep)
			_, reason := runTimers(t, 10, gw, ep)
			if !strings.Contains(reason, tt.want) {
				t.Fatalf("failure %q, want %q", reason, tt.want)
			}
		})
	}
}

func TestTCSRetriedOnceThenReleased(t *testing.T) {
	gw, ep := pair(t)
	ep.mute = true
	gw.s.msd.t106 = time.Hour
	gw.s.cfg.RTDInterval = -1
	connect(t, gw, ep)
	runTimers(t, 10, gw, ep)
	var tcs, rel int
	for _, s := range gw.sent {
		switch s {
		case "terminalCapabilitySet":
			tcs++
		case "terminalCapabilitySetRelease":
			rel++
		}
	}
	if tcs != 2 || rel != 1 {
		t.Errorf("sent %d TCS and %d releases, want 2 (one retry) and 1", tcs, rel)
	}
}

func TestCommandsBothWays(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	now := t0.Add(time.Second)
	if err := gw.s.RequestFastUpdate(media.RoleMain); err != nil {
		t.Fatal(err)
	}
	if err := gw.s.LimitBitrate(media.RoleMain, 1_000_000); err != nil {
		t.Fatal(err)
	}
	gw.s.SendUserInput("1#", 100*time.Millisecond)
	wire(t, now, gw, ep)
	if fu, ok := has[FastUpdate](ep.events); !ok || fu.Role != media.RoleMain {
		t.Errorf("endpoint fast update %+v %v", fu, ok)
	}
	if fc, ok := has[FlowControl](ep.events); !ok || fc.Role != media.RoleMain || fc.Bitrate != 1_000_000 {
		t.Errorf("endpoint flow control %+v %v", fc, ok)
	}
	var digits string
	for _, e := range ep.events {
		if u, ok := e.(UserInput); ok {
			digits += u.Text
			if !u.Signal || u.Duration != 100*time.Millisecond {
				t.Errorf("user input %+v, want a 100 ms signal", u)
			}
		}
	}
	if digits != "1#" {
		t.Errorf("digits %q", digits)
	}
	// The other way: text the endpoint cannot send as signals.
	ep.s.SendUserInput("hello", 0)
	if err := ep.s.RequestFastUpdate(media.RoleMain); err != nil {
		t.Fatal(err)
	}
	wire(t, now, gw, ep)
	if u, ok := has[UserInput](gw.events); !ok || u.Text != "hello" || u.Signal {
		t.Errorf("gateway user input %+v", u)
	}
	if _, ok := has[FastUpdate](gw.events); !ok {
		t.Error("gateway saw no fast update request")
	}
	// End of session both ways.
	ep.s.End()
	wire(t, now, gw, ep)
	if _, ok := has[EndSession](gw.events); !ok || !gw.s.Ended() {
		t.Error("gateway did not see endSessionCommand")
	}
}

func TestCloseAndRequestClose(t *testing.T) {
	gw, ep := pair(t)
	connect(t, gw, ep)
	now := t0.Add(time.Second)
	// The endpoint asks the gateway to close the gateway's video.
	if err := ep.s.RequestChannelClose(media.RoleMain); err != nil {
		t.Fatal(err)
	}
	wire(t, now, gw, ep)
	p, _ := lastPlan(gw.events)
	if v, _ := p.Stream(media.RoleMain); v.Direction != media.RecvOnly {
		t.Errorf("gateway video after requestChannelClose: %s, want recvonly", v.Direction)
	}
	// The gateway closes its audio.
	if err := gw.s.CloseChannel(now, media.RoleAudio); err != nil {
		t.Fatal(err)
	}
	wire(t, now, gw, ep)
	p, _ = lastPlan(ep.events)
	if a, _ := p.Stream(media.RoleAudio); a.Direction != media.SendOnly {
		t.Errorf("endpoint audio after the gateway's close: %s, want sendonly", a.Direction)
	}
	if len(gw.s.chans) != 2 {
		t.Errorf("gateway keeps %d channels, want the endpoint's 2 (its own closed and released)", len(gw.s.chans))
	}
}

func TestTandbergSessionFromAck(t *testing.T) {
	gw, ep := pair(t)
	gw.s.Start(t0)
	ep.s.Start(t0)
	// Let everything through but rewrite the endpoint's OLC Acks the way
	// Tandberg does: session 32+.
	wireRewrite(t, t0, gw, ep)
	for _, c := range gw.s.chans {
		if c.out && c.state == chEstablished && c.session < 32 {
			t.Errorf("gateway channel %d keeps session %d, want the Ack's", c.number, c.session)
		}
	}
}
