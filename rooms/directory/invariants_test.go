package directory

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateInvariants(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       CreateParams
		rand    []byte // read before crypto/rand
		taken   string // personal ID created first
		wantErr error
		check   func(t *testing.T, m Meeting)
	}{
		{name: "no password, no hardware password", p: CreateParams{}, check: func(t *testing.T, m Meeting) {
			if m.Password != "" || m.HardwarePassword != "" {
				t.Errorf("passwords %q %q", m.Password, m.HardwarePassword)
			}
		}},
		{name: "password gets six-digit hardware password", p: CreateParams{Password: "s3cret"}, check: func(t *testing.T, m Meeting) {
			if len(m.HardwarePassword) != HardwarePasswordLen || !isDigits(m.HardwarePassword) {
				t.Errorf("hardware password %q", m.HardwarePassword)
			}
		}},
		{
			name: "hardware password never equals numeric password",
			p:    CreateParams{Password: "654321"},
			// host key, then a draw equal to the password, then 111111.
			rand: slices.Concat(make([]byte, HostKeyBytes), draw(654321, 3), draw(111111, 3)),
			check: func(t *testing.T, m Meeting) {
				if m.HardwarePassword != "111111" {
					t.Errorf("hardware password %q, want the redraw 111111", m.HardwarePassword)
				}
			},
		},
		{name: "host key generated", p: CreateParams{}, check: func(t *testing.T, m Meeting) {
			if len(m.HostKey) != 43 {
				t.Errorf("host key %q", m.HostKey)
			}
		}},
		{name: "nil settings allow self unmute", p: CreateParams{}, check: func(t *testing.T, m Meeting) {
			if m.Settings != (Settings{AllowSelfUnmute: true}) {
				t.Errorf("settings %+v", m.Settings)
			}
		}},
		{name: "given settings kept", p: CreateParams{Settings: &Settings{WaitingRoom: true, ShareHostOnly: true}}, check: func(t *testing.T, m Meeting) {
			if m.Settings != (Settings{WaitingRoom: true, ShareHostOnly: true}) {
				t.Errorf("settings %+v", m.Settings)
			}
		}},
		{name: "personal id", p: CreateParams{PersonalID: "12345678901"}, check: func(t *testing.T, m Meeting) {
			if m.ID != "12345678901" || !m.Personal {
				t.Errorf("id %q personal %v", m.ID, m.Personal)
			}
		}},
		{name: "personal id taken", p: CreateParams{PersonalID: "123456789"}, taken: "123456789", wantErr: ErrConflict},
		{name: "personal id leading zero", p: CreateParams{PersonalID: "0123456789"}, wantErr: ErrInvalid},
		{name: "personal id too short", p: CreateParams{PersonalID: "12345678"}, wantErr: ErrInvalid},
		{name: "personal id too long", p: CreateParams{PersonalID: "123456789012"}, wantErr: ErrInvalid},
		{name: "personal id not digits", p: CreateParams{PersonalID: "12345678x"}, wantErr: ErrInvalid},
		{
			name:  "random id collision is redrawn",
			p:     CreateParams{},
			taken: "5555555555",
			rand:  slices.Concat(make([]byte, HostKeyBytes), idDraw(5555555555), idDraw(7777777777)),
			check: func(t *testing.T, m Meeting) {
				if m.ID != "7777777777" || m.Personal {
					t.Errorf("id %q personal %v, want the redraw 7777777777", m.ID, m.Personal)
				}
			},
		},
		{name: "password too long", p: CreateParams{Password: strings.Repeat("x", 33)}, wantErr: ErrInvalid},
		{name: "password with control character", p: CreateParams{Password: "a\nb"}, wantErr: ErrInvalid},
		{name: "negative duration", p: CreateParams{DurationMinutes: -1}, wantErr: ErrInvalid},
		{name: "duration over a week", p: CreateParams{DurationMinutes: MaxDurationMinutes + 1}, wantErr: ErrInvalid},
		{name: "topic too long", p: CreateParams{Topic: strings.Repeat("t", MaxTopicLen+1)}, wantErr: ErrInvalid},
		{name: "topic with control character", p: CreateParams{Topic: "a\x07"}, wantErr: ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			ctx := t.Context()
			if tc.taken != "" {
				if _, err := s.Create(ctx, CreateParams{PersonalID: tc.taken}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.rand != nil {
				s.rand = io.MultiReader(bytes.NewReader(tc.rand), rand.Reader)
			}
			m, err := s.Create(ctx, tc.p)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Create = %+v, %v; want %v", m, err, tc.wantErr)
				}
				list, _ := s.List(ctx)
				if want := min(len(tc.taken), 1); len(list) != want {
					t.Fatalf("failed Create left %d meetings, want %d", len(list), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m)
			if got, err := s.Get(ctx, m.ID); err != nil || !reflect.DeepEqual(got, m) {
				t.Fatalf("stored %+v, %v; want %+v", got, err, m)
			}
		})
	}
}

