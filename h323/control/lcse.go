package control

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// Logical channel signalling entities, LCSE (H.245 §8.4, SDL in C.4), for
// unidirectional RTP channels both ways. Each channel is a small state
// machine with its own T103.

type chanState uint8

const (
	chAwaitingAck     chanState = iota // out: OLC sent (awaiting-establishment)
	chEstablished                      // both ways
	chAwaitingRelease                  // out: CLC sent (awaiting-release)
	chAwaitingAccept                   // in: the call decides
)

func (s chanState) String() string {
	return [...]string{"awaiting-establishment", "established", "awaiting-release", "awaiting-accept"}[s]
}

// maxChannels bounds the channels of a session (both ways together).
const maxChannels = 16

type channel struct {
	number   int64
	out      bool
	state    chanState
	role     media.Role
	codec    media.Codec
	pt       uint8
	session  int64
	frames   int64
	h264     *media.H264Limits
	bitrate  int // the remote decoder's limit (out), bit/s
	remote   netip.AddrPort
	rtcp     netip.AddrPort // the remote's RTCP
	deadline time.Time      // T103
}

// sessionOf is the H.225.0 RTP session of a role (H.323 §8.1.7.3: 1
// audio, 2 video; content: 3, Session.contentSession picks the real one).
func sessionOf(r media.Role) int64 {
	switch r {
	case media.RoleAudio:
		return 1
	case media.RoleContent:
		return 3
	}
	return 2
}

// RejectCause is why the call rejects an incoming channel.
type RejectCause uint8

// Reject causes (OpenLogicalChannelReject.cause).
const (
	RejectUnspecified RejectCause = iota
	RejectDataTypeNotSupported
	RejectDataTypeNotAvailable
	RejectInsufficientBandwidth
	RejectMasterSlaveConflict
	RejectInvalidSessionID
)

func (c RejectCause) cause() h245.OpenLogicalChannelRejectCause {
	var r h245.OpenLogicalChannelRejectCause
	n := &struct{}{}
	switch c {
	case RejectDataTypeNotSupported:
		r.DataTypeNotSupported = n
	case RejectDataTypeNotAvailable:
		r.DataTypeNotAvailable = n
	case RejectInsufficientBandwidth:
		r.InsufficientBandwidth = n
	case RejectMasterSlaveConflict:
		r.MasterSlaveConflict = n
	case RejectInvalidSessionID:
		r.InvalidSessionID = n
	default:
		r.Unspecified = n
	}
	return r
}

func olcCauseName(c *h245.OpenLogicalChannelRejectCause) string {
	switch {
	case c.MasterSlaveConflict != nil:
		return "masterSlaveConflict"
	case c.DataTypeNotSupported != nil:
		return "dataTypeNotSupported"
	case c.DataTypeNotAvailable != nil:
		return "dataTypeNotAvailable"
	case c.UnknownDataType != nil:
		return "unknownDataType"
	case c.InsufficientBandwidth != nil:
		return "insufficientBandwidth"
	case c.InvalidSessionID != nil:
		return "invalidSessionID"
	case c.UnsuitableReverseParameters != nil:
		return "unsuitableReverseParameters"
	}
	return "unspecified"
}

func (s *Session) find(number int64, out bool) *channel {
	for _, c := range s.chans {
		if c.number == number && c.out == out {
			return c
		}
	}
	return nil
}

func (s *Session) byRole(r media.Role, out bool, states ...chanState) *channel {
	for _, c := range s.chans {
		if c.role == r && c.out == out && slices.Contains(states, c.state) {
			return c
		}
	}
	return nil
}

func (s *Session) drop(c *channel) {
	s.chans = slices.DeleteFunc(s.chans, func(x *channel) bool { return x == c })
}

