package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/policy"
	"github.com/roomgate/roomgate/rooms/secretfile"
)

type joinRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	HostKey  string `json:"host_key"`
}

// joinResult is the body of a successful join (200) or of a waiting one (202).
type joinResult struct {
	Status     string `json:"status"` // joined | waiting
	Token      string `json:"token,omitempty"`
	LiveKitURL string `json:"livekit_url,omitempty"`
	Identity   string `json:"identity,omitempty"`
	Session    string `json:"session,omitempty"`
	Host       bool   `json:"host,omitempty"`
	Ticket     string `json:"ticket,omitempty"`
}

// participantMeta is the participant metadata the web UI reads.
type participantMeta struct {
	Kind    string `json:"kind"`
	Host    bool   `json:"host"`
	Vendor  string `json:"vendor,omitempty"`
	Product string `json:"product,omitempty"`
	Version string `json:"version,omitempty"`
	// Codecs are a room system's negotiated codecs (e.g. G722, H264).
	Codecs []string `json:"codecs,omitempty"`
}

func cleanName(n string) string {
	n = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(n))
	for utf8.RuneCountInString(n) > 64 {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	if n == "" {
		n = "Guest"
	}
	return n
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, m directory.Meeting, reason string, err *apiError) {
	s.log.Info("join refused", "meeting", m.ID, "reason", reason, "source", sourceAddr(r))
	s.writeError(w, r, err)
}

// handleJoin applies the join policy. Unguessable credentials (the host key, the
// operator token) are checked first and always, whatever the source's standing:
// nobody can take them from their holder by guessing wrong passwords nearby.
// Passwords go through the Guard (tryPassword). To a caller without a credential
// a meeting that does not exist answers exactly like one with a password the
// caller got wrong.
func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) {
	var req joinRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, src := r.PathValue("id"), sourceAddr(r)
	m, err := s.meeting(r.Context(), id)
	if err != nil && !isNotFound(err) {
		s.writeError(w, r, err)
		return
	}
	exists := err == nil
	if !exists && equal(bearer(r), s.OperatorToken) {
		s.writeError(w, r, err) // the operator may know which meetings exist
		return
	}
	name := cleanName(req.Name)
	asHost := exists && (equal(req.HostKey, m.HostKey) || equal(bearer(r), m.HostKey) || equal(bearer(r), s.OperatorToken))
	if !asHost {
		if !exists || m.HasPassword() {
			var mp *directory.Meeting
			if exists {
				mp = &m
			}
			if exists && req.Password == "" {
				// Nothing entered: the form has to ask; not a guess.
				s.writeError(w, r, errWrongPasswordAPI())
				return
			}
			ok, refusal, retry := s.tryPassword(src, id, mp, req.Password, false, "web")
			if refusal != policy.Allowed {
				s.writeError(w, r, rateLimited(w, retry))
				return
			}
			if !ok {
				s.writeError(w, r, errWrongPasswordAPI())
				return
			}
		}
		if m.Settings.Locked {
			s.refuse(w, r, m, "meeting locked", errorf(http.StatusForbidden, "locked", "the meeting is locked"))
			return
		}
		if m.Settings.WaitingRoom {
			t, err := s.enqueue(r.Context(), m, name, src, nil)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			s.log.Info("participant waiting", "meeting", m.ID, "name", name, "source", src)
			writeJSON(w, http.StatusAccepted, joinResult{Status: "waiting", Ticket: t.ID})
			return
		}
	}
	res, err := s.admit(r.Context(), m, name, asHost)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("participant admitted", "meeting", m.ID, "identity", res.Identity, "name", name, "host", res.Host, "source", src)
	writeJSON(w, http.StatusOK, res)
}

// admit creates a session and mints the meeting-core token for a participant who
// passed the join policy.
func (s *Server) admit(ctx context.Context, m directory.Meeting, name string, asHost bool) (*joinResult, error) {
	res, err := s.mintSession(m, name, asHost)
	if err != nil {
		return nil, err
	}
	s.syncRoom(ctx, m)
	if res.Host {
		s.demoteOthers(ctx, m.ID, res.Identity)
	}
	return res, nil
}

