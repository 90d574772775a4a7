package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/gateway/rtpsession"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

// contentPath is a room system's second video stream, its content (RFC 4796 slides),
// and the floor control that says who presents (BFCP, RFC 8855, with the gateway as
// the floor control server):
//
//	room system holds the floor: content RTP → access units → screen-share track of the call's participant
//	someone else presents:       their screen share (meeting tap) → access units → content RTP → room system
//
// The meeting's floor (call.Floor, one per meeting, on its tap) decides: a room
// system's FloorRequest is Floor.Request, FloorRelease Floor.Release, and a floor
// change that takes the floor away from the room system is a BFCP Revoke. A room
// system that sends content with no BFCP at all presents while its slides stream
// flows.
type contentPath struct {
	log  *slog.Logger
	pair ports.Pair
	// bfcp is the SIP floor control (its sockets open from the start, since the
	// answer names its port); ctl is the floor control the call agreed: bfcp, the
	// H.239 token of an H.323 call, or nil (content without floor control).
	bfcp *bfcpControl

	ctx    context.Context // ends on close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{} // the floor changed (or the stream went quiet): the worker looks

	mu         sync.Mutex
	sess       *rtpsession.Session
	pt         uint8
	keyframe   media.Keyframe
	maxFS      int
	ctl        floorControl
	noBFCP     bool        // content without floor control: flowing slides mean presenting
	off        bool        // a re-offer removed content (port 0): nothing sent or taken
	tap        *meetingTap // the call's meeting, once attached (its floor joined with content)
	floor      *call.Floor
	br         *bridge.Bridge
	kf         keyframer
	self       string
	kind       string           // the floor's presenter kind: "sip", "h323"
	workerOn   bool             // the worker runs (started once)
	change     call.FloorChange // the latest floor change, for the worker
	presenting bool             // the room system holds the floor (worker's view)
	asked      time.Time        // last floor request made for flowing slides (noBFCP)
	stopWatch  func()

	// room system → meeting (readLoop only)
	inDepack *h264.Depacketizer
	inPack   h264.Packetizer
	inSeq    uint16

	// meeting → room system (mu)
	presenter string // whose screen share the room system is sent ("": none)
	outDepack *h264.Depacketizer
	outPack   h264.Packetizer
	outSeq    uint16
	waitKey   bool
	tsOff     uint32
	haveTS    bool
	lastTS    uint32
}

// contentQuiet is how long slides without floor control may stop before the room
// system no longer counts as presenting.
const contentQuiet = 3 * time.Second

// newContentPath makes the content side of a call on its third port pair, with the
// BFCP sockets on the even port of bfcpPair (ln: the TCP listener on it, nil: none).
func newContentPath(log *slog.Logger, pair, bfcpPair ports.Pair, ln *net.TCPListener) *contentPath {
	ctx, cancel := context.WithCancel(context.Background())
	cp := &contentPath{log: log, pair: pair, kind: "sip", ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1),
		inDepack: h264.NewDepacketizer(h264.DepacketizerConfig{}),
		inPack:   h264.Packetizer{Mode: 1, MTU: h264.DefaultMTU},
		inSeq:    uint16(time.Now().UnixNano() >> 8), outSeq: uint16(time.Now().UnixNano() >> 24)}
	cp.bfcp = openBFCP(cp, bfcpPair, ln)
	return cp
}

// start opens the content RTP stream the plan agreed (again, after a re-offer that
// removed it); a call already in the meeting joins its floor now.
func (cp *contentPath) start(s media.Stream, opt mediaOptions) error {
	if err := cp.startStream(s, opt); err != nil {
		return err
	}
	cp.joinFloor()
	return nil
}

func (cp *contentPath) startStream(s media.Stream, opt mediaOptions) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.sess != nil {
		cp.off = false
		if s.Remote.IsValid() && s.Remote.Port() != 0 {
			cp.sess.SetRemote(s.Remote, s.RemoteRTCP)
		}
		cp.sess.SetSending(sends(s))
		if sends(s) && s.H264 != nil {
			cp.limits(*s.H264) // an H.323 room's decoder limits come with our channel, after its own
		}
		return nil
	}
	sess, err := rtpsession.New(rtpsession.Config{RTP: cp.pair.RTP, RTCP: cp.pair.RTCP, Remote: s.Remote, RemoteRTCP: s.RemoteRTCP,
		Latch: opt.Latch, Probation: opt.Probation, SignallingIP: opt.SignallingIP, ClockRate: 90000, MediaTimeout: -1,
		Log: cp.log.With("stream", "content"), SRTP: srtpConfig(s.SRTP),
		OnKeyframeRequest: func(rtpsession.KeyframeRequest) { cp.keyframeFromRoom() },
	})
	if err != nil {
		return fmt.Errorf("content stream: %w", err)
	}
	sess.SetSending(sends(s))
	cp.sess, cp.pt, cp.keyframe = sess, s.PT, s.Keyframe
	lim := media.H264Limits{}
	if s.H264 != nil {
		lim = *s.H264
	}
	cp.limits(lim)
	cp.wg.Go(func() { cp.readLoop(sess) })
	cp.startWorkerLocked()
	return nil
}

