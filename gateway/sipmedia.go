package gateway

import (
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// sipMedia is the SDP side of one SIP call's media: the o= session ID and version
// (RFC 3264 §8), our SRTP keys kept across re-answers, and the re-offer handler. The
// media bridge (roomCall) sees only the media plan the offer/answer gives.
type sipMedia struct {
	rc   *roomCall
	addr netip.Addr // advertised media address (public side of a 1:1 NAT)
	caps sdp.Capabilities

	mu        sync.Mutex
	sessionID uint64
	version   uint64
	// audioKey and videoKey are our SRTP master keys (key || salt) of the streams as
	// started; nil: fresh ones in each answer.
	audioKey, videoKey []byte
}

func newSIPMedia(rc *roomCall, addr netip.Addr, caps sdp.Capabilities) *sipMedia {
	return &sipMedia{rc: rc, addr: addr, caps: caps}
}

// local describes our side for SDP: the same o= session ID for the whole call, a new
// version for every description we send (RFC 3264 §8).
func (m *sipMedia) local() sdp.Local {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessionID == 0 {
		m.sessionID = uint64(time.Now().UnixNano()) & (1<<62 - 1)
	}
	m.version++
	ml := m.rc.mediaLocal(m.addr)
	return sdp.Local{Addr: ml.Addr, AudioPort: ml.Ports[media.RoleAudio], VideoPort: ml.Ports[media.RoleMain],
		SessionID: m.sessionID, Version: m.version, Username: "roomgate", AudioKey: m.audioKey, VideoKey: m.videoKey}
}

// plan is the media plan of the call's offer/answer, to start the media with; our
// SRTP keys in it are kept for the answers to re-offers.
func (m *sipMedia) plan(res *sdp.Result) media.Plan {
	m.mu.Lock()
	defer m.mu.Unlock()
	if res.Audio != nil && res.Audio.SRTP != nil {
		m.audioKey = res.Audio.SRTP.LocalKey
	}
	if res.Video != nil && res.Video.SRTP != nil {
		m.videoKey = res.Video.SRTP.LocalKey
	}
	return res.Plan()
}

// reoffer answers a re-INVITE/UPDATE offer (hold, resume, new address) on the same ports.
func (m *sipMedia) reoffer(log *slog.Logger) func(*sdp.Session, []byte) ([]byte, error) {
	return func(offer *sdp.Session, _ []byte) ([]byte, error) {
		re, err := sdp.NegotiateSession(offer, m.caps, m.local())
		if err != nil {
			return nil, err
		}
		if err := m.rc.update(re.Plan()); err != nil {
			var na *notAcceptableError
			if errors.As(err, &na) {
				return nil, &sdp.NegotiationError{Reason: na.reason}
			}
			return nil, err
		}
		log.Info("re-negotiated", "audio_hold", re.Audio != nil && re.Audio.RemoteHold)
		return re.SDP, nil
	}
}
