package api

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/rooms/directory"
)

// An ended call's record goes into the directory and comes back through
// GET /api/v1/cdrs as JSON and CSV, for the operator only, filtered by meeting.
func TestCDRsRecordedAndListed(t *testing.T) {
	f := newFixture(t, Options{})
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	answered, ended := start.Add(2*time.Second), start.Add(time.Minute)
	f.s.RecordCall(EndedCall{CallInfo: CallInfo{ID: "c-in", MeetingID: "123456789", Direction: "in", Protocol: "sip",
		Address: "127.0.0.2:5060", DisplayName: "=HYPERLINK(\"http://x\")", State: CallEnded, Status: 200,
		Reason: "BYE, from \"the\" room", Vendor: "Polycom", Codecs: []string{"PCMU", "H264"}, StartedAt: start,
		AnsweredAt: &answered, EndedAt: &ended},
		Network: &Network{RX: Traffic{Packets: 1200, Lost: 4}, TX: Traffic{Packets: 1100}}})
	refusedAt := ended.Add(time.Second)
	f.s.RecordCall(EndedCall{CallInfo: CallInfo{ID: "c-refused", MeetingID: "555555555", Direction: "in", Protocol: "h323",
		State: CallDeclined, Reason: "meeting not found", StartedAt: refusedAt, EndedAt: &refusedAt}, Refusal: "meeting not found"})

	if code, _, _ := f.do("127.0.0.9", "GET", "/api/v1/cdrs", "", nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous GET /cdrs: %d, want 401", code)
	}
	code, body, _ := f.do("127.0.0.9", "GET", "/api/v1/cdrs", testOperator, nil)
	list, _ := body["cdrs"].([]any)
	if code != http.StatusOK || len(list) != 2 {
		t.Fatalf("GET /cdrs: %d %v", code, body)
	}
	first, second := list[0].(map[string]any), list[1].(map[string]any)
	if first["call_id"] != "c-refused" || first["end_reason"] != "meeting not found" || first["state"] != "declined" {
		t.Errorf("newest record = %v", first)
	}
	for k, want := range map[string]any{"call_id": "c-in", "meeting_id": "123456789", "protocol": "sip", "direction": "in",
		"started_at": "2026-12-07T08:00:00Z", "ended_at": "2026-12-07T08:01:00Z", "end_reason": "BYE, from \"the\" room",
		"cause": 200.0, "vendor": "Polycom", "rx_packets": 1200.0, "rx_lost": 4.0, "tx_packets": 1100.0} {
		if second[k] != want {
			t.Errorf("record %s = %v, want %v", k, second[k], want)
		}
	}
	code, body, _ = f.do("127.0.0.9", "GET", "/api/v1/cdrs?meeting_id=123456789&limit=5", testOperator, nil)
	if list, _ := body["cdrs"].([]any); code != http.StatusOK || len(list) != 1 {
		t.Errorf("filtered by meeting: %d %v", code, body)
	}
	for _, q := range []string{"limit=0", "limit=x", "since=yesterday", "format=xml"} {
		if code, _, _ := f.do("127.0.0.9", "GET", "/api/v1/cdrs?"+q, testOperator, nil); code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", q, code)
		}
	}

	req := httptest.NewRequest("GET", "/api/v1/cdrs?format=csv&since=2026-12-07T08:00:30Z&until=2026-12-07T08:01:00.5Z", nil)
	req.RemoteAddr = "127.0.0.9:40000"
	req.Header.Set("Authorization", "Bearer "+testOperator)
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("CSV: %d %s", rec.Code, ct)
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, rec.Body.String())
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(cdrColumns, ",") {
		t.Fatalf("CSV rows = %q", rows)
	}
	got := map[string]string{}
	for i, c := range cdrColumns {
		got[c] = rows[1][i]
	}
	for k, want := range map[string]string{"call_id": "c-in", "display_name": "'=HYPERLINK(\"http://x\")",
		"end_reason": "BYE, from \"the\" room", "codecs": "PCMU H264", "answered_at": "2026-12-07T08:00:02Z", "rx_lost": "4"} {
		if got[k] != want {
			t.Errorf("CSV %s = %q, want %q", k, got[k], want)
		}
	}
}

// Text a spreadsheet would run is defused; other text is left alone.
func TestCSVTextDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+44 20": "'+44 20", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "Board room": "Board room", "": "", "a=b": "a=b"} {
		if got := csvText(in); got != want {
			t.Errorf("csvText(%q) = %q, want %q", in, got, want)
		}
	}
}

// Retention applies the configured bounds when the server runs.
func TestCDRRetentionPrunes(t *testing.T) {
	f := newFixture(t, Options{CDRRetention: CDRRetention{MaxAge: 24 * time.Hour, MaxRows: 100}})
	now := f.clk.now()
	for i, ended := range []time.Time{now.Add(-48 * time.Hour), now.Add(-time.Hour)} {
		e := ended
		f.s.RecordCall(EndedCall{CallInfo: CallInfo{ID: []string{"c-old", "c-new"}[i], Protocol: "sip", Direction: "out",
			State: CallFailed, StartedAt: e, EndedAt: &e}})
	}
	f.s.pruneCDRs(t.Context())
	got, err := f.store.CDRs(t.Context(), directory.CDRQuery{})
	if err != nil || len(got) != 1 || got[0].CallID != "c-new" {
		t.Fatalf("after retention: %+v, %v", got, err)
	}
}