func TestUpdateInvariants(t *testing.T) {
	errVeto := errors.New("veto")
	for _, tc := range []struct {
		name     string
		password string // of the meeting before the update
		rand     []byte // read before crypto/rand, after creation
		fn       func(m *Meeting) error
		wantErr  error
		check    func(t *testing.T, before, after Meeting)
	}{
		{
			name: "set password generates hardware password",
			fn:   func(m *Meeting) error { m.Password = "new"; return nil },
			check: func(t *testing.T, _, after Meeting) {
				if len(after.HardwarePassword) != HardwarePasswordLen || !isDigits(after.HardwarePassword) {
					t.Errorf("hardware password %q", after.HardwarePassword)
				}
			},
		},
		{
			name:     "change password keeps hardware password",
			password: "old",
			fn:       func(m *Meeting) error { m.Password = "new"; return nil },
			check: func(t *testing.T, before, after Meeting) {
				if after.Password != "new" || after.HardwarePassword != before.HardwarePassword {
					t.Errorf("password %q hardware %q, was %q", after.Password, after.HardwarePassword, before.HardwarePassword)
				}
			},
		},
		{
			name:     "change password to the hardware password regenerates it",
			password: "old",
			rand:     draw(424242, 3),
			fn:       func(m *Meeting) error { m.Password = m.HardwarePassword; return nil },
			check: func(t *testing.T, before, after Meeting) {
				if after.Password != before.HardwarePassword || after.HardwarePassword != "424242" {
					t.Errorf("password %q hardware %q", after.Password, after.HardwarePassword)
				}
			},
		},
		{
			name:     "set numeric password on meeting without one avoids it",
			password: "",
			rand:     slices.Concat(draw(246810, 3), draw(135790, 3)),
			fn:       func(m *Meeting) error { m.Password = "246810"; return nil },
			check: func(t *testing.T, _, after Meeting) {
				if after.HardwarePassword != "135790" {
					t.Errorf("hardware %q, want the redraw 135790", after.HardwarePassword)
				}
			},
		},
		{
			name:     "clear password clears hardware password",
			password: "old",
			fn:       func(m *Meeting) error { m.Password = ""; return nil },
			check: func(t *testing.T, _, after Meeting) {
				if after.Password != "" || after.HardwarePassword != "" {
					t.Errorf("password %q hardware %q", after.Password, after.HardwarePassword)
				}
			},
		},
		{
			name:     "unchanged password keeps hardware password",
			password: "old",
			fn:       func(m *Meeting) error { m.Topic = "t"; return nil },
			check: func(t *testing.T, before, after Meeting) {
				if after.HardwarePassword != before.HardwarePassword {
					t.Errorf("hardware %q, was %q", after.HardwarePassword, before.HardwarePassword)
				}
			},
		},
		{
			name: "settings and schedule change",
			fn: func(m *Meeting) error {
				m.Settings = Settings{Locked: true, MuteOnEntry: true}
				m.StartTime = ptr(time.Date(2027, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 7200)))
				m.DurationMinutes = 90
				return nil
			},
			check: func(t *testing.T, _, after Meeting) {
				want := time.Date(2027, 1, 2, 1, 4, 5, 6000, time.UTC) // UTC, microseconds
				if after.Settings != (Settings{Locked: true, MuteOnEntry: true}) || after.DurationMinutes != 90 ||
					after.StartTime == nil || *after.StartTime != want {
					t.Errorf("updated %+v start %v", after, after.StartTime)
				}
			},
		},
		{name: "id is immutable", fn: func(m *Meeting) error { m.ID = "999999999"; return nil }, wantErr: ErrInvalid},
		{name: "host key is immutable", fn: func(m *Meeting) error { m.HostKey = "x"; return nil }, wantErr: ErrInvalid},
		{name: "personal is immutable", fn: func(m *Meeting) error { m.Personal = true; return nil }, wantErr: ErrInvalid},
		{name: "created at is immutable", fn: func(m *Meeting) error { m.CreatedAt = time.Unix(0, 0); return nil }, wantErr: ErrInvalid},
		{name: "hardware password cannot be set", password: "old", fn: func(m *Meeting) error { m.HardwarePassword = "000000"; return nil }, wantErr: ErrInvalid},
		{name: "invalid password", fn: func(m *Meeting) error { m.Password = strings.Repeat("p", 40); return nil }, wantErr: ErrInvalid},
		{name: "negative duration", fn: func(m *Meeting) error { m.DurationMinutes = -5; return nil }, wantErr: ErrInvalid},
		{name: "invalid topic", fn: func(m *Meeting) error { m.Topic = "\x00"; return nil }, wantErr: ErrInvalid},
		{name: "callback error aborts", fn: func(m *Meeting) error { m.Topic = "changed"; return errVeto }, wantErr: errVeto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			ctx := t.Context()
			before, err := s.Create(ctx, CreateParams{Topic: "before", Password: tc.password})
			if err != nil {
				t.Fatal(err)
			}
			if tc.rand != nil {
				s.rand = io.MultiReader(bytes.NewReader(tc.rand), rand.Reader)
			}
			after, err := s.Update(ctx, before.ID, tc.fn)
			stored, gerr := s.Get(ctx, before.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Update = %+v, %v; want %v", after, err, tc.wantErr)
				}
				if !reflect.DeepEqual(stored, before) {
					t.Fatalf("failed Update changed the meeting: %+v, was %+v", stored, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, after) {
				t.Fatalf("stored %+v, returned %+v", stored, after)
			}
			if !after.UpdatedAt.After(before.UpdatedAt) || after.CreatedAt != before.CreatedAt {
				t.Errorf("timestamps created %v→%v updated %v→%v", before.CreatedAt, after.CreatedAt, before.UpdatedAt, after.UpdatedAt)
			}
			if after.Password != "" && after.HardwarePassword == after.Password {
				t.Errorf("hardware password equals password %q", after.Password)
			}
			tc.check(t, before, after)
		})
	}
}

