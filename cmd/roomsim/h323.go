package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/h323"
	"github.com/roomgate/roomgate/h323/control"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/q931"
	"github.com/roomgate/roomgate/h323/ras"
	"github.com/roomgate/roomgate/transcode/media"
)

type h323Options struct {
	options
	call, answer          string
	answerCalls           int
	ring, wait            time.Duration
	alias, dtmf           string
	fastStart, tunnel     bool
	h245Early, noH245     bool
	fastStartCodecs       string
	codec                 string
	vendor, vendorVersion string
	display               string
	gk, register          string
	// contentAtConnect (-content-at-connect) opens the H.239 content channel at
	// connect, before (or without) any token request.
	contentAtConnect bool
}

// h323Sim is the H.323 room system: one h323.Service, the media of each call.
type h323Sim struct {
	o      h323Options
	log    *slog.Logger
	bind   netip.Addr
	svc    *h323.Service
	caps   *control.LocalCaps
	tones  map[media.Codec][][]byte
	frames [][][]byte

	calls   atomic.Int64 // calls made or answered, for the content lines
	mu      sync.Mutex
	reports []callReport
	// answered counts the calls the answer mode handled; done is closed after
	// answerCalls of them ended.
	answered int
	done     chan struct{}
}

func runH323(o h323Options) error {
	bind, err := netip.ParseAddr(o.bind)
	if err != nil {
		return fmt.Errorf("-bind: %w", err)
	}
	codec, ok := media.ParseCodec(strings.ToUpper(o.codec))
	if !ok || !codec.IsAudio() {
		return fmt.Errorf("-codec %q: G722, PCMU or PCMA", o.codec)
	}
	s := &h323Sim{o: o, bind: bind, done: make(chan struct{}), tones: map[media.Codec][][]byte{},
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	for _, c := range []media.Codec{media.G722, media.PCMU, media.PCMA} {
		if s.tones[c], err = encodeTone(c, o.tone, 0.3); err != nil {
			return err
		}
	}
	if o.video != "" {
		if s.frames, err = videoFrames(o.video, o.fps); err != nil {
			return err
		}
	}
	s.caps = control.DefaultCaps()
	s.caps.Audio = []media.Codec{codec}
	if o.video == "" {
		s.caps.H264 = nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	listen := net.JoinHostPort(o.bind, "0")
	if o.answer != "" {
		listen = o.answer
	}
	s.svc, err = h323.New(h323.Config{Listen: listen, NoTunnelling: !o.tunnel, RingTimeout: 60 * time.Second,
		Identity: h323.Identity{Vendor: h323.Vendor{CountryCode: 181, Manufacturer: 0x2331, Product: o.vendor, Version: o.vendorVersion}}},
		h323.HandlerFunc(s.handleSetup), s.log)
	if err != nil {
		return err
	}
	if err := s.svc.Start(ctx); err != nil {
		return err
	}
	defer s.svc.Close()
	sum := summary{Mode: "h323"}
	if o.gk != "" {
		c, err := s.registerGK(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		sum.Registered = true
		fmt.Println("registered:", o.register)
	}
	if o.answer != "" {
		fmt.Println("listening:", s.svc.Addr())
		select {
		case <-s.done:
		case <-ctx.Done():
		case <-time.After(o.wait):
		}
	} else {
		for i := 0; i < max(o.n, 1) && ctx.Err() == nil; i++ {
			r := s.dial(ctx)
			s.mu.Lock()
			s.reports = append(s.reports, r)
			s.mu.Unlock()
		}
	}
	_ = s.svc.Shutdown(context.Background())
	s.mu.Lock()
	sum.Calls = append([]callReport{}, s.reports...)
	s.mu.Unlock()
	sum.print()
	for _, r := range sum.Calls {
		if !r.Established {
			return errors.New("a call was not established")
		}
	}
	if len(sum.Calls) == 0 {
		return errors.New("no call")
	}
	return nil
}

// registerGK registers -register with the gatekeeper -gk and waits until it is.
func (s *h323Sim) registerGK(ctx context.Context) (*ras.Client, error) {
	gk, err := netip.ParseAddrPort(s.o.gk)
	if err != nil {
		return nil, fmt.Errorf("-gk: %w", err)
	}
	if s.o.register == "" {
		return nil, errors.New("-gk needs -register ALIAS")
	}
	reg := make(chan struct{})
	var once sync.Once
	c, err := ras.NewClient(ras.ClientConfig{Gatekeeper: gk, CallSignal: s.svc.Addr(), Aliases: []string{s.o.register},
		Listen: net.JoinHostPort(s.o.bind, "0"), Logger: s.log,
		OnState: func(st ras.ClientState) {
			if st.Registered {
				once.Do(func() { close(reg) })
			}
		}})
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	select {
	case <-reg:
		return c, nil
	case <-time.After(15 * time.Second):
		c.Close()
		return nil, fmt.Errorf("not registered with %s within 15 s: %v", gk, c.State().Err)
	}
}

// media is one call's sockets, sender and receiver.
type callMedia struct {
	audio, video rtpPair
	local        media.Local
	snd          *sender
	rcv          *receiver
	content      *h239Content // -content: H.239 (nil without)
	cancel       context.CancelFunc
	sent         sync.WaitGroup
}

func (s *h323Sim) newMedia() (*callMedia, error) {
	m := &callMedia{rcv: newReceiver(), snd: &sender{tones: s.tones, frames: s.frames, fps: s.o.fps}}
	var err error
	base := s.o.rtpBase
	if m.audio, err = listenPair(s.bind, base); err != nil {
		return nil, err
	}
	m.local = media.Local{Addr: s.bind, Ports: map[media.Role]int{media.RoleAudio: m.audio.port()}}
	if len(s.frames) > 0 {
		if base > 0 {
			base = m.audio.port() + 2
		}
		if m.video, err = listenPair(s.bind, base); err != nil {
			m.audio.close()
			return nil, err
		}
		m.local.Ports[media.RoleMain] = m.video.port()
		m.rcv.drain(m.video.rtp, "video")
		m.rcv.drain(m.video.rtcp, "rtcp")
	}
	if s.o.content.enabled {
		p, err := listenContentPair(s.bind, base)
		if err == nil {
			m.local.Ports[media.RoleContent] = p.port()
			if m.content, err = newH239Content(int(s.calls.Add(1))-1, p, s.o.content, s.o.contentAtConnect, m.rcv.frames); err != nil {
				p.close()
			}
		}
		if err != nil {
			m.audio.close()
			m.video.close()
			return nil, err
		}
	}
	m.rcv.drain(m.audio.rtp, "audio")
	m.rcv.drain(m.audio.rtcp, "rtcp")
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.sent.Go(func() { m.snd.run(ctx, m.audio.rtp, m.video.rtp) })
	return m, nil
}

// finish stops the media and fills the report's media fields.
func (m *callMedia) finish(r *callReport, setupAt time.Time) {
	m.cancel()
	m.sent.Wait()
	m.audio.close()
	m.video.close()
	if m.content != nil {
		m.content.close()
		r.Content = m.content.report()
	}
	r.AudioTx, r.VideoTx = m.snd.audioTx.Load(), m.snd.videoTx.Load()
	r.Rx = m.rcv.report()
	if t := m.rcv.firstMedia(); !t.IsZero() {
		r.FirstMediaMS = ms(t.Sub(setupAt))
	}
}

// proposals are the Setup's fastStart proposals: ours, or G.728 only (a codec
// the gateway lacks) with -faststart-codecs none.
func (s *h323Sim) proposals(local media.Local) ([][]byte, error) {
	if !s.o.fastStart {
		return nil, nil
	}
	if s.o.fastStartCodecs != "none" {
		return control.ProposeFastStart(s.caps, local)
	}
	frames := int64(20)
	ch := h245.Channel{Number: 1, SessionID: 1, DataType: h245.DataType{AudioData: &h245.AudioCapability{G728: &frames}},
		RTCP: local.RTCP(media.RoleAudio), Audio: true}
	olc, err := ch.OpenLogicalChannel()
	if err != nil {
		return nil, err
	}
	b, err := olc.Marshal()
	if err != nil {
		return nil, err
	}
	return [][]byte{b}, nil
}

// dial places one call and holds it -d.
func (s *h323Sim) dial(ctx context.Context) (r callReport) {
	fail := func(err error) callReport { r.Error = err.Error(); return r }
	addr := s.o.call
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "1720")
	}
	to, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fail(fmt.Errorf("-h323 %q: %w", s.o.call, err))
	}
	m, err := s.newMedia()
	if err != nil {
		return fail(err)
	}
	props, err := s.proposals(m.local)
	if err != nil {
		return fail(err)
	}
	r.FastStart = "off"
	var dest []h323.Alias
	if s.o.alias != "" {
		dest = []h323.Alias{h323.ParseAlias(s.o.alias)}
	}
	var pmu sync.Mutex
	setupAt := time.Now()
	var connectAt time.Time
	out, err := s.svc.Dial(ctx, h323.DialParams{Address: to, DestAliases: dest, FastStart: props,
		Tunnelling: s.o.tunnel, H245Early: s.o.h245Early, Display: s.o.display,
		SourceAliases: []h323.Alias{{Kind: h323.AliasH323ID, Value: s.o.vendor}},
		OnProgress: func(p h323.Progress) {
			pmu.Lock()
			r.States = append(r.States, string(p.State))
			if p.State == h323.Connected {
				connectAt = time.Now()
			}
			pmu.Unlock()
		}})
	if err != nil {
		m.finish(&r, setupAt)
		return fail(err)
	}
	sess := newSession(s.log.With("call", out.CallID()), out, s.caps, m)
	if !s.o.noH245 {
		out.SetEvents(h323.Events{OnH245: sess.deliver})
	}
	werr := out.Wait(ctx)
	defer func() {
		pmu.Lock()
		if !connectAt.IsZero() {
			r.ConnectMS = ms(connectAt.Sub(setupAt))
		}
		pmu.Unlock()
		end := out.EndReason()
		r.EndBy, r.EndWhy, r.Cause, r.Reason = string(end.By), string(end.Why), int(end.Cause), end.Reason
		if v, ok := out.PeerVendor(); ok {
			r.PeerProduct, r.PeerVersion = v.Product, v.Version
		}
	}()
	if werr != nil {
		<-out.Done()
		m.finish(&r, setupAt)
		return fail(werr)
	}
	r.Established = true
	r.Tunnelling = out.Tunnelling()
	var fs *control.FastStart
	if acc := out.FastStartAccepted(); len(acc) > 0 {
		if fs, err = control.AcceptedFastStart(acc, s.caps); err == nil {
			r.FastStart = "accepted"
		}
	} else if len(props) > 0 {
		r.FastStart = "refused"
	}
	if !s.o.noH245 {
		sess.start(fs)
		defer sess.close()
		if m.content != nil {
			m.content.start(ctx, sess)
		}
	} else if fs != nil {
		sess.apply(fs.Plan)
	}
	if s.o.dtmf != "" {
		select {
		case <-sess.audio:
			time.Sleep(time.Second) // the IVR starts its prompt once the call is in
			sess.do(func(time.Time) { sess.sess.SendUserInput(s.o.dtmf, 100*time.Millisecond) })
			r.DigitsSent = s.o.dtmf
		case <-out.Done():
		case <-time.After(20 * time.Second):
		}
	}
	select {
	case <-time.After(s.o.hold):
	case <-out.Done():
	case <-sess.ended:
		graceRelease(out.Done())
	case <-ctx.Done():
	}
	r.H245Separate = out.H245Separate()
	if !s.o.noH245 {
		sess.do(func(time.Time) { sess.sess.End() })
	}
	_ = out.Release(q931.CauseNormalClearing)
	<-out.Done()
	m.finish(&r, setupAt)
	return r
}

