package dtmf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/pion/rtp"
)

func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		wire []byte
		want Payload
	}{
		{"digit 5 start", []byte{5, 10, 0, 0}, Payload{Event: 5, Volume: 10}},
		{"hash end", []byte{11, 0x80 | 7, 0x03, 0xC0}, Payload{Event: 11, End: true, Volume: 7, Duration: 960}},
		{"flash max duration", []byte{16, 63, 0xFF, 0xFF}, Payload{Event: 16, Volume: 63, Duration: 65535}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Payload
			n, err := p.Unmarshal(tc.wire)
			if err != nil || n != 4 || p != tc.want {
				t.Fatalf("Unmarshal = %+v,%d,%v", p, n, err)
			}
			b, err := p.Marshal()
			if err != nil || string(b) != string(tc.wire) {
				t.Errorf("Marshal = % x, want % x", b, tc.wire)
			}
		})
	}
	t.Run("R bit ignored", func(t *testing.T) {
		var p Payload
		_, _ = p.Unmarshal([]byte{1, 0x40 | 5, 0, 1})
		if p.Volume != 5 || p.End {
			t.Errorf("%+v", p)
		}
	})
	t.Run("short", func(t *testing.T) {
		var p Payload
		if _, err := p.Unmarshal([]byte{1, 2, 3}); !errors.Is(err, ErrShortPayload) {
			t.Errorf("err = %v", err)
		}
		if _, err := p.MarshalTo(make([]byte, 3)); !errors.Is(err, ErrBufferSmall) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDigitCode(t *testing.T) {
	for code := byte(0); code <= 16; code++ {
		d, err := Digit(code)
		if err != nil {
			t.Fatalf("Digit(%d): %v", code, err)
		}
		back, err := Code(d)
		if err != nil || back != code {
			t.Errorf("Code(%q) = %d, want %d", d, back, code)
		}
	}
	if _, err := Digit(17); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("Digit(17) err = %v", err)
	}
	if c, _ := Code('c'); c != 14 {
		t.Errorf("Code('c') = %d", c)
	}
	if _, err := Code('x'); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("Code('x') err = %v", err)
	}
}

type rtpEv struct {
	ts     uint32
	marker bool
	p      Payload
}

func run(t *testing.T, r *Receiver, pkts []rtpEv) string {
	t.Helper()
	var got strings.Builder
	for _, k := range pkts {
		b, _ := k.p.Marshal()
		evs, err := r.Push(k.ts, k.marker, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got.WriteRune(e.Digit)
			if !e.Ended {
				got.WriteRune('?')
			}
		}
	}
	return got.String()
}

// press renders the packets of one key press as a sender would.
func press(ts uint32, event byte, total uint16) []rtpEv {
	var out []rtpEv
	for i, p := range Packets(event, 10, total, 160) {
		out = append(out, rtpEv{ts, i == 0, p})
	}
	return out
}

