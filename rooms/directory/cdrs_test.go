package directory

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleCDR(id string, ended time.Time) CDR {
	answered := ended.Add(-time.Minute)
	return CDR{CallID: id, MeetingID: "123456789", Protocol: "sip", Direction: "in", DisplayName: "Board room",
		Address: "127.0.0.2:5060", Vendor: "Polycom", Product: "HDX 8000", State: "ended", EndReason: "BYE from the room system",
		Cause: 200, Codecs: []string{"PCMU", "H264"}, StartedAt: ended.Add(-2 * time.Minute), AnsweredAt: &answered,
		EndedAt: ended, RXPackets: 1500, RXLost: 3, TXPackets: 1490, TXLost: 0}
}

// A record comes back as written, also after the store is reopened (a restart).
func TestCDRRoundTripSurvivesReopen(t *testing.T) {
	s, path := openTest(t)
	ended := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	want := sampleCDR("c-1", ended)
	refused := CDR{CallID: "c-2", Protocol: "h323", Direction: "in", State: "declined", EndReason: "meeting not found",
		StartedAt: ended.Add(time.Second), EndedAt: ended.Add(time.Second), Codecs: []string{}}
	for _, c := range []CDR{want, refused} {
		if err := s.SaveCDR(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s2, err := Open(t.Context(), path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.CDRs(t.Context(), CDRQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[1], want) || !reflect.DeepEqual(got[0], refused) {
		t.Fatalf("records after reopen (newest first) =\n%+v\nwant\n%+v\n%+v", got, refused, want)
	}
}

// Hostile text is clipped (without splitting a character), and an empty call ID is refused.
func TestCDRClipsTextAndRefusesEmptyID(t *testing.T) {
	s, _ := openTest(t)
	c := sampleCDR("c-long", time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC))
	c.DisplayName = "a" + strings.Repeat("会", 200) // 1 + 600 bytes
	if err := s.SaveCDR(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	got, err := s.CDRs(t.Context(), CDRQuery{})
	if err != nil || len(got) != 1 {
		t.Fatalf("CDRs = %v, %v", got, err)
	}
	if n := len(got[0].DisplayName); n > maxCDRText || n != 1+3*85 || !strings.HasPrefix(c.DisplayName, got[0].DisplayName) {
		t.Errorf("clipped name has %d bytes (want %d, a prefix of the original)", n, 1+3*85)
	}
	if err := s.SaveCDR(t.Context(), CDR{}); err == nil {
		t.Error("a record without call ID was stored")
	}
}

// Queries filter by end time and meeting and honour the limit; retention prunes by
// age and by row count, oldest first.
func TestCDRQueryAndRetention(t *testing.T) {
	s, _ := openTest(t)
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		c := sampleCDR(fmt.Sprintf("c-%02d", i), base.Add(time.Duration(i)*24*time.Hour))
		if i%2 == 1 {
			c.MeetingID = "987654321"
		}
		if err := s.SaveCDR(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(q CDRQuery) string {
		t.Helper()
		got, err := s.CDRs(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range got {
			out = append(out, c.CallID)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name string
		q    CDRQuery
		want string
	}{
		{"all", CDRQuery{}, "c-09 c-08 c-07 c-06 c-05 c-04 c-03 c-02 c-01 c-00"},
		{"since", CDRQuery{Since: base.Add(7 * 24 * time.Hour)}, "c-09 c-08 c-07"},
		{"until", CDRQuery{Until: base.Add(2 * 24 * time.Hour)}, "c-01 c-00"},
		{"meeting", CDRQuery{MeetingID: "987654321"}, "c-09 c-07 c-05 c-03 c-01"},
		{"limit", CDRQuery{Limit: 2}, "c-09 c-08"},
		{"window and meeting", CDRQuery{Since: base.Add(2 * 24 * time.Hour), Until: base.Add(6 * 24 * time.Hour), MeetingID: "123456789"}, "c-04 c-02"},
	} {
		if got := ids(tc.q); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	n, err := s.PruneCDRs(t.Context(), base.Add(3*24*time.Hour), 0)
	if err != nil || n != 3 {
		t.Fatalf("prune by age: %d, %v (want 3)", n, err)
	}
	if n, err = s.PruneCDRs(t.Context(), base, 4); err != nil || n != 3 {
		t.Fatalf("prune by rows: %d, %v (want 3)", n, err)
	}
	if got := ids(CDRQuery{}); got != "c-09 c-08 c-07 c-06" {
		t.Errorf("after retention: %s", got)
	}
}
