package directory

import (
	"database/sql"
	"fmt"
	"time"
)

// meetingColumns is the column order shared by meetingArgs and scanMeeting.
const meetingColumns = `id, topic, password, hardware_password, host_key, personal,
	start_time, duration_minutes, locked, waiting_room, mute_on_entry,
	allow_self_unmute, share_host_only, created_at, updated_at`

// meetingArgs returns m's column values in meetingColumns order.
func meetingArgs(m Meeting) []any {
	var start any // NULL
	if m.StartTime != nil {
		start = formatTime(*m.StartTime)
	}
	return []any{
		m.ID, m.Topic, m.Password, m.HardwarePassword, m.HostKey, boolInt(m.Personal),
		start, m.DurationMinutes, boolInt(m.Settings.Locked), boolInt(m.Settings.WaitingRoom),
		boolInt(m.Settings.MuteOnEntry), boolInt(m.Settings.AllowSelfUnmute),
		boolInt(m.Settings.ShareHostOnly), formatTime(m.CreatedAt), formatTime(m.UpdatedAt),
	}
}

// scanMeeting reads one row selected with meetingColumns.
func scanMeeting(row interface{ Scan(...any) error }) (Meeting, error) {
	var (
		m                Meeting
		start            sql.NullString
		created, updated string
	)
	err := row.Scan(&m.ID, &m.Topic, &m.Password, &m.HardwarePassword, &m.HostKey, &m.Personal,
		&start, &m.DurationMinutes, &m.Settings.Locked, &m.Settings.WaitingRoom,
		&m.Settings.MuteOnEntry, &m.Settings.AllowSelfUnmute, &m.Settings.ShareHostOnly,
		&created, &updated)
	if err != nil {
		return Meeting{}, err
	}
	if start.Valid {
		t, err := parseTime(start.String)
		if err != nil {
			return Meeting{}, fmt.Errorf("meeting %s: start_time: %w", m.ID, err)
		}
		m.StartTime = &t
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return Meeting{}, fmt.Errorf("meeting %s: created_at: %w", m.ID, err)
	}
	if m.UpdatedAt, err = parseTime(updated); err != nil {
		return Meeting{}, fmt.Errorf("meeting %s: updated_at: %w", m.ID, err)
	}
	return m, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime accepts any RFC 3339 time (older rows or hand edits may lack the
// fixed width) and returns it in UTC at the store's resolution.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC().Truncate(timeResolution), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
