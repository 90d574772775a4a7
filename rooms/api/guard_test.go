package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/rooms/core"
	"github.com/roomgate/roomgate/rooms/directory"
	"github.com/roomgate/roomgate/rooms/policy"
)

const testOperator = "operator-token-0123456789"

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	s     *Server
	store *directory.Store
	clk   *clock
	path  string
}

// newFixture starts an API server on a fresh directory. Its meeting core is an
// address nobody answers at: tokens are minted, room updates fail and are logged.
func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rooms.db")
	return openFixture(t, path, o)
}

func openFixture(t *testing.T, path string, o Options) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	store, err := directory.Open(t.Context(), path, log)
	if err != nil {
		t.Fatal(err)
	}
	c, err := core.ConnectExternal("http://127.0.0.1:1", "testkey", "testsecret-testsecret-testsecret-0", log)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	o.Store, o.Core, o.Log, o.OperatorToken, o.Now = store, c, log, testOperator, clk.now
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, s: s, store: store, clk: clk, path: path}
	t.Cleanup(func() { s.Close(); store.Close() })
	return f
}

// do sends a request from src (an IPv4 address) with an optional bearer credential.
func (f *fixture) do(src, method, path, auth string, body any) (int, map[string]any, http.Header) {
	f.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = src + ":40000"
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out, rec.Result().Header
}

func (f *fixture) meeting(p directory.CreateParams) directory.Meeting {
	f.t.Helper()
	m, err := f.store.Create(f.t.Context(), p)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func join(pw string) map[string]any { return map[string]any{"name": "x", "password": pw} }

// A trickle of wrong guesses from four addresses does not keep the right
// password, the host key or the operator token out from a fifth.
func TestTrickleLocksOutOnlyTheGuessers(t *testing.T) {
	f := newFixture(t, Options{})
	m := f.meeting(directory.CreateParams{Password: "tiger"})
	path := "/api/v1/meetings/" + m.ID + "/join"
	for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"} {
		for i := range 5 {
			if st, _, _ := f.do(src, "POST", path, "", join("guess"+string(rune('a'+i)))); st != 401 {
				t.Fatalf("wrong guess %d from %s: %d, want 401", i, src, st)
			}
		}
		if st, _, h := f.do(src, "POST", path, "", join("guess-more")); st != 429 || h.Get("Retry-After") == "" {
			t.Fatalf("sixth guess from %s: %d (Retry-After %q), want 429 with Retry-After", src, st, h.Get("Retry-After"))
		}
	}
	for _, c := range []struct {
		name, auth string
		body       map[string]any
	}{
		{"password", "", join("tiger")},
		{"host key", "", map[string]any{"name": "h", "host_key": m.HostKey}},
		{"operator token", testOperator, map[string]any{"name": "o"}},
	} {
		if st, body, _ := f.do("127.0.0.1", "POST", path, c.auth, c.body); st != 200 || body["status"] != "joined" {
			t.Errorf("%s from an innocent source: %d %v, want 200 joined", c.name, st, body)
		}
	}
	// A guesser backing off may still use an unguessable credential.
	if st, _, _ := f.do("127.0.0.2", "POST", path, "", map[string]any{"name": "h", "host_key": m.HostKey}); st != 200 {
		t.Errorf("host key from a source backing off: %d, want 200", st)
	}
}