// openOut opens our channel of role toward a remote capability, with codec
// override when realigning to the remote's channel.
func (s *Session) openOut(now time.Time, role media.Role, rc *RemoteCap) {
	if len(s.chans) >= maxChannels || rc == nil {
		return
	}
	s.nextLCN++
	ch := &channel{number: s.nextLCN, out: true, state: chAwaitingAck, role: role, codec: rc.Codec,
		session: sessionOf(role), bitrate: rc.MaxBitrate}
	if role == media.RoleContent {
		ch.session = s.contentSession(nil)
	}
	spec := h245.Channel{Number: ch.number, SessionID: ch.session, RTCP: s.cfg.Local.RTCP(role)}
	var mode int
	if role == media.RoleAudio {
		ch.frames = s.cfg.Caps.AudioFrames
		if rc.Frames > 0 && rc.Frames < ch.frames {
			ch.frames = rc.Frames
		}
		ch.pt = staticPT(rc.Codec)
		spec.DataType = h245.DataType{AudioData: audioCapability(rc.Codec, ch.frames)}
		spec.Audio = true
	} else {
		base := s.cfg.Caps.H264
		if role == media.RoleContent {
			base = s.cfg.Caps.Content
		}
		if base == nil {
			return
		}
		send := *base
		if rc.H264 != nil {
			if l, err := H241Level(levelOf(rc.H264)); err == nil && l < send.Level {
				send.Level = l
			}
			lim := *rc.H264
			if s.remote().PacketizationMode1 {
				mode = 1
			}
			lim.PacketizationMode = mode
			ch.h264 = &lim
		}
		if ch.bitrate > 0 && int64(ch.bitrate/100) < send.MaxBitRate {
			send.MaxBitRate = int64(ch.bitrate / 100)
		}
		ch.pt = s.cfg.Caps.H264PT
		spec.PayloadType = int64(ch.pt)
		spec.DataType = h245.DataType{VideoData: new(send.VideoCapability())}
		if role == media.RoleContent {
			spec.DataType = contentDataType(send)
		}
	}
	olc, err := spec.OpenLogicalChannel()
	if err != nil {
		s.out.event(Failure{Reason: "open logical channel: " + err.Error()})
		return
	}
	if role != media.RoleAudio {
		oid := oidSingleNAL
		if mode == 1 {
			oid = oidNonInterleaved
		}
		o := h245.ObjectIdentifier(slices.Clone(oid))
		olc.ForwardLogicalChannelParameters.MultiplexParameters.H2250LogicalChannelParameters.MediaPacketization =
			&h245.H2250LogicalChannelParametersMediaPacketization{RtpPayloadType: &h245.RTPPayloadType{
				PayloadDescriptor: h245.RTPPayloadTypePayloadDescriptor{Oid: &o}, PayloadType: &spec.PayloadType}}
	}
	ch.deadline = now.Add(s.cfg.T103)
	s.chans = append(s.chans, ch)
	s.out.send(h245.Request(h245.RequestMessage{OpenLogicalChannel: &olc}))
}

// olcPacketization reads the H.264 packetization mode of an incoming video
// channel from its mediaPacketization (H.241 §8.1.4; none: single NAL unit).
func olcPacketization(c *channel, p *h245.H2250LogicalChannelParameters) {
	if mp := p.MediaPacketization; c.h264 != nil && mp != nil && mp.RtpPayloadType != nil && mp.RtpPayloadType.PayloadDescriptor.Oid != nil {
		c.h264.PacketizationMode, _ = packetizationMode(*mp.RtpPayloadType.PayloadDescriptor.Oid)
	}
}

func (s *Session) remote() *RemoteCaps {
	if s.in.remote == nil {
		return &RemoteCaps{}
	}
	return s.in.remote
}

// closeOut sends CloseLogicalChannel for one of our channels.
func (s *Session) closeOut(now time.Time, c *channel) {
	if c.state == chAwaitingRelease {
		return
	}
	s.out.send(h245.NewCloseLogicalChannel(c.number))
	c.state, c.deadline = chAwaitingRelease, now.Add(s.cfg.T103)
	s.out.event(ChannelClosed{Number: c.number, Role: c.role, Outgoing: true})
}

func (s *Session) onOLCAck(now time.Time, a *h245.OpenLogicalChannelAck) {
	c := s.find(int64(a.ForwardLogicalChannelNumber), true)
	if c == nil || c.state != chAwaitingAck {
		return // late or unknown: H.245 C.4 ignores it
	}
	var p *h245.H2250LogicalChannelAckParameters
	if fm := a.ForwardMultiplexAckParameters; fm != nil {
		p = fm.H2250LogicalChannelAckParameters
	}
	var err error
	if p == nil || p.MediaChannel == nil {
		err = fmt.Errorf("no mediaChannel")
	} else if c.remote, err = p.MediaChannel.AddrPort(); err == nil && p.MediaControlChannel != nil {
		c.rtcp, err = p.MediaControlChannel.AddrPort()
	}
	if err != nil {
		s.out.send(h245.NewCloseLogicalChannel(c.number))
		s.drop(c)
		s.out.event(ChannelRejected{Number: c.number, Role: c.role, Cause: "unusable OpenLogicalChannelAck: " + err.Error()})
		s.tokenChannel(c, false)
		return
	}
	// Tandberg opens with session 0 and assigns 32+ in its Ack: whatever
	// the remote assigns is the session from now on (H.245 §8.4.1.2).
	if p.SessionID != nil && *p.SessionID > 0 && *p.SessionID <= 255 {
		c.session = *p.SessionID
	}
	c.state, c.deadline = chEstablished, time.Time{}
	s.realign(now, c.role)
}

