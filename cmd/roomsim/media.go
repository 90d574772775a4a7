package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/roomgate/roomgate/transcode/audio"
	"github.com/roomgate/roomgate/transcode/h264"
	"github.com/roomgate/roomgate/transcode/media"
)

// maxRecord bounds the decoded audio a receiver keeps for the tone analysis.
const maxRecord = 60 * time.Second

// rtpPair is one stream's two sockets (RTP on an even port, RTCP on the next).
type rtpPair struct{ rtp, rtcp *net.UDPConn }

// listenPair binds an even RTP port and the next one on ip: at base (and
// upwards) when base > 0, else anywhere in 40000–59999.
func listenPair(ip netip.Addr, base int) (rtpPair, error) {
	for try := range 200 {
		p := base + 2*try
		if base <= 0 {
			p = 40000 + 2*rand.IntN(10000)
		}
		if p > 65534 {
			break
		}
		a, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p))))
		if err != nil {
			continue
		}
		b, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			a.Close()
			continue
		}
		_ = a.SetReadBuffer(1 << 20)
		return rtpPair{a, b}, nil
	}
	return rtpPair{}, errors.New("no free RTP port pair")
}

func (p rtpPair) port() int {
	if p.rtp == nil {
		return 0
	}
	return p.rtp.LocalAddr().(*net.UDPAddr).Port
}

func (p rtpPair) close() {
	if p.rtp != nil {
		p.rtp.Close()
		p.rtcp.Close()
	}
}

// rxStats is what a call received, in the final JSON.
type rxStats struct {
	AudioPackets uint64           `json:"audio_packets"`
	VideoPackets uint64           `json:"video_packets"`
	RTCPPackets  uint64           `json:"rtcp_packets"`
	AudioCodec   string           `json:"audio_codec,omitempty"`
	Tone         audio.ToneReport `json:"tone"`
	// H264Frames counts complete access units; H264Keyframes those with an IDR
	// picture, H264SPS whether a sequence parameter set arrived.
	H264Frames    int  `json:"h264_frames"`
	H264Keyframes int  `json:"h264_keyframes"`
	H264SPS       bool `json:"h264_sps"`
	// Width × Height: the largest picture an SPS announced (0 without).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
}

// receiver counts and analyses what arrives on a call's sockets: decoded audio for
// the tone analysis, H.264 depacketized into access units.
type receiver struct {
	first atomic.Int64 // unix nanoseconds of the first media packet, 0 before
	rtcp  atomic.Uint64

	mu      sync.Mutex
	codec   media.Codec // of the audio payload type pt, the last one received
	pt      uint8
	dec     audio.Decoder
	pcm     []int16
	rate    int
	scratch []int16
	audioN  uint64
	videoN  uint64
	dp      *h264.Depacketizer
	st      rxStats

	wg sync.WaitGroup
}

func newReceiver() *receiver {
	return &receiver{dp: h264.NewDepacketizer(h264.DepacketizerConfig{MaxNALSize: 1 << 20, MaxAccessUnit: 2 << 20, MaxNALs: 256})}
}

// drain reads one socket until it closes; kind is "audio", "video" or "rtcp".
func (r *receiver) drain(s *net.UDPConn, kind string) {
	r.wg.Go(func() {
		buf := make([]byte, 2048)
		var h rtp.Packet
		for {
			n, err := s.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			r.handle(kind, buf[:n], &h)
		}
	})
}

// handle takes one received datagram; h is scratch.
func (r *receiver) handle(kind string, b []byte, h *rtp.Packet) {
	if kind == "rtcp" {
		r.rtcp.Add(1)
		return
	}
	if h.Unmarshal(b) != nil {
		return
	}
	r.first.CompareAndSwap(0, time.Now().UnixNano())
	if kind == "audio" {
		r.audioPacket(h)
	} else {
		r.videoPacket(h)
	}
}

func (r *receiver) audioPacket(p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.audioN++
	if len(p.Payload) == 0 {
		return
	}
	if r.dec == nil || p.PayloadType != r.pt {
		// The static payload types of the codecs room systems send (RFC 3551).
		c, ok := map[uint8]media.Codec{0: media.PCMU, 8: media.PCMA, 9: media.G722}[p.PayloadType]
		if !ok {
			return
		}
		dec, err := audio.NewDecoder(c, audio.Config{})
		if err != nil {
			return
		}
		r.codec, r.pt, r.dec, r.rate = c, p.PayloadType, dec, dec.SampleRate()
		r.pcm = r.pcm[:0]
	}
	out, err := r.dec.Decode(p.Payload, r.scratch[:0])
	if err != nil {
		return
	}
	r.scratch = out
	if len(r.pcm)+len(out) <= r.rate*int(maxRecord/time.Second) {
		r.pcm = append(r.pcm, out...)
	}
}

