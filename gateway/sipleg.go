package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/roomgate/roomgate/gateway/ivr"
	"github.com/roomgate/roomgate/gateway/ports"
	"github.com/roomgate/roomgate/rooms/api"
	"github.com/roomgate/roomgate/sip"
	"github.com/roomgate/roomgate/sip/sdp"
)

// sipLeg brings SIP room systems into meetings: dial-in (HandleInvite) and dial-out.
type sipLeg struct {
	log      *slog.Logger
	svc      *sip.Service
	api      *api.Server
	ports    *ports.Allocator
	clock    *frameClock // drives every call's audio
	calls    *callRegistry
	taps     *tapRegistry // one hidden subscriber per meeting, shared by its calls
	caps     sdp.Capabilities
	addr     netip.Addr // advertised media address (public side of a 1:1 NAT)
	dialPlan DialPlan
	media    mediaOptions
}

var _ sip.Handler = (*sipLeg)(nil)

// HandleInvite runs one dial-in call from INVITE to hang-up.
func (l *sipLeg) HandleInvite(ctx context.Context, c *sip.InboundCall) {
	ep := ParseUserAgent(c.UserAgent)
	log := l.log.With("call_id", c.CallID(), "leg", "sip-in", "from", c.FromUser, "source", c.Source.String())
	target := l.dialPlan.Resolve(c.RequestUser, c.ToUser)
	log = log.With("meeting", target.MeetingID)
	log.Info("incoming call", "request_user", c.RequestUser, "user_agent", c.UserAgent)

	needIVR := target.MeetingID == ""
	if !needIVR {
		exists, needsPW := l.api.MeetingInfo(ctx, target.MeetingID)
		if !exists {
			log.Info("call refused", "reason", "unknown meeting", "status", 404)
			_ = c.Reject(404, "Meeting Not Found")
			return
		}
		if needsPW {
			switch err := l.api.CheckRoomSystemPIN(ctx, target.MeetingID, target.PIN, c.Source.Addr()); {
			case errors.Is(err, api.ErrRateLimited):
				log.Debug("call refused", "reason", "too many wrong passwords", "status", 403) // the guard logs the ban once
				_ = c.Reject(403, "Too Many Wrong Passwords")
				return
			case err != nil:
				needIVR = true // ask for the password (again)
			}
		}
	}
	rc, err := allocMedia(log, l.ports, l.clock)
	if err != nil {
		log.Error("call refused", "reason", "no media ports", "err", err, "status", 503)
		_ = c.Reject(503, "No Media Ports Available")
		return
	}
	defer rc.close()

	var res *sdp.Result
	sm := newSIPMedia(rc, l.addr, l.caps)
	local := sm.local()
	if c.Offer != nil {
		res, err = sdp.NegotiateSession(c.Offer, l.caps, local)
	} else {
		var offer []byte
		if offer, err = sdp.BuildOffer(l.caps, local); err == nil {
			res = &sdp.Result{SDP: offer}
		}
	}
	if err != nil {
		status := 488
		var sc sdp.StatusCoder
		if errors.As(err, &sc) {
			status = sc.SIPStatus()
		}
		log.Info("call refused", "reason", "SDP", "err", err, "status", status)
		_ = c.Reject(status, "Not Acceptable Here")
		return
	}

	// Admission before answering, when no IVR is needed: refusals become SIP statuses.
	var adm api.RoomSystemAdmission
	join := api.RoomSystemJoin{MeetingID: target.MeetingID, PIN: target.PIN, Kind: "sip", Name: displayName(c.DisplayName, c.FromUser, ep),
		Vendor: ep.Vendor, Product: ep.Product, Source: c.Source.Addr(), Codecs: negotiatedCodecs(res)}
	// (An offer-less INVITE is admitted after the ACK, once its codecs are known.)
	if !needIVR && c.Offer != nil {
		if adm, err = l.api.JoinRoomSystem(ctx, join); err != nil {
			status, reason := admissionStatus(err)
			log.Info("call refused", "reason", err.Error(), "status", status)
			_ = c.Reject(status, reason)
			return
		}
	}
	_ = c.Ringing()

	callID := l.calls.add(api.CallInfo{MeetingID: target.MeetingID, Direction: "in", Protocol: "sip", Address: c.Source.String(),
		DisplayName: join.Name, State: api.CallRinging}, func(context.Context) error { return c.Bye("hung up by the host") })
	defer l.calls.update(callID, func(ci *api.CallInfo) { ci.State, ci.Reason = api.CallEnded, string(c.EndReason()) })

	digits := make(chan byte, 64)
	onDigit := func(d byte) {
		select {
		case digits <- d:
		default:
		}
	}
	c.SetEvents(sip.Events{
		OnDTMF:            func(d rune, _ time.Duration) { onDigit(byte(d)) },
		OnKeyframeRequest: func() { rc.vpathKeyframe() },
		OnOffer:           sm.reoffer(log),
	})
	if err := c.Accept(res.SDP); err != nil {
		log.Warn("call not established", "err", err)
		return
	}
	if c.Offer == nil {
		if res, err = sdp.ParseAnswer(res.SDP, c.AckSDP()); err != nil {
			log.Warn("offer-less call: bad answer in ACK", "err", err)
			_ = c.Bye("bad SDP answer")
			return
		}
		join.Codecs = negotiatedCodecs(res)
		if !needIVR {
			if adm, err = l.api.JoinRoomSystem(ctx, join); err != nil {
				log.Info("call refused", "reason", err.Error())
				_ = c.Bye(err.Error())
				return
			}
		}
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.Done():
			cancel()
		case <-callCtx.Done():
		}
	}()
	rc.ended = cancel
	if err := rc.start(sm.plan(res), l.media.withPeer(c.Source), onDigit, func() { _ = c.RequestKeyframe(callCtx) }); err != nil {
		log.Error("media start failed", "err", err)
		hangUpAfterMedia(log, rc, c.Bye, "media failure")
		return
	}
	log.Info("call answered", "audio", res.Audio.Codec.Name, "video", res.Video != nil)

	if needIVR {
		t, ok := runIVR(callCtx, log, rc, l.api, target, c.Source.Addr(), digits)
		if !ok {
			hangUpAfterMedia(log, rc, c.Bye, "IVR: no valid meeting or password")
			return
		}
		join.MeetingID, join.PIN = t.MeetingID, t.PIN
		l.calls.update(callID, func(ci *api.CallInfo) { ci.MeetingID = t.MeetingID })
		if adm, err = l.api.JoinRoomSystem(callCtx, join); err != nil {
			log.Info("join refused after IVR", "reason", err.Error())
			playAndWait(callCtx, rc, ivr.Locked)
			hangUpAfterMedia(log, rc, c.Bye, err.Error())
			return
		}
	}
	if adm.Ticket != "" {
		log.Info("waiting room")
		playAndWait(callCtx, rc, ivr.Waiting)
		if adm, err = l.api.WaitAdmission(callCtx, join.MeetingID, adm.Ticket); err != nil {
			log.Info("not admitted", "reason", err.Error())
			hangUpAfterMedia(log, rc, c.Bye, "not admitted")
			return
		}
	}
	if err := rc.join(callCtx, adm, l.api, l.taps, join.MeetingID); err != nil {
		log.Error("joining the meeting failed", "err", err)
		hangUpAfterMedia(log, rc, c.Bye, "meeting unavailable")
		return
	}
	l.calls.update(callID, func(ci *api.CallInfo) { ci.State, ci.Identity = api.CallConnected, adm.Identity })
	log.Info("room system in the meeting", "identity", adm.Identity, "vendor", ep.Vendor, "product", ep.Product)
	<-callCtx.Done()
	hangUpAfterMedia(log, rc, c.Bye, "")
	log.Info("call ended", "reason", string(c.EndReason()))
}

