package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/roomgate/roomgate/rooms/directory"
)

type createRequest struct {
	Topic           string              `json:"topic"`
	Password        string              `json:"password"`
	PersonalID      string              `json:"personal_id"`
	StartTime       *time.Time          `json:"start_time"`
	DurationMinutes int                 `json:"duration_minutes"`
	Settings        *directory.Settings `json:"settings"`
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	c := s.identify(r, nil)
	if !c.Operator {
		if !s.OpenCreate {
			s.writeError(w, r, errUnauthorized)
			return
		}
		src := sourceAddr(r)
		if ok, retry := s.creates.Allow(src, "", s.now()); !ok {
			w.Header().Set("Retry-After", fmt.Sprint(int(retry.Seconds())+1))
			s.log.Debug("meeting creation refused", "reason", "rate limited", "source", src)
			s.writeError(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "too many meetings created from this address; retry later"))
			return
		}
		s.creates.Fail(src, "", s.now()) // every anonymous create counts against the budget
	}
	var req createRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.Store.Create(r.Context(), directory.CreateParams{
		Topic: req.Topic, Password: req.Password, PersonalID: req.PersonalID,
		StartTime: req.StartTime, DurationMinutes: req.DurationMinutes, Settings: req.Settings,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("meeting created", "meeting", m.ID, "password", m.HasPassword(), "operator", c.Operator, "source", sourceAddr(r))
	writeJSON(w, http.StatusCreated, s.owned(m))
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	if !s.identify(r, nil).Operator {
		s.writeError(w, r, errUnauthorized)
		return
	}
	ms, err := s.Store.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meetings": s.ownedList(ms)})
}

// publicMeeting is what anyone may know about a meeting: enough to show a join form.
type publicMeeting struct {
	ID              string     `json:"id"`
	Topic           string     `json:"topic"`
	HasPassword     bool       `json:"has_password"`
	StartTime       *time.Time `json:"start_time"`
	DurationMinutes int        `json:"duration_minutes"`
	Live            bool       `json:"live"`
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	m, c, ok := s.lookupMeeting(w, r)
	switch {
	case !ok:
	case c.owner():
		writeJSON(w, http.StatusOK, s.owned(m))
	case c.Session != nil || (!m.CreatedAt.IsZero() && !m.HasPassword()):
		writeJSON(w, http.StatusOK, s.publicView(r.Context(), m))
	default:
		// Reveal nothing: a protected meeting and one that does not exist look
		// alike (the join form asks for a password; a wrong ID then fails like a
		// wrong password).
		writeJSON(w, http.StatusOK, publicMeeting{ID: m.ID, HasPassword: true})
	}
}

// lookupMeeting serves the start of the requests that tell about a meeting: it
// loads the meeting and identifies the caller. Owners and participants pass; an
// operator asking for an unknown meeting gets 404; anyone else is rate-limited
// and, for an unknown meeting, gets m with only the asked ID set (CreatedAt zero),
// so that the caller answers as for a protected one. ok false: answered already.
func (s *Server) lookupMeeting(w http.ResponseWriter, r *http.Request) (directory.Meeting, caller, bool) {
	id := r.PathValue("id")
	m, err := s.meeting(r.Context(), id)
	if err != nil && !isNotFound(err) {
		s.writeError(w, r, err)
		return m, caller{}, false
	}
	if err == nil {
		if c := s.identify(r, &m); c.owner() || c.Session != nil {
			return m, c, true
		}
	} else if s.identify(r, nil).Operator {
		s.writeError(w, r, err)
		return m, caller{}, false
	}
	if !s.lookup(w, r) {
		return m, caller{}, false
	}
	if err != nil {
		m = directory.Meeting{ID: id}
	}
	return m, caller{}, true
}

// publicView is the public part of an open meeting, or of any meeting for its participants.
func (s *Server) publicView(ctx context.Context, m directory.Meeting) publicMeeting {
	live := false
	if ps, err := s.participants(ctx, m.ID); err == nil {
		live = len(ps) > 0
	}
	return publicMeeting{ID: m.ID, Topic: m.Topic, HasPassword: m.HasPassword(),
		StartTime: m.StartTime, DurationMinutes: m.DurationMinutes, Live: live}
}

type patchRequest struct {
	Topic           *string        `json:"topic"`
	Password        *string        `json:"password"`
	StartTime       *time.Time     `json:"start_time"`
	DurationMinutes *int           `json:"duration_minutes"`
	Settings        *settingsPatch `json:"settings"`
}

type settingsPatch struct {
	Locked          *bool `json:"locked"`
	WaitingRoom     *bool `json:"waiting_room"`
	MuteOnEntry     *bool `json:"mute_on_entry"`
	AllowSelfUnmute *bool `json:"allow_self_unmute"`
	ShareHostOnly   *bool `json:"share_host_only"`
}

func (p *settingsPatch) apply(st *directory.Settings) {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&st.Locked, p.Locked)
	set(&st.WaitingRoom, p.WaitingRoom)
	set(&st.MuteOnEntry, p.MuteOnEntry)
	set(&st.AllowSelfUnmute, p.AllowSelfUnmute)
	set(&st.ShareHostOnly, p.ShareHostOnly)
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request) {
	m, c, err := s.requireHost(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req patchRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !c.owner() && (req.Topic != nil || req.Password != nil || req.StartTime != nil || req.DurationMinutes != nil) {
		// A host for the session (not holding the host key) may change the
		// session's settings, never the meeting itself.
		s.writeError(w, r, errorf(http.StatusForbidden, "forbidden", "only the meeting's owner (host key) or an operator may change its password, topic or schedule"))
		return
	}
	before := m.Settings
	m, err = s.Store.Update(r.Context(), m.ID, func(m *directory.Meeting) error {
		if req.Topic != nil {
			m.Topic = *req.Topic
		}
		if req.Password != nil {
			m.Password = *req.Password
		}
		if req.StartTime != nil {
			m.StartTime = req.StartTime
		}
		if req.DurationMinutes != nil {
			m.DurationMinutes = *req.DurationMinutes
		}
		if req.Settings != nil {
			req.Settings.apply(&m.Settings)
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if before != m.Settings {
		s.log.Info("meeting settings changed", "meeting", m.ID, "settings", fmt.Sprintf("%+v", m.Settings))
		s.settingsChanged(r.Context(), m, before)
	}
	if !c.owner() {
		writeJSON(w, http.StatusOK, s.publicView(r.Context(), m))
		return
	}
	writeJSON(w, http.StatusOK, s.owned(m))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	m, _, err := s.requireOwner(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.endMeeting(r.Context(), m.ID)
	if err := s.Store.Delete(r.Context(), m.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("meeting deleted", "meeting", m.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRegenerate(w http.ResponseWriter, r *http.Request) {
	m, _, err := s.requireOwner(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err = s.Store.RegenerateHardwarePassword(r.Context(), m.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("hardware password regenerated", "meeting", m.ID)
	writeJSON(w, http.StatusOK, s.owned(m))
}

// Invitation is what a host sends to invitees: the web link and the dial strings room
// systems use.
type Invitation struct {
	MeetingID        string `json:"meeting_id"`
	Topic            string `json:"topic"`
	WebURL           string `json:"web_url"`
	Password         string `json:"password,omitempty"`
	HardwarePassword string `json:"hardware_password,omitempty"`
	// HostURL is the host link, for the owner only; never in Text (what is sent
	// to participants).
	HostURL string   `json:"host_url,omitempty"`
	SIP     []string `json:"sip"`
	H323    []string `json:"h323"`
	Text    string   `json:"text"`
}

// Legs are where room systems reach the gateway, as the invitation's dial strings
// name it: host, or host:port when the port is not the protocol's default; "" for a
// leg that is not enabled (the invitation leaves it out).
type Legs struct {
	SIP, H323 string
}

// invitation builds the invitation; secrets only when withSecrets. It names only the
// enabled legs.
func (s *Server) invitation(m directory.Meeting, withSecrets bool) Invitation {
	sipHost, h323Host := s.Legs.SIP, s.Legs.H323
	inv := Invitation{MeetingID: m.ID, Topic: m.Topic, WebURL: s.PublicURL + "/m/" + m.ID, SIP: []string{}, H323: []string{}}
	if withSecrets {
		inv.HostURL = s.hostURL(m)
	}
	hw := withSecrets && m.HasPassword()
	if hw {
		inv.Password, inv.HardwarePassword = m.Password, m.HardwarePassword
	}
	if sipHost != "" {
		inv.SIP = append(inv.SIP, m.ID+"@"+sipHost)
		if hw {
			inv.SIP = append(inv.SIP, m.ID+"."+m.HardwarePassword+"@"+sipHost)
		}
	}
	if h323Host != "" {
		inv.H323 = []string{h323Host + "##" + m.ID, m.ID}
		if hw {
			inv.H323[0] += "#" + m.HardwarePassword
		}
	}
	var b strings.Builder
	topic := m.Topic
	if topic == "" {
		topic = "Meeting " + m.ID
	}
	fmt.Fprintf(&b, "You are invited to %s.\n\nJoin from a browser:\n    %s\n", topic, inv.WebURL)
	fmt.Fprintf(&b, "\nMeeting ID: %s\n", m.ID)
	if inv.Password != "" {
		fmt.Fprintf(&b, "Password: %s\n", inv.Password)
	}
	if sipHost == "" && h323Host == "" {
		inv.Text = b.String()
		return inv
	}
	b.WriteString("\nJoin from a room system\n")
	if sipHost != "" {
		b.WriteString("  SIP:\n")
		for _, d := range inv.SIP {
			fmt.Fprintf(&b, "    %s\n", d)
		}
	}
	if h323Host != "" {
		fmt.Fprintf(&b, "  H.323:\n    %s\n    or dial %s and enter meeting ID %s", inv.H323[0], h323Host, m.ID)
		b.WriteString("\n")
	}
	if inv.HardwarePassword != "" {
		fmt.Fprintf(&b, "  Room system password: %s\n", inv.HardwarePassword)
	}
	inv.Text = b.String()
	return inv
}

func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request) {
	m, c, ok := s.lookupMeeting(w, r)
	switch {
	case !ok:
	case c.owner():
		writeJSON(w, http.StatusOK, s.invitation(m, true))
	case c.Session != nil || !m.HasPassword():
		writeJSON(w, http.StatusOK, s.invitation(m, false))
	default:
		// What anyone knowing the ID could write: nothing about the meeting itself.
		writeJSON(w, http.StatusOK, s.invitation(directory.Meeting{ID: m.ID}, false))
	}
}
