package main

import (
	"fmt"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/roomgate/roomgate/sip/sdp"
)

// offeredSuites are the crypto suites a -srtp call offers on each m-line, in the
// order a room system lists them (tag 1, tag 2); the gateway answers one.
var offeredSuites = [...]string{sdp.SuiteAES128SHA1_80, sdp.SuiteAES128SHA1_32}

// cryptoLines returns a=crypto lines for one m-line, each suite with a fresh key.
func cryptoLines() string {
	s := ""
	for i, suite := range offeredSuites {
		s += "a=crypto:" + sdp.Crypto{Tag: i + 1, Suite: suite, Key: sdp.NewKey()}.String() + "\r\n"
	}
	return s
}

// srtpStream holds the contexts of one negotiated stream. A pion/srtp Context is not
// safe for concurrent use: tx belongs to the sender goroutine, rxRTP and rxRTCP to
// the drain goroutines of the RTP and RTCP sockets.
type srtpStream struct {
	suite             string
	tx, rxRTP, rxRTCP *srtp.Context
}

func newSRTPStream(k *sdp.SRTP) (*srtpStream, error) {
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	if k.Suite == sdp.SuiteAES128SHA1_32 {
		profile = srtp.ProtectionProfileAes128CmHmacSha1_32
	}
	mk := func(key []byte) (*srtp.Context, error) {
		if len(key) != sdp.KeyLen {
			return nil, fmt.Errorf("srtp key of %d bytes", len(key))
		}
		return srtp.CreateContext(key[:16], key[16:], profile)
	}
	s := &srtpStream{suite: k.Suite}
	var err error
	if s.tx, err = mk(k.LocalKey); err != nil {
		return nil, err
	}
	if s.rxRTP, err = mk(k.RemoteKey); err != nil {
		return nil, err
	}
	if s.rxRTCP, err = mk(k.RemoteKey); err != nil {
		return nil, err
	}
	return s, nil
}

// unprotector authenticates and decrypts what one socket receives, with a reused
// output buffer and header; it counts the packets that do not authenticate.
type unprotector struct {
	rtcp   bool
	ctx    *srtp.Context
	out    []byte
	rh     rtp.Header
	ch     rtcp.Header
	failed *atomic.Uint64
}

// ok reports whether pkt authenticates (and decrypts) under the stream's key.
func (u *unprotector) ok(pkt []byte) bool {
	var err error
	if u.rtcp {
		u.out, err = u.ctx.DecryptRTCP(u.out[:0], pkt, &u.ch)
	} else {
		u.out, err = u.ctx.DecryptRTP(u.out[:0], pkt, &u.rh)
	}
	if err != nil {
		u.failed.Add(1)
		return false
	}
	return true
}
