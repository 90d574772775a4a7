package directory

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

const (
	// busyTimeout is how long a connection waits for another process's write
	// lock before failing with SQLITE_BUSY.
	busyTimeout = 5 * time.Second
	// maxIDAttempts bounds the redraws after random ID collisions. With 9·10^9
	// ten-digit IDs, even a directory of a million meetings collides with
	// probability ~10^-4 per draw.
	maxIDAttempts = 16
	// timeLayout stores UTC timestamps as fixed-width text, so that text order
	// is time order.
	timeLayout = "2006-01-02T15:04:05.000000Z07:00"
	// timeResolution is what survives a round trip through the store.
	timeResolution = time.Microsecond
	// maxOpenConns bounds the connection pool (readers run in parallel under WAL).
	maxOpenConns = 8
)

// Store is the meeting directory backed by one SQLite file. It is safe for
// concurrent use; writes are serialised in-process (and across processes by
// SQLite's write lock, taken at BEGIN), reads run in parallel thanks to WAL.
type Store struct {
	db  *sql.DB
	log *slog.Logger

	// rand supplies every secret and ID; crypto/rand outside tests.
	rand io.Reader
	// now is the clock for created_at/updated_at.
	now func() time.Time
	// idDigits is the length of generated meeting IDs.
	idDigits int

	writeMu   sync.Mutex
	closeOnce sync.Once
	closeErr  error
}

// Open opens the directory at path, creating the file (mode 0600: it holds
// passwords and host keys) and its parent directory when missing, and upgrades
// its schema to SchemaVersion. A nil log discards log records.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if path == "" {
		return nil, fmt.Errorf("open meeting directory: empty path: %w", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open meeting directory %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("open meeting directory: %w", err)
	}
	// Create the file ourselves so that SQLite does not create it 0644; the
	// -wal and -shm files inherit the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open meeting directory: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open meeting directory: %w", err)
	}

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open meeting directory %s: %w", abs, err)
	}
	// A bounded pool: SQLite serialises writers anyway, and a flood of requests
	// must queue here rather than open a connection (and file descriptors) each.
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{
		db:       db,
		log:      log.With("component", "directory"),
		rand:     rand.Reader,
		now:      time.Now,
		idDigits: DefaultIDDigits,
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open meeting directory %s: %w", abs, err)
	}
	if err := migrate(ctx, db, s.log); err != nil {
		db.Close()
		return nil, fmt.Errorf("open meeting directory %s: %w", abs, err)
	}
	return s, nil
}

// dsn builds the driver's URI for an absolute path. Every pooled connection
// gets WAL, the busy timeout and BEGIN IMMEDIATE transactions (so a
// read-modify-write transaction takes the write lock up front instead of
// failing with SQLITE_BUSY when it upgrades).
func dsn(abs string) string {
	// SQLite URI filenames: %, ? and # must be percent-encoded in the path.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + esc.Replace(filepath.ToSlash(abs)) +
		fmt.Sprintf("?_txlock=immediate&_busy_timeout=%d&_journal_mode=WAL&_foreign_keys=1", busyTimeout.Milliseconds())
}

// Close closes the database. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// clock returns the current time as stored: UTC, microseconds, no monotonic reading.
func (s *Store) clock() time.Time {
	return s.now().UTC().Truncate(timeResolution)
}