func (r *receiver) videoPacket(p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.videoN++
	aus, _ := r.dp.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
	for _, au := range aus {
		if !au.Complete {
			continue
		}
		r.st.H264Frames++
		if au.Keyframe() {
			r.st.H264Keyframes++
		}
		for _, n := range au.NALs {
			if h264.NALType(n) != h264.NALSPS {
				continue
			}
			r.st.H264SPS = true
			// The largest picture seen (a gateway may send a small placeholder first).
			if sps, err := h264.ParseSPS(n); err == nil && sps.Width*sps.Height > r.st.Width*r.st.Height {
				r.st.Width, r.st.Height = sps.Width, sps.Height
			}
		}
	}
}

// frames is the number of complete H.264 access units received so far.
func (r *receiver) frames() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.H264Frames
}

// firstMedia is when the first media packet arrived (zero before).
func (r *receiver) firstMedia() time.Time {
	if n := r.first.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// report waits for the drains (their sockets closed) and analyses the audio.
func (r *receiver) report() rxStats {
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.AudioPackets, st.VideoPackets, st.RTCPPackets = r.audioN, r.videoN, r.rtcp.Load()
	st.AudioCodec = string(r.codec)
	if r.rate > 0 {
		pcm := r.pcm[min(len(r.pcm), r.rate):] // past the first second (joins, mixing ramp)
		st.Tone = audio.DominantTone(pcm, r.rate)
	}
	return st
}

// sender paces a call's audio (a pre-encoded tone, 20 ms frames) and video
// (pre-packetized access units at fps) to destinations that may change.
type sender struct {
	mu     sync.Mutex
	aDst   netip.AddrPort
	vDst   netip.AddrPort
	aPT    uint8
	vPT    uint8
	aCodec media.Codec
	tones  map[media.Codec][][]byte
	frames [][][]byte
	fps    int

	audioTx, videoTx atomic.Uint64
	keyframe         atomic.Bool // send the IDR next
}

// setAudio points the audio at dst with codec c as payload type pt.
func (s *sender) setAudio(dst netip.AddrPort, c media.Codec, pt uint8) {
	s.mu.Lock()
	s.aDst, s.aCodec, s.aPT = dst, c, pt
	s.mu.Unlock()
}

func (s *sender) setVideo(dst netip.AddrPort, pt uint8) {
	s.mu.Lock()
	s.vDst, s.vPT = dst, pt
	s.mu.Unlock()
	s.keyframe.Store(true)
}

// run sends until ctx ends, from the audio and video RTP sockets.
func (s *sender) run(ctx context.Context, aSock, vSock *net.UDPConn) {
	buf := make([]byte, 1500)
	ah := rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), SSRC: rand.Uint32(), Timestamp: rand.Uint32()}
	vh := rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), SSRC: rand.Uint32()}
	vts0 := rand.Uint32()
	aTick := time.NewTicker(media.FrameDuration)
	defer aTick.Stop()
	fps := max(s.fps, 1)
	vTick := time.NewTicker(time.Second / time.Duration(fps))
	defer vTick.Stop()
	write := func(h *rtp.Header, payload []byte, dst netip.AddrPort, sock *net.UDPConn) bool {
		n, err := h.MarshalTo(buf)
		if err != nil {
			return false
		}
		n += copy(buf[n:], payload)
		_, err = sock.WriteToUDPAddrPort(buf[:n], dst)
		return err == nil
	}
	af, vf := 0, uint64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-aTick.C:
			s.mu.Lock()
			dst, c, pt := s.aDst, s.aCodec, s.aPT
			s.mu.Unlock()
			tone := s.tones[c]
			if !dst.IsValid() || len(tone) == 0 {
				continue
			}
			ah.PayloadType = pt
			if write(&ah, tone[af%len(tone)], dst, aSock) {
				s.audioTx.Add(1)
			}
			af++
			ah.SequenceNumber++
			ah.Timestamp += c.TimestampsPerFrame(media.FrameDuration)
		case <-vTick.C:
			s.mu.Lock()
			dst, pt := s.vDst, s.vPT
			s.mu.Unlock()
			if !dst.IsValid() || len(s.frames) == 0 || vSock == nil {
				continue
			}
			if s.keyframe.Swap(false) {
				vf = 0 // the first access unit is the IDR picture
			}
			frame := s.frames[vf%uint64(len(s.frames))]
			vh.PayloadType = pt
			vh.Timestamp = vts0 + uint32(vf*90000/uint64(fps))
			for i, p := range frame {
				vh.Marker = i == len(frame)-1
				if write(&vh, p, dst, vSock) {
					s.videoTx.Add(1)
				}
				vh.SequenceNumber++
			}
			vf++
		}
	}
}
