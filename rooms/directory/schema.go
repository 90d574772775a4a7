package directory

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
)

// SchemaVersion is the user_version of a database this package has migrated:
// the number of steps migrations returns.
const SchemaVersion = 5

// migrations returns the schema steps in order; step i takes a database from
// user_version i to i+1. Append only (and bump SchemaVersion): never edit a step
// that has shipped, since files in the field already ran it.
func migrations() []string {
	return []string{
		// 1: the first schema. Timestamps are UTC text in timeLayout so that text
		// order is time order.
		`CREATE TABLE meetings (
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
	) STRICT`,
		// 2: per-meeting settings. Self-unmute defaults to allowed, matching
		// DefaultSettings for meetings that predate the columns.
		`ALTER TABLE meetings ADD COLUMN locked            INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE meetings ADD COLUMN waiting_room      INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE meetings ADD COLUMN mute_on_entry     INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE meetings ADD COLUMN allow_self_unmute INTEGER NOT NULL DEFAULT 1;
	 ALTER TABLE meetings ADD COLUMN share_host_only   INTEGER NOT NULL DEFAULT 0;`,
		// 3: List orders by creation time.
		`CREATE INDEX meetings_created_at ON meetings (created_at, id)`,
		// 4: the ban list of password guessers (rooms/policy.Guard), kept across
		// restarts. source is the address as counted (IPv6 truncated to its prefix).
		`CREATE TABLE bans (
		source     TEXT PRIMARY KEY NOT NULL,
		until      TEXT NOT NULL,
		count      INTEGER NOT NULL,
		created_at TEXT NOT NULL
	) STRICT`,
		// 5: call detail records, one per room-system call (cdrs.go). codecs is a
		// comma-separated list; retention prunes by ended_at.
		`CREATE TABLE cdrs (
		call_id      TEXT PRIMARY KEY NOT NULL,
		meeting_id   TEXT NOT NULL DEFAULT '',
		protocol     TEXT NOT NULL,
		direction    TEXT NOT NULL,
		display_name TEXT NOT NULL DEFAULT '',
		address      TEXT NOT NULL DEFAULT '',
		vendor       TEXT NOT NULL DEFAULT '',
		product      TEXT NOT NULL DEFAULT '',
		state        TEXT NOT NULL,
		end_reason   TEXT NOT NULL DEFAULT '',
		cause        INTEGER NOT NULL DEFAULT 0,
		codecs       TEXT NOT NULL DEFAULT '',
		started_at   TEXT NOT NULL,
		answered_at  TEXT,
		ended_at     TEXT NOT NULL,
		rx_packets   INTEGER NOT NULL DEFAULT 0,
		rx_lost      INTEGER NOT NULL DEFAULT 0,
		tx_packets   INTEGER NOT NULL DEFAULT 0,
		tx_lost      INTEGER NOT NULL DEFAULT 0
	) STRICT;
	CREATE INDEX cdrs_ended_at ON cdrs (ended_at, call_id);
	CREATE INDEX cdrs_meeting ON cdrs (meeting_id, ended_at);`,
	}
}

// migrate brings the database up to SchemaVersion in one immediate
// transaction, so a crash mid-upgrade leaves the file at its old version and
// two processes opening the same file do not both run a step.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("migrate: read user_version: %w", err)
	}
	if version > SchemaVersion {
		return fmt.Errorf("migrate: database schema version %d is newer than this build (%d): %w",
			version, SchemaVersion, ErrInvalid)
	}
	if version == SchemaVersion {
		return nil
	}
	steps := migrations()
	if len(steps) != SchemaVersion {
		return fmt.Errorf("migrate: %d steps for schema version %d", len(steps), SchemaVersion)
	}
	for v := version; v < SchemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
			return fmt.Errorf("migrate: step %d→%d: %w", v, v+1, err)
		}
	}
	// PRAGMA takes no bound parameters; SchemaVersion is a constant.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion)); err != nil {
		return fmt.Errorf("migrate: set user_version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	log.Info("meeting directory schema migrated", "from", version, "to", SchemaVersion)
	return nil
}
