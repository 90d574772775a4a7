package h225_test

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// choiceIndex returns the index of the alternative set in a generated
// CHOICE struct: its position among the struct's fields.
func choiceIndex(v any) (int, reflect.Value) {
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() && rv.Type().Field(i).Name != "UnknownAlternative" {
			return i, f
		}
	}
	return -1, reflect.Value{}
}

// TestAgainstTshark compares the CHOICE alternatives and RAS sequence
// numbers decoded here with Wireshark's independent dissection.
func TestAgainstTshark(t *testing.T) {
	dir := pdutest.SharedDir(t, "captures")
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	for _, file := range []string{"ndpi__h323.pcap", "wswiki__SIP_CALL_RTP_G711.pcap"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join(dir, file)
			out, err := exec.Command("tshark", "-r", path, "-Y", "h225 || h245", "-T", "fields", "-E", "separator=|",
				"-e", "frame.number", "-e", "h225.RasMessage", "-e", "h225.h323_message_body",
				"-e", "h245.request", "-e", "h245.response", "-e", "h245.command", "-e", "h245.indication",
				"-e", "h225.requestSeqNum").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			want := map[int][]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Split(line, "|")
				n, _ := strconv.Atoi(f[0])
				want[n] = f[1:]
			}
			pdus, err := pdutest.Extract(path)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int]int{} // PDUs per frame so far
			checked := 0
			for _, p := range pdus {
				w, ok := want[p.Frame]
				if !ok {
					t.Errorf("%v: not dissected by tshark", p)
					continue
				}
				k := seen[p.Frame]
				seen[p.Frame]++
				pick := func(col string) string { // k-th value of a multi-valued column
					vs := strings.Split(col, ",")
					if k < len(vs) {
						return vs[k]
					}
					return ""
				}
				var got, exp []string
				switch p.Kind {
				case pdutest.RAS:
					var m h225.RasMessage
					if m.Unmarshal(p.Data) != nil {
						continue // malformed frames are covered by TestCaptures
					}
					i, alt := choiceIndex(&m)
					got = append(got, strconv.Itoa(i))
					exp = append(exp, w[0])
					if sn := alt.Elem().FieldByName("RequestSeqNum"); sn.IsValid() {
						got = append(got, strconv.FormatInt(sn.Int(), 10))
						exp = append(exp, w[6])
					}
				case pdutest.UUIE:
					var m h225.H323UserInformation
					if m.Unmarshal(p.Data) != nil {
						continue
					}
					i, _ := choiceIndex(&m.H323UuPdu.H323MessageBody)
					got, exp = []string{strconv.Itoa(i)}, []string{w[1]}
				case pdutest.H245:
					var m h245.MultimediaSystemControlMessage
					if err := m.Unmarshal(p.Data); err != nil {
						t.Errorf("%v: %v", p, err)
						continue
					}
					outer, alt := choiceIndex(&m)
					inner, _ := choiceIndex(alt.Interface())
					got, exp = []string{strconv.Itoa(inner)}, []string{pick(w[2+outer])}
				}
				if !reflect.DeepEqual(got, exp) {
					t.Errorf("%v: decoded %v, tshark %v", p, got, exp)
				}
				checked++
			}
			t.Logf("%d PDUs agree with tshark", checked)
		})
	}
}
