package directory

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock advances one second per reading, from a fixed start.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 27, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// testLogger writes debug logs to the test's output; benchmarks discard them.
func testLogger(t testing.TB) *slog.Logger {
	if _, ok := t.(*testing.B); ok {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// openTest opens a store in a fresh directory with a fake clock.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "directory.db")
	s, err := Open(t.Context(), path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	s.now = newFakeClock().Now
	t.Cleanup(func() { s.Close() })
	return s, path
}

func ptr[T any](v T) *T { return &v }

// idDraw encodes a ten-digit ID as the 5 bytes NewMeetingID reads for it
// (9·10^9 values need 34 bits).
func idDraw(id uint64) []byte { return draw(id-1_000_000_000, 5) }

func TestCRUD(t *testing.T) {
	s, _ := openTest(t)
	ctx := t.Context()

	start := time.Date(2026, 12, 1, 15, 30, 0, 0, time.FixedZone("EST", -5*3600))
	m, err := s.Create(ctx, CreateParams{Topic: "Weekly", Password: "s3cret", StartTime: &start, DurationMinutes: 45})
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateID(m.ID); err != nil || len(m.ID) != DefaultIDDigits {
		t.Fatalf("id %q: %v", m.ID, err)
	}
	if m.Topic != "Weekly" || m.Password != "s3cret" || m.DurationMinutes != 45 || m.Personal {
		t.Fatalf("created %+v", m)
	}
	if m.StartTime == nil || !m.StartTime.Equal(start) || m.StartTime.Location() != time.UTC {
		t.Fatalf("start time %v, want %v in UTC", m.StartTime, start)
	}
	if m.CreatedAt.Location() != time.UTC || !m.CreatedAt.Equal(m.UpdatedAt) || m.CreatedAt.IsZero() {
		t.Fatalf("timestamps %v %v", m.CreatedAt, m.UpdatedAt)
	}

	got, err := s.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("Get = %+v\nCreate = %+v", got, m)
	}

	m2, err := s.Create(ctx, CreateParams{Topic: "Second"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(list, []Meeting{m, m2}) {
		t.Fatalf("List = %+v", list)
	}

	up, err := s.Update(ctx, m.ID, func(x *Meeting) error {
		x.Topic = "Renamed"
		x.Settings.Locked = true
		x.StartTime = nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Topic != "Renamed" || !up.Settings.Locked || up.StartTime != nil || !up.UpdatedAt.After(m.UpdatedAt) || !up.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("updated %+v", up)
	}
	if got, _ := s.Get(ctx, m.ID); !reflect.DeepEqual(got, up) {
		t.Fatalf("Get after Update = %+v, want %+v", got, up)
	}

	if err := s.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, m.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted: %v", err)
	}
	if err := s.Delete(ctx, m.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	if _, err := s.Update(ctx, m.ID, func(*Meeting) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update deleted: %v", err)
	}
	if _, err := s.RegenerateHardwarePassword(ctx, m.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Regenerate deleted: %v", err)
	}
	if list, _ := s.List(ctx); len(list) != 1 || list[0].ID != m2.ID {
		t.Fatalf("List after delete = %+v", list)
	}
}

func TestListEmptyIsNotNil(t *testing.T) {
	s, _ := openTest(t)
	list, err := s.List(t.Context())
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List = %#v, %v", list, err)
	}
}

func TestPersistenceAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "directory.db") // parents created
	ctx := t.Context()
	s, err := Open(ctx, path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var want []Meeting
	for i, p := range []CreateParams{
		{Topic: "plain"},
		{Topic: "with password", Password: "pässwörd", StartTime: ptr(time.Now()), DurationMinutes: 30},
		{Topic: "personal", PersonalID: "98765432101", Settings: &Settings{Locked: true, WaitingRoom: true, MuteOnEntry: true, ShareHostOnly: true}},
	} {
		m, err := s.Create(ctx, p)
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		want = append(want, m)
	}
	if want[0], err = s.Update(ctx, want[0].ID, func(m *Meeting) error { m.Password = "later"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode %v, %v; want 0600", fi.Mode(), err)
	}

	s, err = Open(ctx, path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sortByID := func(ms []Meeting) { sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID }) }
	sortByID(got)
	sortByID(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", got, want)
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"path is a directory", dir},
		{"not a database", writeFile(t, filepath.Join(dir, "junk.db"), strings.Repeat("not sqlite ", 100))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Open(t.Context(), tc.path, nil); err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20d.db")
	s, err := Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Create(t.Context(), CreateParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
}

func TestConcurrentCreates(t *testing.T) {
	s, _ := openTest(t)
	ctx := t.Context()
	const workers, each = 8, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  = map[string]bool{}
		errs = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for i := range each {
				m, err := s.Create(ctx, CreateParams{Topic: "concurrent", Password: "pw"})
				if err != nil {
					errs <- err
					return
				}
				// Readers run alongside the writers.
				if _, err := s.Get(ctx, m.ID); err != nil {
					errs <- err
					return
				}
				if i%5 == 0 {
					if _, err := s.Update(ctx, m.ID, func(m *Meeting) error { m.Topic = "touched"; return nil }); err != nil {
						errs <- err
						return
					}
				}
				mu.Lock()
				if ids[m.ID] {
					errs <- errors.New("duplicate id " + m.ID)
				}
				ids[m.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != workers*each || len(ids) != workers*each {
		t.Fatalf("%d meetings listed, %d ids seen, want %d", len(list), len(ids), workers*each)
	}
}

// The JSON form matches the Meeting object of docs/api.md key for key.
func TestMeetingJSON(t *testing.T) {
	m := Meeting{ID: "123456789", Settings: DefaultSettings(), CreatedAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	want := []string{"created_at", "duration_minutes", "hardware_password", "host_key", "id", "password",
		"personal", "settings", "start_time", "topic", "updated_at"}
	if got := keys(obj); !slices.Equal(got, want) {
		t.Fatalf("meeting keys %v, want %v", got, want)
	}
	if string(obj["start_time"]) != "null" || string(obj["created_at"]) != `"2026-11-27T09:00:00Z"` {
		t.Fatalf("start_time %s created_at %s", obj["start_time"], obj["created_at"])
	}
	var settings map[string]json.RawMessage
	if err := json.Unmarshal(obj["settings"], &settings); err != nil {
		t.Fatal(err)
	}
	wantSettings := []string{"allow_self_unmute", "locked", "mute_on_entry", "share_host_only", "waiting_room"}
	if got := keys(settings); !slices.Equal(got, wantSettings) {
		t.Fatalf("settings keys %v, want %v", got, wantSettings)
	}
	var back Meeting
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip %+v, %v", back, err)
	}
}

func BenchmarkCreate(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Create(ctx, CreateParams{Topic: "bench", Password: "s3cret"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	m, err := s.Create(ctx, CreateParams{Topic: "bench", Password: "s3cret"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, m.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// Two stores on one file stand for two processes: SQLite's locking and the
// busy timeout must serialise their writes without errors.
func TestTwoStoresShareFile(t *testing.T) {
	s1, path := openTest(t)
	s2, err := Open(t.Context(), path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	const each = 30
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, s := range []*Store{s1, s2} {
		wg.Go(func() {
			for range each {
				m, err := s.Create(t.Context(), CreateParams{Password: "pw"})
				if err == nil {
					_, err = s.Update(t.Context(), m.ID, func(m *Meeting) error { m.Topic = "x"; return nil })
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, s := range []*Store{s1, s2} {
		if list, err := s.List(t.Context()); err != nil || len(list) != 2*each {
			t.Fatalf("store %d lists %d meetings, %v; want %d", i+1, len(list), err, 2*each)
		}
	}
}