func (s *Session) onOLCReject(now time.Time, r *h245.OpenLogicalChannelReject) {
	c := s.find(int64(r.ForwardLogicalChannelNumber), true)
	if c == nil || c.state != chAwaitingAck {
		return
	}
	s.drop(c)
	cause := olcCauseName(&r.Cause)
	s.out.event(ChannelRejected{Number: c.number, Role: c.role, Cause: cause})
	s.tokenChannel(c, false)
	if r.Cause.MasterSlaveConflict != nil && !s.isMaster() {
		// The master keeps its channel; ours follows it (H.245 §8.4.1.3).
		s.reopen[roleIndex(c.role)] = true
		s.realign(now, c.role)
	}
}

// onOLC handles the remote opening a channel toward us.
func (s *Session) onOLC(now time.Time, olc *h245.OpenLogicalChannel) {
	num := int64(olc.ForwardLogicalChannelNumber)
	reject := func(c RejectCause) {
		s.out.send(h245.Response(h245.ResponseMessage{OpenLogicalChannelReject: &h245.OpenLogicalChannelReject{
			ForwardLogicalChannelNumber: olc.ForwardLogicalChannelNumber, Cause: c.cause()}}))
	}
	if old := s.find(num, false); old != nil {
		s.drop(old) // a new OLC for a known number replaces it (H.245 C.4)
		if old.state == chEstablished {
			s.out.event(ChannelClosed{Number: num, Role: old.role})
		}
	}
	if len(s.chans) >= maxChannels {
		reject(RejectInsufficientBandwidth)
		return
	}
	in, cause, ok := s.parseIncoming(olc)
	if !ok {
		reject(cause)
		return
	}
	if r := olc.ForwardLogicalChannelParameters.ReplacementFor; r != nil {
		// H.245 §8.4.1.1: the new channel replaces an open one.
		if old := s.find(int64(*r), false); old != nil && old.role == in.role {
			s.drop(old)
			s.out.event(ChannelClosed{Number: old.number, Role: old.role})
		}
	}
	if s.byRole(in.role, false, chAwaitingAccept, chEstablished) != nil {
		reject(RejectDataTypeNotAvailable) // one channel per role
		return
	}
	// A conflict (H.245 §8.4.1.3): our channel of the same session still
	// awaits its Ack with another codec. The master rejects the slave's;
	// the slave takes the master's and follows it.
	if mine := s.byRole(in.role, true, chAwaitingAck); mine != nil && mine.codec != in.codec && s.isMaster() {
		if !s.cfg.Quirks.NoReproposeAfterConflict {
			reject(RejectMasterSlaveConflict)
			return
		}
		// Polycom HDX would never propose again: take its channel and
		// replace ours once it is accepted.
		s.closeOut(now, mine)
		s.reopen[roleIndex(in.role)] = true
	}
	s.chans = append(s.chans, in)
	s.out.event(IncomingChannel{Number: num, Role: in.role, Codec: in.codec, PT: in.pt, H264: in.h264, RemoteRTCP: in.rtcp})
}

