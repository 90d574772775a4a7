package h225_test

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// pdmlFields runs tshark -T pdml and returns, per frame, the "name=show"
// values of the h225.* and h245.* fields.
func pdmlFields(t *testing.T, path string) map[int]map[string]int {
	out, err := exec.Command("tshark", "-r", path, "-Y", "h225 || h245", "-T", "pdml").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var doc struct {
		Packets []struct {
			Protos []struct {
				Name   string      `xml:"name,attr"`
				Fields []pdmlField `xml:"field"`
			} `xml:"proto"`
		} `xml:"packet"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	res := map[int]map[string]int{}
	for _, p := range doc.Packets {
		frame := 0
		vals := map[string]int{}
		for _, pr := range p.Protos {
			for _, f := range pr.Fields {
				f.walk(func(name, show string) {
					if name == "frame.number" {
						frame, _ = strconv.Atoi(show)
					}
					if strings.HasPrefix(name, "h225.") || strings.HasPrefix(name, "h245.") {
						vals[name+"="+show]++
					}
				})
			}
		}
		res[frame] = vals
	}
	return res
}

type pdmlField struct {
	Name   string      `xml:"name,attr"`
	Show   string      `xml:"show,attr"`
	Fields []pdmlField `xml:"field"`
}

func (f pdmlField) walk(fn func(name, show string)) {
	fn(f.Name, f.Show)
	for _, c := range f.Fields {
		c.walk(fn)
	}
}

// leaves collects the INTEGER and BOOLEAN values of a decoded PDU as
// "proto.asn1Name=value", the way tshark names its fields.
func leaves(proto string, v any, into map[string]int) {
	j, _ := json.Marshal(v)
	var tree any
	_ = json.Unmarshal(j, &tree)
	var walk func(key string, x any)
	walk = func(key string, x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, c := range x {
				walk(k, c)
			}
		case []any:
			for _, c := range x {
				if _, nested := c.([]any); nested {
					// A SEQUENCE OF SEQUENCE OF: tshark names the inner
					// elements by their type, which JSON does not carry.
					walk("", c)
					continue
				}
				walk(key, c)
			}
		case float64:
			if key == "" {
				return
			}
			into[fmt.Sprintf("%s.%s=%d", proto, strings.ReplaceAll(key, "-", "_"), int64(x))]++
		case string:
			if key == "" {
				return
			}
			into[fmt.Sprintf("s:%s.%s=%s", proto, strings.ReplaceAll(key, "-", "_"), x)]++
		case bool:
			if key == "" {
				return
			}
			b := 0
			if x {
				b = 1
			}
			into[fmt.Sprintf("%s.%s=%d", proto, strings.ReplaceAll(key, "-", "_"), b)]++
		}
	}
	walk("", tree)
}

// TestFieldsAgainstTsharkPDML checks that every INTEGER and BOOLEAN value
// decoded from the captures appears, with the same value, in Wireshark's
// dissection of the same frame.
func TestFieldsAgainstTsharkPDML(t *testing.T) {
	dir := pdutest.SharedDir(t, "captures")
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	for _, file := range []string{"ndpi__h323.pcap", "wswiki__SIP_CALL_RTP_G711.pcap"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join(dir, file)
			want := pdmlFields(t, path)
			pdus, err := pdutest.Extract(path)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]map[string]int{}
			for _, p := range pdus {
				if got[p.Frame] == nil {
					got[p.Frame] = map[string]int{}
				}
				switch p.Kind {
				case pdutest.RAS:
					var m h225.RasMessage
					if m.Unmarshal(p.Data) == nil {
						leaves("h225", &m, got[p.Frame])
					}
				case pdutest.UUIE:
					var m h225.H323UserInformation
					if m.Unmarshal(p.Data) == nil {
						leaves("h225", &m, got[p.Frame])
					}
				case pdutest.H245:
					var m h245.MultimediaSystemControlMessage
					if m.Unmarshal(p.Data) == nil {
						leaves("h245", &m, got[p.Frame])
					}
				}
			}
			compared := 0
			var frames []int
			for f := range got {
				frames = append(frames, f)
			}
			sort.Ints(frames)
			for _, f := range frames {
				for kv, n := range got[f] {
					if strings.HasPrefix(kv, "s:") {
						name, val, _ := strings.Cut(kv[2:], "=")
						if !hasField(want[f], name) {
							continue
						}
						if !anyPresent(want[f], name, stringForms(val)) {
							t.Errorf("frame %d: decoded %s=%q, not in tshark's dissection", f, name, val)
						}
						compared += n
						continue
					}
					name := kv[:strings.IndexByte(kv, '=')]
					if !hasField(want[f], name) {
						continue // tshark names this field differently
					}
					if want[f][kv] < n {
						t.Errorf("frame %d: decoded %s ×%d, tshark has it ×%d", f, kv, n, want[f][kv])
					}
					compared += n
				}
			}
			if compared == 0 {
				t.Fatal("no values compared")
			}
			t.Logf("%d INTEGER, BOOLEAN, string and OBJECT IDENTIFIER values agree with tshark", compared)
		})
	}
}

// stringForms lists how tshark may show a JSON string value: as is
// (character strings, OIDs, enumerations), or, for OCTET STRINGs (base64
// in JSON), as text, colon-separated hex, a length, a dotted IPv4 address
// or a GUID.
func stringForms(v string) []string {
	// tshark shows character strings up to the first NUL.
	forms := []string{v, strings.Split(v, "\x00")[0]}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil {
		// Opaque octets are shown as their length; text with invalid
		// UTF-8 with replacement characters.
		forms = append(forms, strconv.Itoa(len(b)), strings.ToValidUTF8(string(b), "\uFFFD"))
		h := make([]string, len(b))
		for i, c := range b {
			h[i] = fmt.Sprintf("%02x", c)
		}
		forms = append(forms, strings.Join(h, ":"), string(b), strings.TrimRight(string(b), "\x00"))
		if len(b) == 4 {
			forms = append(forms, net.IP(b).String())
		}
		if len(b) == 16 { // GUIDs (conferenceID, callIdentifier)
			forms = append(forms, fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
		}
	}
	return forms
}

func anyPresent(vals map[string]int, name string, forms []string) bool {
	for _, f := range forms {
		if vals[name+"="+f] > 0 {
			return true
		}
	}
	return false
}

func hasField(vals map[string]int, name string) bool {
	for kv := range vals {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}