func TestReceiver(t *testing.T) {
	cat := func(parts ...[]rtpEv) []rtpEv {
		var out []rtpEv
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	dropEnds := func(p []rtpEv) []rtpEv {
		var out []rtpEv
		for _, k := range p {
			if !k.p.End {
				out = append(out, k)
			}
		}
		return out
	}
	tests := []struct {
		name string
		pkts []rtpEv
		want string
	}{
		{"one press with three end packets", press(1000, 5, 800), "5"},
		{"sequence of presses", cat(press(1000, 1, 800), press(3000, 2, 800), press(5000, 11, 800)), "12#"},
		{"same key twice", cat(press(1000, 7, 480), press(3000, 7, 480)), "77"},
		{"all end packets lost", cat(dropEnds(press(1000, 4, 800)), press(3000, 6, 800)), "4?6"},
		{"end packets duplicated late", cat(press(1000, 1, 800), press(3000, 2, 800), press(1000, 1, 800)[5:]), "12"},
		{"only an end packet arrives", []rtpEv{{1000, false, Payload{Event: 9, End: true, Duration: 800}}}, "9"},
		{"long event split in segments", []rtpEv{
			{1000, true, Payload{Event: 0, Duration: 0}},
			{1000, false, Payload{Event: 0, Duration: 65535}},
			{1000 + 65535, false, Payload{Event: 0, Duration: 160}},
			{1000 + 65535, false, Payload{Event: 0, Duration: 320, End: true}},
			{1000 + 65535, false, Payload{Event: 0, Duration: 320, End: true}},
		}, "0"},
		{"unknown event ignored", []rtpEv{{1000, true, Payload{Event: 70, End: true}}}, ""},
		// Found by FuzzReceiver: a late packet of an event many presses ago.
		{"late end packet five presses on", cat(press(1000, 1, 800), press(3000, 2, 800), press(5000, 3, 800),
			press(7000, 4, 800), press(9000, 5, 800), press(11000, 6, 800), press(1000, 1, 800)[5:]), "123456"},
		{"late start of an earlier segment", []rtpEv{
			{1000, true, Payload{Event: 0, Duration: 0}},
			{1000 + 65535, false, Payload{Event: 0, Duration: 160}},
			{1000, false, Payload{Event: 0, Duration: 65535}},
			{1000 + 65535, false, Payload{Event: 0, Duration: 320, End: true}},
			{1000, false, Payload{Event: 0, Duration: 65535}},
		}, "0"},
		{"timestamps across the wrap", cat(press(0xFFFFFF00, 1, 800), press(0x00000400, 2, 800),
			press(0xFFFFFF00, 1, 800)[4:]), "12"},
		{"sender restarts its timestamps", cat(press(3_000_000_000, 1, 800), press(1000, 2, 800), press(3000, 3, 800)), "123"},
		{"restart mid-press", cat(dropEnds(press(3_000_000_000, 4, 800)), press(1000, 4, 800)), "4?4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Receiver
			if got := run(t, &r, tc.pkts); got != tc.want {
				t.Errorf("digits %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReceiverFlush(t *testing.T) {
	var r Receiver
	if _, ok := r.Flush(); ok {
		t.Fatal("flush of nothing")
	}
	b, _ := (&Payload{Event: 3, Duration: 320}).Marshal()
	_, _ = r.Push(500, true, b)
	ev, ok := r.Flush()
	if !ok || ev.Digit != '3' || ev.Ended || ev.DurationAt(8000) != 40*time.Millisecond {
		t.Errorf("flush = %+v,%v", ev, ok)
	}
	// A late end packet of the flushed event is not a new digit.
	e, _ := (&Payload{Event: 3, Duration: 400, End: true}).Marshal()
	if evs, _ := r.Push(500, false, e); len(evs) != 0 {
		t.Errorf("digit repeated after flush: %+v", evs)
	}
}

// TestReceiverCapture decodes the RFC 2833 events of a real SIP call
// (Wireshark sample capture, telephone-event PT 96 on UDP 4376 → 4376).
func TestReceiverCapture(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "captures", "wswiki__SIP_DTMF2.cap")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("capture not available (%v): ../shared/captures is beside the repo in CI", err)
	}
	defer f.Close()
	pr, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	src := gopacket.NewPacketSource(pr, pr.LinkType())
	var r Receiver
	var digits strings.Builder
	events := 0
	for pkt := range src.Packets() {
		udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || udp.SrcPort != 4376 {
			continue
		}
		var rp rtp.Packet
		if err := rp.Unmarshal(udp.Payload); err != nil || rp.PayloadType != 96 {
			continue
		}
		events++
		evs, err := r.Push(rp.Timestamp, rp.Marker, rp.Payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if !e.Ended || e.DurationAt(8000) != 120*time.Millisecond {
				t.Errorf("event %+v", e)
			}
			digits.WriteRune(e.Digit)
		}
	}
	// tshark -d udp.port==4376,rtp -Y rtpevent shows 35 packets: 6789123.
	if events != 35 || digits.String() != "6789123" {
		t.Errorf("%d packets, digits %q; want 35, \"6789123\"", events, digits.String())
	}
}

func TestPackets(t *testing.T) {
	ps := Packets(5, 10, 800, 160)
	// 0,160,320,480,640 then three ends at 800.
	if len(ps) != 8 || ps[4].Duration != 640 || ps[4].End {
		t.Fatalf("packets %+v", ps)
	}
	for _, p := range ps[5:] {
		if !p.End || p.Duration != 800 {
			t.Errorf("end packet %+v", p)
		}
	}
}

func TestParseDTMFRelay(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		digit   rune
		dur     time.Duration
		wantErr bool
	}{
		{"cisco style", "Signal=5\r\nDuration=160\r\n", '5', 160 * time.Millisecond, false},
		{"spaces and LF", "Signal= #\nDuration= 250\n", '#', 250 * time.Millisecond, false},
		{"lower case keys", "signal=*\r\nduration=100", '*', 100 * time.Millisecond, false},
		{"numeric code for hash", "Signal=11\r\nDuration=160", '#', 160 * time.Millisecond, false},
		{"letter", "Signal=b\r\n", 'B', 0, false},
		{"no duration", "Signal=0", '0', 0, false},
		{"no signal", "Duration=160", 0, 0, true},
		{"bad signal", "Signal=X\r\nDuration=160", 0, 0, true},
		{"bad duration", "Signal=1\r\nDuration=abc", 0, 0, true},
		{"negative duration", "Signal=1\r\nDuration=-5", 0, 0, true},
		{"huge body", "Signal=1\r\n" + strings.Repeat("x", 2000), 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDTMFRelay([]byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !errors.Is(err, ErrBadInfo) {
					t.Errorf("err %v is not ErrBadInfo", err)
				}
				return
			}
			if d.Digit != tc.digit || d.Duration != tc.dur {
				t.Errorf("got %q %v", d.Digit, d.Duration)
			}
			back, err := ParseDTMFRelay([]byte(FormatDTMFRelay(d)))
			if err != nil || back != d {
				t.Errorf("format round trip: %+v %v", back, err)
			}
		})
	}
}

func TestParseDTMF(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		digit   rune
		wantErr bool
	}{
		{"digit", "5", '5', false},
		{"with CRLF", "#\r\n", '#', false},
		{"star", " * ", '*', false},
		{"empty", "", 0, true},
		{"two digits", "55", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDTMF([]byte(tc.body))
			if (err != nil) != tc.wantErr || d.Digit != tc.digit {
				t.Errorf("got %q, %v", d.Digit, err)
			}
		})
	}
}

