// Package gateway brings room systems into meetings: it composes the SIP (and later
// H.323) legs, the call flow (gateway/call) and the media bridge on one side, and the
// meeting side, seen through Meetings, on the other. cmd/roomgate wires it to the
// meeting side (rooms/meetings). It owns the legs' lifecycle: Start, then Shutdown
// (drain calls) or Close (stop now).
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/roomgate/roomgate/configs"
	"github.com/roomgate/roomgate/gateway/bridge"
	"github.com/roomgate/roomgate/gateway/call"
	"github.com/roomgate/roomgate/rooms/api"
)

// Meetings is the meeting side as the gateway sees it: admission of room systems,
// the hidden subscriber ("tap") a meeting's calls share, and removing participants
// from the meeting core.
type Meetings interface {
	call.Meetings
	// MeetingTap grants the gateway's subscriber of a meeting.
	MeetingTap(ctx context.Context, meetingID string) (url, token string, err error)
	// Rooms removes participants from the meeting core (a call's leaving).
	Rooms() bridge.RoomService
}

// Server is the running gateway: its legs and their calls.
type Server struct {
	cfg      *configs.Config
	log      *slog.Logger
	version  string
	meetings Meetings

	// registry keeps the calls the API shows; flow runs them (nil without a leg);
	// media makes their media bridges; taps are the meetings as calls see them.
	registry *call.Registry
	flow     *call.Flow
	media    *mediaFactory
	taps     *tapRegistry
	clock    *frameClock // the audio clock of every call
	sip      *sipLeg
	h323     *h323Leg
	cancel   context.CancelFunc
	closeMu  sync.Once
}

// Start starts the legs the config enables.
func Start(cfg *configs.Config, m Meetings, version string, log *slog.Logger) (_ *Server, err error) {
	s := &Server{cfg: cfg, log: log, version: version, meetings: m, registry: call.NewRegistry(), clock: newFrameClock(audioFrame)}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if cfg.SIP.Enabled || cfg.H323.Enabled {
		if err := s.startCalls(); err != nil {
			return nil, err
		}
	}
	// The legs live until Close.
	if cfg.SIP.Enabled {
		if err := s.startSIP(runCtx); err != nil {
			return nil, err
		}
	}
	if cfg.H323.Enabled {
		if err := s.startH323(runCtx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Calls is the gateway's call control as the API needs it.
func (s *Server) Calls() api.Calls {
	switch {
	case s.flow == nil:
		return noCalls{s.registry}
	case s.h323 != nil && s.h323.gk != nil:
		return callsWithGatekeeper{s.flow, s.h323}
	}
	return s.flow
}

// Shutdown drains the calls: calls in progress are hung up, new ones refused (until
// ctx ends); then it stops everything.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	if s.sip != nil {
		err = s.sip.svc.Shutdown(ctx)
	}
	if s.h323 != nil {
		if err2 := s.h323.svc.Shutdown(ctx); err == nil {
			err = err2
		}
	}
	if s.flow != nil {
		s.flow.Wait() // dial-outs end with their legs
	}
	s.Close()
	return err
}

// Close stops everything now. It is idempotent. The legs' calls end before the
// meeting taps close, and the audio clock stops last.
func (s *Server) Close() {
	s.closeMu.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		if s.sip != nil {
			_ = s.sip.svc.Close()
		}
		if s.h323 != nil {
			s.h323.close()
		}
		if s.flow != nil {
			s.flow.Wait()
		}
		if s.taps != nil {
			s.taps.closeAll()
		}
		s.clock.Close()
	})
}

// noCalls is the API's call control on a gateway without room-system legs: it reads
// the (empty) registry and dials nothing.
type noCalls struct{ *call.Registry }

func (noCalls) DialOut(_ context.Context, _ string, req api.DialRequest) (api.CallInfo, error) {
	p := req.Protocol
	if p == "" {
		p = "sip"
	}
	return api.CallInfo{}, fmt.Errorf("%s: %w", p, api.ErrUnsupported)
}