// startWorkerLocked starts the worker once (cp.mu held): with the content stream, or
// when the call joins the floor — an H.323 room system that has not opened a content
// channel still has to be asked for the token when someone else presents.
func (cp *contentPath) startWorkerLocked() {
	if cp.workerOn || cp.ctx.Err() != nil {
		return
	}
	cp.workerOn = true
	cp.wg.Go(cp.worker)
}

// limits sets what the room system's content decoder takes: the largest picture
// sent and the packetization mode (cp.mu held).
func (cp *contentPath) limits(lim media.H264Limits) {
	cp.maxFS = h264.EffectiveLimits(lim).MaxFS
	cp.outPack = h264.Packetizer{Mode: min(lim.PacketizationMode, 1), MTU: h264.DefaultMTU}
}

// attach puts the room system on the meeting's floor: br publishes its content, the
// tap delivers the others' screen shares and their keyframes. A call without content
// (yet) joins the floor when a re-offer adds it.
func (cp *contentPath) attach(br *bridge.Bridge, tap *meetingTap, self string) {
	cp.mu.Lock()
	cp.br, cp.tap, cp.self = br, tap, self
	cp.mu.Unlock()
	br.OnScreenKeyframeRequest(cp.requestFromRoom)
	cp.joinFloor()
}

// joinFloor joins the meeting's floor once the call is in the meeting and content is
// agreed, whichever comes last; once.
func (cp *contentPath) joinFloor() {
	cp.mu.Lock()
	tap := cp.tap
	if tap == nil || cp.floor != nil || cp.sess == nil && cp.ctl == nil || cp.ctx.Err() != nil {
		cp.mu.Unlock()
		return
	}
	cp.kf, cp.floor = tap, tap.floor
	self, kind := cp.self, cp.kind
	cp.startWorkerLocked() // floor changes reach the floor control even before any content stream
	cp.mu.Unlock()
	tap.floor.Join(call.Presenter{Identity: self, Kind: kind})
	stop := tap.floor.Watch(cp.onFloor)
	cp.mu.Lock()
	if cp.ctx.Err() != nil { // closed meanwhile: close saw no watch to stop
		cp.mu.Unlock()
		stop()
		tap.floor.Leave(self)
		return
	}
	cp.stopWatch = stop
	cp.mu.Unlock()
	cp.attached()
}

// stop is content removed by a re-offer (its m-line at port 0): the room system gives
// the floor back if it presents (a BFCP grant is revoked), and nothing is sent or
// taken on the stream until a re-offer brings content back.
func (cp *contentPath) stop() {
	cp.mu.Lock()
	sess, floor, self, ctl, was := cp.sess, cp.floor, cp.self, cp.ctl, cp.off
	cp.off = sess != nil
	cp.mu.Unlock()
	if sess == nil || was {
		return
	}
	cp.log.Info("content removed by a re-offer")
	sess.SetSending(false)
	if floor != nil {
		floor.Release(self)
	}
	if ctl != nil {
		// At once: the worker may not have seen the grant this release undoes.
		ctl.revoke("content removed")
	}
}

// attached tells the floor control that the call is in the meeting: a floor
// request it left pending is decided now.
func (cp *contentPath) attached() {
	cp.mu.Lock()
	ctl := cp.ctl
	cp.mu.Unlock()
	if a, ok := ctl.(interface{ attached() }); ok {
		a.attached()
	}
}

// onFloor runs with the floor locked: it hands the change to the worker.
func (cp *contentPath) onFloor(c call.FloorChange) {
	cp.mu.Lock()
	cp.change = c
	cp.mu.Unlock()
	cp.poke()
}

func (cp *contentPath) poke() {
	select {
	case cp.kick <- struct{}{}:
	default:
	}
}

