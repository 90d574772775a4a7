package gateway

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/transcode/h264"
)

// videoPath forwards H.264 without re-encoding:
//
//	room system RTP → access units → RTP (packetization-mode 1, MTU) → meeting
//	active speaker's camera (meeting) → access units → RTP in the endpoint's mode → room system
//
// Toward the room system one stream is sent: the active speaker's camera, switched on
// keyframes, with our SSRC and sequence numbers and a timestamp that stays continuous
// across switches. The previous camera is forwarded until the next one's keyframe
// comes, so a switch never leaves the room system without pictures, however often the
// speakers change.
type videoPath struct {
	log  *slog.Logger
	sess *rtpsession.Session
	pt   uint8
	// requestFromRoom asks the room system for a keyframe (RTCP and/or SIP INFO).
	requestFromRoom func()

	// room system → meeting
	inDepack  *h264.Depacketizer
	inPack    h264.Packetizer
	inSeq     uint16
	unwatched bool // nobody in the meeting receives the video: it is dropped unread

	mu      sync.Mutex
	br      *bridge.Bridge // the call's participant: publishes the room system's video
	self    string         // its identity
	kf      keyframer      // asks a meeting participant for a keyframe (the meeting tap)
	speaker string         // identity whose camera the room system sees ("": the first that comes)
	pending string         // identity switched to, whose keyframe is awaited ("": none)
	asked   time.Time      // when pending's keyframe was last asked for
	ids     []string       // the meeting core's last speaker list, loudest first
	maxFS   int            // largest frame the room system decodes, in macroblocks (0: any)
	tooBig  bool           // the speaker's stream is larger than maxFS: drop until a keyframe fits
	waitKey bool           // drop until the new speaker's keyframe
	outPack h264.Packetizer
	depacks map[string]*h264.Depacketizer
	outSeq  uint16
	lastTS  uint32 // last timestamp sent to the room system
	tsOff   uint32 // added to the speaker's timestamps
	haveTS  bool
	sent    time.Time
}

func newVideoPath(log *slog.Logger, sess *rtpsession.Session, pt uint8, mode, maxFS int, requestFromRoom func()) *videoPath {
	return &videoPath{
		log: log, sess: sess, pt: pt, requestFromRoom: requestFromRoom, maxFS: maxFS,
		inDepack: h264.NewDepacketizer(h264.DepacketizerConfig{}),
		inPack:   h264.Packetizer{Mode: 1, MTU: h264.DefaultMTU},
		outPack:  h264.Packetizer{Mode: mode, MTU: h264.DefaultMTU},
		depacks:  map[string]*h264.Depacketizer{},
		outSeq:   uint16(time.Now().UnixNano()),
		inSeq:    uint16(time.Now().UnixNano() >> 16),
	}
}

// keyframer asks a meeting participant's video for a keyframe, learns which camera a
// call shows, and knows which participants have a camera to show (the meeting tap).
type keyframer interface {
	RequestKeyframe(identity string) error
	show(viewer string, identities ...string)
	hasCamera(identity string) bool
}

// attach connects the path to the meeting: br publishes, and the meeting's video
// arrives from its tap (fromMeeting), which also relays keyframe requests (kf).
func (v *videoPath) attach(br *bridge.Bridge, kf keyframer) {
	v.mu.Lock()
	v.br, v.self, v.kf = br, br.Identity(), kf
	v.mu.Unlock()
	br.OnKeyframeRequest(func() {
		if v.requestFromRoom != nil {
			v.requestFromRoom()
		}
	})
	v.requestFromRoom() // the meeting needs a keyframe to start decoding
}

// readLoop receives the room system's video until the session closes.
func (v *videoPath) readLoop() {
	var payloads [][]byte
	for {
		pkt, _, err := v.sess.ReadRTP()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !errors.Is(err, rtpsession.ErrClosed) {
				v.log.Debug("video read ended", "err", err)
			}
			return
		}
		if pkt.PayloadType != v.pt {
			continue
		}
		v.mu.Lock()
		br := v.br
		v.mu.Unlock()
		if br != nil && !br.VideoWatched() {
			// Nobody in the meeting receives the room system's camera: drop it
			// unread. The stream we publish resumes with the next sequence number.
			if !v.unwatched {
				v.unwatched = true
				v.log.Debug("video not watched in the meeting: not sent")
			}
			continue
		}
		if v.unwatched {
			// Somebody watches again and needs a keyframe; what the depacketizer
			// holds from before the pause is stale.
			v.unwatched = false
			v.inDepack = h264.NewDepacketizer(h264.DepacketizerConfig{})
			v.log.Debug("video watched again: keyframe requested")
			if v.requestFromRoom != nil {
				v.requestFromRoom()
			}
		}
		aus, err := v.inDepack.Push(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload)
		if v.inDepack.TakeKeyframeRequest() && v.requestFromRoom != nil {
			v.requestFromRoom()
		}
		if err != nil || br == nil {
			continue // br nil: not admitted yet (IVR, waiting room)
		}
		for _, au := range aus {
			if !au.Complete {
				continue
			}
			payloads, err = v.inPack.Packetize(au.NALs, payloads[:0])
			if err != nil {
				continue
			}
			for i, p := range payloads {
				v.inSeq++
				_ = br.WriteVideoRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: v.inSeq,
					Timestamp: au.Timestamp, Marker: i == len(payloads)-1}, Payload: p})
			}
		}
	}
}