// Create adds a meeting. It generates the ID (unless PersonalID is given), the
// host key and, when a password is set, the hardware password.
func (s *Store) Create(ctx context.Context, p CreateParams) (Meeting, error) {
	if err := validateTopic(p.Topic); err != nil {
		return Meeting{}, fmt.Errorf("create meeting: %w", err)
	}
	if err := ValidatePassword(p.Password); err != nil {
		return Meeting{}, fmt.Errorf("create meeting: %w", err)
	}
	if err := validateDuration(p.DurationMinutes); err != nil {
		return Meeting{}, fmt.Errorf("create meeting: %w", err)
	}
	if p.PersonalID != "" {
		if err := ValidateID(p.PersonalID); err != nil {
			return Meeting{}, fmt.Errorf("create meeting: personal %w", err)
		}
	}
	settings := DefaultSettings()
	if p.Settings != nil {
		settings = *p.Settings
	}
	hostKey, err := NewHostKey(s.rand)
	if err != nil {
		return Meeting{}, fmt.Errorf("create meeting: %w", err)
	}
	var hw string
	if p.Password != "" {
		if hw, err = NewHardwarePassword(s.rand, p.Password); err != nil {
			return Meeting{}, fmt.Errorf("create meeting: %w", err)
		}
	}
	now := s.clock()
	m := Meeting{
		Topic:            p.Topic,
		Password:         p.Password,
		HardwarePassword: hw,
		HostKey:          hostKey,
		StartTime:        storedTime(p.StartTime),
		DurationMinutes:  p.DurationMinutes,
		Settings:         settings,
		CreatedAt:        now,
		UpdatedAt:        now,
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if p.PersonalID != "" {
		m.ID, m.Personal = p.PersonalID, true
		ok, err := s.insert(ctx, m)
		if err != nil {
			return Meeting{}, fmt.Errorf("create meeting %s: %w", m.ID, err)
		}
		if !ok {
			return Meeting{}, fmt.Errorf("create meeting %s: personal id taken: %w", m.ID, ErrConflict)
		}
		s.log.Info("meeting created", "meeting", m.ID, "personal", true, "password", m.HasPassword())
		return m, nil
	}
	for attempt := 1; attempt <= maxIDAttempts; attempt++ {
		if m.ID, err = NewMeetingID(s.rand, s.idDigits); err != nil {
			return Meeting{}, fmt.Errorf("create meeting: %w", err)
		}
		ok, err := s.insert(ctx, m)
		if err != nil {
			return Meeting{}, fmt.Errorf("create meeting %s: %w", m.ID, err)
		}
		if ok {
			s.log.Info("meeting created", "meeting", m.ID, "personal", false, "password", m.HasPassword())
			return m, nil
		}
		s.log.Debug("meeting id taken, drawing again", "meeting", m.ID, "attempt", attempt)
	}
	return Meeting{}, fmt.Errorf("create meeting: no free id after %d draws: %w", maxIDAttempts, ErrConflict)
}

// insert adds m and reports false, without error, when its ID is taken.
func (s *Store) insert(ctx context.Context, m Meeting) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO meetings (`+meetingColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, meetingArgs(m)...)
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	return n == 1, nil
}

// Get returns the meeting with the given ID, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Meeting, error) {
	m, err := scanMeeting(s.db.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Meeting{}, fmt.Errorf("meeting %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Meeting{}, fmt.Errorf("get meeting %s: %w", id, err)
	}
	return m, nil
}

// List returns every meeting, oldest first (never nil).
func (s *Store) List(ctx context.Context) ([]Meeting, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+meetingColumns+` FROM meetings ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	defer rows.Close()
	out := []Meeting{}
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, fmt.Errorf("list meetings: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	return out, nil
}

// Update loads meeting id, lets fn edit it and stores the result, all in one
// transaction; an error from fn aborts the update and is returned wrapped.
//
// fn may change Topic, Password, StartTime, DurationMinutes and Settings.
// Changing ID, HostKey, Personal, CreatedAt or HardwarePassword is ErrInvalid
// (use RegenerateHardwarePassword); UpdatedAt is set by the store. The
// hardware password follows the password: setting a password on a meeting
// without one generates it, changing the password keeps it unless it now equals
// the new password (then it is regenerated), clearing the password clears it.
func (s *Store) Update(ctx context.Context, id string, fn func(m *Meeting) error) (Meeting, error) {
	var out Meeting
	err := s.writeTx(ctx, id, func(old Meeting) (Meeting, error) {
		m := old
		m.StartTime = storedTime(old.StartTime) // fn gets its own copy
		if err := fn(&m); err != nil {
			return Meeting{}, err
		}
		if err := s.enforce(old, &m); err != nil {
			return Meeting{}, err
		}
		out = m
		return m, nil
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("update meeting %s: %w", id, err)
	}
	s.log.Info("meeting updated", "meeting", id, "password", out.HasPassword())
	return out, nil
}

// enforce validates the edited meeting m against its stored version old and
// applies the invariants documented on Update.
func (s *Store) enforce(old Meeting, m *Meeting) error {
	switch {
	case m.ID != old.ID:
		return fmt.Errorf("id is immutable: %w", ErrInvalid)
	case m.HostKey != old.HostKey:
		return fmt.Errorf("host_key is immutable: %w", ErrInvalid)
	case m.Personal != old.Personal:
		return fmt.Errorf("personal is immutable: %w", ErrInvalid)
	case !m.CreatedAt.Equal(old.CreatedAt):
		return fmt.Errorf("created_at is immutable: %w", ErrInvalid)
	case m.HardwarePassword != old.HardwarePassword:
		return fmt.Errorf("hardware_password is generated, not set: %w", ErrInvalid)
	}
	if err := validateTopic(m.Topic); err != nil {
		return err
	}
	if err := ValidatePassword(m.Password); err != nil {
		return err
	}
	if err := validateDuration(m.DurationMinutes); err != nil {
		return err
	}
	m.StartTime = storedTime(m.StartTime)
	m.CreatedAt = old.CreatedAt
	m.UpdatedAt = s.clock()
	switch {
	case m.Password == "":
		m.HardwarePassword = ""
	case m.HardwarePassword == "" || m.HardwarePassword == m.Password:
		hw, err := NewHardwarePassword(s.rand, m.Password)
		if err != nil {
			return err
		}
		m.HardwarePassword = hw
	}
	return nil
}

// Delete removes a meeting; ErrNotFound when there is none.
func (s *Store) Delete(ctx context.Context, id string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, `DELETE FROM meetings WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete meeting %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete meeting %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete meeting %s: %w", id, ErrNotFound)
	}
	s.log.Info("meeting deleted", "meeting", id)
	return nil
}

// RegenerateHardwarePassword replaces the hardware password with a new one,
// different from the old one and from the meeting password. ErrNoPassword
// when the meeting has no password (and so no hardware password).
func (s *Store) RegenerateHardwarePassword(ctx context.Context, id string) (Meeting, error) {
	var out Meeting
	err := s.writeTx(ctx, id, func(m Meeting) (Meeting, error) {
		if m.Password == "" {
			return Meeting{}, ErrNoPassword
		}
		hw, err := newHardwarePassword(s.rand, m.Password, m.HardwarePassword)
		if err != nil {
			return Meeting{}, err
		}
		m.HardwarePassword = hw
		m.UpdatedAt = s.clock()
		out = m
		return m, nil
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("regenerate hardware password of meeting %s: %w", id, err)
	}
	s.log.Info("hardware password regenerated", "meeting", id)
	return out, nil
}

// writeTx runs a read-modify-write of meeting id in one transaction: it loads
// the row, calls edit and writes back what edit returns.
func (s *Store) writeTx(ctx context.Context, id string, edit func(Meeting) (Meeting, error)) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	old, err := scanMeeting(tx.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	m, err := edit(old)
	if err != nil {
		return err
	}
	args := meetingArgs(m)
	if _, err := tx.ExecContext(ctx, `UPDATE meetings SET
		topic = ?, password = ?, hardware_password = ?, host_key = ?, personal = ?,
		start_time = ?, duration_minutes = ?, locked = ?, waiting_room = ?,
		mute_on_entry = ?, allow_self_unmute = ?, share_host_only = ?,
		created_at = ?, updated_at = ?
		WHERE id = ?`, append(args[1:], m.ID)...); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// storedTime returns a copy of t as the store keeps it (UTC, microseconds), or nil.
func storedTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(timeResolution)
	return &u
}