// mintSession is admit without the meeting-core calls: a new identity, its token
// and session, and the host role when asHost.
func (s *Server) mintSession(m directory.Meeting, name string, asHost bool) (*joinResult, error) {
	identity := "web-" + secretfile.Random(6)
	if asHost {
		s.live.with(m.ID, func(lm *liveMeeting) { lm.Host, lm.HostMissing = identity, timeZero })
	}
	meta, _ := json.Marshal(participantMeta{Kind: "web", Host: asHost})
	tok, err := s.Core.Token(coreGrant(m, identity, name, string(meta), asHost, false))
	if err != nil {
		return nil, fmt.Errorf("mint token: %w", err)
	}
	sess := &session{Token: secretfile.Random(24), MeetingID: m.ID, Identity: identity, Name: name, Created: s.now()}
	s.live.addSession(sess)
	return &joinResult{Status: "joined", Token: tok, LiveKitURL: s.LiveKitURL, Identity: identity, Session: sess.Token, Host: asHost}, nil
}

// errNoTicket answers an unknown ticket, in an unknown meeting too (alike).
var errNoTicket = errorf(http.StatusNotFound, "not_found", "no such waiting-room ticket")

func (s *Server) handleTicket(w http.ResponseWriter, r *http.Request) {
	m, err := s.meeting(r.Context(), r.PathValue("id"))
	if isNotFound(err) {
		s.writeError(w, r, errNoTicket)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var t ticket
	found := false
	s.live.with(m.ID, func(lm *liveMeeting) {
		if p := lm.Waiting[r.PathValue("ticket")]; p != nil {
			// A verdict stays readable for ticketKeep after it is given, so a poll whose
			// answer was lost can be repeated; the supervisor forgets it then.
			p.Polled = s.now()
			t, found = *p, true
		}
	})
	switch {
	case !found:
		s.writeError(w, r, errNoTicket)
	case t.State == ticketWaiting:
		writeJSON(w, http.StatusAccepted, joinResult{Status: "waiting", Ticket: t.ID})
	case t.State == ticketDenied:
		s.writeError(w, r, errorf(http.StatusForbidden, "denied", "the host did not let you in"))
	default:
		writeJSON(w, http.StatusOK, t.Result)
	}
}

func (s *Server) handleWaiting(w http.ResponseWriter, r *http.Request) {
	m, _, err := s.requireHost(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type entry struct {
		Ticket string `json:"ticket"`
		Name   string `json:"name"`
		Since  string `json:"since"`
	}
	list := []entry{}
	s.live.with(m.ID, func(lm *liveMeeting) {
		for _, t := range lm.Waiting {
			if t.State == ticketWaiting {
				list = append(list, entry{t.ID, t.Name, t.Since.UTC().Format("2006-01-02T15:04:05Z")})
			}
		}
	})
	writeJSON(w, http.StatusOK, map[string]any{"waiting": list})
}

func (s *Server) handleVerdict(w http.ResponseWriter, r *http.Request) {
	m, _, err := s.requireHost(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	verdict := r.PathValue("verdict")
	if verdict != "admit" && verdict != "deny" {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "unknown verdict %q (admit or deny)", verdict))
		return
	}
	var t *ticket
	s.live.with(m.ID, func(lm *liveMeeting) {
		if p := lm.Waiting[r.PathValue("ticket")]; p != nil && p.State == ticketWaiting && !p.admitting {
			t = p
		}
	})
	if t == nil {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "nobody with that ticket is waiting"))
		return
	}
	if verdict == "deny" {
		s.live.with(m.ID, func(*liveMeeting) { t.State, t.Decided = ticketDenied, s.now() })
		s.log.Info("join refused", "meeting", m.ID, "reason", "denied by host", "name", t.Name)
	} else if t.RoomSystem != nil {
		s.live.with(m.ID, func(*liveMeeting) { t.State, t.Decided = ticketAdmitted, s.now() })
		s.log.Info("room system admitted from waiting room", "meeting", m.ID, "name", t.Name)
	} else {
		res, err := s.admit(r.Context(), m, t.Name, false)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.live.with(m.ID, func(*liveMeeting) { t.State, t.Result, t.Decided = ticketAdmitted, res, s.now() })
		s.log.Info("participant admitted from waiting room", "meeting", m.ID, "identity", res.Identity, "name", t.Name)
	}
	s.syncRoom(r.Context(), m)
	w.WriteHeader(http.StatusNoContent)
}
