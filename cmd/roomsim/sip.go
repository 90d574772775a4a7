package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/media"
)

const (
	ptG722 = 9
	ptH264 = 96
	// audioFrames is how many 20 ms G.722 frames are pre-encoded and looped
	// (1 s: a whole number of periods for any integer tone frequency).
	audioFrames = 50
)

type options struct {
	gw, meeting, video, bind string
	n, fps, rtpBase          int
	tone                     float64
	talkers                  int
	srtp                     bool
	hold, stagger            time.Duration
	content                  contentOptions
}

// runSIP places o.n SIP calls to the meeting (the -gw mode).
func runSIP(o options) error {
	if o.meeting == "" {
		return errors.New("-meeting is required")
	}
	if o.n < 1 || o.fps < 1 || o.fps > 120 {
		return errors.New("-n must be ≥ 1 and -fps in 1..120")
	}
	bindIP, err := netip.ParseAddr(o.bind)
	if err != nil {
		return fmt.Errorf("-bind: %w", err)
	}
	audioPayloads, err := encodeTone(media.G722, o.tone, 0.3)
	if err != nil {
		return err
	}
	quietPayloads, err := encodeTone(media.G722, 0, 0)
	if err != nil {
		return err
	}
	var frames [][][]byte
	if o.video != "" {
		if frames, err = videoFrames(o.video, o.fps); err != nil {
			return err
		}
		fmt.Printf("video: %s, %d access units\n", o.video, len(frames))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := sip.New(sip.Config{Listen: net.JoinHostPort(o.bind, "0"), UserAgent: "roomsim", RingTimeout: 15 * time.Second}, nil, log)
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	defer svc.Close()

	calls := make([]*simCall, o.n)
	var started sync.WaitGroup
	mediaCtx, stopMedia := context.WithCancel(ctx)
	defer stopMedia()
	for i := range calls {
		if i > 0 {
			select {
			case <-time.After(o.stagger):
			case <-ctx.Done():
			}
		}
		c := &simCall{idx: i + 1, opts: &o, recv: newReceiver(), bind: bindIP, audio: audioPayloads, frames: frames, done: make(chan struct{})}
		if o.talkers >= 0 && i >= o.talkers {
			c.audio = quietPayloads
		}
		calls[i] = c
		started.Add(1)
		go c.run(ctx, mediaCtx, svc, &started)
	}
	started.Wait()
	est := 0
	for _, c := range calls {
		if c.established {
			est++
		}
	}
	fmt.Printf("started: %d established: %d\n", o.n, est)

	select {
	case <-time.After(o.hold):
	case <-ctx.Done():
	}
	stopMedia()
	var hung sync.WaitGroup
	for _, c := range calls {
		hung.Add(1)
		go func() { defer hung.Done(); c.hangup() }()
	}
	hung.Wait()

	for _, c := range calls {
		fmt.Println(c.report())
	}
	fmt.Printf("calls: %d established: %d\n", o.n, est)
	sum := summary{Mode: "sip", Calls: make([]callReport, len(calls))}
	for i, c := range calls {
		r := callReport{Established: c.established, AudioTx: c.audioTx, VideoTx: c.videoTx, Rx: c.recv.report()}
		r.Rx.AudioPackets, r.Rx.VideoPackets = c.rx[0].pkts.Load(), c.rx[2].pkts.Load()
		r.Rx.RTCPPackets = c.rx[1].pkts.Load() + c.rx[3].pkts.Load()
		if c.err != nil {
			r.Error = c.err.Error()
		}
		if c.content != nil {
			r.Content = c.content.report()
		}
		sum.Calls[i] = r
	}
	sum.print()
	if o.srtp {
		keyed, authOK, failed := 0, uint64(0), uint64(0)
		for _, c := range calls {
			if c.keys[0] != nil {
				keyed++
			}
			for i := range c.rx {
				authOK += c.rx[i].pkts.Load() - c.rx[i].failed.Load()
				failed += c.rx[i].failed.Load()
			}
		}
		fmt.Printf("srtp: keyed %d of %d calls, %d packets authenticated, %d failed\n", keyed, o.n, authOK, failed)
	}
	if est != o.n {
		return fmt.Errorf("%d of %d calls failed to establish", o.n-est, o.n)
	}
	return nil
}

// encodeTone pre-encodes one second of a sine tone (amplitude amp of full scale) as
// 20 ms frames of codec c (G.722, G.711); hz 0 gives room noise at about −65 dBov instead. The second
// second is kept: G.722 is ADPCM, and an encoder that has already run over the same
// loop is in the state it ends in, so the loop repeats without a glitch (a glitch
// every second would read as a room that talks).
func encodeTone(c media.Codec, hz, amp float64) ([][]byte, error) {
	enc, err := audio.NewEncoder(c, audio.Config{})
	if err != nil {
		return nil, err
	}
	rate := enc.SampleRate() // 16 kHz for G.722
	n := media.SamplesPerFrame(rate, media.FrameDuration)
	pcm := make([][]int16, audioFrames)
	rng := rand.New(rand.NewPCG(1, 2))
	for f := range pcm {
		pcm[f] = make([]int16, n)
		for i := range pcm[f] {
			t := float64(f*n+i) / float64(rate)
			if hz == 0 {
				pcm[f][i] = int16(rng.NormFloat64() * 18) // ≈ −65 dBov RMS
				continue
			}
			pcm[f][i] = int16(amp * 32767 * math.Sin(2*math.Pi*hz*t))
		}
	}
	out := make([][]byte, audioFrames)
	for range 2 {
		for f := range out {
			if out[f], err = enc.Encode(pcm[f], nil); err != nil {
				return nil, fmt.Errorf("%s: %w", c, err)
			}
		}
	}
	return out, nil
}

// counter counts packets and bytes arriving on one socket, and with SRTP those
// that did not authenticate.
type counter struct{ pkts, bytes, failed atomic.Uint64 }

type simCall struct {
	idx    int
	opts   *options
	bind   netip.Addr
	audio  [][]byte
	frames [][][]byte

	out         *sip.OutboundCall
	established bool
	err         error

	socks              [4]*net.UDPConn // audio RTP, audio RTCP, video RTP, video RTCP
	rx                 [4]counter
	audioTx, videoTx   uint64
	audioTxB, videoTxB uint64
	kfReq              atomic.Uint64
	keys               [2]*srtpStream // audio, video; nil: plain RTP
	media              sync.WaitGroup // the drain goroutines
	recv               *receiver      // analyses the plain RTP received
	content            *contentCall   // with -content: the slides stream and BFCP
	done               chan struct{}  // closed when run returns
}

func (c *simCall) video() bool { return len(c.frames) > 0 }

// run places the call, reports its outcome through started, then sends
// media until mediaCtx ends.
func (c *simCall) run(ctx, mediaCtx context.Context, svc *sip.Service, started *sync.WaitGroup) {
	defer close(c.done)
	ok := false
	defer func() {
		if !ok {
			started.Done()
		}
	}()
	base := c.opts.rtpBase + c.opts.portsPerCall()*(c.idx-1)
	for i := range c.socks {
		if i >= 2 && !c.video() {
			break
		}
		s, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.bind, uint16(base+i))))
		if err != nil {
			c.err = err
			return
		}
		_ = s.SetReadBuffer(1 << 20)
		c.socks[i] = s
	}
	if c.opts.content.enabled {
		cc, err := listenContent(c.idx, c.bind, base+4, c.opts.content)
		if err != nil {
			c.err = err
			return
		}
		cc.mainFrames = c.recv.frames
		c.content = cc
	}
	offer := c.offer(base)
	name := "roomsim" + strconv.Itoa(c.idx)
	out, err := svc.Dial(ctx, sip.DialParams{
		URI: "sip:" + c.opts.meeting + "@" + c.opts.gw, Offer: offer, FromUser: name, DisplayName: "Room " + strconv.Itoa(c.idx),
		Events: sip.Events{OnKeyframeRequest: func() { c.kfReq.Add(1) }},
	})
	if err != nil {
		c.err = err
		return
	}
	c.out = out
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := out.Wait(wctx); err != nil {
		c.err = err
		out.Cancel()
		return
	}
	res, err := sdp.ParseAnswer(offer, out.AnswerSDP())
	if err != nil {
		c.err = err
		return
	}
	var aDst, vDst netip.AddrPort
	if res.Audio != nil {
		aDst = res.Audio.Remote
	}
	if res.Video != nil {
		vDst = res.Video.Remote
	}
	if !aDst.IsValid() || (c.video() && !vDst.IsValid()) {
		c.err = fmt.Errorf("answer lacks audio or video address (audio %v, video %v)", aDst, vDst)
		return
	}
	if c.opts.srtp {
		if err := c.keyStreams(res); err != nil {
			c.err = err
			return
		}
	}
	c.established, ok = true, true
	for i, s := range c.socks {
		if s != nil {
			var u *unprotector
			if k := c.keys[i/2]; k != nil {
				u = &unprotector{rtcp: i%2 == 1, ctx: k.rxRTP, out: make([]byte, 0, 1500), failed: &c.rx[i].failed}
				if u.rtcp {
					u.ctx = k.rxRTCP
				}
			}
			c.media.Add(1)
			go c.drain(s, &c.rx[i], u, [4]string{"audio", "rtcp", "video", "rtcp"}[i])
		}
	}
	started.Done()
	if c.content != nil {
		c.content.run(mediaCtx, res, out.AnswerSDP(), c.bind, base+6)
	}
	c.send(mediaCtx, aDst, vDst)
}