// worker acts on floor changes (publishing and unpublishing signal the meeting core,
// revoking writes BFCP: neither may run under the floor's lock) and ends slides
// without floor control that stopped.
func (cp *contentPath) worker() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-cp.ctx.Done():
			return
		case <-tick.C:
			cp.checkQuiet()
		case <-cp.kick:
			cp.apply()
		}
	}
}

// apply brings the call in line with the latest floor change.
func (cp *contentPath) apply() {
	cp.mu.Lock()
	c, self, br, ctl := cp.change, cp.self, cp.br, cp.ctl
	now := self != "" && c.Presenter.Identity == self
	was := cp.presenting
	cp.presenting = now
	if other := c.Presenter.Identity; other != self && other != cp.presenter {
		// Someone else presents (or nobody): the room system is sent their share,
		// from their next keyframe.
		cp.presenter, cp.waitKey, cp.haveTS = other, true, false
		cp.outDepack = h264.NewDepacketizer(h264.DepacketizerConfig{})
		if kf := cp.kf; kf != nil && other != "" {
			go func() { _ = kf.RequestKeyframe(other) }()
		}
	}
	if now {
		cp.presenter = ""
	}
	others := c.Presenter.Identity != "" && !now
	cp.mu.Unlock()
	if f, ok := ctl.(othersFollower); ok {
		f.othersPresent(others)
	}
	switch {
	case now && !was && br != nil:
		cp.log.Info("room system presents")
		if err := br.PublishScreenShare(); err != nil {
			cp.log.Warn("content not published", "err", err)
		}
		cp.requestFromRoom()
	case !now && was:
		cp.log.Info("room system stops presenting", "presenter", c.Presenter.Identity)
		if br != nil {
			if err := br.UnpublishScreenShare(); err != nil {
				cp.log.Debug("unpublish content", "err", err)
			}
		}
		if ctl != nil {
			// The floor went to someone else or the host stopped the share; a
			// floor the room system released itself is already final.
			ctl.revoke("another participant presents")
		}
	}
}

// checkQuiet releases the floor of a room system without BFCP whose slides stopped.
func (cp *contentPath) checkQuiet() {
	cp.mu.Lock()
	quiet := cp.noBFCP && cp.presenting && cp.sess != nil && time.Since(cp.sess.LastPacket()) > contentQuiet
	floor, self := cp.floor, cp.self
	cp.mu.Unlock()
	if quiet && floor != nil {
		cp.log.Info("slides stopped: the room system no longer presents")
		floor.Release(self)
	}
}

// readLoop receives the room system's content until the session closes.
func (cp *contentPath) readLoop(sess *rtpsession.Session) {
	var payloads [][]byte
	for {
		pkt, _, err := sess.ReadRTP()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !errors.Is(err, rtpsession.ErrClosed) {
				cp.log.Debug("content read ended", "err", err)
			}
			return
		}
		cp.mu.Lock()
		pt, br, presenting := cp.pt, cp.br, cp.presenting && cp.change.Presenter.Identity == cp.self && !cp.off
		askFloor := !cp.off && cp.noBFCP && !presenting && cp.floor != nil && time.Since(cp.asked) > contentQuiet
		if askFloor {
			cp.asked = time.Now()
		}
		floor, self := cp.floor, cp.self
		cp.mu.Unlock()
		if pkt.PayloadType != pt {
			continue
		}
		if askFloor {
			// No floor control: flowing slides are the room system presenting.
			if r := floor.Request(self); r != call.FloorAllowed {
				cp.log.Info("slides refused the floor", "reason", string(r))
			}
			continue
		}
		if !presenting || br == nil {
			continue
		}
		aus, err := cp.inDepack.Push(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload)
		if cp.inDepack.TakeKeyframeRequest() {
			cp.requestFromRoom()
		}
		if err != nil {
			continue
		}
		for _, au := range aus {
			if !au.Complete {
				continue
			}
			if payloads, err = cp.inPack.Packetize(au.NALs, payloads[:0]); err != nil {
				continue
			}
			for i, p := range payloads {
				cp.inSeq++
				_ = br.WriteScreenRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: cp.inSeq,
					Timestamp: au.Timestamp, Marker: i == len(payloads)-1}, Payload: p})
			}
		}
	}
}