func TestUnknownMeetingLooksProtected(t *testing.T) {
	f := newFixture(t, Options{})
	m := f.meeting(directory.CreateParams{Topic: "Secret board", Password: "tiger"})
	unknown := "99999999999"
	if m.ID == unknown {
		t.Skip("drew the unknown ID")
	}
	strip := func(b map[string]any) string {
		delete(b, "id")
		out, _ := json.Marshal(b)
		return string(out)
	}
	for _, c := range []struct {
		name, method, suffix string
		body                 any
	}{
		{"public view", "GET", "", nil},
		{"invitation", "GET", "/invitation", nil},
		{"join, wrong password", "POST", "/join", join("lion")},
		{"join, no password", "POST", "/join", join("")},
		{"participants", "GET", "/participants", nil},
		{"waiting list", "GET", "/waiting", nil},
		{"patch", "PATCH", "", map[string]any{"topic": "x"}},
		{"delete", "DELETE", "", nil},
		{"leave", "POST", "/leave", nil},
		{"ticket", "GET", "/join/nosuchticket", nil},
		{"dial-out", "POST", "/dialout", map[string]any{"protocol": "sip", "address": "sip:a@b"}},
		{"host action", "POST", "/actions/end", nil},
	} {
		st1, b1, _ := f.do("127.0.0.9", c.method, "/api/v1/meetings/"+m.ID+c.suffix, "", c.body)
		st2, b2, _ := f.do("127.0.0.9", c.method, "/api/v1/meetings/"+unknown+c.suffix, "", c.body)
		if c.suffix == "/invitation" {
			for _, b := range []map[string]any{b1, b2} {
				delete(b, "sip")
				delete(b, "h323")
				delete(b, "text")
				delete(b, "web_url")
				delete(b, "meeting_id")
			}
		}
		if st1 != st2 || strip(b1) != strip(b2) {
			t.Errorf("%s: protected %d %v, unknown %d %v: must look alike", c.name, st1, b1, st2, b2)
		}
		if bytes.Contains([]byte(strip(b1)), []byte("Secret board")) {
			t.Errorf("%s leaks the topic: %v", c.name, b1)
		}
	}
	// The operator still gets the truth.
	if st, _, _ := f.do("127.0.0.9", "GET", "/api/v1/meetings/"+unknown, testOperator, nil); st != 404 {
		t.Errorf("operator GET of an unknown meeting: %d, want 404", st)
	}
}

func TestAnonymousLookupsRateLimited(t *testing.T) {
	f := newFixture(t, Options{Lookups: 10})
	for i := range 10 {
		if st, _, _ := f.do("127.0.0.7", "GET", "/api/v1/meetings/12345678"+string(rune('0'+i)), "", nil); st != 200 {
			t.Fatalf("lookup %d: %d", i, st)
		}
	}
	if st, _, h := f.do("127.0.0.7", "GET", "/api/v1/meetings/123456780", "", nil); st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("lookup over the limit: %d, want 429 with Retry-After", st)
	}
	if st, _, _ := f.do("127.0.0.8", "GET", "/api/v1/meetings/123456780", "", nil); st != 200 {
		t.Fatalf("another source: %d, want 200", st)
	}
	f.clk.add(time.Minute)
	if st, _, _ := f.do("127.0.0.7", "GET", "/api/v1/meetings/123456780", "", nil); st != 200 {
		t.Fatalf("after a minute: %d, want 200", st)
	}
	if f.s.Stats().Lookups != 1 {
		t.Fatalf("lookups refused counter = %d, want 1", f.s.Stats().Lookups)
	}
}

func TestRoomSystemPINCounting(t *testing.T) {
	f := newFixture(t, Options{Attempts: policy.GuardConfig{PerSource: 3}})
	m := f.meeting(directory.CreateParams{Password: "tiger"})
	src := netip.MustParseAddr("127.0.0.6")
	ctx := t.Context()
	for range 10 {
		// dialled ID@gw: the IVR must ask; no guess was made
		if err := f.s.CheckRoomSystemPIN(ctx, m.ID, "", src); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("empty PIN: %v, want ErrWrongPassword", err)
		}
	}
	// a wrong PIN in the dial string is checked by the leg, then again by the IVR
	for range 2 {
		if err := f.s.CheckRoomSystemPIN(ctx, m.ID, "111111", src); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	if got := f.s.Stats().WrongPasswords; got != 1 {
		t.Fatalf("wrong passwords counted = %d, want 1 (empty PINs and the repeat do not count)", got)
	}
	if err := f.s.CheckRoomSystemPIN(ctx, m.ID, m.HardwarePassword, src); err != nil {
		t.Fatalf("hardware password: %v", err)
	}
}

