package directory

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// CDR is the call detail record of one room-system call: who called (or was called),
// into which meeting, over what, from when to when, how it ended and what media it
// carried. The JSON names are those of GET /api/v1/cdrs (docs/api.md).
type CDR struct {
	CallID      string     `json:"call_id"`
	MeetingID   string     `json:"meeting_id"`
	Protocol    string     `json:"protocol"`  // sip | h323
	Direction   string     `json:"direction"` // in | out
	DisplayName string     `json:"display_name"`
	Address     string     `json:"address"` // source address (dial-in) or dialled address (dial-out)
	Vendor      string     `json:"vendor"`
	Product     string     `json:"product"`
	State       string     `json:"state"` // final call state: ended, declined, failed, busy, no_answer
	EndReason   string     `json:"end_reason"`
	Cause       int        `json:"cause"` // final SIP status or Q.931 cause (0: none)
	Codecs      []string   `json:"codecs"`
	StartedAt   time.Time  `json:"started_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
	EndedAt     time.Time  `json:"ended_at"`
	RXPackets   uint64     `json:"rx_packets"` // media packets received from the room system
	RXLost      int64      `json:"rx_lost"`
	TXPackets   uint64     `json:"tx_packets"` // media packets sent to it
	TXLost      int64      `json:"tx_lost"`
}

// CDRQuery selects records: ended in [Since, Until) (zero: unbounded), of one meeting
// (""; any), newest first, at most Limit (0 or more than MaxCDRLimit: MaxCDRLimit).
type CDRQuery struct {
	Since, Until time.Time
	MeetingID    string
	Limit        int
}

// MaxCDRLimit bounds one CDR query.
const MaxCDRLimit = 10_000

// maxCDRText bounds each text field of a record: names and reasons come from room
// systems and may be anything.
const maxCDRText = 256

// SaveCDR stores c (replacing a record with the same call ID).
func (s *Store) SaveCDR(ctx context.Context, c CDR) error {
	if c.CallID == "" {
		return fmt.Errorf("save call record: empty call ID: %w", ErrInvalid)
	}
	var answered any
	if c.AnsweredAt != nil {
		answered = formatTime(*c.AnsweredAt)
	}
	t := func(v string) string { return clip(v, maxCDRText) }
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO cdrs (call_id, meeting_id, protocol, direction,
		display_name, address, vendor, product, state, end_reason, cause, codecs, started_at, answered_at,
		ended_at, rx_packets, rx_lost, tx_packets, tx_lost) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		t(c.CallID), t(c.MeetingID), t(c.Protocol), t(c.Direction), t(c.DisplayName), t(c.Address), t(c.Vendor),
		t(c.Product), t(c.State), t(c.EndReason), c.Cause, t(strings.Join(c.Codecs, ",")), formatTime(c.StartedAt),
		answered, formatTime(c.EndedAt), int64(min(c.RXPackets, 1<<62)), c.RXLost, int64(min(c.TXPackets, 1<<62)), c.TXLost)
	if err != nil {
		return fmt.Errorf("save call record %s: %w", c.CallID, err)
	}
	return nil
}

// CDRs returns the records q selects, newest first.
func (s *Store) CDRs(ctx context.Context, q CDRQuery) ([]CDR, error) {
	where, args := []string{"1"}, []any{}
	if !q.Since.IsZero() {
		where, args = append(where, "ended_at >= ?"), append(args, formatTime(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "ended_at < ?"), append(args, formatTime(q.Until))
	}
	if q.MeetingID != "" {
		where, args = append(where, "meeting_id = ?"), append(args, q.MeetingID)
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxCDRLimit {
		limit = MaxCDRLimit
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT call_id, meeting_id, protocol, direction, display_name, address,
		vendor, product, state, end_reason, cause, codecs, started_at, answered_at, ended_at, rx_packets, rx_lost,
		tx_packets, tx_lost FROM cdrs WHERE `+strings.Join(where, " AND ")+` ORDER BY ended_at DESC, call_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list call records: %w", err)
	}
	defer rows.Close()
	out := []CDR{}
	for rows.Next() {
		c, err := scanCDR(rows)
		if err != nil {
			return nil, fmt.Errorf("list call records: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanCDR(row interface{ Scan(...any) error }) (CDR, error) {
	var c CDR
	var codecs, started, ended string
	var answered sql.NullString
	var rxp, txp int64
	if err := row.Scan(&c.CallID, &c.MeetingID, &c.Protocol, &c.Direction, &c.DisplayName, &c.Address, &c.Vendor,
		&c.Product, &c.State, &c.EndReason, &c.Cause, &codecs, &started, &answered, &ended, &rxp, &c.RXLost,
		&txp, &c.TXLost); err != nil {
		return CDR{}, err
	}
	c.RXPackets, c.TXPackets = uint64(max(rxp, 0)), uint64(max(txp, 0))
	c.Codecs = []string{}
	if codecs != "" {
		c.Codecs = strings.Split(codecs, ",")
	}
	var err error
	if c.StartedAt, err = parseTime(started); err != nil {
		return CDR{}, err
	}
	if c.EndedAt, err = parseTime(ended); err != nil {
		return CDR{}, err
	}
	if answered.Valid {
		a, err := parseTime(answered.String)
		if err != nil {
			return CDR{}, err
		}
		c.AnsweredAt = &a
	}
	return c, nil
}

// PruneCDRs deletes the records that ended before cut and, past maxRows (0: no row
// bound), the oldest others; it returns how many it deleted.
func (s *Store) PruneCDRs(ctx context.Context, cut time.Time, maxRows int) (int64, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, `DELETE FROM cdrs WHERE ended_at < ?`, formatTime(cut))
	if err != nil {
		return 0, fmt.Errorf("prune call records: %w", err)
	}
	n, _ := res.RowsAffected()
	if maxRows <= 0 {
		return n, nil
	}
	res, err = s.db.ExecContext(ctx, `DELETE FROM cdrs WHERE call_id IN (SELECT call_id FROM cdrs
		ORDER BY ended_at DESC, call_id LIMIT -1 OFFSET ?)`, maxRows)
	if err != nil {
		return n, fmt.Errorf("prune call records: %w", err)
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
