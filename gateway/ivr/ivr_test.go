package ivr

import (
	"slices"
	"testing"
)

type fakeMeetings map[string]string // id → pin ("" = no password)

func (f fakeMeetings) Exists(id string) (bool, bool) {
	pin, ok := f[id]
	return ok, ok && pin != ""
}

func (f fakeMeetings) CheckPassword(id, pin string) bool { return f[id] == pin }

var meetings = fakeMeetings{"123456789": "", "987654321": "654321"}

// run starts a menu and feeds the keys; it returns every action in order.
func run(id, pin, keys string) []Action {
	m, first := New(meetings, id, pin)
	acts := []Action{first}
	for i := 0; i < len(keys); i++ {
		if a := m.Digit(keys[i]); len(a.Play) > 0 || a.Done || a.Hangup {
			acts = append(acts, a)
		}
	}
	return acts
}

func TestMenu(t *testing.T) {
	cases := []struct {
		name       string
		id, pin    string
		keys       string
		wantDone   string // meeting joined, "" for none
		wantHangup bool
		wantLast   []Prompt
	}{
		{name: "ivr->id->no password->join", keys: "123456789#", wantDone: "123456789"},
		{name: "ivr->id->password->join", keys: "987654321#654321#", wantDone: "987654321"},
		{name: "ivr->bad id twice->good id", keys: "1#2#123456789#", wantDone: "123456789"},
		{name: "ivr->three bad ids->hangup", keys: "1#2#3#", wantHangup: true, wantLast: []Prompt{InvalidID, Goodbye}},
		{name: "ivr->empty entry counts as a try", keys: "###", wantHangup: true},
		{name: "ivr->star clears the entry", keys: "99*123456789#", wantDone: "123456789"},
		{name: "ivr->three wrong passwords->hangup", keys: "987654321#1#2#3#", wantHangup: true, wantLast: []Prompt{WrongPassword, Goodbye}},
		{name: "dial string id->password prompt->join", id: "987654321", keys: "654321#", wantDone: "987654321"},
		{name: "dial string id and pin->join at once", id: "987654321", pin: "654321", wantDone: "987654321"},
		{name: "dial string wrong pin->two more tries", id: "987654321", pin: "000000", keys: "1#2#", wantHangup: true},
		{name: "dial string wrong pin->retry ok", id: "987654321", pin: "000000", keys: "654321#", wantDone: "987654321"},
		{name: "dial string unknown id->ivr", id: "111111111", keys: "123456789#", wantDone: "123456789"},
		{name: "digits after done are ignored", keys: "123456789#5#", wantDone: "123456789"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acts := run(tc.id, tc.pin, tc.keys)
			last := acts[len(acts)-1]
			done := ""
			for _, a := range acts {
				if a.Done {
					done = a.MeetingID
				}
			}
			if done != tc.wantDone || last.Hangup != tc.wantHangup {
				t.Fatalf("actions %+v: done %q hangup %v, want done %q hangup %v", acts, done, last.Hangup, tc.wantDone, tc.wantHangup)
			}
			if tc.wantLast != nil && !slices.Equal(last.Play, tc.wantLast) {
				t.Fatalf("last prompts %v, want %v", last.Play, tc.wantLast)
			}
		})
	}
}

func TestPromptsDecode(t *testing.T) {
	for _, p := range []Prompt{Welcome, Password, InvalidID, WrongPassword, Locked, Waiting, Goodbye, Joining} {
		s, err := Samples(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) < PromptRate/2 {
			t.Fatalf("prompt %s is only %d samples", p, len(s))
		}
		var peak int16
		for _, v := range s {
			peak = max(peak, v, -v)
		}
		if peak < 3000 {
			t.Fatalf("prompt %s is nearly silent (peak %d)", p, peak)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	b, _ := promptFS.ReadFile("prompts/goodbye.wav")
	f.Add(b[:200])
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = decodeWAV(b) })
}
