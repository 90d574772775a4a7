package gateway

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/sip/sdp"
	"github.com/roomgate/roomgate/transcode/media"
)

// sipMedia is the SDP side of one SIP call's media: the o= session ID and version
// (RFC 3264 §8), our SRTP keys kept across re-answers, and the re-offer handler. The
// media bridge sees only the media plan the offer/answer gives.
type sipMedia struct {
	ports media.Local // where the call receives, at the advertised address
	caps  sdp.Capabilities
	// content serves the floor control the SDP agrees (nil: content refused).
	content *contentPath

	mu        sync.Mutex
	sessionID uint64
	version   uint64
	// audioKey and videoKey are our SRTP master keys (key || salt) of the streams as
	// started; nil: fresh ones in each answer.
	audioKey, videoKey, contentKey []byte
	agreed                         media.Plan // the plan as last agreed
}

// newSIPMedia describes a call's media for SDP; content (nil: none) is the call's
// content side, whose port pair and BFCP port are in local.
func newSIPMedia(local media.Local, caps sdp.Capabilities, content *contentPath) *sipMedia {
	return &sipMedia{ports: local, caps: caps, content: content}
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
	l := sdp.Local{Addr: m.ports.Addr, AudioPort: m.ports.Ports[media.RoleAudio], VideoPort: m.ports.Ports[media.RoleMain],
		SessionID: m.sessionID, Version: m.version, Username: "roomgate", AudioKey: m.audioKey, VideoKey: m.videoKey}
	if m.content != nil {
		// Content (slides) with BFCP when the BFCP port could be opened, else
		// content alone: a room system then presents by sending slides.
		l.ContentPort, l.BFCPPort, l.ContentKey = m.ports.Ports[media.RoleContent], m.ports.Ports[roleBFCP], m.contentKey
		if b := m.content.bfcp; b != nil && !b.tcp {
			l.BFCP.Transports = []sdp.BFCPProto{sdp.BFCPUDP} // no TCP listener on the BFCP port
		}
	}
	return l
}

// startContent serves the floor control an exchange agreed for its content (none:
// slides that flow mean presenting).
func (m *sipMedia) startContent(res *sdp.Result, log *slog.Logger) {
	if m.content == nil || res.Content == nil {
		return
	}
	if err := m.content.startBFCP(res.BFCP); err != nil && log != nil {
		log.Warn("BFCP not served", "err", err)
	}
}

// plan is the media plan of an offer/answer; our SRTP keys in it are kept for the
// answers to re-offers.
func (m *sipMedia) plan(res *sdp.Result) media.Plan {
	m.mu.Lock()
	defer m.mu.Unlock()
	if res.Audio != nil && res.Audio.SRTP != nil {
		m.audioKey = res.Audio.SRTP.LocalKey
	}
	if res.Video != nil && res.Video.SRTP != nil {
		m.videoKey = res.Video.SRTP.LocalKey
	}
	if res.Content != nil && res.Content.SRTP != nil {
		m.contentKey = res.Content.SRTP.LocalKey
	}
	m.agreed = res.Plan()
	return m.agreed
}

// current is the plan as last agreed.
func (m *sipMedia) current() media.Plan {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.agreed
}

// reoffer answers a re-INVITE/UPDATE offer (hold, resume, new address) on the same
// ports; apply takes the new plan to the media (an error refuses the offer: 488).
func (m *sipMedia) reoffer(apply func(media.Plan) error, log *slog.Logger) func(*sdp.Session, []byte) ([]byte, error) {
	return func(offer *sdp.Session, _ []byte) ([]byte, error) {
		re, err := sdp.NegotiateSession(offer, m.caps, m.local())
		if err != nil {
			return nil, err
		}
		plan := re.Plan()
		if re.Content == nil && m.content != nil {
			m.content.stop() // content refused or removed (port 0): the floor is given back
		}
		m.startContent(re, log)
		if apply != nil {
			if err := apply(plan); err != nil {
				reason := err.Error()
				var na *notAcceptableError
				if errors.As(err, &na) {
					reason = na.reason
				}
				return nil, &sdp.NegotiationError{Reason: reason}
			}
		}
		m.mu.Lock()
		m.agreed = plan
		m.mu.Unlock()
		if log != nil {
			log.Info("re-negotiated", "audio_hold", re.Audio != nil && re.Audio.RemoteHold)
		}
		return re.SDP, nil
	}
}