// parseIncoming checks an incoming OLC; B-LCSE (bidirectional) is not
// supported.
func (s *Session) parseIncoming(olc *h245.OpenLogicalChannel) (*channel, RejectCause, bool) {
	fw := &olc.ForwardLogicalChannelParameters
	p := fw.MultiplexParameters.H2250LogicalChannelParameters
	if p == nil || olc.ReverseLogicalChannelParameters != nil {
		return nil, RejectUnspecified, false
	}
	c := &channel{number: int64(olc.ForwardLogicalChannelNumber), state: chAwaitingAccept, session: p.SessionID}
	switch dt := &fw.DataType; {
	case dt.AudioData != nil:
		c.role = media.RoleAudio
		c.codec, c.frames, _ = audioCodec(dt.AudioData)
		if !slices.Contains(s.cfg.Caps.Audio, c.codec) {
			return nil, RejectDataTypeNotSupported, false
		}
		c.pt = staticPT(c.codec)
	case dt.VideoData != nil && dt.VideoData.GenericVideoCapability != nil && h245.IsH264(dt.VideoData.GenericVideoCapability):
		if s.cfg.Caps.H264 == nil {
			return nil, RejectDataTypeNotSupported, false
		}
		hc, err := h245.ParseH264(dt.VideoData.GenericVideoCapability)
		if err != nil {
			return nil, RejectDataTypeNotSupported, false
		}
		if c.h264, err = limitsFromH241(hc); err != nil {
			return nil, RejectDataTypeNotSupported, false
		}
		c.role, c.codec, c.pt = media.RoleMain, media.H264, s.cfg.Caps.H264PT
		olcPacketization(c, p)
	case dt.VideoData != nil && dt.VideoData.ExtendedVideoCapability != nil:
		if cause, ok := s.parseContentOLC(c, dt.VideoData); !ok {
			return nil, cause, false
		}
		olcPacketization(c, p) // content too: mode 0 would leave its keyframes unsendable
	case dt.NullData != nil:
		return nil, RejectUnspecified, false
	default:
		return nil, RejectDataTypeNotSupported, false
	}
	if c.role != media.RoleAudio || p.DynamicRTPPayloadType != nil {
		if pt := p.DynamicRTPPayloadType; pt != nil {
			if *pt < 96 || *pt > 127 {
				return nil, RejectUnspecified, false
			}
			c.pt = uint8(*pt)
		}
	}
	if c.session == 0 { // the opener asks the master to assign one
		c.session = sessionOf(c.role)
		if c.role == media.RoleContent {
			c.session = s.contentSession(c)
		}
	}
	if p.MediaControlChannel != nil {
		if a, err := p.MediaControlChannel.AddrPort(); err == nil {
			c.rtcp = a
		}
	}
	return c, 0, true
}

// AcceptChannel accepts the remote's channel number, receiving its RTP at
// rtp and RTCP at rtcp.
func (s *Session) AcceptChannel(now time.Time, number int64, rtp, rtcp netip.AddrPort) error {
	c := s.find(number, false)
	if c == nil || c.state != chAwaitingAccept {
		return fmt.Errorf("control: no channel %d awaiting acceptance", number)
	}
	ack, err := h245.NewOpenLogicalChannelAck(number, c.session, rtp, rtcp)
	if err != nil {
		return err
	}
	c.state = chEstablished
	s.out.send(ack)
	s.tokenChannel(c, true) // a grant held for this Ack follows it
	s.realign(now, c.role)
	s.after(now)
	return nil
}

// RejectChannel rejects the remote's channel number.
func (s *Session) RejectChannel(now time.Time, number int64, cause RejectCause) error {
	c := s.find(number, false)
	if c == nil || c.state != chAwaitingAccept {
		return fmt.Errorf("control: no channel %d awaiting acceptance", number)
	}
	s.drop(c)
	s.out.send(h245.Response(h245.ResponseMessage{OpenLogicalChannelReject: &h245.OpenLogicalChannelReject{
		ForwardLogicalChannelNumber: h245.LogicalChannelNumber(number), Cause: cause.cause()}}))
	s.tokenChannel(c, false)
	s.after(now)
	return nil
}

// realign makes our channel of role use the codec the remote sends, when
// a conflict asked for it (reopen), or when we are slave and ours differs
// from the master's, and the remote can receive its own codec: one codec
// per session, as the plan has it. The master keeps its codec (a remote
// that does not follow it leaves the session asymmetric; the plan then
// names what we send, IncomingChannel what we receive).
func (s *Session) realign(now time.Time, role media.Role) {
	in := s.byRole(role, false, chEstablished, chAwaitingAccept)
	if in == nil || s.held {
		return
	}
	mine := s.byRole(role, true, chAwaitingAck, chEstablished)
	if mine != nil && mine.codec == in.codec {
		s.reopen[roleIndex(role)] = false
		return
	}
	if mine == nil && !s.reopen[roleIndex(role)] {
		return
	}
	rc := s.receivable(role, in.codec)
	if rc == nil {
		return // keep what we have: asymmetric, but the remote cannot take its own codec
	}
	if mine != nil {
		if mine.state == chAwaitingAck {
			return // settled when the Ack or Reject comes
		}
		if s.isMaster() && !s.reopen[roleIndex(role)] {
			return // the slave follows the master, not the other way round
		}
		s.closeOut(now, mine)
	}
	s.reopen[roleIndex(role)] = false
	s.openOut(now, role, rc)
}