// keyStreams makes the SRTP contexts of the answered streams; a stream the gateway
// answered without keys is an error.
func (c *simCall) keyStreams(res *sdp.Result) error {
	if res.Audio.SRTP == nil || (c.video() && res.Video.SRTP == nil) {
		return errors.New("srtp offered but the answer keys no SRTP")
	}
	var err error
	if c.keys[0], err = newSRTPStream(res.Audio.SRTP); err != nil {
		return err
	}
	if c.video() {
		if c.keys[1], err = newSRTPStream(res.Video.SRTP); err != nil {
			return err
		}
	}
	return nil
}

// offer is the SDP a room system would send: G.722 only and, with video,
// H.264 Constrained Baseline 3.1 on PT 96 in packetization-mode 1 only.
// sdp.BuildOffer always offers H.264 as PT 97 (mode 1) plus PT 98 (mode 0)
// and adds telephone-event per Capabilities, so this offer is written by
// hand; the answer is read with sdp.ParseAnswer.
func (c *simCall) offer(base int) []byte {
	ip := c.bind.String()
	id := strconv.FormatUint(rand.Uint64()>>2, 10)
	proto, crypto := "RTP/AVP", func() string { return "" }
	if c.opts.srtp {
		proto, crypto = "RTP/SAVP", cryptoLines
	}
	s := "v=0\r\no=roomsim " + id + " 1 IN IP4 " + ip + "\r\ns=roomsim\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\n" +
		"m=audio " + strconv.Itoa(base) + " " + proto + " 9\r\na=rtpmap:9 G722/8000\r\na=ptime:20\r\n" + crypto() + "a=sendrecv\r\n"
	if c.video() {
		s += "m=video " + strconv.Itoa(base+2) + " " + proto + " 96\r\nb=AS:2500\r\n" +
			"a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n" +
			"a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n" + crypto() + "a=sendrecv\r\n"
	}
	if c.opts.content.enabled {
		s += contentSDP(base+4, base+6, proto, crypto(), c.opts.content.bfcp)
	}
	return []byte(s)
}