func TestPromotedHostGetsSessionPowersOnly(t *testing.T) {
	f := newFixture(t, Options{})
	m := f.meeting(directory.CreateParams{Topic: "Board", Password: "tiger"})
	// A guest the supervisor promoted when the host left: host of the session,
	// holding a session token, not the host key.
	f.s.live.addSession(&session{Token: "guest-session-token-000", MeetingID: m.ID, Identity: "web-guest"})
	f.s.live.with(m.ID, func(lm *liveMeeting) { lm.Host = "web-guest" })
	const guest = "guest-session-token-000"
	base := "/api/v1/meetings/" + m.ID
	st, view, _ := f.do("127.0.0.1", "GET", base, guest, nil)
	if st != 200 || view["host_key"] != nil || view["password"] != nil || view["hardware_password"] != nil {
		t.Errorf("promoted host reads the meeting: %d %v, want no secrets", st, view)
	}
	if st, inv, _ := f.do("127.0.0.1", "GET", base+"/invitation", guest, nil); st != 200 || inv["password"] != nil || inv["hardware_password"] != nil {
		t.Errorf("promoted host reads the invitation: %d %v, want no secrets", st, inv)
	}
	if st, b, _ := f.do("127.0.0.1", "PATCH", base, guest, map[string]any{"password": "mine"}); st != 403 {
		t.Errorf("promoted host changes the password: %d %v, want 403", st, b)
	}
	if st, _, _ := f.do("127.0.0.1", "POST", base+"/hardware_password", guest, nil); st != 403 {
		t.Errorf("promoted host regenerates the hardware password: %d, want 403", st)
	}
	if st, _, _ := f.do("127.0.0.1", "DELETE", base, guest, nil); st != 403 {
		t.Errorf("promoted host deletes the meeting: %d, want 403", st)
	}
	st, patched, _ := f.do("127.0.0.1", "PATCH", base, guest, map[string]any{"settings": map[string]any{"locked": true}})
	if st != 200 || patched["password"] != nil || patched["host_key"] != nil {
		t.Errorf("promoted host locks the meeting: %d %v, want 200 without secrets", st, patched)
	}
	// The owner keeps everything.
	if st, full, _ := f.do("127.0.0.1", "GET", base, m.HostKey, nil); st != 200 || full["password"] != "tiger" {
		t.Errorf("owner: %d %v", st, full)
	}
	if st, _, _ := f.do("127.0.0.1", "DELETE", base, m.HostKey, nil); st != 204 {
		t.Errorf("owner deletes: %d, want 204", st)
	}
}

func TestWaitingRoomBounded(t *testing.T) {
	f := newFixture(t, Options{Waiting: WaitingLimits{PerSource: 3, PerMeeting: 7, Expire: 30 * time.Second}})
	m := f.meeting(directory.CreateParams{Settings: &directory.Settings{WaitingRoom: true, AllowSelfUnmute: true}})
	path := "/api/v1/meetings/" + m.ID + "/join"
	for i := range 3 {
		if st, _, _ := f.do("127.0.0.2", "POST", path, "", join("")); st != 202 {
			t.Fatalf("wait %d: %d, want 202", i, st)
		}
	}
	if st, _, _ := f.do("127.0.0.2", "POST", path, "", join("")); st != 429 {
		t.Fatalf("fourth from one source: %d, want 429", st)
	}
	for _, src := range []string{"127.0.0.3", "127.0.0.3", "127.0.0.4", "127.0.0.4"} {
		if st, _, _ := f.do(src, "POST", path, "", join("")); st != 202 {
			t.Fatalf("from %s: %d, want 202", src, st)
		}
	}
	if st, _, _ := f.do("127.0.0.5", "POST", path, "", join("")); st != 503 {
		t.Fatalf("eighth in the meeting: %d, want 503 (full)", st)
	}
	// Nobody polls: after the expiry the entries are gone.
	f.clk.add(31 * time.Second)
	f.s.supervise(t.Context())
	if st, list, _ := f.do("127.0.0.1", "GET", "/api/v1/meetings/"+m.ID+"/waiting", m.HostKey, nil); st != 200 || len(list["waiting"].([]any)) != 0 {
		t.Fatalf("waiting list after expiry: %d %v, want empty", st, list)
	}
}

