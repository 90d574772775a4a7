package directory

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Ban is a source address on the ban list of password guessers.
type Ban struct {
	Source netip.Addr
	Until  time.Time
	Count  int // how many times the source was banned
}

// SaveBan records or replaces the ban of b.Source.
func (s *Store) SaveBan(ctx context.Context, b Ban) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO bans (source, until, count, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET until = excluded.until, count = excluded.count`,
		b.Source.String(), b.Until.UTC().Format(timeLayout), b.Count, s.clock().Format(timeLayout))
	if err != nil {
		return fmt.Errorf("save ban of %s: %w", b.Source, err)
	}
	return nil
}

// Bans returns the bans that ended after since (an expired ban still tells how
// often its source was banned, which lengthens its next ban) and deletes older ones.
func (s *Store) Bans(ctx context.Context, since time.Time) ([]Ban, error) {
	cut := since.UTC().Format(timeLayout)
	s.writeMu.Lock()
	_, err := s.db.ExecContext(ctx, `DELETE FROM bans WHERE until < ?`, cut)
	s.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("prune bans: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT source, until, count FROM bans ORDER BY until`)
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	defer rows.Close()
	var out []Ban
	for rows.Next() {
		var src, until string
		var b Ban
		if err := rows.Scan(&src, &until, &b.Count); err != nil {
			return nil, fmt.Errorf("list bans: %w", err)
		}
		if b.Source, err = netip.ParseAddr(src); err != nil {
			return nil, fmt.Errorf("list bans: source %q: %w", src, ErrInvalid)
		}
		if b.Until, err = time.Parse(timeLayout, until); err != nil {
			return nil, fmt.Errorf("list bans: until %q: %w", until, ErrInvalid)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
