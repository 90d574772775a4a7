package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/sip/bfcp"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/h264/synth"
)

// Content is sent as a 320×240 generated stream at contentFPS (or -content-fps),
// an IDR picture a second: another size than the camera's 176×144, so a
// receiver can tell the streams apart by their SPS; or -content-video's clip.
const (
	contentW, contentH = 320, 240
	contentFPS         = 5
)

// contentEvent is one BFCP or presentation event, ms after the answer and
// as wall-clock Unix ms (to compare with other processes' clocks).
type contentEvent struct {
	Event  string  `json:"event"`
	MS     float64 `json:"ms"`
	UnixMS float64 `json:"unix_ms"`
	// MainFrames is the main (people) video's complete access units received
	// so far: main video going on while content flows shows between events.
	MainFrames int `json:"main_frames"`
}

// contentReport is a call's content stream in the final JSON. RxFrames
// counts complete access units, RxDecodable those a decoder can show (see
// contentRx), RxSessions the presentations received.
type contentReport struct {
	TxFrames    uint64 `json:"tx_frames"`
	RxFrames    int    `json:"rx_frames"`
	RxKeyframes int    `json:"rx_keyframes"`
	RxDecodable int    `json:"rx_decodable_frames"`
	RxSPS       bool   `json:"rx_sps"`
	RxPPS       bool   `json:"rx_pps"`
	RxSessions  int    `json:"rx_sessions"`
	RxWidth     int    `json:"rx_width,omitempty"`
	RxHeight    int    `json:"rx_height,omitempty"`
	RxPackets   uint64 `json:"rx_packets"`
	KeyframeReq uint64 `json:"keyframe_requests"`
	// KeyframeSent counts the PLIs sent while the content received was not decodable.
	KeyframeSent uint64         `json:"keyframe_requests_sent"`
	SRTPFailed   uint64         `json:"srtp_failed,omitempty"`
	Events       []contentEvent `json:"events,omitempty"`
	Error        string         `json:"error,omitempty"`
}

// contentCall is the content (slides) side of one SIP call: the content RTP
// and RTCP sockets, the BFCP client and the presentation schedule. Every
// goroutine it starts is waited for in close.
type contentCall struct {
	idx    int
	opts   contentOptions
	frames [][][]byte
	sock   *net.UDPConn // content RTP (base+4)
	rtcpS  *net.UDPConn // content RTCP (base+5)
	rx     *contentRx
	// mainFrames counts the call's main video frames received (nil: none).
	mainFrames func() int
	key        *srtpStream // with -srtp: the content stream's SRTP contexts; nil: plain RTP
	// target is where content and PLIs go (nil: not known yet, as for an
	// H.323 call before its content channel is acknowledged).
	target atomic.Pointer[contentTarget]

	start      time.Time
	presenting atomic.Bool
	restart    atomic.Bool // send the IDR picture next (grant, PLI, FIR)
	tx, kfReq  atomic.Uint64
	pliTx      atomic.Uint64 // PLIs sent
	srtpFailed atomic.Uint64 // content packets that did not authenticate

	mu     sync.Mutex
	events []contentEvent
	err    error
	cl     *bfcp.Client
	wg     sync.WaitGroup
}

// contentTarget is the gateway's content stream: RTP and RTCP destinations
// and the payload type to send.
type contentTarget struct {
	dst, rtcpDst netip.AddrPort
	pt           uint8
}

// syntheticContent is the slides stream: contentW×contentH, an IDR picture a
// second.
func syntheticContent(fps int) [][][]byte { return synth.Stream(contentW, contentH, 2, fps) }

// contentFrames is the content to send: -content-video's access units, or
// the generated slides.
func contentFrames(o contentOptions) ([][][]byte, error) {
	if o.video != "" {
		return videoFrames(o.video, o.rate())
	}
	return packetize(syntheticContent(o.rate()))
}

// listenContent binds the content RTP/RTCP pair at port and port+1.
func listenContent(idx int, ip netip.Addr, port int, o contentOptions) (*contentCall, error) {
	frames, err := contentFrames(o)
	if err != nil {
		return nil, err
	}
	rx, err := newContentRx(o.dumpFile(idx))
	if err != nil {
		return nil, err
	}
	cc := &contentCall{idx: idx, opts: o, frames: frames, rx: rx}
	if cc.sock, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))); err != nil {
		_ = rx.close()
		return nil, err
	}
	if cc.rtcpS, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1)))); err != nil {
		cc.sock.Close()
		_ = rx.close()
		return nil, err
	}
	return cc, nil
}