func TestRegenerateHardwarePassword(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		rand     func(old Meeting) []byte
		want     string
		wantErr  error
	}{
		{name: "no password", wantErr: ErrNoPassword},
		{name: "new value", password: "pw", rand: func(Meeting) []byte { return draw(314159, 3) }, want: "314159"},
		{
			name:     "never the old value",
			password: "pw",
			rand: func(old Meeting) []byte {
				return slices.Concat([]byte(nil), draw(atoi(old.HardwarePassword), 3), draw(271828, 3))
			},
			want: "271828",
		},
		{
			name:     "never the meeting password",
			password: "161803",
			rand:     func(Meeting) []byte { return slices.Concat(draw(161803, 3), draw(141421, 3)) },
			want:     "141421",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			ctx := t.Context()
			before, err := s.Create(ctx, CreateParams{Password: tc.password})
			if err != nil {
				t.Fatal(err)
			}
			if tc.rand != nil {
				s.rand = io.MultiReader(bytes.NewReader(tc.rand(before)), rand.Reader)
			}
			after, err := s.RegenerateHardwarePassword(ctx, before.ID)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %+v, %v; want %v", after, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if after.HardwarePassword != tc.want || after.Password != before.Password || !after.UpdatedAt.After(before.UpdatedAt) {
				t.Fatalf("after %+v, want hardware password %q", after, tc.want)
			}
			if stored, _ := s.Get(ctx, before.ID); !reflect.DeepEqual(stored, after) {
				t.Fatalf("stored %+v, returned %+v", stored, after)
			}
		})
	}
}

func atoi(s string) uint64 {
	var v uint64
	for _, c := range s {
		v = v*10 + uint64(c-'0')
	}
	return v
}