// hangUpAfterMedia ends a call once its media ran: the BYE goes out (a no-op when the
// peer already hung up), naming why the media ended the call (timeout, RTCP BYE,
// removed from the meeting) where it did, else why; meanwhile the room system leaves
// the meeting and its ports are freed. Neither waits for the other: a dead peer never
// answers the BYE (its transaction lasts 64·T1, 32 s), and leaving the meeting can take
// the meeting core a few seconds.
func hangUpAfterMedia(log *slog.Logger, rc *roomCall, bye func(reason string) error, why string) {
	var sent sync.WaitGroup
	if m := rc.mediaEnded(); m != "" {
		why = m
	}
	if why != "" {
		log.Info("ending call", "reason", why)
		sent.Go(func() { _ = bye(why) })
	}
	rc.close()
	sent.Wait()
}

// admissionStatus maps a join-policy refusal to a SIP status and reason phrase.
func admissionStatus(err error) (int, string) {
	switch {
	case errors.Is(err, api.ErrMeetingNotFound):
		return 404, "Meeting Not Found"
	case errors.Is(err, api.ErrLocked):
		return 403, "Meeting Locked"
	case errors.Is(err, api.ErrWrongPassword):
		return 403, "Wrong Password"
	case errors.Is(err, api.ErrRateLimited):
		return 403, "Too Many Wrong Passwords"
	default:
		return 500, "Server Error"
	}
}