// event records and prints a content event ("content: granted").
func (cc *contentCall) event(name string) { cc.eventAt(name, time.Now()) }

// eventAt records and prints a content event that happened at t.
func (cc *contentCall) eventAt(name string, t time.Time) {
	e := contentEvent{Event: name, MS: ms(t.Sub(cc.start)), UnixMS: float64(t.UnixMicro()) / 1000}
	if cc.mainFrames != nil {
		e.MainFrames = cc.mainFrames()
	}
	cc.mu.Lock()
	cc.events = append(cc.events, e)
	cc.mu.Unlock()
	fmt.Printf("content: %s (call %d)\n", name, cc.idx)
}

func (cc *contentCall) fail(err error) {
	cc.mu.Lock()
	if cc.err == nil {
		cc.err = err
	}
	cc.mu.Unlock()
	fmt.Printf("content: error (call %d): %v\n", cc.idx, err)
}

// bfcpAnswer is the gateway's BFCP m-line: where the floor control server
// is and the IDs its SDP gave us.
type bfcpAnswer struct {
	Remote  netip.AddrPort
	ConfID  uint32
	UserID  uint16
	FloorID uint16
}

// answeredBFCP reads the BFCP m-line of the gateway's answer. sdp.ParseAnswer
// takes the offerer to be the floor control server (the gateway's own
// offers), so the s-only answer to roomsim's c-only offer is read here.
func answeredBFCP(answer []byte) (*bfcpAnswer, error) {
	s, err := sdp.Parse(answer)
	if err != nil {
		return nil, err
	}
	for i := range s.Media {
		m := &s.Media[i]
		if m.Kind != sdp.KindApplication || !strings.HasSuffix(m.Proto, "/BFCP") || m.Port == 0 {
			continue
		}
		if !m.HasConfID || !m.HasUserID || len(m.Floors) == 0 {
			return nil, fmt.Errorf("BFCP m-line without a=confid, a=userid or a=floorid")
		}
		return &bfcpAnswer{Remote: m.RTPAddr(), ConfID: m.ConfID, UserID: m.UserID, FloorID: m.Floors[0].ID}, nil
	}
	return nil, errors.New("the answer has no BFCP stream")
}

// run starts the content media and the BFCP client for the answer res (the
// SDP answer); bfcpPort is the local BFCP port of the offer (UDP source).
func (cc *contentCall) run(ctx context.Context, res *sdp.Result, answer []byte, ip netip.Addr, bfcpPort int) {
	cc.start = time.Now()
	if res.Content == nil || !res.Content.Remote.IsValid() {
		cc.fail(errors.New("the answer has no content stream"))
		return
	}
	if k := res.Content.SRTP; k != nil {
		key, err := newSRTPStream(k)
		if err != nil {
			cc.fail(fmt.Errorf("content srtp: %w", err))
			return
		}
		cc.key = key
	}
	cc.wg.Go(cc.drainRTP)
	cc.wg.Go(cc.drainRTCP)
	cc.target.Store(&contentTarget{dst: res.Content.Remote, rtcpDst: res.Content.RemoteRTCP, pt: res.Content.Codec.PT})
	cc.wg.Go(func() { cc.send(ctx) })
	var floor uint16
	if cc.opts.bfcp != "none" {
		b, err := answeredBFCP(answer)
		if err != nil {
			cc.fail(err)
			return
		}
		cl, err := cc.dialBFCP(ctx, b, ip, bfcpPort)
		if err != nil {
			cc.fail(err)
			return
		}
		cc.mu.Lock()
		cc.cl = cl
		cc.mu.Unlock()
		floor = b.FloorID
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, _, err = cl.Hello(hctx)
		cancel()
		if err != nil {
			cc.fail(fmt.Errorf("bfcp hello: %w", err))
			return
		}
		cc.event("hello")
	}
	cc.wg.Go(func() { cc.present(ctx, floor) })
}