// handleSetup answers a call from the gateway (answer mode).
func (s *h323Sim) handleSetup(ctx context.Context, c *h323.InboundCall) {
	setupAt := time.Now()
	r := callReport{FastStart: "off", PeerProduct: c.Vendor.Product, PeerVersion: c.Vendor.Version}
	defer func() {
		end := c.EndReason()
		r.EndBy, r.EndWhy, r.Cause, r.Reason = string(end.By), string(end.Why), int(end.Cause), end.Reason
		s.mu.Lock()
		s.reports = append(s.reports, r)
		s.answered++
		if s.answered == s.o.answerCalls {
			close(s.done)
		}
		s.mu.Unlock()
	}()
	m, err := s.newMedia()
	if err != nil {
		r.Error = err.Error()
		_ = c.Reject(q931.CauseResourceUnavailable, nil)
		return
	}
	defer m.finish(&r, setupAt)
	var fs *control.FastStart
	if s.o.fastStart && len(c.FastStart) > 0 {
		if fs, err = control.AnswerFastStart(c.FastStart, s.caps, m.local); err == nil {
			r.FastStart = "accepted"
		} else {
			r.FastStart = "refused"
		}
	}
	var olcs [][]byte
	if fs != nil {
		olcs = fs.OLCs
	}
	sess := newSession(s.log.With("call", c.CallID()), c, s.caps, m)
	if !s.o.noH245 {
		c.SetEvents(h323.Events{OnH245: sess.deliver})
	}
	_ = c.Proceeding(nil)
	r.States = append(r.States, "proceeding")
	if err := c.Alerting(olcs); err != nil {
		r.Error = err.Error()
		return
	}
	r.States = append(r.States, "alerting")
	select {
	case <-time.After(s.o.ring):
	case <-c.Done():
		r.States = append(r.States, "released")
		return
	}
	if err := c.Connect(olcs); err != nil {
		r.Error = err.Error()
		return
	}
	r.States = append(r.States, "connected")
	r.ConnectMS = ms(time.Since(setupAt))
	r.Established = true
	r.Tunnelling = c.Tunnelling()
	if !s.o.noH245 {
		sess.start(fs)
		defer sess.close()
		if m.content != nil {
			m.content.start(ctx, sess)
		}
	} else if fs != nil {
		sess.apply(fs.Plan)
	}
	select {
	case <-time.After(s.o.hold):
	case <-c.Done():
	case <-sess.ended:
		graceRelease(c.Done())
	case <-ctx.Done():
	}
	r.H245Separate = c.H245Separate()
	if !s.o.noH245 {
		sess.do(func(time.Time) { sess.sess.End() })
	}
	_ = c.Release(q931.CauseNormalClearing)
	<-c.Done()
	r.States = append(r.States, "released")
}

// graceRelease waits a little for the peer's ReleaseComplete after its
// endSessionCommand (H.323 §8.5: the side that ends the session clears the call),
// so that the report says who ended it.
func graceRelease(done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}
