package api

import (
	"context"
	"net/http"
	"sort"

	"github.com/livekit/protocol/livekit"

	"github.com/roomgate/roomgate/rooms/directory"
)

// Participant is the API view of a meeting participant.
type Participant struct {
	Identity      string   `json:"identity"`
	Name          string   `json:"name"`
	Kind          string   `json:"kind"`
	Host          bool     `json:"host"`
	AudioMuted    bool     `json:"audio_muted"`
	VideoMuted    bool     `json:"video_muted"`
	ScreenSharing bool     `json:"screen_sharing"`
	Vendor        string   `json:"vendor,omitempty"`
	Product       string   `json:"product,omitempty"`
	Version       string   `json:"version,omitempty"`
	Codecs        []string `json:"codecs"`
	// Network is a room system's network diagnostics, shown to hosts only (it names
	// the room system's addresses).
	Network *Network `json:"network,omitempty"`
}

func toParticipant(p *livekit.ParticipantInfo, host string) Participant {
	pm := metaOf(p)
	out := Participant{Identity: p.Identity, Name: p.Name, Kind: pm.Kind, Host: p.Identity == host,
		Vendor: pm.Vendor, Product: pm.Product, Version: pm.Version, AudioMuted: true, VideoMuted: true, Codecs: []string{}}
	for _, t := range p.Tracks {
		switch t.Source {
		case livekit.TrackSource_MICROPHONE:
			out.AudioMuted = out.AudioMuted && t.Muted
		case livekit.TrackSource_CAMERA:
			out.VideoMuted = out.VideoMuted && t.Muted
		case livekit.TrackSource_SCREEN_SHARE:
			out.ScreenSharing = true
		}
		if t.MimeType != "" && len(pm.Codecs) == 0 {
			out.Codecs = append(out.Codecs, t.MimeType)
		}
	}
	if len(pm.Codecs) > 0 {
		out.Codecs = append(out.Codecs, pm.Codecs...) // what the room system negotiated
	}
	return out
}

// participantList is the API view of a meeting's participants; with nets (hosts
// only) room systems carry their calls' network diagnostics.
func participantList(ps []*livekit.ParticipantInfo, host string, nets Networks) []Participant {
	list := make([]Participant, 0, len(ps))
	for _, p := range ps {
		out := toParticipant(p, host)
		if nets != nil && (out.Kind == "sip" || out.Kind == "h323") {
			if n, ok := nets.Network(p.Identity); ok {
				out.Network = &n
			}
		}
		list = append(list, out)
	}
	return list
}