func (cc *contentCall) dialBFCP(ctx context.Context, b *bfcpAnswer, ip netip.Addr, port int) (*bfcp.Client, error) {
	cfg := bfcp.ClientConfig{ConferenceID: b.ConfID, UserID: b.UserID, Version: 2}
	var conn net.Conn
	var err error
	if cc.opts.bfcp == "tcp" {
		cfg.Version = 1
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip.AsSlice()}, Timeout: 5 * time.Second}
		conn, err = d.DialContext(ctx, "tcp", b.Remote.String())
	} else {
		conn, err = net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))), net.UDPAddrFromAddrPort(b.Remote))
	}
	if err != nil {
		return nil, fmt.Errorf("bfcp %s to %v: %w", cc.opts.bfcp, b.Remote, err)
	}
	return bfcp.NewClient(conn, cfg), nil
}

// present follows the schedule: at -present-at request the floor (or with
// -bfcp none start sending), send while granted, release after -present-for;
// with -present-repeat N do that N times, -present-gap after each round's
// end. Notifications are followed throughout (a revoke stops the sending and
// ends the round).
func (cc *contentCall) present(ctx context.Context, floor uint16) {
	cl := cc.client()
	var notes <-chan *bfcp.Message
	if cl != nil {
		notes = cl.Notifications()
	}
	next := time.NewTimer(time.Until(cc.start.Add(cc.opts.presentAt)))
	defer next.Stop()
	var at, end <-chan time.Time
	if cc.opts.presentAt > 0 {
		at = next.C
	}
	endT := time.NewTimer(time.Hour)
	endT.Stop()
	defer endT.Stop()
	var reqID uint16
	rounds := 0
	startSending := func() {
		cc.restart.Store(true)
		cc.presenting.Store(true)
		if end == nil && cc.opts.presentFor > 0 {
			endT.Reset(cc.opts.presentFor)
			end = endT.C
		}
	}
	// endRound stops sending and schedules the next round, if any.
	endRound := func() {
		cc.presenting.Store(false)
		endT.Stop()
		end, reqID = nil, 0
		if rounds < max(cc.opts.repeat, 1) {
			next.Reset(cc.opts.gap)
			at = next.C
		}
	}
	status := func(s bfcp.RequestStatus) {
		cc.event(strings.ToLower(s.String()))
		switch s {
		case bfcp.StatusGranted:
			startSending()
		case bfcp.StatusRevoked, bfcp.StatusDenied, bfcp.StatusReleased, bfcp.StatusCancelled:
			endRound()
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-at:
			at = nil
			rounds++
			if cl == nil {
				cc.event("sending")
				startSending()
				continue
			}
			sent := time.Now()
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			req, err := cl.RequestFloor(rctx, floor)
			cancel()
			if err != nil {
				cc.fail(fmt.Errorf("floor request: %w", err))
				endRound()
				continue
			}
			reqID = req.ID
			cc.eventAt("requested", sent)
			status(req.Status)
		case m, ok := <-notes:
			if !ok {
				notes = nil
				continue
			}
			a, found := m.Find(bfcp.FloorRequestInformation)
			if !found {
				continue
			}
			if r := bfcp.ParseRequestInfo(a); r.ID == reqID && reqID != 0 {
				status(r.Status)
			}
		case <-end:
			end = nil
			if cl == nil || !cc.presenting.Load() {
				cc.event("stopped")
				endRound()
				continue
			}
			cc.presenting.Store(false)
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			r, err := cl.Release(rctx, reqID)
			cancel()
			if err != nil {
				cc.fail(fmt.Errorf("floor release: %w", err))
				endRound()
				continue
			}
			status(r.Status)
		}
	}
}

func (cc *contentCall) client() *bfcp.Client {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.cl
}

// send sends the content frames at the content frame rate while presenting
// and the target is known, from the IDR picture on each start and keyframe
// request. On each tick it also checks the content received, whether or not
// it sends: "rx stopped" once none came for contentIdle, and a keyframe
// request (PLI to the target's RTCP) when it cannot be decoded, as room
// systems do.
func (cc *contentCall) send(ctx context.Context) {
	fps := cc.opts.rate()
	t := time.NewTicker(time.Second / time.Duration(fps))
	defer t.Stop()
	buf := make([]byte, 1500)
	sbuf := make([]byte, 0, 1500+16)
	var sh rtp.Header // scratch for EncryptRTP
	h := rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), SSRC: rand.Uint32()}
	ts0 := rand.Uint32()
	var n, f uint64 // frames sent in all, index into cc.frames
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		if cc.rx.idle(now) {
			cc.event("rx stopped")
		}
		tg := cc.target.Load()
		if tg == nil {
			continue
		}
		if ssrc, ok := cc.rx.keyframeWanted(now); ok && tg.rtcpDst.IsValid() {
			cc.sendPLI(tg.rtcpDst, h.SSRC, ssrc, sbuf[:0])
		}
		if !cc.presenting.Load() {
			continue
		}
		if cc.restart.Swap(false) {
			f = 0
		}
		h.PayloadType = tg.pt
		h.Timestamp = ts0 + uint32(n*90000/uint64(fps))
		frame := cc.frames[f%uint64(len(cc.frames))]
		for i, p := range frame {
			h.Marker = i == len(frame)-1
			k, err := h.MarshalTo(buf)
			if err == nil {
				k += copy(buf[k:], p)
				pkt := buf[:k]
				if cc.key != nil {
					if sbuf, err = cc.key.tx.EncryptRTP(sbuf[:0], pkt, &sh); err != nil {
						continue
					}
					pkt = sbuf
				}
				_, _ = cc.sock.WriteToUDPAddrPort(pkt, tg.dst)
			}
			h.SequenceNumber++
		}
		n++
		f++
		cc.tx.Add(1)
	}
}