// speakersChanged follows the meeting's active speakers (loudest first): the room
// system sees the loudest participant other than itself who has a camera on.
func (v *videoPath) speakersChanged(ids []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ids = ids
	if v.kf != nil {
		v.choose()
	}
}

// camerasChanged re-decides after a camera was turned on or off: the loudest speaker
// may have one now, and the one shown may be gone (left, camera off).
func (v *videoPath) camerasChanged() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kf != nil {
		v.choose()
	}
}

// choose picks the camera to show (v.mu held, attached): the loudest speaker other
// than the room system itself with a camera on. While the room system is the loudest
// itself, or nobody with a camera talks, it keeps what it shows if that camera is
// still on. Otherwise it shows nobody in particular: the first camera that comes.
func (v *videoPath) choose() {
	if v.pending != "" && !v.kf.hasCamera(v.pending) {
		// The camera switched to went off before its first keyframe: stay.
		v.pending = ""
		v.kf.show(v.self, v.speaker)
	}
	cur := v.target()
	keep := cur != "" && v.kf.hasCamera(cur)
	next := ""
	for _, id := range v.ids {
		if id == v.self {
			if keep {
				break
			}
			continue
		}
		if v.kf.hasCamera(id) {
			next = id
			break
		}
	}
	if next == "" && keep {
		next = cur
	}
	if next != cur {
		v.switchTo(next)
	}
}

// target is the camera the room system sees or is about to see (v.mu held).
func (v *videoPath) target() string {
	if v.pending != "" {
		return v.pending
	}
	return v.speaker
}

// switchTo makes identity the forwarded camera, or with "" the first camera that
// comes (v.mu held). While the camera shown is still on it stays forwarded until
// identity's keyframe comes (pending).
func (v *videoPath) switchTo(identity string) {
	v.log.Debug("video switch", "speaker", identity, "previous", v.speaker)
	kf := v.kf
	switch {
	case identity != "" && identity == v.speaker:
		v.pending = "" // back to the camera still shown
		kf.show(v.self, identity)
		return
	case identity != "" && v.speaker != "" && kf.hasCamera(v.speaker):
		v.pending = identity
		kf.show(v.self, v.speaker, identity)
	default:
		v.speaker, v.pending, v.waitKey, v.haveTS, v.tooBig = identity, "", true, false, false // its keyframe's SPS decides the size
		if identity == "" {
			kf.show(v.self)
			return
		}
		kf.show(v.self, identity)
	}
	if d := v.depacks[identity]; d != nil {
		d.Reset()
	}
	v.asked = time.Now()
	go func() { _ = kf.RequestKeyframe(identity) }()
}

// promote makes the pending camera the one shown, from its keyframe au on (v.mu held).
func (v *videoPath) promote() {
	v.speaker, v.pending, v.waitKey, v.haveTS, v.tooBig = v.pending, "", false, false, false
	v.kf.show(v.self, v.speaker)
}

