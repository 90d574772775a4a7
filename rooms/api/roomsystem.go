package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/roomgate/roomgate/rooms/core"
	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/policy"
	"github.com/roomgate/roomgate/rooms/secretfile"
)

// Errors of room-system admission; the SIP and H.323 legs map them to a status or
// cause (404, 403 …).
var (
	ErrMeetingNotFound = errors.New("meeting not found")
	ErrWrongPassword   = errors.New("wrong password")
	ErrLocked          = errors.New("meeting locked")
	ErrRateLimited     = errors.New("too many wrong passwords")
	ErrDenied          = errors.New("the host did not let the room system in")
)

// RoomSystemJoin is a room system asking to join a meeting.
type RoomSystemJoin struct {
	MeetingID string
	PIN       string // hardware or meeting password as dialled or entered
	Kind      string // "sip" or "h323"
	Name      string // display name
	Vendor    string
	Product   string
	Version   string // the endpoint's software version (H.225.0 versionId, User-Agent)
	Codecs    []string
	Source    netip.Addr
}

// RoomSystemAdmission is the outcome of a room system's join.
type RoomSystemAdmission struct {
	// Token and Identity are set once admitted.
	Token, Identity string
	// URL is the meeting core's signalling URL for the gateway's own client.
	URL string
	// Ticket is set when the room system waits in the waiting room: call Wait.
	Ticket string
	// MuteOnEntry: start with the room system's audio muted.
	MuteOnEntry bool
}

// MeetingInfo is what a room system's call may learn of a meeting before it gave a
// password: whether the ID can be a meeting at all (its form), and whether it asks
// for a password. A well-formed ID of no meeting answers like a protected meeting —
// "which password?" — so that dialling IDs enumerates nothing; only a meeting without
// a password shows itself (anyone may join it).
func (s *Server) MeetingInfo(ctx context.Context, id string) (exists, needsPassword bool) {
	m, err := s.meeting(ctx, id)
	if err != nil {
		if directory.ValidateID(id) != nil {
			return false, false
		}
		return true, true
	}
	return true, m.HasPassword()
}

// CheckRoomSystemPIN checks a password a room system gave, through the same Guard
// as web joins. It reports ErrRateLimited when the attempt was not evaluated (the
// source is banned or backing off, or the meeting is guarded and the source never
// got in). An empty PIN (dialled ID@gw: "ask me") is no guess: it is not counted
// and answers ErrWrongPassword so the IVR asks. A PIN checked again (the dial
// string's PIN goes through here, then through the IVR) counts once.
func (s *Server) CheckRoomSystemPIN(ctx context.Context, meetingID, pin string, src netip.Addr) error {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		// An unknown meeting answers like a protected one (MeetingInfo): every PIN is
		// wrong, and counts against the source like any other wrong guess.
		if pin == "" {
			return ErrWrongPassword
		}
		if _, refusal, _ := s.tryPassword(src, meetingID, nil, pin, true, "room system"); refusal != policy.Allowed {
			return ErrRateLimited
		}
		return ErrWrongPassword
	}
	if !m.HasPassword() {
		return nil
	}
	if pin == "" {
		if banned, _ := s.guard.Banned(src, s.now()); banned {
			return ErrRateLimited
		}
		return ErrWrongPassword
	}
	ok, refusal, _ := s.tryPassword(src, m.ID, &m, pin, true, "room system")
	switch {
	case refusal != policy.Allowed:
		return ErrRateLimited
	case !ok:
		return ErrWrongPassword
	}
	return nil
}

// JoinRoomSystem applies the join policy to a room system. The PIN must already have
// passed CheckRoomSystemPIN (the legs check it first so the IVR can ask again).
func (s *Server) JoinRoomSystem(ctx context.Context, j RoomSystemJoin) (RoomSystemAdmission, error) {
	m, err := s.meeting(ctx, j.MeetingID)
	if err != nil {
		s.log.Info("join refused", "meeting", j.MeetingID, "reason", "unknown meeting", "source", j.Source, "kind", j.Kind)
		return RoomSystemAdmission{}, ErrMeetingNotFound
	}
	if !policy.CheckPassword(m, j.PIN, true) {
		return RoomSystemAdmission{}, ErrWrongPassword
	}
	if m.Settings.Locked {
		s.log.Info("join refused", "meeting", m.ID, "reason", "meeting locked", "source", j.Source, "kind", j.Kind)
		return RoomSystemAdmission{}, ErrLocked
	}
	name := cleanName(j.Name)
	if m.Settings.WaitingRoom {
		t, err := s.enqueue(ctx, m, name, j.Source, &j)
		if err != nil {
			return RoomSystemAdmission{}, err
		}
		s.log.Info("room system waiting", "meeting", m.ID, "name", name, "kind", j.Kind)
		return RoomSystemAdmission{Ticket: t.ID}, nil
	}
	return s.admitRoomSystem(ctx, m, j)
}