func FuzzPayload(f *testing.F) {
	f.Add([]byte{5, 10, 0, 0})
	f.Add([]byte{11, 0xC7, 3, 0xC0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Payload
		if _, err := p.Unmarshal(b); err != nil {
			return
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var q Payload
		if _, err := q.Unmarshal(out); err != nil || q != p {
			t.Fatalf("round trip %+v -> %+v (%v)", p, q, err)
		}
	})
}

// FuzzReceiver feeds arbitrary packets: no panic, and no event timestamp is
// ever reported twice. The fuzzed timestamps are 16-bit, so they never jump
// back by more than lateWindow: every packet is a live or a late one, never a
// restarted sender's (TestReceiver covers restarts).
func FuzzReceiver(f *testing.F) {
	if lateWindow <= 0xFFFF {
		f.Fatal("16-bit timestamps would reach restarts")
	}
	f.Add([]byte{0, 0, 0, 1, 5, 10, 0, 0, 0, 0, 0, 1, 5, 0x8a, 3, 0x20})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Receiver
		seen := map[uint32]bool{}
		for len(b) >= 8 {
			ts := uint32(b[0])<<8 | uint32(b[1])
			evs, _ := r.Push(ts, b[2]&1 == 1, b[4:8])
			for _, e := range evs {
				if seen[e.Timestamp] {
					t.Fatalf("event at %d reported twice", e.Timestamp)
				}
				seen[e.Timestamp] = true
			}
			b = b[8:]
		}
	})
}

func BenchmarkReceiver(b *testing.B) {
	pkts := Packets(5, 10, 800, 160)
	raw := make([][]byte, len(pkts))
	for i := range pkts {
		raw[i], _ = pkts[i].Marshal()
	}
	var r Receiver
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for k, p := range raw {
			_, _ = r.Push(uint32(i)*2000, k == 0, p)
		}
	}
}
