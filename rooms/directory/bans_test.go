package directory

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"
)

func TestBansSurviveReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bans.db")
	s, err := Open(ctx, path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	want := []Ban{
		{Source: netip.MustParseAddr("2001:db8::"), Until: now.Add(-2 * time.Hour), Count: 1}, // expired: pruned below
		{Source: netip.MustParseAddr("192.0.2.5"), Until: now.Add(time.Hour), Count: 1},
		{Source: netip.MustParseAddr("192.0.2.6"), Until: now.Add(time.Minute), Count: 3},
	}
	for _, b := range want {
		if err := s.SaveBan(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	want[2].Until, want[2].Count = now.Add(4*time.Hour), 4 // a repeat ban replaces the row
	if err := s.SaveBan(ctx, want[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Bans(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("bans after reopen = %+v, want the two unexpired", got)
	}
	for i, w := range want[1:] {
		if got[i].Source != w.Source || !got[i].Until.Equal(w.Until) || got[i].Count != w.Count {
			t.Errorf("ban %d = %+v, want %+v", i, got[i], w)
		}
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM bans`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows left = %d (%v), want the expired one pruned", n, err)
	}
}
