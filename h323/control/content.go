package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// H.239 content (presentation) capabilities and channels: our
// extendedVideoCapability with the presentation role around H.264 and the
// H.239 control capability, the remote's, and the content channel's data
// type and RTP session.

// DefaultContent is the content decoder capability DefaultCaps announces:
// H.264 Baseline level 3.1 (720p30: 3600 macroblocks × 30 = 108000 a
// second) with customMaxFS 32 (8192 macroblocks: 1920×1088) and
// customMaxMBPS 245 (122500 a second: 1080p at 15 fps), at most 1.5 Mbit/s
// (maxBitRate 15000 × 100 bit/s). Slides need resolution more than frame
// rate; 1.5 Mbit/s leaves people video its share of a 4 Mbit/s call.
func DefaultContent() *h245.H264Capability {
	return &h245.H264Capability{Profile: h245.H264ProfileBaseline, Level: h245.H264Level31,
		CustomMaxMBPS: 245, CustomMaxFS: 32, MaxBitRate: 15000}
}

// contentCapabilities appends to caps the H.239 control capability and our
// content receive capability, each in its own alternative set of sim: they
// run together with audio and people video.
func contentCapabilities(c *LocalCaps, caps []h245.Capability, sim [][]int) ([]h245.Capability, [][]int) {
	if c.Content == nil {
		return caps, sim
	}
	v := h239.ExtendedVideo(h239.RolePresentation, c.Content.VideoCapability())
	sim = append(sim, []int{len(caps)})
	caps = append(caps, h245.Capability{ReceiveVideoCapability: &v})
	sim = append(sim, []int{len(caps)})
	caps = append(caps, h239.ControlCapability())
	return caps, sim
}

// parseExtendedVideo reads an H.239 extendedVideoCapability: presentation
// role around H.264 is KindContent with the H.264 limits; any other role or
// inner codec (content in H.263 …) is KindContent without a codec, named
// for the log.
func parseExtendedVideo(rcap *RemoteCap, v *h245.VideoCapability) {
	role, vs, err := h239.ParseExtendedVideo(v)
	if err != nil {
		rcap.Name = "extendedVideoCapability"
		return
	}
	rcap.Kind = KindContent
	if role&h239.RolePresentation == 0 {
		rcap.Name = fmt.Sprintf("extendedVideoCapability (role %d)", role)
		return
	}
	rcap.Name = "extendedVideoCapability (no video)"
	for i := range vs {
		if vs[i].ExtendedVideoCapability != nil {
			continue // no nesting
		}
		inner := RemoteCap{Kind: KindVideo}
		parseVideo(&inner, &vs[i])
		rcap.Name = "content " + inner.Name
		if inner.Codec == media.H264 {
			rcap.Codec, rcap.H264, rcap.MaxBitrate = inner.Codec, inner.H264, inner.MaxBitrate
			return
		}
	}
}

// chooseContent picks the remote's first H.264 presentation capability it
// receives, when both sides take H.239; otherwise it says why not.
func chooseContent(rc *RemoteCaps, local *LocalCaps) (*RemoteCap, string) {
	switch {
	case local.Content == nil:
		return nil, "content disabled on our side"
	case !rc.H239:
		return nil, "the remote does not announce H.239"
	}
	var names []string
	for i := range rc.Caps {
		c := &rc.Caps[i]
		if c.Kind != KindContent || !c.Receive {
			continue
		}
		if c.Codec == media.H264 {
			return c, ""
		}
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return nil, "the remote receives no presentation video"
	}
	return nil, fmt.Sprintf("the remote receives content only as %v, no H.264", names)
}

// contentDataType is the dataType of our content channel's OLC.
func contentDataType(send h245.H264Capability) h245.DataType {
	v := h239.ExtendedVideo(h239.RolePresentation, send.VideoCapability())
	return h245.DataType{VideoData: &v}
}

// parseContentOLC reads the dataType of a remote content OLC into c.
func (s *Session) parseContentOLC(c *channel, v *h245.VideoCapability) (RejectCause, bool) {
	role, vs, err := h239.ParseExtendedVideo(v)
	if err != nil || role&h239.RolePresentation == 0 || s.cfg.Caps.Content == nil || len(vs) == 0 {
		return RejectDataTypeNotSupported, false
	}
	g := vs[0].GenericVideoCapability
	if g == nil || !h245.IsH264(g) {
		return RejectDataTypeNotSupported, false // content H.263: no content
	}
	hc, err := h245.ParseH264(g)
	if err != nil {
		return RejectDataTypeNotSupported, false
	}
	if c.h264, err = limitsFromH241(hc); err != nil {
		return RejectDataTypeNotSupported, false
	}
	c.role, c.codec, c.pt = media.RoleContent, media.H264, s.cfg.Caps.H264PT
	return 0, true
}

// contentSession is the RTP session for a content channel: the one the
// remote's content channel uses (Huawei proposes 10, Tandberg assigns 32+),
// otherwise the first from 3 up that no channel uses.
func (s *Session) contentSession(except *channel) int64 {
	for _, c := range s.chans {
		if c != except && c.role == media.RoleContent && c.session >= 3 {
			return c.session
		}
	}
	for id := int64(3); ; id++ {
		used := false
		for _, c := range s.chans {
			used = used || c != except && c.session == id
		}
		if !used {
			return id
		}
	}
}

// OpenContentChannel opens our content channel without asking for the
// presentation token, as soon as capabilities and master/slave
// determination allow. Some endpoints open it at connect and never present:
// the token, not the channel, means presenting (H.239 §7.4). A later
// RequestToken asks for the token on this channel at once.
func (s *Session) OpenContentChannel(now time.Time) error {
	if s.ended {
		return errors.New("control: session ended")
	}
	if s.choice != nil && s.choice.Content == nil {
		return errors.New("control: no content toward the remote: " + s.choice.ContentReason)
	}
	s.tok.early = true
	s.after(now)
	return nil
}

// contentEarly opens the content channel OpenContentChannel asked for, when
// no token request is under way (that one opens its own).
func (s *Session) contentEarly(now time.Time) {
	if !s.tok.early || s.tok.state != tokIdle && s.tok.state != tokRemote || s.choice == nil || s.choice.Content == nil ||
		!s.msd.done || s.held || s.ended {
		return
	}
	s.tok.early = false
	if s.byRole(media.RoleContent, true, chAwaitingAck, chEstablished) == nil {
		s.openOut(now, media.RoleContent, s.choice.Content)
	}
}
