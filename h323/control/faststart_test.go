package control

import (
	"errors"
	"slices"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

func TestFastStartRoundTrip(t *testing.T) {
	caller, callee := localAt("127.0.0.2", 6000), localAt("127.0.0.1", 4000)
	props, err := ProposeFastStart(DefaultCaps(), caller)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 8 { // 3 audio codecs and H.264, each way
		t.Fatalf("%d proposals, want 8", len(props))
	}
	ans, err := AnswerFastStart(props, DefaultCaps(), callee)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.OLCs) != 4 {
		t.Fatalf("callee accepted %d channels, want audio and video each way", len(ans.OLCs))
	}
	got, err := AcceptedFastStart(ans.OLCs, DefaultCaps())
	if err != nil {
		t.Fatal(err)
	}
	check := func(who string, p media.Plan, remote media.Local) {
		t.Helper()
		for _, role := range []media.Role{media.RoleAudio, media.RoleMain} {
			st, ok := p.Stream(role)
			if !ok || st.Direction != media.SendRecv {
				t.Errorf("%s %s stream %+v, want sendrecv", who, role, st)
				continue
			}
			if st.Remote != remote.RTP(role) || st.RemoteRTCP != remote.RTCP(role) {
				t.Errorf("%s %s remote %v/%v, want %v/%v", who, role, st.Remote, st.RemoteRTCP, remote.RTP(role), remote.RTCP(role))
			}
		}
		if a, _ := p.Stream(media.RoleAudio); a.Codec != media.G722 || a.PT != 9 {
			t.Errorf("%s audio %s/%d, want G722/9", who, a.Codec, a.PT)
		}
		if v, _ := p.Stream(media.RoleMain); v.Codec != media.H264 || v.PT != DefaultH264PT || v.H264 == nil || v.H264.LevelIDC != 40 {
			t.Errorf("%s video %+v", who, v)
		}
	}
	check("callee", ans.Plan, caller)
	check("caller", got.Plan, callee)
}

func TestFastStartCalleeChoosesWhatItHas(t *testing.T) {
	props, err := ProposeFastStart(DefaultCaps(), localAt("127.0.0.2", 6000))
	if err != nil {
		t.Fatal(err)
	}
	narrow := DefaultCaps()
	narrow.Audio, narrow.H264 = []media.Codec{media.PCMA}, nil
	ans, err := AnswerFastStart(props, narrow, localAt("127.0.0.1", 4000))
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Channels) != 2 {
		t.Fatalf("channels %+v, want PCMA each way", ans.Channels)
	}
	for _, c := range ans.Channels {
		if c.Codec != media.PCMA || c.Role != media.RoleAudio {
			t.Errorf("channel %+v", c)
		}
	}
	if _, ok := ans.Plan.Stream(media.RoleMain); ok {
		t.Error("video without an H.264 capability")
	}
}

func TestFastStartNothingFits(t *testing.T) {
	g729, err := h245.Channel{Number: 1, SessionID: 1, DataType: h245.DataType{AudioData: &h245.AudioCapability{G729: new(int64(2))}},
		Audio: true}.OpenLogicalChannel()
	if err != nil {
		t.Fatal(err)
	}
	b, err := g729.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for name, props := range map[string][][]byte{
		"G.729 only": {b},
		"garbage":    {{0xff, 0x00, 0x13}, nil, make([]byte, maxProposalSize+1)},
		"none":       nil,
	} {
		if _, err := AnswerFastStart(props, DefaultCaps(), localAt("127.0.0.1", 4000)); !errors.Is(err, ErrNothingFits) {
			t.Errorf("%s: err %v, want ErrNothingFits", name, err)
		}
	}
}

// TestFastStartThenH245: both sides adopt the fastStart channels; the
// H.245 procedures that follow open nothing more and keep the plan.
func TestFastStartThenH245(t *testing.T) {
	gw, ep := pair(t)
	_, ans := fastStartBetween(t, ep.local, gw.local)
	acc, err := AcceptedFastStart(ans.OLCs, DefaultCaps())
	if err != nil {
		t.Fatal(err)
	}
	gw.s.AdoptFastStart(ans)
	ep.s.AdoptFastStart(acc)
	connect(t, gw, ep)
	for _, e := range []*end{gw, ep} {
		if slices.Contains(e.sent, "openLogicalChannel") {
			t.Errorf("%s opened a channel fastStart already opened: %v", e.name, e.sent)
		}
		if f := failures(e.events); len(f) > 0 {
			t.Errorf("%s: %v", e.name, f)
		}
	}
	// Commands use the fastStart channel numbers.
	if err := gw.s.RequestFastUpdate(media.RoleMain); err != nil {
		t.Fatal(err)
	}
	wire(t, t0, gw, ep)
	if _, ok := has[FastUpdate](ep.events); !ok {
		t.Error("the caller did not map the fast update to its fastStart video channel")
	}
	p, _ := lastPlan(gw.events)
	if len(p.Streams) != 2 {
		t.Errorf("plan %+v", p)
	}
}

// fastStartBetween proposes with the caller's addresses and answers with
// the callee's, all with our default capabilities.
func fastStartBetween(t *testing.T, caller, callee media.Local) ([][]byte, *FastStart) {
	t.Helper()
	props, err := ProposeFastStart(DefaultCaps(), caller)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := AnswerFastStart(props, DefaultCaps(), callee)
	if err != nil {
		t.Fatal(err)
	}
	return props, ans
}

// The caller's H.264 proposals say non-interleaved mode (H.241 §8.3: without
// mediaPacketization a channel is single NAL unit mode, where an IDR picture larger
// than the MTU cannot go), so both the callee's and the caller's plans send
// packetization-mode 1.
func TestFastStartH264NonInterleaved(t *testing.T) {
	caps := DefaultCaps()
	props, err := ProposeFastStart(caps, localAt("10.0.0.1", 5000))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := AnswerFastStart(props, caps, localAt("10.0.0.2", 6000))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := fs.Plan.Stream(media.RoleMain)
	if !ok || v.H264 == nil || v.H264.PacketizationMode != 1 {
		t.Fatalf("callee's video stream %+v, want H.264 in packetization-mode 1", v)
	}
	acc, err := AcceptedFastStart(fs.OLCs, caps)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := acc.Plan.Stream(media.RoleMain); !ok || v.H264 == nil || v.H264.PacketizationMode != 1 {
		t.Fatalf("caller's video stream %+v, want H.264 in packetization-mode 1", v)
	}
}