func displayName(display, user string, ep Endpoint) string {
	switch {
	case display != "":
		return display
	case user != "":
		return user
	case ep.Product != "":
		return ep.Product
	}
	return "Room system"
}

// vpathKeyframe forwards a SIP INFO picture_fast_update to the meeting.
func (rc *roomCall) vpathKeyframe() {
	if rc.vpath != nil {
		rc.vpath.keyframeFromRoom()
	}
}

// ivrMeetings adapts the join policy to the IVR menu.
type ivrMeetings struct {
	ctx context.Context
	api *api.Server
	src netip.Addr
}

func (m ivrMeetings) Exists(id string) (bool, bool) { return m.api.MeetingInfo(m.ctx, id) }
func (m ivrMeetings) CheckPassword(id, pin string) bool {
	return m.api.CheckRoomSystemPIN(m.ctx, id, pin, m.src) == nil
}

// IVR limits: the longest wait for a key press, and for the whole menu (a meeting ID,
// a password, two retries each take well under a minute when typed).
const (
	ivrDigitTimeout = 60 * time.Second
	ivrTimeout      = 3 * time.Minute
)

// runIVR plays the menu and collects digits until the caller is through or gives up.
func runIVR(ctx context.Context, log *slog.Logger, rc *roomCall, a *api.Server, t Target, src netip.Addr, digits <-chan byte) (Target, bool) {
	menu, act := ivr.New(ivrMeetings{ctx, a, src}, t.MeetingID, t.PIN)
	// A caller who keeps pressing a key now and then must not hold the call's ports
	// and an IVR forever.
	limit := time.NewTimer(ivrTimeout)
	defer limit.Stop()
	for {
		if len(act.Play) > 0 {
			var pcm []int16
			for _, p := range act.Play {
				if s, err := ivr.Samples(p); err == nil {
					pcm = append(pcm, promptPCM(s)...)
				}
			}
			rc.apath.play(pcm)
		}
		if act.Done {
			log.Info("IVR done", "meeting", act.MeetingID)
			rc.apath.play(nil)
			return Target{MeetingID: act.MeetingID, PIN: act.PIN}, true
		}
		if act.Hangup {
			log.Info("call refused", "reason", act.Reason, "meeting", act.MeetingID)
			waitPrompt(ctx, rc)
			return Target{}, false
		}
		select {
		case <-ctx.Done():
			return Target{}, false
		case d := <-digits:
			act = menu.Digit(d)
		case <-time.After(ivrDigitTimeout):
			log.Info("call refused", "reason", "IVR: no input for 60 s")
			return Target{}, false
		case <-limit.C:
			log.Info("call refused", "reason", "IVR: not through within 3 min")
			return Target{}, false
		}
	}
}

// playAndWait plays one prompt to the end (or until ctx ends).
func playAndWait(ctx context.Context, rc *roomCall, p ivr.Prompt) {
	if s, err := ivr.Samples(p); err == nil {
		rc.apath.play(promptPCM(s))
	}
	waitPrompt(ctx, rc)
}

func waitPrompt(ctx context.Context, rc *roomCall) {
	for rc.apath.playing() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var errNoSIP = fmt.Errorf("sip: %w", api.ErrUnsupported)

// negotiatedCodecs names the codecs of an offer/answer for the participants list.
func negotiatedCodecs(res *sdp.Result) []string {
	var out []string
	if res != nil && res.Audio != nil {
		out = append(out, res.Audio.Codec.Name)
	}
	if res != nil && res.Video != nil {
		out = append(out, res.Video.Codec.Name)
	}
	return out
}
