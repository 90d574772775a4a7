package rtpsession

import (
	"errors"
	"fmt"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// SRTPConfig keys a session with SRTP (RFC 3711), as SDES (RFC 4568) negotiated it:
// LocalKey protects what we send, RemoteKey authenticates and decrypts what the peer
// sends. Both are the 16-byte master key followed by the 14-byte master salt of
// AES_CM_128_HMAC_SHA1_80, or of _32 when Tag32 is set.
type SRTPConfig struct {
	LocalKey, RemoteKey []byte
	Tag32               bool
}

const (
	srtpKeyLen  = 16
	srtpSaltLen = 14
	// Replay windows (RFC 3711 §3.3.2 asks for at least 64): reordering on a room
	// system's path rarely exceeds a few packets; a video keyframe burst may.
	srtpReplayWindow  = 1024
	srtcpReplayWindow = 128
)

// errSRTPKey is returned for keys of the wrong length.
var errSRTPKey = errors.New("srtp: master key and salt must be 30 bytes")

// srtpContexts protect and unprotect one stream. A pion/srtp Context works one way and
// is not safe for concurrent use, so there are four, each behind its own lock: sending
// RTP (WriteRTP) and RTCP (reports, feedback), receiving RTP (the reader) and RTCP (the
// RTCP goroutine, or the reader for RTCP multiplexed on the RTP port).
type srtpContexts struct {
	txRTP, txRTCP, rxRTP, rxRTCP lockedContext
}

type lockedContext struct {
	mu   sync.Mutex
	ctx  *srtp.Context
	buf  []byte // output buffer, reused under mu
	rtp  rtp.Header
	rtcp rtcp.Header // headers parsed by pion, reused: no allocation per packet
}

func newSRTPContexts(c SRTPConfig) (*srtpContexts, error) {
	if len(c.LocalKey) != srtpKeyLen+srtpSaltLen || len(c.RemoteKey) != srtpKeyLen+srtpSaltLen {
		return nil, errSRTPKey
	}
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	if c.Tag32 {
		profile = srtp.ProtectionProfileAes128CmHmacSha1_32
	}
	mk := func(key []byte, opts ...srtp.ContextOption) (lockedContext, error) {
		ctx, err := srtp.CreateContext(key[:srtpKeyLen], key[srtpKeyLen:], profile, opts...)
		if err != nil {
			return lockedContext{}, fmt.Errorf("srtp: %w", err)
		}
		return lockedContext{ctx: ctx, buf: make([]byte, 0, 1500)}, nil
	}
	var s srtpContexts
	var err error
	if s.txRTP, err = mk(c.LocalKey); err != nil {
		return nil, err
	}
	if s.txRTCP, err = mk(c.LocalKey); err != nil {
		return nil, err
	}
	if s.rxRTP, err = mk(c.RemoteKey, srtp.SRTPReplayProtection(srtpReplayWindow)); err != nil {
		return nil, err
	}
	if s.rxRTCP, err = mk(c.RemoteKey, srtp.SRTCPReplayProtection(srtcpReplayWindow)); err != nil {
		return nil, err
	}
	return &s, nil
}

// rekeyRemote replaces the receiving contexts with ones under a new peer key (the peer
// re-keyed in a re-INVITE, RFC 4568 §7.1.4).
func (s *srtpContexts) rekeyRemote(c SRTPConfig) error {
	n, err := newSRTPContexts(c)
	if err != nil {
		return err
	}
	for _, p := range [...]struct{ cur, next *lockedContext }{{&s.rxRTP, &n.rxRTP}, {&s.rxRTCP, &n.rxRTCP}} {
		p.cur.mu.Lock()
		p.cur.ctx = p.next.ctx
		p.cur.mu.Unlock()
	}
	return nil
}

// The four operations return a slice of the context's own buffer: valid until the
// next call of the same operation, which the caller's lock order guarantees (each
// caller finishes with the bytes before it lets go of the path it serves).

func (s *srtpContexts) protectRTP(plain []byte, use func([]byte) error) error {
	return s.txRTP.do(plain, use, func(l *lockedContext, dst, in []byte) ([]byte, error) { return l.ctx.EncryptRTP(dst, in, &l.rtp) })
}

func (s *srtpContexts) protectRTCP(plain []byte, use func([]byte) error) error {
	return s.txRTCP.do(plain, use, func(l *lockedContext, dst, in []byte) ([]byte, error) { return l.ctx.EncryptRTCP(dst, in, &l.rtcp) })
}

func (s *srtpContexts) unprotectRTP(cipher []byte, use func([]byte) error) error {
	return s.rxRTP.do(cipher, use, func(l *lockedContext, dst, in []byte) ([]byte, error) { return l.ctx.DecryptRTP(dst, in, &l.rtp) })
}

func (s *srtpContexts) unprotectRTCP(cipher []byte, use func([]byte) error) error {
	return s.rxRTCP.do(cipher, use, func(l *lockedContext, dst, in []byte) ([]byte, error) { return l.ctx.DecryptRTCP(dst, in, &l.rtcp) })
}

// do runs op into the context's buffer and hands the result to use under the lock.
func (l *lockedContext) do(in []byte, use func([]byte) error, op func(l *lockedContext, dst, in []byte) ([]byte, error)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	out, err := op(l, l.buf[:0], in)
	if err != nil {
		return err
	}
	if cap(out) > cap(l.buf) {
		l.buf = out[:0] // grown for a larger packet: keep it
	}
	return use(out)
}
