package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/sip/sdp"
)

// DialOut invites a room system into a meeting (the host's "Invite room system").
// It returns at once with the call in state "calling"; progress is read with Call.
func (l *sipLeg) DialOut(ctx context.Context, meetingID string, req api.DialRequest) (api.CallInfo, error) {
	uri := strings.TrimSpace(req.Address)
	if !strings.HasPrefix(uri, "sip:") && !strings.HasPrefix(uri, "sips:") {
		uri = "sip:" + uri
	}
	if strings.ContainsAny(uri, " <>\"\r\n") || len(uri) < 5 {
		return api.CallInfo{}, fmt.Errorf("address %q is not a SIP URI", req.Address)
	}
	log := l.log.With("leg", "sip-out", "meeting", meetingID, "to", uri)
	rc, err := allocMedia(log, l.ports, l.clock)
	if err != nil {
		return api.CallInfo{}, fmt.Errorf("no media ports available: %w", err)
	}
	sm := newSIPMedia(rc, l.addr, l.caps)
	offer, err := sdp.BuildOffer(l.caps, sm.local())
	if err != nil {
		rc.close()
		return api.CallInfo{}, err
	}
	name := req.DisplayName
	if name == "" {
		name = strings.TrimPrefix(strings.TrimPrefix(uri, "sips:"), "sip:")
	}
	dialCtx, cancel := context.WithCancel(context.Background())
	var out *sip.OutboundCall
	id := l.calls.add(api.CallInfo{MeetingID: meetingID, Direction: "out", Protocol: "sip", Address: uri, DisplayName: name,
		State: api.CallCalling}, func(context.Context) error {
		cancel()
		if out != nil {
			if err := out.Bye("hung up by the host"); err != nil && !errors.Is(err, sip.ErrCallEnded) {
				out.Cancel()
			}
		}
		return nil
	})
	log = log.With("call_id", id)
	out, err = l.svc.Dial(dialCtx, sip.DialParams{URI: uri, DisplayName: "Meeting " + meetingID, FromUser: meetingID, Offer: offer,
		OnProgress: func(p sip.Progress) {
			if p.State == sip.ProgressRinging {
				l.calls.update(id, func(ci *api.CallInfo) { ci.State = api.CallRinging })
			}
		}})
	if err != nil {
		cancel()
		rc.close()
		l.calls.update(id, func(ci *api.CallInfo) { ci.State, ci.Reason = api.CallFailed, err.Error() })
		return api.CallInfo{}, err
	}
	go l.runDialOut(dialCtx, cancel, log, id, meetingID, name, out, sm, offer)
	ci, _ := l.calls.Call(id)
	return ci, nil
}

func (l *sipLeg) runDialOut(ctx context.Context, cancel context.CancelFunc, log *slog.Logger, id, meetingID, name string, out *sip.OutboundCall, sm *sipMedia, offer []byte) {
	rc := sm.rc
	defer cancel()
	defer rc.close()
	// Not ctx: the host's cancel cancels ctx (which sends CANCEL); the wait must go on
	// to the 487 (or the ring timeout) to report the right final state.
	err := out.Wait(context.Background())
	if err != nil {
		state, status, reason := api.CallFailed, 0, err.Error()
		var de *sip.DialError
		if errors.As(err, &de) {
			status = de.Status
			switch {
			case de.Busy():
				state = api.CallBusy
			case de.Declined():
				state = api.CallDeclined
			case de.NoAnswer():
				state = api.CallNoAnswer
			case de.Canceled():
				state = api.CallEnded
				reason = "cancelled"
			}
		}
		log.Info("dial-out failed", "state", string(state), "status", status, "reason", reason)
		l.calls.update(id, func(ci *api.CallInfo) { ci.State, ci.Status, ci.Reason = state, status, reason })
		return
	}
	defer l.calls.update(id, func(ci *api.CallInfo) {
		ci.State, ci.Status, ci.Reason = api.CallEnded, 200, string(out.EndReason())
	})
	res, err := sdp.ParseAnswer(offer, out.AnswerSDP())
	if err != nil {
		log.Warn("dial-out: bad answer", "err", err)
		_ = out.Bye("bad SDP answer")
		return
	}
	out.SetEvents(sip.Events{
		OnKeyframeRequest: func() { rc.vpathKeyframe() },
		OnOffer:           sm.reoffer(log),
	})
	callCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-out.Done():
			stop()
		case <-callCtx.Done():
		}
	}()
	rc.ended = stop
	if err := rc.start(sm.plan(res), l.media.withPeer(out.Peer()), nil, func() { _ = out.RequestKeyframe(callCtx) }); err != nil {
		log.Error("media start failed", "err", err)
		hangUpAfterMedia(log, rc, out.Bye, "media failure")
		return
	}
	// The host invited it: no password or waiting room, but a deleted meeting or a
	// lock set meanwhile still refuse.
	joinCtx, cancelJoin := context.WithTimeout(callCtx, 30*time.Second)
	adm, err := l.api.AdmitInvited(joinCtx, api.RoomSystemJoin{MeetingID: meetingID, Kind: "sip", Name: name, Codecs: negotiatedCodecs(res)})
	if err == nil {
		err = rc.join(joinCtx, adm, l.api, l.taps, meetingID)
	}
	cancelJoin()
	if err != nil {
		log.Warn("dial-out: joining the meeting failed", "err", err)
		hangUpAfterMedia(log, rc, out.Bye, "meeting unavailable")
		return
	}
	l.calls.update(id, func(ci *api.CallInfo) { ci.State, ci.Status, ci.Identity = api.CallConnected, 200, adm.Identity })
	log.Info("dial-out connected", "identity", adm.Identity)
	<-callCtx.Done()
	hangUpAfterMedia(log, rc, out.Bye, "")
}

// dialer routes dial-out requests by protocol.
type dialer struct {
	*callRegistry
	sip *sipLeg
}

func (d dialer) DialOut(ctx context.Context, meetingID string, req api.DialRequest) (api.CallInfo, error) {
	switch req.Protocol {
	case "sip", "":
		if d.sip == nil {
			return api.CallInfo{}, errNoSIP
		}
		return d.sip.DialOut(ctx, meetingID, req)
	default:
		return api.CallInfo{}, fmt.Errorf("protocol %q: %w", req.Protocol, api.ErrUnsupported)
	}
}
