package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roomgate/roomgate/rooms/directory"
)

// CDRRetention bounds the call detail records kept in the directory: records older
// than MaxAge go, and past MaxRows the oldest go (zero fields take the defaults).
type CDRRetention struct {
	MaxAge  time.Duration
	MaxRows int
}

// Defaults of CDRRetention.
const (
	DefaultCDRMaxAge  = 90 * 24 * time.Hour
	DefaultCDRMaxRows = 100_000
)

func (r CDRRetention) withDefaults() CDRRetention {
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultCDRMaxAge
	}
	if r.MaxRows <= 0 {
		r.MaxRows = DefaultCDRMaxRows
	}
	return r
}

// cdrPruneEvery is how often the supervisor applies the retention.
const cdrPruneEvery = time.Hour

// RecordCall writes the call detail record of an ended or refused room-system call
// (the gateway's call registry calls it once per call). A failed write is logged:
// the call is over either way.
func (s *Server) RecordCall(c EndedCall) {
	rec := directory.CDR{CallID: c.ID, MeetingID: c.MeetingID, Protocol: c.Protocol, Direction: c.Direction,
		DisplayName: c.DisplayName, Address: c.Address, Vendor: c.Vendor, Product: c.Product, State: string(c.State),
		EndReason: c.Reason, Cause: c.Status, Codecs: c.Codecs, StartedAt: c.StartedAt, AnsweredAt: c.AnsweredAt}
	if c.EndedAt != nil {
		rec.EndedAt = *c.EndedAt
	} else {
		rec.EndedAt = s.now()
	}
	if c.Network != nil {
		rec.RXPackets, rec.RXLost = c.Network.RX.Packets, c.Network.RX.Lost
		rec.TXPackets, rec.TXLost = c.Network.TX.Packets, c.Network.TX.Lost
	}
	ctx, cancel := context.WithTimeout(s.bgCtx, 5*time.Second)
	defer cancel()
	if err := s.Store.SaveCDR(ctx, rec); err != nil {
		s.log.Error("call detail record not written", "call_id", c.ID, "err", err)
	}
}

// pruneCDRs applies the retention.
func (s *Server) pruneCDRs(ctx context.Context) {
	r := s.CDRRetention.withDefaults()
	n, err := s.Store.PruneCDRs(ctx, s.now().Add(-r.MaxAge), r.MaxRows)
	switch {
	case err != nil:
		s.log.Warn("call detail records not pruned", "err", err)
	case n > 0:
		s.log.Info("call detail records pruned", "count", n)
	}
}

// handleCDRs is GET /api/v1/cdrs (operator): the call detail records, newest first,
// as JSON or (?format=csv) CSV; since/until (RFC 3339) bound the end time, meeting_id
// picks one meeting, limit bounds the count.
func (s *Server) handleCDRs(w http.ResponseWriter, r *http.Request) {
	if !s.identify(r, nil).Operator {
		s.writeError(w, r, errUnauthorized)
		return
	}
	qv := r.URL.Query()
	var q directory.CDRQuery
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if v := qv.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.writeError(w, r, errorf(http.StatusBadRequest, "bad_request", "%s: want an RFC 3339 time", p.name))
				return
			}
			*p.dst = t
		}
	}
	q.MeetingID = qv.Get("meeting_id")
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > directory.MaxCDRLimit {
			s.writeError(w, r, errorf(http.StatusBadRequest, "bad_request", "limit: want 1 to %d", directory.MaxCDRLimit))
			return
		}
		q.Limit = n
	}
	format := qv.Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.writeError(w, r, errorf(http.StatusBadRequest, "bad_request", "format: json or csv"))
		return
	}
	cdrs, err := s.Store.CDRs(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="roomgate-cdrs.csv"`)
		_ = WriteCDRsCSV(w, cdrs)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cdrs": cdrs})
}

// cdrColumns are the CSV header, in the order WriteCDRsCSV writes the fields.
var cdrColumns = []string{"call_id", "meeting_id", "protocol", "direction", "display_name", "address", "vendor",
	"product", "state", "end_reason", "cause", "codecs", "started_at", "answered_at", "ended_at", "rx_packets",
	"rx_lost", "tx_packets", "tx_lost"}

// WriteCDRsCSV writes records as RFC 4180 CSV with a header line. Text that a
// spreadsheet would run as a formula (starting with = + - @, tab or CR: names and
// reasons come from room systems) is prefixed with a quote.
func WriteCDRsCSV(w interface{ Write([]byte) (int, error) }, cdrs []directory.CDR) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cdrColumns); err != nil {
		return err
	}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	for _, c := range cdrs {
		answered := ""
		if c.AnsweredAt != nil {
			answered = ts(*c.AnsweredAt)
		}
		t := csvText
		row := []string{t(c.CallID), t(c.MeetingID), t(c.Protocol), t(c.Direction), t(c.DisplayName), t(c.Address),
			t(c.Vendor), t(c.Product), t(c.State), t(c.EndReason), strconv.Itoa(c.Cause), t(strings.Join(c.Codecs, " ")),
			ts(c.StartedAt), answered, ts(c.EndedAt), strconv.FormatUint(c.RXPackets, 10), strconv.FormatInt(c.RXLost, 10),
			strconv.FormatUint(c.TXPackets, 10), strconv.FormatInt(c.TXLost, 10)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText defuses spreadsheet formulas (OWASP "CSV injection").
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// handleActiveCalls is GET /api/v1/calls (operator): the live room-system calls with
// their network diagnostics (the live-calls page).
func (s *Server) handleActiveCalls(w http.ResponseWriter, r *http.Request) {
	if !s.identify(r, nil).Operator {
		s.writeError(w, r, errUnauthorized)
		return
	}
	calls := []ActiveCall{}
	if l, ok := s.Calls.(CallLister); ok {
		calls = append(calls, l.ActiveCalls()...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}

// liveCounts are the meetings with participants and their participants.
type liveCounts struct{ meetings, participants int }

// LiveCounts is how many meetings have participants and how many participants they
// have, as the supervisor last saw them (every couple of seconds).
func (s *Server) LiveCounts() (meetings, participants int) {
	if c := s.counts.Load(); c != nil {
		return c.meetings, c.participants
	}
	return 0, 0
}