// sendPLI asks the sender of SSRC media for a keyframe (RFC 4585 PLI), SRTCP
// with -srtp; scratch is a buffer of the caller's (the sender goroutine, which
// owns the SRTP transmit context).
func (cc *contentCall) sendPLI(dst netip.AddrPort, self, media uint32, scratch []byte) {
	pkt, err := (&rtcp.PictureLossIndication{SenderSSRC: self, MediaSSRC: media}).Marshal()
	if err != nil {
		return
	}
	if cc.key != nil {
		if pkt, err = cc.key.tx.EncryptRTCP(scratch, pkt, nil); err != nil {
			return
		}
	}
	if _, err := cc.rtcpS.WriteToUDPAddrPort(pkt, dst); err == nil {
		cc.pliTx.Add(1)
	}
}

// readLoop reads s until it closes and hands each packet to handle, first
// authenticated and decrypted by u when the stream is SRTP (u nil: plain).
func readLoop(s *net.UDPConn, u *unprotector, handle func([]byte)) {
	buf := make([]byte, 2048)
	for {
		k, err := s.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt := buf[:k]
		if u != nil {
			if !u.ok(pkt) {
				continue
			}
			pkt = u.out
		}
		handle(pkt)
	}
}

// unprotector is the SRTP check of the content RTP or RTCP socket, nil for
// plain RTP.
func (cc *contentCall) unprotector(rtcp bool) *unprotector {
	if cc.key == nil {
		return nil
	}
	u := &unprotector{rtcp: rtcp, ctx: cc.key.rxRTP, out: make([]byte, 0, 1500), failed: &cc.srtpFailed}
	if rtcp {
		u.ctx = cc.key.rxRTCP
	}
	return u
}

// drainRTP analyses the content received; "content: first frame" is each
// presentation's first decodable frame.
func (cc *contentCall) drainRTP() {
	var p rtp.Packet
	readLoop(cc.sock, cc.unprotector(false), func(pkt []byte) {
		if p.Unmarshal(pkt) != nil {
			return
		}
		now := time.Now()
		if cc.rx.packet(&p, now) {
			cc.eventAt("first frame", now)
		}
	})
}

// drainRTCP turns the gateway's PLI and FIR into an IDR picture next.
func (cc *contentCall) drainRTCP() {
	readLoop(cc.rtcpS, cc.unprotector(true), func(pkt []byte) {
		pkts, err := rtcp.Unmarshal(pkt)
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				cc.kfReq.Add(1)
				cc.restart.Store(true)
			}
		}
	})
}

// close stops the BFCP client and the sockets and waits for the goroutines;
// ctx (the media context) must be done.
func (cc *contentCall) close() {
	if cl := cc.client(); cl != nil {
		gctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = cl.Goodbye(gctx)
		cancel()
		cl.Close()
	}
	cc.sock.Close()
	cc.rtcpS.Close()
	cc.wg.Wait()
	if err := cc.rx.close(); err != nil {
		cc.fail(err)
	}
}

// report is the content object of the call's JSON; after close.
func (cc *contentCall) report() *contentReport {
	r := &contentReport{TxFrames: cc.tx.Load(), KeyframeReq: cc.kfReq.Load(), KeyframeSent: cc.pliTx.Load(), SRTPFailed: cc.srtpFailed.Load()}
	cc.rx.fill(r)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	r.Events = cc.events
	if cc.err != nil {
		r.Error = cc.err.Error()
	}
	return r
}
