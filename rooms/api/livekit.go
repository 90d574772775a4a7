package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/roomgate/roomgate/rooms/core"
	"github.com/roomgate/roomgate/rooms/directory"
)

var timeZero time.Time

// Track sources as LiveKit names them in grants.
const (
	srcCamera      = "camera"
	srcMicrophone  = "microphone"
	srcScreen      = "screen_share"
	srcScreenAudio = "screen_share_audio"
)

// sources is what a participant may publish under the meeting's settings.
func sources(m directory.Meeting, host, micRevoked bool) []string {
	out := []string{srcCamera}
	if !micRevoked {
		out = append(out, srcMicrophone)
	}
	if host || !m.Settings.ShareHostOnly {
		out = append(out, srcScreen, srcScreenAudio)
	}
	return out
}

func coreGrant(m directory.Meeting, identity, name, meta string, host, micRevoked bool) core.Grant {
	return core.Grant{Room: m.ID, Identity: identity, Name: name, Metadata: meta, Sources: sources(m, host, micRevoked)}
}

func permission(m directory.Meeting, host, micRevoked bool) *livekit.ParticipantPermission {
	var srcs []livekit.TrackSource
	for _, s := range sources(m, host, micRevoked) {
		switch s {
		case srcCamera:
			srcs = append(srcs, livekit.TrackSource_CAMERA)
		case srcMicrophone:
			srcs = append(srcs, livekit.TrackSource_MICROPHONE)
		case srcScreen:
			srcs = append(srcs, livekit.TrackSource_SCREEN_SHARE)
		case srcScreenAudio:
			srcs = append(srcs, livekit.TrackSource_SCREEN_SHARE_AUDIO)
		}
	}
	return &livekit.ParticipantPermission{CanSubscribe: true, CanPublish: true, CanPublishData: true, CanPublishSources: srcs}
}

// RoomMeta is the room metadata the web UI and the gateway's meeting taps read
// (docs/api.md).
type RoomMeta struct {
	Host            string `json:"host"`
	Topic           string `json:"topic"`
	Locked          bool   `json:"locked"`
	WaitingRoom     bool   `json:"waiting_room"`
	ShareHostOnly   bool   `json:"share_host_only"`
	AllowSelfUnmute bool   `json:"allow_self_unmute"`
	MuteOnEntry     bool   `json:"mute_on_entry"`
	Waiting         int    `json:"waiting"`
}

// syncRoom writes the meeting's live state into the LiveKit room metadata, creating
// the room if needed. Failures are logged: the UI catches up on the next change.
func (s *Server) syncRoom(ctx context.Context, m directory.Meeting) {
	meta := RoomMeta{Topic: m.Topic, Locked: m.Settings.Locked, WaitingRoom: m.Settings.WaitingRoom,
		ShareHostOnly: m.Settings.ShareHostOnly, AllowSelfUnmute: m.Settings.AllowSelfUnmute, MuteOnEntry: m.Settings.MuteOnEntry}
	s.live.with(m.ID, func(lm *liveMeeting) {
		meta.Host = lm.Host
		meta.Waiting = lm.waitingCount()
	})
	b, _ := json.Marshal(meta)
	rooms := s.Core.Rooms()
	if _, err := rooms.CreateRoom(ctx, &livekit.CreateRoomRequest{Name: m.ID, Metadata: string(b), EmptyTimeout: 300, DepartureTimeout: 20}); err != nil {
		s.log.Warn("meeting core: create room failed", "meeting", m.ID, "err", err)
		return
	}
	if _, err := rooms.UpdateRoomMetadata(ctx, &livekit.UpdateRoomMetadataRequest{Room: m.ID, Metadata: string(b)}); err != nil {
		s.log.Warn("meeting core: room metadata update failed", "meeting", m.ID, "err", err)
	}
}

// notify sends a roomgate control message to some participants (all when none named).
func (s *Server) notify(ctx context.Context, room string, msg map[string]any, identities ...string) {
	b, _ := json.Marshal(msg)
	topic := "roomgate"
	_, err := s.Core.Rooms().SendData(ctx, &livekit.SendDataRequest{Room: room, Data: b, Kind: livekit.DataPacket_RELIABLE,
		DestinationIdentities: identities, Topic: &topic})
	if err != nil {
		s.log.Warn("meeting core: send data failed", "meeting", room, "err", err)
	}
}

func (s *Server) participants(ctx context.Context, room string) ([]*livekit.ParticipantInfo, error) {
	res, err := s.Core.Rooms().ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: room})
	if err != nil {
		return nil, err
	}
	ps := res.Participants[:0]
	for _, p := range res.Participants {
		if !isTap(p) {
			ps = append(ps, p)
		}
	}
	return ps, nil
}

func metaOf(p *livekit.ParticipantInfo) participantMeta {
	var pm participantMeta
	_ = json.Unmarshal([]byte(p.Metadata), &pm)
	if pm.Kind == "" {
		pm.Kind = "web"
	}
	return pm
}

// setHostFlag rewrites a participant's metadata host flag.
func (s *Server) setHostFlag(ctx context.Context, room string, p *livekit.ParticipantInfo, host bool) {
	pm := metaOf(p)
	if pm.Host == host {
		return
	}
	pm.Host = host
	b, _ := json.Marshal(pm)
	if _, err := s.Core.Rooms().UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: room, Identity: p.Identity, Metadata: string(b)}); err != nil {
		s.log.Warn("meeting core: update participant failed", "meeting", room, "identity", p.Identity, "err", err)
	}
}

// demoteOthers clears the host flag of everyone but the new host and sets it on them.
func (s *Server) demoteOthers(ctx context.Context, room, newHost string) {
	ps, err := s.participants(ctx, room)
	if err != nil {
		return
	}
	for _, p := range ps {
		s.setHostFlag(ctx, room, p, p.Identity == newHost)
	}
}
