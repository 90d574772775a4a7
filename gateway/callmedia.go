package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/ivr"
	"github.com/roomgate/roomgate/gateway/netprofile"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/transcode/media"
)

// mediaFactory makes the media bridge of each call, whatever its signalling.
type mediaFactory struct {
	ports *ports.Allocator // the default profile's
	clock *frameClock      // the gateway's audio clock
	addr  netip.Addr       // the default profile's advertised media address
	opt   mediaOptions
	// profiles are the NAT/ALG profiles a call's network is matched to; allocs the
	// port allocator of each profile port range.
	profiles *netprofile.Set
	allocs   map[[2]int]*ports.Allocator
	rooms    bridge.RoomService // the meeting core, to leave meetings
	taps     *tapRegistry       // one hidden subscriber per meeting, shared by its calls

	// prompts are the IVR prompts as the audio path plays them (48 kHz), decoded
	// and resampled once: every call in a waiting room plays one.
	promptMu sync.Mutex
	prompts  map[ivr.Prompt][]int16

	// contents are the calls' content sides by content RTP port: the SIP leg serves
	// BFCP with the one of the ports it answers with.
	contentMu sync.Mutex
	contents  map[int]*contentPath
}

// contentAt is the content side of the call that receives at local (nil: none).
func (f *mediaFactory) contentAt(local media.Local) *contentPath {
	if f == nil {
		return nil
	}
	f.contentMu.Lock()
	defer f.contentMu.Unlock()
	return f.contents[local.Ports[media.RoleContent]]
}

// prompt is p at the meeting rate; nil when it cannot be decoded. Callers must not
// change the samples.
func (f *mediaFactory) prompt(p ivr.Prompt) []int16 {
	f.promptMu.Lock()
	defer f.promptMu.Unlock()
	if pcm, ok := f.prompts[p]; ok {
		return pcm
	}
	s, err := ivr.Samples(p)
	if err != nil {
		return nil
	}
	if f.prompts == nil {
		f.prompts = map[ivr.Prompt][]int16{}
	}
	pcm := promptPCM(s)
	f.prompts[p] = pcm
	return pcm
}

// new allocates a call's ports from the range of its NAT/ALG profile (call.NewMedia).
func (f *mediaFactory) new(log *slog.Logger, peer call.Peer) (call.Media, error) {
	prof := f.profileOf(peer.Source.Addr())
	log.Info("network profile", "profile", prof.Name, "advertise", prof.Advertise, "latch", prof.Latch.String(),
		"trust_signalled", prof.TrustSignalled, "ports", fmt.Sprintf("%d-%d", prof.PortMin, prof.PortMax))
	rc, err := allocMedia(log, f.allocatorOf(prof), f.clock)
	if err != nil {
		return nil, err
	}
	f.contentMu.Lock()
	if f.contents == nil {
		f.contents = map[int]*contentPath{}
	}
	f.contents[rc.pairs[2].RTPPort] = rc.content
	f.contentMu.Unlock()
	return &callMedia{roomCall: rc, f: f, prof: prof, net: newNetState(prof, peer, log)}, nil
}

// callMedia is a roomCall as the call flow drives it.
type callMedia struct {
	*roomCall
	f    *mediaFactory
	prof *netprofile.Profile // the call's NAT/ALG profile
	net  *netState
}

var _ call.Media = (*callMedia)(nil)

// Local advertises the call's ports at its profile's address (split horizon).
func (m *callMedia) Local() media.Local { return m.mediaLocal(m.prof.Advertise) }

func (m *callMedia) Start(plan media.Plan, signalling netip.AddrPort, onDigit func(byte), requestKeyframe func()) error {
	opt := m.f.opt.withPeer(signalling)
	opt.Latch, opt.Keepalive = m.prof.Latch, m.prof.Keepalive
	return m.start(m.net.apply(plan, signalling), opt, onDigit, requestKeyframe)
}

func (m *callMedia) Update(plan media.Plan) error {
	return m.update(m.net.apply(plan, netip.AddrPort{}))
}

func (m *callMedia) KeyframeFromRoom() { m.vpathKeyframe() }

func (m *callMedia) LimitVideo(bitrate int) { m.limitVideo(bitrate) }

func (m *callMedia) Play(prompts ...ivr.Prompt) {
	if m.apath == nil {
		return
	}
	var pcm []int16
	for _, p := range prompts {
		pcm = append(pcm, m.f.prompt(p)...)
	}
	m.apath.play(pcm)
}

func (m *callMedia) Silence() {
	if m.apath != nil {
		m.apath.play(nil)
	}
}

func (m *callMedia) Playing() bool { return m.apath != nil && m.apath.playing() }

func (m *callMedia) Join(ctx context.Context, adm api.RoomSystemAdmission, meetingID string) error {
	return m.join(ctx, adm, m.f.rooms, m.f.taps, meetingID)
}

func (m *callMedia) OnEnded(f func()) { m.ended = f }
func (m *callMedia) Ended() string    { return m.mediaEnded() }
func (m *callMedia) Close() {
	m.f.contentMu.Lock()
	if m.f.contents[m.pairs[2].RTPPort] == m.content {
		delete(m.f.contents, m.pairs[2].RTPPort)
	}
	m.f.contentMu.Unlock()
	m.close()
}

// vpathKeyframe forwards a room system's keyframe request (SIP INFO
// picture_fast_update, H.245 videoFastUpdatePicture) to the meeting.
func (rc *roomCall) vpathKeyframe() {
	if rc.vpath != nil {
		rc.vpath.keyframeFromRoom()
	}
}