func (s *Server) admitRoomSystem(ctx context.Context, m directory.Meeting, j RoomSystemJoin) (RoomSystemAdmission, error) {
	identity := j.Kind + "-" + secretfile.Random(6)
	meta, _ := json.Marshal(participantMeta{Kind: j.Kind, Vendor: j.Vendor, Product: j.Product, Version: j.Version, Codecs: j.Codecs})
	tok, err := s.Core.Token(coreGrant(m, identity, cleanName(j.Name), string(meta), false, false))
	if err != nil {
		return RoomSystemAdmission{}, fmt.Errorf("mint token: %w", err)
	}
	s.syncRoom(ctx, m)
	s.log.Info("room system admitted", "meeting", m.ID, "identity", identity, "name", j.Name, "kind", j.Kind, "vendor", j.Vendor, "product", j.Product)
	return RoomSystemAdmission{Token: tok, Identity: identity, URL: s.Core.SignalURL, MuteOnEntry: m.Settings.MuteOnEntry}, nil
}

// WaitAdmission waits until the host admits (admission with a token) or denies
// (ErrDenied) a room system in the waiting room, or ctx ends.
func (s *Server) WaitAdmission(ctx context.Context, meetingID, ticketID string) (RoomSystemAdmission, error) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		var st ticketState
		var j *RoomSystemJoin
		found := false
		s.live.with(meetingID, func(lm *liveMeeting) {
			if p := lm.Waiting[ticketID]; p != nil {
				p.Polled = s.now()
				st, j, found = p.State, p.RoomSystem, true
				if p.State != ticketWaiting {
					delete(lm.Waiting, ticketID)
				}
			}
		})
		switch {
		case !found || st == ticketDenied:
			return RoomSystemAdmission{}, ErrDenied
		case st == ticketAdmitted:
			m, err := s.meeting(ctx, meetingID)
			if err != nil {
				return RoomSystemAdmission{}, ErrMeetingNotFound
			}
			return s.admitRoomSystem(ctx, m, *j)
		}
		select {
		case <-ctx.Done():
			s.live.with(meetingID, func(lm *liveMeeting) { delete(lm.Waiting, ticketID) })
			return RoomSystemAdmission{}, ctx.Err()
		case <-t.C:
		}
	}
}

// AdmitInvited admits a room system the host dialled out to: no password and no
// waiting room, but the meeting must still exist.
func (s *Server) AdmitInvited(ctx context.Context, j RoomSystemJoin) (RoomSystemAdmission, error) {
	m, err := s.meeting(ctx, j.MeetingID)
	if err != nil {
		return RoomSystemAdmission{}, ErrMeetingNotFound
	}
	return s.admitRoomSystem(ctx, m, j)
}

// TapIdentityPrefix starts the identity of the gateway's hidden per-meeting subscriber
// (its "tap"); such participants are never listed or counted.
const TapIdentityPrefix = "roomgate-tap-"

// MeetingTap mints a join for the gateway's hidden subscriber of a meeting: it may
// subscribe to everything and publish nothing, and the meeting core does not show it to
// the other participants. The caller must already have admitted a room system to the
// meeting (the tap serves admitted calls only).
func (s *Server) MeetingTap(ctx context.Context, meetingID string) (url, token string, err error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return "", "", ErrMeetingNotFound
	}
	tok, err := s.Core.Token(core.Grant{Room: m.ID, Identity: TapIdentityPrefix + secretfile.Random(6), Name: "roomgate",
		Sources: []string{}, Hidden: true})
	if err != nil {
		return "", "", fmt.Errorf("mint token: %w", err)
	}
	return s.Core.SignalURL, tok, nil
}

// isTap reports whether a participant is a gateway tap (hidden subscriber).
func isTap(p *livekit.ParticipantInfo) bool {
	return strings.HasPrefix(p.Identity, TapIdentityPrefix) || p.GetPermission().GetHidden()
}
