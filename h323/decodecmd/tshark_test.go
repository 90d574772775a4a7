package decodecmd

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// tsharkFields runs tshark on file with a display filter and returns one
// row of tab-separated fields per frame.
func tsharkFields(t *testing.T, file, filter string, fields ...string) [][]string {
	t.Helper()
	// Out-of-order reassembly is off by default in tshark; the decoder
	// always does it, so compare against tshark with it on.
	args := []string{"-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", file, "-Y", filter, "-T", "fields", "-E", "separator=/t"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// q931Fields returns what is compared with tshark for one Q.931 message:
// message type, called and calling digits, cause values.
func q931Fields(t *testing.T, r outRecord) (typ string, called, calling, causes []string) {
	t.Helper()
	var b q931Out
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("frame %d: body: %v", r.Frame, err)
	}
	for _, e := range b.Elements {
		var v struct {
			Digits string `json:"digits"`
			Value  int    `json:"value"`
		}
		if len(e.Value) > 0 {
			if err := json.Unmarshal(e.Value, &v); err != nil {
				t.Fatalf("frame %d: %s: %v", r.Frame, e.Name, err)
			}
		}
		switch e.Name {
		case "calledPartyNumber":
			called = append(called, v.Digits)
		case "callingPartyNumber":
			calling = append(calling, v.Digits)
		case "cause":
			causes = append(causes, strconv.Itoa(v.Value))
		}
	}
	return b.MessageType, called, calling, causes
}

// q931Rows groups the Q.931 records per frame the way tshark prints
// fields: one row per frame, repeated values joined with commas, as
// "frame type called calling cause".
func q931Rows(t *testing.T, recs []outRecord) []string {
	t.Helper()
	var rows []string
	var frame int
	var typ, called, calling, causes []string
	flush := func() {
		if frame != 0 {
			rows = append(rows, fmt.Sprintf("%d %s %s %s %s", frame, strings.Join(typ, ","),
				strings.Join(called, ","), strings.Join(calling, ","), strings.Join(causes, ",")))
		}
		typ, called, calling, causes = nil, nil, nil, nil
	}
	for _, r := range recs {
		if r.Protocol != protoQ931 || r.Via != "" {
			continue
		}
		if r.Frame != frame {
			flush()
			frame = r.Frame
		}
		ty, cd, cg, cs := q931Fields(t, r)
		typ = append(typ, ty)
		called = append(called, cd...)
		calling = append(calling, cg...)
		causes = append(causes, cs...)
	}
	flush()
	return rows
}

// tsharkQ931Rows returns tshark's view in the format of q931Rows.
func tsharkQ931Rows(t *testing.T, path string) []string {
	t.Helper()
	var rows []string
	for _, row := range tsharkFields(t, path, "q931", "frame.number", "q931.message_type",
		"q931.called_party_number.digits", "q931.calling_party_number.digits", "q931.cause_value") {
		rows = append(rows, strings.Join(row, " "))
	}
	return rows
}

// TestAgainstTshark decodes the captures without ASN.1 decoders and checks
// the frame numbers and Q.931 fields against tshark's dissection, the
// H.245 and RAS frame numbers too, and that every Q.931 message round-trips.
func TestAgainstTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed: cannot compare with an independent decoder")
	}
	cases := []struct {
		file             string
		wantQ931, wantRA int // sanity floor so an empty comparison cannot pass
	}{
		{"ndpi__h323.pcap", 8, 15},
		{"wswiki__rtp_example.raw.gz", 4, 0},
		{"wswiki__SIP_CALL_RTP_G711.pcap", 0, 24},
		{"ndpi__h323-overflow.pcap", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := capturePath(t, c.file)
			rc, recs, stderr := run(t, Decoders{}, "--roundtrip", path)
			if rc != 0 {
				t.Fatalf("exit %d: %s", rc, stderr)
			}
			var gotH245, gotRAS []string
			h245PerFrame := map[int]int{}
			for _, r := range recs {
				if r.Error != "" {
					t.Errorf("frame %d %s: %s", r.Frame, r.Protocol, r.Error)
				}
				switch r.Protocol {
				case protoQ931:
					if r.Roundtrip == nil || !*r.Roundtrip {
						t.Errorf("frame %d: Q.931 did not round-trip", r.Frame)
					}
				case protoH245:
					if h245PerFrame[r.Frame] == 0 {
						gotH245 = append(gotH245, strconv.Itoa(r.Frame))
					}
					h245PerFrame[r.Frame]++
				case protoRAS:
					gotRAS = append(gotRAS, strconv.Itoa(r.Frame))
				default:
					t.Errorf("unexpected record %+v", r)
				}
			}
			// One tshark pass (it is slow to start on a shared machine).
			var want, wantH245, wantRAS []string
			for _, row := range tsharkFields(t, path, "q931 || h245 || (h225 && udp)", "frame.number", "frame.protocols",
				"q931.message_type", "q931.called_party_number.digits", "q931.calling_party_number.digits",
				"q931.cause_value", "h245.pdu_type") {
				frame, _ := strconv.Atoi(row[0])
				if row[2] != "" {
					want = append(want, strings.Join([]string{row[0], row[2], row[3], row[4], row[5]}, " "))
				}
				if row[6] != "" {
					wantH245 = append(wantH245, row[0])
					if pdus := len(strings.Split(row[6], ",")); h245PerFrame[frame] != pdus {
						t.Errorf("frame %d: %d H.245 messages, tshark has %d", frame, h245PerFrame[frame], pdus)
					}
				}
				if strings.Contains(row[1], "udp") && strings.Contains(row[1], "h225") {
					wantRAS = append(wantRAS, row[0])
				}
			}
			got := q931Rows(t, recs)
			if len(got) < c.wantQ931 || !reflect.DeepEqual(got, want) {
				t.Errorf("Q.931 differs from tshark\n got %q\nwant %q", got, want)
			}
			if !reflect.DeepEqual(gotH245, wantH245) {
				t.Errorf("H.245 frames differ\n got %v\nwant %v", gotH245, wantH245)
			}
			if len(gotRAS) < c.wantRA || !reflect.DeepEqual(gotRAS, wantRAS) {
				t.Errorf("RAS frames differ\n got %v\nwant %v", gotRAS, wantRAS)
			}
			t.Logf("%d Q.931, %d H.245 frames, %d RAS frames agree with tshark", len(got), len(gotH245), len(gotRAS))
		})
	}
}