// fromMeeting receives the meeting's video packets (bridge callback).
func (v *videoPath) fromMeeting(identity, source string, pkt *rtp.Packet) {
	if source != "camera" {
		return // content goes on the H.239/BFCP stream (later)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kf == nil {
		return // not attached
	}
	if v.speaker == "" && v.pending == "" {
		v.switchTo(identity) // nobody spoke yet: show the first camera
	}
	if identity != v.speaker && identity != v.pending {
		return
	}
	d := v.depacks[identity]
	if d == nil {
		d = h264.NewDepacketizer(h264.DepacketizerConfig{})
		v.depacks[identity] = d
	}
	aus, err := d.Push(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload)
	if d.TakeKeyframeRequest() {
		kf := v.kf
		go func() { _ = kf.RequestKeyframe(identity) }()
	}
	if err != nil {
		return
	}
	awaited := identity == v.pending || (identity == v.speaker && v.waitKey && !v.tooBig)
	if awaited && len(aus) > 0 && time.Since(v.asked) > pendingKeyframeRetry {
		// Its keyframe is overdue (lost, dropped while the meeting core resumed the
		// track, or a publisher slow to answer): ask again. Without this a room system
		// that starts on a camera whose first keyframe went missing got no video until
		// the publisher's next keyframe, which browsers send only when asked.
		v.asked = time.Now()
		kf := v.kf
		go func() { _ = kf.RequestKeyframe(identity) }()
	}
	for _, au := range aus {
		if identity == v.pending {
			if !au.Complete || !au.Keyframe() || !v.fits(au) {
				continue // the previous camera stays on until this one can start
			}
			v.promote()
		}
		if v.waitKey && !au.Keyframe() {
			continue
		}
		if !au.Complete {
			continue
		}
		if au.Keyframe() {
			v.checkSize(au)
		}
		if v.tooBig {
			// The meeting core has not yet switched to a layer the room system decodes
			// (it changes layers on keyframes): never send a frame larger than max-fs.
			v.waitKey = true
			continue
		}
		v.waitKey = false
		v.send(au)
	}
}

// pendingKeyframeRetry is how long a switch (or the first camera) waits for the
// camera's keyframe before asking again.
const pendingKeyframeRetry = time.Second

// checkSize reads the frame size from a keyframe's SPS and decides whether the room
// system can take the stream (v.mu held). A keyframe without an SPS keeps the decision.
func (v *videoPath) checkSize(au *h264.AccessUnit) {
	if v.maxFS <= 0 {
		return
	}
	if sps, ok := keyframeSPS(au); ok {
		mbs := macroblocks(sps)
		big := mbs > v.maxFS
		if big != v.tooBig {
			v.log.Debug("speaker video vs the room system's max-fs", "width", sps.Width, "height", sps.Height,
				"macroblocks", mbs, "max_fs", v.maxFS, "forwarded", !big)
		}
		v.tooBig = big
	}
}

// fits says whether the room system can decode a keyframe: its SPS is within max-fs,
// or it carries none (a stream already judged).
func (v *videoPath) fits(au *h264.AccessUnit) bool {
	sps, ok := keyframeSPS(au)
	return v.maxFS <= 0 || !ok || macroblocks(sps) <= v.maxFS
}

func keyframeSPS(au *h264.AccessUnit) (*h264.SPS, bool) {
	for _, nal := range au.NALs {
		if h264.NALType(nal) != h264.NALSPS {
			continue
		}
		if sps, err := h264.ParseSPS(nal); err == nil {
			return sps, true
		}
	}
	return nil, false
}

func macroblocks(sps *h264.SPS) int { return ((sps.Width + 15) / 16) * ((sps.Height + 15) / 16) }

// send forwards one access unit to the room system (v.mu held).
func (v *videoPath) send(au *h264.AccessUnit) {
	if !v.haveTS {
		// Continue from the last timestamp sent, one 30 fps frame later.
		next := v.lastTS + 3000
		if v.sent.IsZero() {
			next = au.Timestamp
		}
		v.tsOff, v.haveTS = next-au.Timestamp, true
	}
	ts := au.Timestamp + v.tsOff
	payloads, err := v.outPack.Packetize(au.NALs, nil)
	if err != nil {
		v.log.Debug("video packetize", "err", err)
		return
	}
	for i, p := range payloads {
		v.outSeq++
		_ = v.sess.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: v.pt, SequenceNumber: v.outSeq,
			Timestamp: ts, Marker: i == len(payloads)-1}, Payload: p})
	}
	v.lastTS, v.sent = ts, time.Now()
}

// fillerNAL is an H.264 filler-data NAL unit (ITU-T H.264 §7.3.2.7, nal_unit_type 12,
// nal_ref_idc 0): one 0xFF byte and the RBSP trailing bits. Decoders discard it.
var fillerNAL = []byte{0x0c, 0xff, 0x80}

// keepalive sends one filler-data packet on the video stream, at the last timestamp
// and the next sequence number, when the meeting sends the room system no video: the
// NAT in front of the room system keeps the binding our video needs (the NAT/ALG
// profile's keepalive; the idea of RFC 6263, with a payload the decoder discards).
func (v *videoPath) keepalive() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.outSeq++
	_ = v.sess.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: v.pt, SequenceNumber: v.outSeq, Timestamp: v.lastTS},
		Payload: fillerNAL})
}

// keyframeFromRoom is the room system asking for a keyframe (RTCP PLI/FIR, SIP INFO).
func (v *videoPath) keyframeFromRoom() {
	v.mu.Lock()
	kf, id := v.kf, v.speaker
	v.mu.Unlock()
	if kf != nil && id != "" {
		_ = kf.RequestKeyframe(id)
	}
}