// receivable finds the remote's receive capability for codec in role's
// kind, preferring the chosen one.
func (s *Session) receivable(role media.Role, codec media.Codec) *RemoteCap {
	if ch := s.chosen(role); ch != nil && ch.Codec == codec {
		return ch
	}
	kind := KindVideo
	switch role {
	case media.RoleAudio:
		kind = KindAudio
	case media.RoleContent:
		kind = KindContent
	}
	rc := s.remote()
	for i := range rc.Caps {
		if c := &rc.Caps[i]; c.Kind == kind && c.Receive && c.Codec == codec {
			return c
		}
	}
	return nil
}

func (s *Session) onCLC(clc *h245.CloseLogicalChannel) {
	num := clc.ForwardLogicalChannelNumber
	// Acknowledge even unknown channels (H.245 C.4: release is idempotent).
	s.out.send(h245.Response(h245.ResponseMessage{CloseLogicalChannelAck: &h245.CloseLogicalChannelAck{ForwardLogicalChannelNumber: num}}))
	if c := s.find(int64(num), false); c != nil {
		s.drop(c)
		s.out.event(ChannelClosed{Number: c.number, Role: c.role})
		s.tokenChannel(c, false)
	}
}

func (s *Session) onCLCAck(a *h245.CloseLogicalChannelAck) {
	if c := s.find(int64(a.ForwardLogicalChannelNumber), true); c != nil && c.state == chAwaitingRelease {
		s.drop(c)
	}
}

// onRCC: the remote asks us to close one of our channels (H.245 §8.5);
// we agree and close it.
func (s *Session) onRCC(now time.Time, r *h245.RequestChannelClose) {
	c := s.find(int64(r.ForwardLogicalChannelNumber), true)
	if c == nil || c.state == chAwaitingRelease {
		s.out.send(h245.Response(h245.ResponseMessage{RequestChannelCloseReject: &h245.RequestChannelCloseReject{
			ForwardLogicalChannelNumber: r.ForwardLogicalChannelNumber,
			Cause:                       h245.RequestChannelCloseRejectCause{Unspecified: &struct{}{}}}}))
		return
	}
	s.out.send(h245.Response(h245.ResponseMessage{RequestChannelCloseAck: &h245.RequestChannelCloseAck{
		ForwardLogicalChannelNumber: r.ForwardLogicalChannelNumber}}))
	s.closeOut(now, c)
	s.tokenChannel(c, false)
}

// CloseChannel closes our channel of role.
func (s *Session) CloseChannel(now time.Time, role media.Role) error {
	c := s.byRole(role, true, chAwaitingAck, chEstablished)
	if c == nil {
		return fmt.Errorf("control: no outgoing %s channel", role)
	}
	s.closeOut(now, c)
	s.after(now)
	return nil
}

// RequestChannelClose asks the remote to close its channel of role.
func (s *Session) RequestChannelClose(role media.Role) error {
	c := s.byRole(role, false, chEstablished)
	if c == nil {
		return fmt.Errorf("control: no incoming %s channel", role)
	}
	s.out.send(h245.Request(h245.RequestMessage{RequestChannelClose: &h245.RequestChannelClose{
		ForwardLogicalChannelNumber: h245.LogicalChannelNumber(c.number)}}))
	return nil
}

// tickChannels runs each channel's T103.
func (s *Session) tickChannels(now time.Time) {
	for _, c := range slices.Clone(s.chans) {
		if !c.out || c.deadline.IsZero() || now.Before(c.deadline) {
			continue
		}
		switch c.state {
		case chAwaitingAck:
			s.out.send(h245.NewCloseLogicalChannel(c.number))
			s.drop(c)
			reason := fmt.Sprintf("no OpenLogicalChannelAck within T103 (%s)", s.cfg.T103)
			if c.role == media.RoleContent {
				// Content is extra: the call goes on without it.
				s.out.event(ChannelRejected{Number: c.number, Role: c.role, Cause: reason})
				s.tokenChannel(c, false)
				continue
			}
			s.out.event(Failure{Reason: fmt.Sprintf("logical channel %d (%s): %s", c.number, c.role, reason)})
		case chAwaitingRelease:
			s.drop(c) // H.245 C.4: released anyway
		}
	}
}