// drain counts and analyses what arrives on s; u (nil for plain RTP)
// authenticates and decrypts each packet first.
func (c *simCall) drain(s *net.UDPConn, n *counter, u *unprotector, kind string) {
	defer c.media.Done()
	buf := make([]byte, 2048)
	var h rtp.Packet
	for {
		k, err := s.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		n.pkts.Add(1)
		n.bytes.Add(uint64(k))
		if u != nil {
			if u.ok(buf[:k]) {
				c.recv.handle(kind, u.out, &h) // analyse the decrypted packet too
			}
		} else {
			c.recv.handle(kind, buf[:k], &h)
		}
	}
}

// send paces audio every 20 ms and video every 1/fps until ctx ends.
func (c *simCall) send(ctx context.Context, aDst, vDst netip.AddrPort) {
	buf := make([]byte, 1500)
	sbuf := make([]byte, 0, 1500+16) // protected packet: payload plus the auth tag
	var sh rtp.Header                // scratch header for EncryptRTP
	ah := rtp.Header{Version: 2, PayloadType: ptG722, SequenceNumber: uint16(rand.Uint32()), SSRC: rand.Uint32(), Timestamp: rand.Uint32()}
	vh := rtp.Header{Version: 2, PayloadType: ptH264, SequenceNumber: uint16(rand.Uint32()), SSRC: rand.Uint32()}
	vts0 := rand.Uint32()
	aTick := time.NewTicker(media.FrameDuration)
	defer aTick.Stop()
	var vTick <-chan time.Time
	if c.video() && vDst.IsValid() {
		t := time.NewTicker(time.Second / time.Duration(c.opts.fps))
		defer t.Stop()
		vTick = t.C
	}
	aStep := media.G722.TimestampsPerFrame(media.FrameDuration) // 160
	af, vf := 0, uint64(0)
	write := func(h *rtp.Header, payload []byte, dst netip.AddrPort, sock *net.UDPConn, k *srtpStream) int {
		n, err := h.MarshalTo(buf)
		if err != nil {
			return 0
		}
		n += copy(buf[n:], payload)
		pkt := buf[:n]
		if k != nil {
			if sbuf, err = k.tx.EncryptRTP(sbuf[:0], pkt, &sh); err != nil {
				return 0
			}
			pkt = sbuf
		}
		if _, err := sock.WriteToUDPAddrPort(pkt, dst); err != nil {
			return 0
		}
		return len(pkt)
	}
	sendVideo := func() {
		frame := c.frames[vf%uint64(len(c.frames))]
		vh.Timestamp = vts0 + uint32(vf*90000/uint64(c.opts.fps))
		for i, p := range frame {
			vh.Marker = i == len(frame)-1
			if n := write(&vh, p, vDst, c.socks[2], c.keys[1]); n > 0 {
				c.videoTx++
				c.videoTxB += uint64(n)
			}
			vh.SequenceNumber++
		}
		vf++
	}
	if vTick != nil {
		sendVideo() // start with the IDR picture right away
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-aTick.C:
			if n := write(&ah, c.audio[af%len(c.audio)], aDst, c.socks[0], c.keys[0]); n > 0 {
				c.audioTx++
				c.audioTxB += uint64(n)
			}
			af++
			ah.SequenceNumber++
			ah.Timestamp += aStep
		case <-vTick:
			sendVideo()
		}
	}
}

