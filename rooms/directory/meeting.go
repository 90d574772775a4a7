package directory

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. The store wraps them with %w and context (the meeting ID,
// the field); test with errors.Is. The REST layer maps them to HTTP statuses:
// ErrNotFound 404, ErrConflict 409, ErrNoPassword 409, ErrInvalid 400.
var (
	// ErrNotFound: no meeting with that ID.
	ErrNotFound = errors.New("meeting not found")
	// ErrConflict: the meeting ID is already taken (a personal ID, or no free
	// random ID could be found).
	ErrConflict = errors.New("meeting id conflict")
	// ErrNoPassword: the operation needs a meeting password and the meeting has none.
	ErrNoPassword = errors.New("meeting has no password")
	// ErrInvalid: a field fails validation.
	ErrInvalid = errors.New("invalid meeting field")
)

// Limits on meeting fields.
const (
	// MinIDDigits and MaxIDDigits bound the length of a meeting ID.
	MinIDDigits = 9
	MaxIDDigits = 11
	// DefaultIDDigits is the length of generated meeting IDs.
	DefaultIDDigits = 10
	// MaxPasswordLen is the longest meeting password, in characters.
	MaxPasswordLen = 32
	// HardwarePasswordLen is the number of digits of a hardware password.
	HardwarePasswordLen = 6
	// MaxTopicLen is the longest topic, in characters.
	MaxTopicLen = 200
	// MaxDurationMinutes caps the scheduled duration (one week).
	MaxDurationMinutes = 7 * 24 * 60
)

// Settings are the per-meeting switches a host can flip (PATCH settings).
type Settings struct {
	// Locked: nobody new may join.
	Locked bool `json:"locked"`
	// WaitingRoom: joiners wait until the host admits them.
	WaitingRoom bool `json:"waiting_room"`
	// MuteOnEntry: participants join with their microphone muted.
	MuteOnEntry bool `json:"mute_on_entry"`
	// AllowSelfUnmute: participants muted by the host may unmute themselves.
	AllowSelfUnmute bool `json:"allow_self_unmute"`
	// ShareHostOnly: only the host may share content.
	ShareHostOnly bool `json:"share_host_only"`
}

// DefaultSettings are the settings of a meeting created without any.
func DefaultSettings() Settings {
	return Settings{AllowSelfUnmute: true}
}

// Meeting is one entry of the directory. Its JSON form is the Meeting object of
// docs/api.md; the REST layer must strip Password, HardwarePassword and HostKey
// from views for callers who are neither operator nor host.
type Meeting struct {
	ID               string     `json:"id"`
	Topic            string     `json:"topic"`
	Password         string     `json:"password"`
	HardwarePassword string     `json:"hardware_password"`
	HostKey          string     `json:"host_key"`
	Personal         bool       `json:"personal"`
	StartTime        *time.Time `json:"start_time"`
	DurationMinutes  int        `json:"duration_minutes"`
	Settings         Settings   `json:"settings"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// HasPassword reports whether joining needs a password.
func (m Meeting) HasPassword() bool { return m.Password != "" }

// CreateParams are the inputs of [Store.Create]; every field is optional.
type CreateParams struct {
	Topic string
	// Password is the meeting password; "" for none. When set, a hardware
	// password is generated.
	Password string
	// PersonalID requests a fixed meeting ID (9–11 digits, no leading zero)
	// instead of a random one; ErrConflict when taken.
	PersonalID      string
	StartTime       *time.Time
	DurationMinutes int
	// Settings nil means DefaultSettings.
	Settings *Settings
}

// ValidatePassword checks a meeting password: "" (no password) or 1–32
// printable characters (unicode.IsPrint: letters, marks, numbers, punctuation,
// symbols and the ASCII space; no control characters, no invalid UTF-8).
func ValidatePassword(p string) error {
	if p == "" {
		return nil
	}
	if !utf8.ValidString(p) {
		return fmt.Errorf("password: not valid UTF-8: %w", ErrInvalid)
	}
	if n := utf8.RuneCountInString(p); n > MaxPasswordLen {
		return fmt.Errorf("password: %d characters, at most %d allowed: %w", n, MaxPasswordLen, ErrInvalid)
	}
	for i, r := range p {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("password: unprintable character %U at byte %d: %w", r, i, ErrInvalid)
		}
	}
	return nil
}

// ValidateID checks a meeting ID: 9–11 ASCII digits without a leading zero.
func ValidateID(id string) error {
	if len(id) < MinIDDigits || len(id) > MaxIDDigits {
		return fmt.Errorf("meeting id %q: want %d–%d digits: %w", id, MinIDDigits, MaxIDDigits, ErrInvalid)
	}
	if id[0] == '0' {
		return fmt.Errorf("meeting id %q: leading zero: %w", id, ErrInvalid)
	}
	if !isDigits(id) {
		return fmt.Errorf("meeting id %q: only digits allowed: %w", id, ErrInvalid)
	}
	return nil
}

func validateTopic(t string) error {
	if !utf8.ValidString(t) {
		return fmt.Errorf("topic: not valid UTF-8: %w", ErrInvalid)
	}
	if n := utf8.RuneCountInString(t); n > MaxTopicLen {
		return fmt.Errorf("topic: %d characters, at most %d allowed: %w", n, MaxTopicLen, ErrInvalid)
	}
	for _, r := range t {
		if unicode.IsControl(r) {
			return fmt.Errorf("topic: control character %U: %w", r, ErrInvalid)
		}
	}
	return nil
}

func validateDuration(d int) error {
	if d < 0 || d > MaxDurationMinutes {
		return fmt.Errorf("duration_minutes %d: want 0–%d: %w", d, MaxDurationMinutes, ErrInvalid)
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
