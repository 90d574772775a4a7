package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// v1Schema is the schema as it shipped at user_version 1, written out by hand
// (not taken from migrations) so the test keeps describing old files even if
// someone edits a shipped step by mistake.
const v1Schema = `
CREATE TABLE meetings (
	id                TEXT PRIMARY KEY NOT NULL,
	topic             TEXT NOT NULL DEFAULT '',
	password          TEXT NOT NULL DEFAULT '',
	hardware_password TEXT NOT NULL DEFAULT '',
	host_key          TEXT NOT NULL,
	personal          INTEGER NOT NULL DEFAULT 0,
	start_time        TEXT,
	duration_minutes  INTEGER NOT NULL DEFAULT 0,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
) STRICT;
INSERT INTO meetings VALUES
	('123456789', 'Board', 's3cret', '654321', 'hk-one', 0, '2026-12-01T15:30:00Z', 60,
	 '2026-01-02T03:04:05.000006Z', '2026-01-02T03:04:05.000006Z'),
	('98765432101', 'Personal room', '', '', 'hk-two', 1, NULL, 0,
	 '2026-02-03T04:05:06Z', '2026-03-04T05:06:07.5Z');
PRAGMA user_version = 1;`

// rawDB opens path with the driver directly, as an old build would have.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := rawDB(t, path)
	if _, err := old.Exec(v1Schema); err != nil {
		t.Fatal(err)
	}
	if v := userVersion(t, old); v != 1 {
		t.Fatalf("hand-made file at version %d", v)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	ctx := t.Context()
	s, err := Open(ctx, path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := userVersion(t, s.db); v != SchemaVersion {
		t.Fatalf("user_version %d after Open, want %d", v, SchemaVersion)
	}

	start := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC)
	want := []Meeting{
		{
			ID: "123456789", Topic: "Board", Password: "s3cret", HardwarePassword: "654321", HostKey: "hk-one",
			StartTime: &start, DurationMinutes: 60, Settings: DefaultSettings(),
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC),
		},
		{
			ID: "98765432101", Topic: "Personal room", HostKey: "hk-two", Personal: true, Settings: DefaultSettings(),
			CreatedAt: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 4, 5, 6, 7, 5e8, time.UTC),
		},
	}
	for _, w := range want {
		got, err := s.Get(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("migrated row\n got %+v\nwant %+v", got, w)
		}
	}

	// The upgraded file takes new rows and settings changes.
	up, err := s.Update(ctx, "123456789", func(m *Meeting) error { m.Settings.Locked = true; return nil })
	if err != nil || !up.Settings.Locked || !up.Settings.AllowSelfUnmute {
		t.Fatalf("update migrated row: %+v, %v", up, err)
	}
	if _, err := s.Create(ctx, CreateParams{PersonalID: "98765432101"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("personal ID of a migrated row reused: %v", err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 2 || list[0].ID != "123456789" {
		t.Fatalf("List = %+v, %v", list, err)
	}

	// Opening again runs nothing.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Get(ctx, "123456789"); err != nil || !got.Settings.Locked {
		t.Fatalf("after second open: %+v, %v", got, err)
	}
}

func TestMigrateRefusesNewerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	db := rawDB(t, path)
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE future (x); PRAGMA user_version = %d`, SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(t.Context(), path, testLogger(t))
	if !errors.Is(err, ErrInvalid) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a newer file: %v, want ErrInvalid", err)
	}
}

// A failing step leaves the file at its old version: the whole upgrade is one
// transaction.
func TestMigrateIsAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clash.db")
	db := rawDB(t, path)
	// Version 2 of the schema plus an index under the name step 3 creates.
	if _, err := db.Exec(v1Schema + `CREATE INDEX meetings_created_at ON meetings (id);`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(t.Context(), path, testLogger(t)); err == nil {
		s.Close()
		t.Fatal("Open succeeded despite a failing migration step")
	}
	db = rawDB(t, path)
	defer db.Close()
	if v := userVersion(t, db); v != 1 {
		t.Fatalf("user_version %d after a failed upgrade, want 1", v)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info('meetings') WHERE name = 'locked'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("step 2 left behind: %d columns, %v", n, err)
	}
}

func TestMigrationsMatchSchemaVersion(t *testing.T) {
	if n := len(migrations()); n != SchemaVersion {
		t.Fatalf("%d migration steps, SchemaVersion %d", n, SchemaVersion)
	}
	// Each prefix of the steps applies on its own, as it does in the field.
	for v := 1; v <= SchemaVersion; v++ {
		db := rawDB(t, filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", v)))
		for i, step := range migrations()[:v] {
			if _, err := db.ExecContext(context.Background(), step); err != nil {
				t.Fatalf("step %d: %v", i+1, err)
			}
		}
		db.Close()
	}
}