func TestAdmitAllInTheBackground(t *testing.T) {
	f := newFixture(t, Options{Waiting: WaitingLimits{PerSource: 1000, PerMeeting: 1000}})
	m := f.meeting(directory.CreateParams{Settings: &directory.Settings{WaitingRoom: true, AllowSelfUnmute: true}})
	var tickets []string
	for range 3*admitBatch + 7 {
		_, b, _ := f.do("127.0.0.2", "POST", "/api/v1/meetings/"+m.ID+"/join", "", join(""))
		tickets = append(tickets, b["ticket"].(string))
	}
	if st, _, _ := f.do("127.0.0.1", "PATCH", "/api/v1/meetings/"+m.ID, m.HostKey, map[string]any{"settings": map[string]any{"waiting_room": false}}); st != 200 {
		t.Fatalf("waiting room off: %d", st)
	}
	f.s.bg.Wait() // the admissions run after the request returned
	for _, tk := range tickets {
		if st, b, _ := f.do("127.0.0.2", "GET", "/api/v1/meetings/"+m.ID+"/join/"+tk, "", nil); st != 200 || b["token"] == "" {
			t.Fatalf("ticket %s after admit all: %d %v", tk, st, b)
		}
	}
}

func TestBanSurvivesRestartAndSparesOthers(t *testing.T) {
	o := Options{Attempts: policy.GuardConfig{BanAfter: 4, PerSource: 10}}
	f := newFixture(t, o)
	var ids []string
	for range 4 {
		ids = append(ids, f.meeting(directory.CreateParams{Password: "tiger"}).ID)
	}
	for _, id := range ids {
		f.do("127.0.0.2", "POST", "/api/v1/meetings/"+id+"/join", "", join("guess"))
	}
	if f.s.Stats().Bans != 1 {
		t.Fatalf("bans = %d, want 1", f.s.Stats().Bans)
	}
	f.s.Close()
	g := openFixture(t, f.path, o)
	g.clk.t = f.clk.now()
	if st, _, _ := g.do("127.0.0.2", "POST", "/api/v1/meetings/"+ids[0]+"/join", "", join("tiger")); st != 429 {
		t.Fatalf("banned source after restart: %d, want 429", st)
	}
	if st, _, _ := g.do("127.0.0.2", "POST", "/api/v1/meetings/"+ids[0]+"/join", "", map[string]any{"name": "o"}); st == 200 {
		t.Fatalf("banned source without credentials got in")
	}
	if st, _, _ := g.do("127.0.0.1", "POST", "/api/v1/meetings/"+ids[0]+"/join", "", join("tiger")); st != 200 {
		t.Fatalf("another source: %d, want 200", st)
	}
	st, sec, _ := g.do("127.0.0.1", "GET", "/api/v1/security", testOperator, nil)
	if st != 200 || len(sec["bans"].([]any)) != 1 {
		t.Fatalf("security view: %d %v", st, sec)
	}
}

// A room system learns nothing of a meeting before its password: a well-formed ID of
// no meeting answers like a protected meeting, and guessing PINs for it counts like
// guessing a real one's; only an open meeting shows itself, and a malformed ID is none.
func TestRoomSystemUnknownMeetingLooksProtected(t *testing.T) {
	f := newFixture(t, Options{Attempts: policy.GuardConfig{PerSource: 3}})
	ctx := t.Context()
	prot := f.meeting(directory.CreateParams{Password: "tiger"})
	open := f.meeting(directory.CreateParams{})
	for _, tc := range []struct {
		id             string
		exists, needPW bool
	}{{prot.ID, true, true}, {"123456780", true, true}, {open.ID, true, false}, {"1234", false, false}, {"0123456789", false, false}} {
		if e, n := f.s.MeetingInfo(ctx, tc.id); e != tc.exists || n != tc.needPW {
			t.Errorf("MeetingInfo(%s) = %v, %v; want %v, %v", tc.id, e, n, tc.exists, tc.needPW)
		}
	}
	src := netip.MustParseAddr("127.0.0.9")
	for _, id := range []string{prot.ID, "123456780"} {
		if err := f.s.CheckRoomSystemPIN(ctx, id, "", src); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s, no PIN: %v, want ErrWrongPassword", id, err)
		}
	}
	var errs []error
	for i := range 8 {
		errs = append(errs, f.s.CheckRoomSystemPIN(ctx, "123456780", fmt.Sprintf("%06d", i), src))
	}
	if !errors.Is(errs[0], ErrWrongPassword) || !errors.Is(errs[len(errs)-1], ErrRateLimited) {
		t.Errorf("guessing PINs of an unknown meeting: %v; want wrong passwords, then rate-limited", errs)
	}
}
