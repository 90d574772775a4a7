package api

import (
	"net/url"

	"github.com/roomgate/roomgate/rooms/directory"
)

// ownedMeeting is the Meeting as its owner (host key or operator token) sees it:
// with the host link, which carries the host key in the URL fragment. A browser
// never sends a fragment to the server, so the key reaches the gateway only in
// the join request the page makes with it; the page then removes it from the
// address bar.
type ownedMeeting struct {
	directory.Meeting
	HostURL string `json:"host_url"`
}

// hostURL is the meeting's host link: <public_url>/m/<id>#host=<key>.
func (s *Server) hostURL(m directory.Meeting) string {
	if m.HostKey == "" {
		return ""
	}
	return s.PublicURL + "/m/" + url.PathEscape(m.ID) + "#host=" + url.QueryEscape(m.HostKey)
}

// owned is m with its host link, for an owner's response only.
func (s *Server) owned(m directory.Meeting) ownedMeeting {
	return ownedMeeting{Meeting: m, HostURL: s.hostURL(m)}
}

// ownedList is ms with their host links (the operator's meeting list).
func (s *Server) ownedList(ms []directory.Meeting) []ownedMeeting {
	out := make([]ownedMeeting, len(ms))
	for i, m := range ms {
		out[i] = s.owned(m)
	}
	return out
}