// requestFromRoom asks the room system for a content keyframe: RTCP FIR or PLI as it
// negotiated, else both (the content m-line rarely lists them, and SIP INFO
// picture_fast_update names no stream).
func (cp *contentPath) requestFromRoom() {
	cp.mu.Lock()
	sess, k := cp.sess, cp.keyframe
	cp.mu.Unlock()
	if sess == nil {
		return
	}
	switch {
	case k&media.KeyframeFIR != 0:
		_ = sess.SendFIR(0)
	case k&media.KeyframePLI != 0:
		_ = sess.SendPLI()
	default:
		_ = sess.SendPLI()
		_ = sess.SendFIR(0)
	}
}

// keyframeFromRoom is the room system asking for a content keyframe: the presenter's
// screen share is asked.
func (cp *contentPath) keyframeFromRoom() {
	cp.mu.Lock()
	kf, id := cp.kf, cp.presenter
	cp.mu.Unlock()
	if kf != nil && id != "" {
		_ = kf.RequestKeyframe(id)
	}
}

// fromMeeting takes a screen-share packet of the meeting (tap): the presenter's goes
// to the room system on its content stream, within its max-fs.
func (cp *contentPath) fromMeeting(identity string, pkt *rtp.Packet) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.sess == nil || cp.off || identity == "" || identity != cp.presenter || cp.outDepack == nil {
		return
	}
	aus, err := cp.outDepack.Push(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, pkt.Payload)
	if cp.outDepack.TakeKeyframeRequest() && cp.kf != nil {
		kf := cp.kf
		go func() { _ = kf.RequestKeyframe(identity) }()
	}
	if err != nil {
		return
	}
	for _, au := range aus {
		if !au.Complete || cp.waitKey && !au.Keyframe() {
			continue
		}
		if au.Keyframe() {
			if sps, ok := keyframeSPS(au); ok && cp.maxFS > 0 && macroblocks(sps) > cp.maxFS {
				cp.waitKey = true // larger than the content m-line takes: not sent
				continue
			}
		}
		cp.waitKey = false
		cp.send(au)
	}
}

// send forwards one access unit on the content stream (cp.mu held).
func (cp *contentPath) send(au *h264.AccessUnit) {
	if !cp.haveTS {
		cp.tsOff, cp.haveTS = cp.lastTS+3000-au.Timestamp, true
	}
	ts := au.Timestamp + cp.tsOff
	payloads, err := cp.outPack.Packetize(au.NALs, nil)
	if err != nil {
		return
	}
	for i, p := range payloads {
		cp.outSeq++
		_ = cp.sess.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: cp.pt, SequenceNumber: cp.outSeq,
			Timestamp: ts, Marker: i == len(payloads)-1}, Payload: p})
	}
	cp.lastTS = ts
}

// close stops the content side: floor left, BFCP ended, stream closed, goroutines
// waited for. The port pair itself is the call's to release.
func (cp *contentPath) close() {
	cp.mu.Lock()
	cp.cancel() // under mu: a joinFloor running now sees it
	stop, floor, self, ctl, b, sess := cp.stopWatch, cp.floor, cp.self, cp.ctl, cp.bfcp, cp.sess
	cp.stopWatch = nil
	cp.mu.Unlock()
	if stop != nil {
		stop()
	}
	if floor != nil {
		floor.Leave(self)
	}
	if ctl != nil {
		ctl.close()
	}
	if b != nil && ctl != floorControl(b) {
		b.close() // its sockets, never served
	}
	if sess != nil {
		_ = sess.Close()
	}
	cp.wg.Wait()
}

// floorControl is how a room system is told it lost the floor: BFCP (SIP) or the
// H.239 token (H.323). Its requests and releases go through roomRequest and
// roomRelease.
type floorControl interface {
	// revoke takes the floor from the room system, if it still holds it by this
	// floor control (one it released itself is final). The worker calls it, never
	// under the floor's lock.
	revoke(reason string)
	// close ends the floor control (sockets, goroutines).
	close()
}

// othersFollower is a floor control that must itself ask to present toward the
// room system (H.239: the token is requested before our content goes out) and give
// that back when nobody in the meeting presents.
type othersFollower interface {
	othersPresent(on bool)
}

// roomRequest asks the meeting's floor for the room system: FloorAllowed, or why not.
func (cp *contentPath) roomRequest() call.FloorRefusal {
	cp.mu.Lock()
	floor, self := cp.floor, cp.self
	cp.mu.Unlock()
	if floor == nil {
		return call.FloorUnknown
	}
	return floor.Request(self)
}

// roomRelease gives the meeting's floor back for the room system.
func (cp *contentPath) roomRelease() {
	cp.mu.Lock()
	floor, self := cp.floor, cp.self
	cp.mu.Unlock()
	if floor != nil {
		floor.Release(self)
	}
}