func (s *Server) handleParticipants(w http.ResponseWriter, r *http.Request) {
	m, c, err := s.requireMember(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, err := s.participants(r.Context(), m.ID)
	if err != nil {
		ps = nil // no room yet: nobody is there
	}
	var nets Networks
	if s.isHost(c, m.ID) {
		nets, _ = s.Calls.(Networks)
	}
	list := participantList(ps, s.live.host(m.ID), nets)
	writeJSON(w, http.StatusOK, map[string]any{"participants": list})
}

func (s *Server) handleMeetingAction(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	m, c, err := s.requireHost(r)
	if action == "reclaim_host" {
		// Reclaiming needs the host key (or operator token), not the current host's session.
		if err == errForbidden || err == nil {
			if !c.Operator && !c.HostKey {
				err = errForbidden
			} else {
				err = nil
			}
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		AllowSelfUnmute *bool  `json:"allow_self_unmute"`
		Identity        string `json:"identity"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	switch action {
	case "mute_all":
		if body.AllowSelfUnmute != nil && *body.AllowSelfUnmute != m.Settings.AllowSelfUnmute {
			if m, err = s.Store.Update(ctx, m.ID, func(m *directory.Meeting) error {
				m.Settings.AllowSelfUnmute = *body.AllowSelfUnmute
				return nil
			}); err != nil {
				s.writeError(w, r, err)
				return
			}
			s.syncRoom(ctx, m)
		}
		err = s.muteAll(ctx, m)
	case "unmute_all":
		err = s.unmuteAll(ctx, m)
	case "end":
		s.endMeeting(ctx, m.ID)
	case "reclaim_host":
		if body.Identity == "" {
			s.writeError(w, r, errorf(http.StatusBadRequest, "bad_request", "identity is required"))
			return
		}
		err = s.setHost(ctx, m, body.Identity)
	default:
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "unknown meeting action %q", action))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("host action", "meeting", m.ID, "action", action)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleParticipantAction(w http.ResponseWriter, r *http.Request) {
	m, _, err := s.requireHost(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, action, id := r.Context(), r.PathValue("action"), r.PathValue("identity")
	p, err := s.Core.Rooms().GetParticipant(ctx, &livekit.RoomParticipantIdentity{Room: m.ID, Identity: id})
	if err != nil {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "participant %s is not in the meeting", id))
		return
	}
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch action {
	case "mute":
		err = s.mute(ctx, m, p)
	case "unmute":
		err = s.askUnmute(ctx, m, p)
	case "stop_video":
		err = s.muteSource(ctx, m.ID, p, livekit.TrackSource_CAMERA)
	case "stop_share":
		// A browser stops sharing when its share is muted at the server; a room
		// system's gateway call gives up the floor (BFCP revoke, H.239 token back).
		err = s.muteSource(ctx, m.ID, p, livekit.TrackSource_SCREEN_SHARE)
	case "rename":
		name := cleanName(body.Name)
		_, err = s.Core.Rooms().UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: m.ID, Identity: id, Name: name})
	case "remove":
		s.notify(ctx, m.ID, map[string]any{"type": "removed"}, id)
		_, err = s.Core.Rooms().RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: m.ID, Identity: id})
	case "make_host":
		err = s.setHost(ctx, m, id)
	default:
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "unknown participant action %q", action))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("host action", "meeting", m.ID, "action", action, "identity", id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) muteSource(ctx context.Context, room string, p *livekit.ParticipantInfo, src livekit.TrackSource) error {
	for _, t := range p.Tracks {
		if t.Source == src && !t.Muted {
			if _, err := s.Core.Rooms().MutePublishedTrack(ctx, &livekit.MuteRoomTrackRequest{Room: room, Identity: p.Identity, TrackSid: t.Sid, Muted: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// mute mutes a participant's microphone at the server; when participants may not
// unmute themselves the microphone permission is revoked too, so that the client
// cannot undo it.
func (s *Server) mute(ctx context.Context, m directory.Meeting, p *livekit.ParticipantInfo) error {
	if err := s.muteSource(ctx, m.ID, p, livekit.TrackSource_MICROPHONE); err != nil {
		return err
	}
	s.notify(ctx, m.ID, map[string]any{"type": "muted_by_host", "allow_self_unmute": m.Settings.AllowSelfUnmute}, p.Identity)
	if m.Settings.AllowSelfUnmute {
		return nil
	}
	host := s.live.host(m.ID) == p.Identity
	s.live.with(m.ID, func(lm *liveMeeting) { lm.MicRevoked[p.Identity] = true })
	_, err := s.Core.Rooms().UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: m.ID, Identity: p.Identity, Permission: permission(m, host, true)})
	return err
}

// askUnmute restores the microphone permission if the host had revoked it and asks the
// participant to unmute: nobody's microphone is opened without their consent.
func (s *Server) askUnmute(ctx context.Context, m directory.Meeting, p *livekit.ParticipantInfo) error {
	revoked := false
	s.live.with(m.ID, func(lm *liveMeeting) {
		revoked = lm.MicRevoked[p.Identity]
		delete(lm.MicRevoked, p.Identity)
	})
	if revoked {
		host := s.live.host(m.ID) == p.Identity
		if _, err := s.Core.Rooms().UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: m.ID, Identity: p.Identity, Permission: permission(m, host, false)}); err != nil {
			return err
		}
	}
	if metaOf(p).Kind != "web" {
		// A room system cannot be asked: unmute it at the meeting core, and its leg
		// resumes sending its audio (it follows the track's mute state).
		for _, t := range p.Tracks {
			if t.Source == livekit.TrackSource_MICROPHONE && t.Muted {
				if _, err := s.Core.Rooms().MutePublishedTrack(ctx, &livekit.MuteRoomTrackRequest{Room: m.ID, Identity: p.Identity, TrackSid: t.Sid, Muted: false}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	s.notify(ctx, m.ID, map[string]any{"type": "ask_unmute"}, p.Identity)
	return nil
}

func (s *Server) muteAll(ctx context.Context, m directory.Meeting) error {
	ps, err := s.participants(ctx, m.ID)
	if err != nil {
		return err
	}
	host := s.live.host(m.ID)
	for _, p := range ps {
		if p.Identity == host {
			continue
		}
		if err := s.mute(ctx, m, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) unmuteAll(ctx context.Context, m directory.Meeting) error {
	ps, err := s.participants(ctx, m.ID)
	if err != nil {
		return err
	}
	host := s.live.host(m.ID)
	for _, p := range ps {
		if p.Identity != host {
			if err := s.askUnmute(ctx, m, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// setHost makes identity the host of a live meeting.
func (s *Server) setHost(ctx context.Context, m directory.Meeting, identity string) error {
	ps, err := s.participants(ctx, m.ID)
	if err != nil {
		return err
	}
	var target *livekit.ParticipantInfo
	for _, p := range ps {
		if p.Identity == identity {
			target = p
		}
	}
	if target == nil {
		return errorf(http.StatusNotFound, "not_found", "participant %s is not in the meeting", identity)
	}
	old := ""
	s.live.with(m.ID, func(lm *liveMeeting) { old, lm.Host, lm.HostMissing = lm.Host, identity, timeZero })
	for _, p := range ps {
		s.setHostFlag(ctx, m.ID, p, p.Identity == identity)
	}
	if m.Settings.ShareHostOnly {
		s.applyPermissions(ctx, m, ps)
	}
	s.syncRoom(ctx, m)
	s.log.Info("host changed", "meeting", m.ID, "from", old, "to", identity)
	return nil
}

// applyPermissions recomputes every participant's publish permissions after a
// settings or host change.
func (s *Server) applyPermissions(ctx context.Context, m directory.Meeting, ps []*livekit.ParticipantInfo) {
	host := s.live.host(m.ID)
	for _, p := range ps {
		revoked := false
		s.live.with(m.ID, func(lm *liveMeeting) { revoked = lm.MicRevoked[p.Identity] })
		if _, err := s.Core.Rooms().UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: m.ID, Identity: p.Identity,
			Permission: permission(m, p.Identity == host, revoked)}); err != nil {
			s.log.Warn("meeting core: permission update failed", "meeting", m.ID, "identity", p.Identity, "err", err)
		}
	}
}

func (s *Server) settingsChanged(ctx context.Context, m directory.Meeting, before directory.Settings) {
	if before.ShareHostOnly != m.Settings.ShareHostOnly {
		if ps, err := s.participants(ctx, m.ID); err == nil {
			s.applyPermissions(ctx, m, ps)
		}
	}
	if before.WaitingRoom && !m.Settings.WaitingRoom {
		// Turning the waiting room off lets everybody in (in the background).
		s.admitWaiting(m)
	}
	s.syncRoom(ctx, m)
}

// endMeeting ends a live meeting for everyone.
func (s *Server) endMeeting(ctx context.Context, id string) {
	s.notify(ctx, id, map[string]any{"type": "ended"})
	if _, err := s.Core.Rooms().DeleteRoom(ctx, &livekit.DeleteRoomRequest{Room: id}); err != nil {
		s.log.Debug("meeting core: delete room", "meeting", id, "err", err)
	}
	s.live.drop(id)
	s.log.Info("meeting ended", "meeting", id)
}

func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) {
	m, c, err := s.requireMember(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if c.Session == nil {
		s.writeError(w, r, errUnauthorized)
		return
	}
	var body struct {
		Successor string `json:"successor"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	if s.live.host(m.ID) == c.Session.Identity {
		succ := body.Successor
		if succ == "" {
			succ = s.pickSuccessor(ctx, m.ID, c.Session.Identity)
		}
		if succ != "" {
			if err := s.setHost(ctx, m, succ); err != nil {
				s.writeError(w, r, err)
				return
			}
		} else {
			s.live.with(m.ID, func(lm *liveMeeting) { lm.Host = "" })
			s.syncRoom(ctx, m)
		}
	}
	if _, err := s.Core.Rooms().RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: m.ID, Identity: c.Session.Identity}); err != nil {
		s.log.Debug("leave: participant already gone", "meeting", m.ID, "identity", c.Session.Identity)
	}
	s.log.Info("participant left", "meeting", m.ID, "identity", c.Session.Identity)
	w.WriteHeader(http.StatusNoContent)
}

// pickSuccessor chooses the next host: the longest-present participant other than
// the leaving one, browsers before room systems (they can use host controls).
func (s *Server) pickSuccessor(ctx context.Context, room, leaving string) string {
	ps, err := s.participants(ctx, room)
	if err != nil {
		return ""
	}
	sort.SliceStable(ps, func(i, j int) bool {
		wi, wj := metaOf(ps[i]).Kind == "web", metaOf(ps[j]).Kind == "web"
		if wi != wj {
			return wi
		}
		return ps[i].JoinedAt < ps[j].JoinedAt
	})
	for _, p := range ps {
		if p.Identity != leaving && p.State != livekit.ParticipantInfo_DISCONNECTED {
			return p.Identity
		}
	}
	return ""
}

// supervise hands the host role on when the host has left without naming a
// successor (closed the tab, lost the network) and forgets empty meetings.
func (s *Server) supervise(ctx context.Context) {
	meetings, participants := 0, 0
	defer func() { s.counts.Store(&liveCounts{meetings, participants}) }()
	for _, id := range s.live.ids() {
		expired := 0
		s.live.with(id, func(lm *liveMeeting) {
			lm.forgetDecided(s.now())
			expired = lm.expireWaiting(s.now(), s.Waiting.Expire)
		})
		if expired > 0 {
			s.log.Debug("waiting room entries expired", "meeting", id, "count", expired)
			if m, err := s.Store.Get(ctx, id); err == nil {
				s.syncRoom(ctx, m)
			}
		}
		ps, err := s.participants(ctx, id)
		if err != nil {
			continue
		}
		if len(ps) > 0 {
			meetings, participants = meetings+1, participants+len(ps)
		}
		if s.forgetIfIdle(id, len(ps)) {
			continue
		}
		host, missingSince := "", timeZero
		s.live.with(id, func(lm *liveMeeting) { host, missingSince = lm.Host, lm.HostMissing })
		present := false
		for _, p := range ps {
			if p.Identity == host {
				present = true
			}
		}
		switch {
		case host == "" || present:
			if present && !missingSince.IsZero() {
				s.live.with(id, func(lm *liveMeeting) { lm.HostMissing = timeZero })
			}
		case missingSince.IsZero():
			// The host may be reconnecting or still connecting after the join: wait.
			s.live.with(id, func(lm *liveMeeting) { lm.HostMissing = s.now() })
		case s.now().Sub(missingSince) > hostGrace:
			m, err := s.Store.Get(ctx, id)
			if err != nil {
				continue
			}
			if succ := s.pickSuccessor(ctx, id, host); succ != "" {
				_ = s.setHost(ctx, m, succ)
			} else {
				s.live.with(id, func(lm *liveMeeting) { lm.Host, lm.HostMissing = "", timeZero })
			}
		}
	}
}

// forgetIfIdle drops the live state of a meeting that has had nobody in it, and nobody
// waiting, for idleForget; it reports whether it did.
func (s *Server) forgetIfIdle(id string, present int) bool {
	idle := false
	s.live.with(id, func(lm *liveMeeting) {
		if present > 0 || len(lm.Waiting) > 0 {
			lm.EmptySince = timeZero
			return
		}
		if lm.EmptySince.IsZero() {
			lm.EmptySince = s.now()
		}
		idle = s.now().Sub(lm.EmptySince) > idleForget
	})
	if idle {
		s.live.drop(id)
	}
	return idle
}
