package call

import (
	"context"
	"errors"
	"time"

	"github.com/roomgate/roomgate/gateway/ivr"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/transcode/media"
)

// Inbound runs one dial-in from its first message to its hang-up.
func (f *Flow) Inbound(ctx context.Context, leg Inbound) {
	defer leg.Close()
	info := leg.Info()
	id := NewID()
	log := f.callLog(id, info.Leg, info.ProtocolID).With("from", info.Caller, "source", info.Source.String())
	target := f.DialPlan.Resolve(info.Dialled...)
	log = log.With("meeting", target.MeetingID)
	log.Info("incoming call", append([]any{"dialled", info.Dialled}, info.Attrs...)...)

	refuse := func(r Refusal, err error, attrs ...any) {
		attrs = append([]any{"reason", r.String()}, attrs...)
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		switch r {
		case RateLimited:
			log.Debug("call refused", attrs...) // the guard logs the ban once
		case NoMediaPorts, Internal:
			log.Error("call refused", attrs...)
		default:
			log.Info("call refused", attrs...)
		}
		_ = leg.Reject(r, r.String())
		f.Registry.Refused(api.CallInfo{ID: id, MeetingID: target.MeetingID, Direction: "in", Protocol: info.Protocol,
			Address: info.Source.String(), DisplayName: displayName(info.Caller, info.Endpoint),
			Vendor: info.Endpoint.Vendor, Product: info.Endpoint.Product}, r)
	}

	needIVR := target.MeetingID == ""
	if !needIVR {
		exists, needsPW := f.Meetings.MeetingInfo(ctx, target.MeetingID)
		if !exists {
			refuse(NotFound, nil)
			return
		}
		if needsPW {
			switch err := f.Meetings.CheckRoomSystemPIN(ctx, target.MeetingID, target.PIN, info.Source.Addr()); {
			case errors.Is(err, api.ErrRateLimited):
				refuse(RateLimited, nil)
				return
			case err != nil:
				needIVR = true // ask for the password (again)
			}
		}
	}
	m, err := f.NewMedia(log, Peer{Source: info.Source, Signalled: info.Signalled})
	if err != nil {
		refuse(NoMediaPorts, err)
		return
	}
	defer m.Close()

	plan, err := leg.Negotiate(m.Local())
	if err != nil {
		refuse(RefusalOf(err), err)
		return
	}
	join := api.RoomSystemJoin{MeetingID: target.MeetingID, PIN: target.PIN, Kind: info.Protocol,
		Name: displayName(info.Caller, info.Endpoint), Vendor: info.Endpoint.Vendor, Product: info.Endpoint.Product, Version: info.Endpoint.Version,
		Source: info.Source.Addr(), Codecs: plan.Codecs()}
	// Admission before answering, when no IVR is needed and the media is known:
	// refusals become the protocol's codes. (Media agreed after the answer, as for an
	// offer-less INVITE, is admitted once its codecs are known.)
	var adm api.RoomSystemAdmission
	early := len(plan.Streams) > 0 || info.AdmitEarly
	if !needIVR && early {
		if adm, err = f.Meetings.JoinRoomSystem(ctx, join); err != nil {
			refuse(RefusalOf(err), nil)
			return
		}
	}
	_ = leg.Ringing()

	f.Registry.Add(api.CallInfo{ID: id, MeetingID: target.MeetingID, Direction: "in", Protocol: info.Protocol,
		Address: info.Source.String(), DisplayName: join.Name, State: api.CallRinging,
		Vendor: join.Vendor, Product: join.Product, Codecs: join.Codecs},
		func(context.Context) error { return leg.HangUp("hung up by the host") })
	f.reportNetwork(id, m)
	defer f.Registry.Update(id, func(ci *api.CallInfo) { ci.State, ci.Reason = api.CallEnded, leg.EndReason() })

	digits := make(chan byte, 64)
	onDigit := func(d byte) {
		select {
		case digits <- d:
		default:
		}
	}
	leg.SetEvents(Events{OnDigit: onDigit, OnKeyframeRequest: m.KeyframeFromRoom, OnVideoLimit: m.LimitVideo, OnPlan: m.Update, Log: log})
	answered, err := leg.Answer(ctx)
	if err != nil {
		log.Warn("call not established", "err", err)
		return
	}
	// Answered (the IVR or the waiting room may come before the meeting): the record's
	// answer time is the signalling's.
	f.Registry.Update(id, func(ci *api.CallInfo) { now := time.Now().UTC(); ci.AnsweredAt = &now })
	if len(plan.Streams) == 0 {
		plan = answered
		join.Codecs = plan.Codecs()
		f.Registry.Update(id, func(ci *api.CallInfo) { ci.Codecs = join.Codecs })
	}
	if !early {
		if !needIVR {
			if adm, err = f.Meetings.JoinRoomSystem(ctx, join); err != nil {
				log.Info("call refused", "reason", RefusalOf(err).String())
				_ = leg.HangUp(err.Error())
				return
			}
		}
	}
	callCtx, cancel := untilDone(ctx, leg)
	defer cancel()
	m.OnEnded(cancel)
	var kf keyframer
	defer kf.wait()
	if err := m.Start(plan, info.Source, onDigit, kf.request(callCtx, leg)); err != nil {
		log.Error("media start failed", "err", err)
		hangUpAfterMedia(log, m, leg, "media failure")
		return
	}
	audio, _ := plan.Stream(media.RoleAudio)
	_, video := plan.Stream(media.RoleMain)
	log.Info("call answered", "audio", string(audio.Codec), "video", video)

	if needIVR {
		t, ok := f.runIVR(callCtx, log, m, target, info.Source.Addr(), digits)
		if !ok {
			hangUpAfterMedia(log, m, leg, "IVR: no valid meeting or password")
			return
		}
		join.MeetingID, join.PIN = t.MeetingID, t.PIN
		f.Registry.Update(id, func(ci *api.CallInfo) { ci.MeetingID = t.MeetingID })
		if adm, err = f.Meetings.JoinRoomSystem(callCtx, join); err != nil {
			log.Info("join refused after IVR", "reason", err.Error())
			playAndWait(callCtx, m, ivr.Locked)
			hangUpAfterMedia(log, m, leg, err.Error())
			return
		}
	}
	if adm.Ticket != "" {
		log.Info("waiting room")
		// The prompt plays while the call waits: an admission (or the meeting's end)
		// is acted on at once, not after the prompt.
		m.Play(ivr.Waiting)
		adm, err = f.Meetings.WaitAdmission(callCtx, join.MeetingID, adm.Ticket)
		m.Silence()
		if err != nil {
			log.Info("not admitted", "reason", err.Error())
			hangUpAfterMedia(log, m, leg, "not admitted")
			return
		}
	}
	if err := m.Join(callCtx, adm, join.MeetingID); err != nil {
		log.Error("joining the meeting failed", "err", err)
		hangUpAfterMedia(log, m, leg, "meeting unavailable")
		return
	}
	f.Registry.Update(id, func(ci *api.CallInfo) { ci.State, ci.Identity = api.CallConnected, adm.Identity })
	log.Info("room system in the meeting", "identity", adm.Identity, "vendor", info.Endpoint.Vendor, "product", info.Endpoint.Product)
	<-callCtx.Done()
	hangUpAfterMedia(log, m, leg, "")
	log.Info("call ended", "reason", leg.EndReason())
}