// hangup runs once media stopped: waits for the sender, sends BYE and
// closes the sockets.
func (c *simCall) hangup() {
	<-c.done
	if c.out != nil && c.established {
		if err := c.out.Bye(""); err != nil && c.err == nil {
			c.err = err
		}
	}
	for _, s := range c.socks {
		if s != nil {
			s.Close()
		}
	}
	if c.content != nil {
		c.content.close()
	}
	c.media.Wait()
}

func (c *simCall) report() string {
	est := "no"
	if c.established {
		est = "yes"
	}
	s := fmt.Sprintf("call %2d: established %s  audio tx %d (%d kB) rx %d (%d kB)", c.idx, est,
		c.audioTx, c.audioTxB/1000, c.rx[0].pkts.Load(), c.rx[0].bytes.Load()/1000)
	if c.video() {
		s += fmt.Sprintf("  video tx %d (%d kB) rx %d (%d kB)", c.videoTx, c.videoTxB/1000,
			c.rx[2].pkts.Load(), c.rx[2].bytes.Load()/1000)
	}
	s += fmt.Sprintf("  rtcp rx %d/%d  keyframe req (INFO) %d", c.rx[1].pkts.Load(), c.rx[3].pkts.Load(), c.kfReq.Load())
	if k := c.keys[0]; k != nil {
		s += fmt.Sprintf("  srtp %s, rx not authenticated %d/%d/%d/%d", k.suite,
			c.rx[0].failed.Load(), c.rx[1].failed.Load(), c.rx[2].failed.Load(), c.rx[3].failed.Load())
	}
	if c.err != nil {
		s += "  error: " + c.err.Error()
	}
	return s
}
