// Package ivr is the voice menu for room systems that dial the gateway without a
// usable meeting ID or password: it asks for the meeting ID followed by '#', then for
// the password if the meeting has one, with three tries each. Digits arrive by RFC 4733
// telephone-event or SIP INFO (or H.245 userInputIndication); the menu itself is a
// plain state machine without goroutines or timers so it can be tested alone.
package ivr

import "fmt"

// Prompt names a recorded voice prompt (see prompts/).
type Prompt string

// The prompts.
const (
	Welcome       Prompt = "welcome"
	Password      Prompt = "password"
	InvalidID     Prompt = "invalid_id"
	WrongPassword Prompt = "wrong_password"
	Locked        Prompt = "locked"
	Waiting       Prompt = "waiting"
	Goodbye       Prompt = "goodbye"
	Joining       Prompt = "joining"
)

// MaxTries is how many meeting IDs, and then passwords, a caller may enter.
const MaxTries = 3

// Meetings is what the menu needs to know about meetings.
type Meetings interface {
	// Exists reports whether the meeting exists and whether it needs a password.
	Exists(id string) (exists, needsPassword bool)
	// CheckPassword checks a password a room system entered (hardware password, or
	// the meeting password when that is numeric).
	CheckPassword(id, pin string) bool
}

// Action is what the caller of the menu must do next.
type Action struct {
	// Play lists prompts to play in order (stop whatever was playing first).
	Play []Prompt
	// Done: the caller is through; join MeetingID.
	Done      bool
	MeetingID string
	PIN       string
	// Hangup: too many tries; end the call after playing.
	Hangup bool
	// Reason explains a hang-up for the log.
	Reason string
}

type stage int

const (
	askID stage = iota
	askPassword
	finished
)

// Menu is one caller's pass through the IVR.
type Menu struct {
	meetings Meetings
	stage    stage
	digits   []byte
	id       string
	tries    int
}

// New starts a menu. When the dial string already named a meeting (id != ""), the menu
// starts at the password question; a wrong pin from the dial string counts as a try.
func New(m Meetings, id, pin string) (*Menu, Action) {
	menu := &Menu{meetings: m}
	if id == "" {
		return menu, Action{Play: []Prompt{Welcome}}
	}
	exists, needs := m.Exists(id)
	if !exists {
		menu.tries = 1
		return menu, Action{Play: []Prompt{InvalidID, Welcome}}
	}
	menu.id = id
	if !needs {
		menu.stage = finished
		return menu, Action{Done: true, MeetingID: id}
	}
	menu.stage = askPassword
	if pin == "" {
		return menu, Action{Play: []Prompt{Password}}
	}
	if m.CheckPassword(id, pin) {
		menu.stage = finished
		return menu, Action{Done: true, MeetingID: id, PIN: pin}
	}
	menu.tries = 1
	return menu, Action{Play: []Prompt{WrongPassword, Password}}
}

// Digit feeds one DTMF digit ('0'–'9', '*', '#'). '#' ends an entry; '*' clears it.
func (m *Menu) Digit(d byte) Action {
	if m.stage == finished {
		return Action{}
	}
	switch {
	case d >= '0' && d <= '9':
		if len(m.digits) < 32 {
			m.digits = append(m.digits, d)
		}
		return Action{}
	case d == '*':
		m.digits = m.digits[:0]
		return Action{}
	case d != '#':
		return Action{}
	}
	entry := string(m.digits)
	m.digits = m.digits[:0]
	if m.stage == askID {
		return m.enterID(entry)
	}
	return m.enterPassword(entry)
}

func (m *Menu) enterID(entry string) Action {
	exists, needs := false, false
	if entry != "" {
		exists, needs = m.meetings.Exists(entry)
	}
	if !exists {
		m.tries++
		if m.tries >= MaxTries {
			m.stage = finished
			return Action{Play: []Prompt{InvalidID, Goodbye}, Hangup: true, Reason: fmt.Sprintf("no valid meeting ID after %d tries", MaxTries)}
		}
		return Action{Play: []Prompt{InvalidID, Welcome}}
	}
	m.id, m.tries = entry, 0
	if !needs {
		m.stage = finished
		return Action{Done: true, MeetingID: entry}
	}
	m.stage = askPassword
	return Action{Play: []Prompt{Password}}
}

func (m *Menu) enterPassword(entry string) Action {
	if entry != "" && m.meetings.CheckPassword(m.id, entry) {
		m.stage = finished
		return Action{Done: true, MeetingID: m.id, PIN: entry}
	}
	m.tries++
	if m.tries >= MaxTries {
		m.stage = finished
		return Action{Play: []Prompt{WrongPassword, Goodbye}, Hangup: true, MeetingID: m.id,
			Reason: fmt.Sprintf("wrong password %d times", MaxTries)}
	}
	return Action{Play: []Prompt{WrongPassword, Password}}
}
