package call

import (
	"net/url"
	"strings"
)

// Target is what a room system dialled, after the dial plan.
type Target struct {
	// MeetingID is empty when the caller must be asked (IVR).
	MeetingID string
	// PIN is the hardware (or meeting) password given in the dial string, if any.
	PIN string
}

// DialPlan turns the user part of a SIP Request-URI (or an H.323 destination alias) into
// a meeting and password. Room systems dial, depending on vendor and how the user typed it:
//
//	123456789            meeting ID
//	123456789.654321     ID and hardware password (SIP)
//	123456789*654321     ID and password (keypad-friendly)
//	123456789#654321     ID and password (H.323 "gw##ID#PIN", or SIP with '#' escaped as %23)
//
// Anything without a usable meeting ID goes to the IVR, which asks for it by DTMF.
type DialPlan struct {
	// IVRUsers are user parts that always go to the IVR (e.g. "ivr", "meet").
	IVRUsers []string
	// DefaultMeeting, when set, is used when neither the Request-URI nor To carries an ID
	// (a gateway address dedicated to one meeting room).
	DefaultMeeting string
}

// Resolve applies the dial plan to the dial strings in order (SIP: the Request-URI
// user part, then To's; H.323: the destination aliases, then calledPartyNumber),
// falling back to the default meeting.
func (dp DialPlan) Resolve(dialled ...string) Target {
	for _, u := range dialled {
		if t, ok := dp.parse(u); ok {
			return t
		}
		if dp.IsIVR(u) {
			return Target{}
		}
	}
	if dp.DefaultMeeting != "" {
		return Target{MeetingID: dp.DefaultMeeting}
	}
	return Target{}
}

// IsIVR reports whether a dial string always goes to the IVR.
func (dp DialPlan) IsIVR(user string) bool {
	for _, u := range dp.IVRUsers {
		if strings.EqualFold(u, user) {
			return true
		}
	}
	return false
}

// parse splits "ID", "ID.PIN", "ID*PIN" or "ID#PIN" (also %23-escaped). IDs are 9–11
// digits; a PIN is digits only.
func (dp DialPlan) parse(user string) (Target, bool) {
	if u, err := url.PathUnescape(user); err == nil {
		user = u
	}
	user = strings.TrimSpace(user)
	// Some endpoints prefix H.323-style "##" or a leading '#'.
	user = strings.TrimLeft(user, "#")
	id, pin := user, ""
	if i := strings.IndexAny(user, ".*#"); i >= 0 {
		id, pin = user[:i], strings.TrimRight(user[i+1:], "#")
	}
	if len(id) < 9 || len(id) > 11 || !digits(id) || id[0] == '0' {
		return Target{}, false
	}
	if pin != "" && !digits(pin) {
		return Target{}, false
	}
	return Target{MeetingID: id, PIN: pin}, true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
