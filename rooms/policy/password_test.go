package policy

import (
	"testing"

	"github.com/roomgate/roomgate/rooms/directory"
)

func TestCheckPassword(t *testing.T) {
	open := directory.Meeting{ID: "123456789"}
	locked := directory.Meeting{ID: "123456789", Password: "s3cret", HardwarePassword: "654321"}
	numeric := directory.Meeting{ID: "123456789", Password: "2468", HardwarePassword: "135790"}
	for _, tc := range []struct {
		name       string
		m          directory.Meeting
		given      string
		roomSystem bool
		want       bool
	}{
		{"no password: web user with nothing", open, "", false, true},
		{"no password: web user with anything", open, "whatever", false, true},
		{"no password: room system with digits", open, "1234", true, true},
		{"web user: meeting password", locked, "s3cret", false, true},
		{"web user: hardware password refused", locked, "654321", false, false},
		{"web user: wrong", locked, "s3cre", false, false},
		{"web user: empty", locked, "", false, false},
		{"web user: longer", locked, "s3cret ", false, false},
		{"web user: case matters", locked, "S3cret", false, false},
		{"room system: hardware password", locked, "654321", true, true},
		{"room system: meeting password", locked, "s3cret", true, true},
		{"room system: wrong digits", locked, "654320", true, false},
		{"room system: empty", locked, "", true, false},
		{"room system: numeric meeting password", numeric, "2468", true, true},
		{"room system: prefix of hardware password", numeric, "13579", true, false},
		{"web user: numeric meeting password", numeric, "2468", false, true},
		{"web user: numeric hardware password refused", numeric, "135790", false, false},
		// A row that somehow lacks a hardware password must not accept "".
		{"room system: missing hardware password", directory.Meeting{Password: "pw"}, "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckPassword(tc.m, tc.given, tc.roomSystem); got != tc.want {
				t.Fatalf("CheckPassword(%q, roomSystem=%v) = %v, want %v", tc.given, tc.roomSystem, got, tc.want)
			}
		})
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	m := directory.Meeting{Password: "s3cret", HardwarePassword: "654321"}
	for b.Loop() {
		CheckPassword(m, "654321", true)
	}
}

// FuzzCheckPassword checks CheckPassword against its definition.
func FuzzCheckPassword(f *testing.F) {
	f.Add("s3cret", "654321", "654321", true)
	f.Add("s3cret", "654321", "s3cret", false)
	f.Add("", "", "anything", false)
	f.Add("2468", "135790", "135790", false)
	f.Fuzz(func(t *testing.T, password, hardware, given string, roomSystem bool) {
		m := directory.Meeting{Password: password, HardwarePassword: hardware}
		want := password == "" || given == password ||
			(roomSystem && hardware != "" && given == hardware)
		if got := CheckPassword(m, given, roomSystem); got != want {
			t.Fatalf("CheckPassword(pw=%q hw=%q, %q, room=%v) = %v, want %v", password, hardware, given, roomSystem, got, want)
		}
		if password != "" && !CheckPassword(m, password, roomSystem) {
			t.Fatal("meeting password refused")
		}
	})
}
