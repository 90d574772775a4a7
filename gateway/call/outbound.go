package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/roomgate/roomgate/rooms/api"
)

var _ api.Calls = (*Flow)(nil)

// Call reads a call's record (api.Calls).
func (f *Flow) Call(id string) (api.CallInfo, bool) { return f.Registry.Call(id) }

// Hangup ends a call for the host (api.Calls).
func (f *Flow) Hangup(ctx context.Context, id string) error { return f.Registry.Hangup(ctx, id) }

// DialOut invites a room system into a meeting (the host's "Invite room system").
// It returns at once with the call in state "calling" (or "failed" when the dialer
// could not reach the room system at all); progress is read with Call.
func (f *Flow) DialOut(ctx context.Context, meetingID string, req api.DialRequest) (api.CallInfo, error) {
	protocol := req.Protocol
	if protocol == "" {
		protocol = "sip"
	}
	d := f.Dialers[protocol]
	if d == nil {
		return api.CallInfo{}, errUnsupported(protocol)
	}
	addr, defaultName, err := d.Normalize(req.Address)
	if err != nil {
		return api.CallInfo{}, err
	}
	id := NewID()
	log := f.callLog(id, protocol+"-out", "").With("meeting", meetingID, "to", addr)
	m, err := f.NewMedia(log, Peer{Source: dialTarget(addr)})
	if err != nil {
		return api.CallInfo{}, fmt.Errorf("no media ports available: %w", err)
	}
	name := req.DisplayName
	if name == "" {
		name = defaultName
	}
	// The dial-out lives until it ends, not for the API request that started it.
	dialCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var out Outbound
	outSet := make(chan struct{})
	f.Registry.Add(api.CallInfo{ID: id, MeetingID: meetingID, Direction: "out", Protocol: protocol, Address: addr,
		DisplayName: name, State: api.CallCalling}, func(context.Context) error {
		cancel()
		select {
		case <-outSet:
			if out != nil && out.HangUp("hung up by the host") != nil {
				out.Cancel()
			}
		default:
		}
		return nil
	})
	f.reportNetwork(id, m)
	out, err = d.Dial(dialCtx, DialRequest{Address: addr, MeetingID: meetingID, Local: m.Local(), OnRinging: func() {
		f.Registry.Update(id, func(ci *api.CallInfo) { ci.State = api.CallRinging })
	}})
	close(outSet)
	if err != nil {
		cancel()
		m.Close()
		var de *DialError
		if errors.As(err, &de) {
			// The room system could not be reached (connection refused, no route,
			// unknown name): the call exists and failed; the host reads why.
			log.Info("dial-out failed", "state", string(de.State), "code", de.Code, "reason", de.Reason)
			f.Registry.Update(id, func(ci *api.CallInfo) { ci.State, ci.Status, ci.Reason = api.CallState(de.State), de.Code, de.Reason })
			ci, _ := f.Registry.Call(id)
			return ci, nil
		}
		f.Registry.Update(id, func(ci *api.CallInfo) { ci.State, ci.Reason = api.CallFailed, err.Error() })
		return api.CallInfo{}, err
	}
	f.wg.Go(func() { f.runDialOut(dialCtx, cancel, log, id, protocol, meetingID, name, out, m) })
	ci, _ := f.Registry.Call(id)
	return ci, nil
}

func (f *Flow) runDialOut(ctx context.Context, cancel context.CancelFunc, log *slog.Logger, id, protocol, meetingID, name string, out Outbound, m Media) {
	defer cancel()
	defer out.Close()
	defer m.Close()
	// Not ctx: the host's cancel cancels ctx (which cancels the call); the wait must
	// go on to the protocol's answer (or the ring timeout) to report the final state.
	plan, err := out.Wait(context.Background())
	if err != nil {
		state, code, reason := api.CallFailed, 0, err.Error()
		var de *DialError
		if errors.As(err, &de) {
			state, code, reason = api.CallState(de.State), de.Code, de.Reason
		}
		log.Info("dial-out failed", "state", string(state), "code", code, "reason", reason)
		f.Registry.Update(id, func(ci *api.CallInfo) { ci.State, ci.Status, ci.Reason = state, code, reason })
		return
	}
	defer f.Registry.Update(id, func(ci *api.CallInfo) {
		ci.State, ci.Status, ci.Reason = api.CallEnded, out.AnswerCode(), out.EndReason()
	})
	out.SetEvents(Events{OnKeyframeRequest: m.KeyframeFromRoom, OnVideoLimit: m.LimitVideo, OnPlan: m.Update, Log: log})
	callCtx, stop := untilDone(ctx, out)
	defer stop()
	m.OnEnded(stop)
	var kf keyframer
	defer kf.wait()
	if err := m.Start(plan, out.Peer(), nil, kf.request(callCtx, out)); err != nil {
		log.Error("media start failed", "err", err)
		hangUpAfterMedia(log, m, out, "media failure")
		return
	}
	// The host invited it: no password or waiting room, but a deleted meeting or a
	// lock set meanwhile still refuse.
	ep := out.Endpoint()
	joinCtx, cancelJoin := context.WithTimeout(callCtx, 30*time.Second)
	adm, err := f.Meetings.AdmitInvited(joinCtx, api.RoomSystemJoin{MeetingID: meetingID, Kind: protocol, Name: name,
		Vendor: ep.Vendor, Product: ep.Product, Version: ep.Version, Source: out.Peer().Addr(), Codecs: plan.Codecs()})
	if err == nil {
		err = m.Join(joinCtx, adm, meetingID)
	}
	cancelJoin()
	if err != nil {
		log.Warn("dial-out: joining the meeting failed", "err", err)
		hangUpAfterMedia(log, m, out, "meeting unavailable")
		return
	}
	f.Registry.Update(id, func(ci *api.CallInfo) {
		ci.State, ci.Status, ci.Identity = api.CallConnected, out.AnswerCode(), adm.Identity
		ci.Vendor, ci.Product, ci.Codecs = ep.Vendor, ep.Product, plan.Codecs()
	})
	log.Info("dial-out connected", "identity", adm.Identity, "vendor", ep.Vendor, "product", ep.Product)
	<-callCtx.Done()
	hangUpAfterMedia(log, m, out, "")
}

// dialTarget is the IP (and port) a normalized dial-out address names — a SIP URI
// (sip:user@host:port;params) or an H.323 address (IP, IP:port, IP##alias) — for
// matching the call's NAT/ALG profile before the room system answered. A host name
// gives the zero value (the default profile).
func dialTarget(address string) netip.AddrPort {
	s := address
	for _, scheme := range []string{"sip:", "sips:", "h323:"} {
		if len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.Index(s, "##"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexAny(s, ";?>"); i >= 0 {
		s = s[:i]
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 0)
	}
	return netip.AddrPort{}
}
