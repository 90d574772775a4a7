package decodecmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/roomgate/roomgate/h323/q931"
)

// fakeBody is what the fake decoders return as body.
type fakeBody struct {
	Len int `json:"len"`
}

// fakeDecode names a PDU after its first octet and re-encodes it verbatim,
// or with an extra octet when the PDU starts with 0xEE (a codec bug), or
// fails on 0xFF.
func fakeDecode(prefix string) DecodeFunc {
	return func(b []byte) (string, any, func() ([]byte, error), error) {
		if len(b) == 0 || b[0] == 0xFF {
			return "", nil, nil, errors.New("fake: cannot decode")
		}
		out := append([]byte(nil), b...)
		if b[0] == 0xEE {
			out = append(out, 0)
		}
		return fmt.Sprintf("%s%02x", prefix, b[0]), fakeBody{len(b)}, func() ([]byte, error) { return out, nil }, nil
	}
}

func fakeDecoders() Decoders {
	return Decoders{
		UserInfo: fakeDecode("uuie"),
		RAS:      fakeDecode("ras"),
		H245:     fakeDecode("h245-"),
		Embedded: func(ui any) []Embedded {
			if ui.(fakeBody).Len < 3 {
				return nil
			}
			h245 := fakeDecode("h245-")
			name, body, re, _ := h245([]byte{0x02, 0x70})
			return []Embedded{
				{Via: "h245Control", Raw: []byte{0x02, 0x70}, Name: name, Body: body, Reencode: re},
				{Via: "fastStart", Raw: []byte{0xFF}, Err: errors.New("fake: bad OLC")},
			}
		},
	}
}

func seamCapture(t *testing.T, uu []byte, ras, h245 []byte) string {
	a, b := netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.2")
	setup := frameBytes(t, enc{t}.q931(q931.NewSetup(q931.NewCallReference(9, false), uu)))
	return writeCapture(t, layers.LinkTypeEthernet, false, false, []synthPacket{
		{src: netip.AddrPortFrom(a, 40000), dst: netip.AddrPortFrom(b, 1720), seq: 1, payload: setup},
		{src: netip.AddrPortFrom(a, 1719), dst: netip.AddrPortFrom(b, 1719), udp: true, payload: ras},
		{src: netip.AddrPortFrom(a, 40002), dst: netip.AddrPortFrom(b, 30000), seq: 1, payload: frameBytes(t, h245)},
	})
}

func TestDecodersSeam(t *testing.T) {
	cases := []struct {
		name          string
		uu, ras, h245 []byte
		want          []string // "frame protocol message via roundtrip error?"
		rc            int
	}{
		{"all-decode-and-roundtrip", []byte{0x20, 0xa8}, []byte{0x0e, 1}, []byte{0x02, 0x70},
			[]string{"1 q931 uuie20  true false", "2 h225ras ras0e  true false", "3 h245 h245-02  true false"}, 0},
		{"uuie-with-tunnelled-h245-and-faststart", []byte{0x20, 0xa8, 0x06}, []byte{0x0e, 1}, []byte{0x02, 0x70},
			[]string{"1 q931 uuie20  true false", "1 h245 h245-02 h245Control true false", "1 h245  fastStart false true",
				"2 h225ras ras0e  true false", "3 h245 h245-02  true false"}, 1},
		{"uuie-reencodes-differently", []byte{0xEE, 0x01}, []byte{0x0e, 1}, []byte{0x02, 0x70},
			[]string{"1 q931 uuieee  false false", "2 h225ras ras0e  true false", "3 h245 h245-02  true false"}, 1},
		{"uuie-fails-keeps-q931-name", []byte{0xFF}, []byte{0x0e, 1}, []byte{0x02, 0x70},
			[]string{"1 q931 setup  false true", "2 h225ras ras0e  true false", "3 h245 h245-02  true false"}, 1},
		{"ras-and-h245-fail", []byte{0x20, 0xa8}, []byte{0xFF, 1}, []byte{0xEE},
			[]string{"1 q931 uuie20  true false", "2 h225ras   false true", "3 h245 h245-ee  false false"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := seamCapture(t, c.uu, c.ras, c.h245)
			rc, recs, stderr := run(t, fakeDecoders(), "--roundtrip", path)
			var got []string
			for _, r := range recs {
				if r.Roundtrip == nil {
					t.Fatalf("frame %d has no roundtrip verdict", r.Frame)
				}
				got = append(got, fmt.Sprintf("%d %s %s %s %v %v", r.Frame, r.Protocol, r.Message, r.Via, *r.Roundtrip, r.Error != ""))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
			if rc != c.rc {
				t.Fatalf("exit %d, want %d (%s)", rc, c.rc, stderr)
			}
			// The decoded H323-UserInformation sits in the Q.931 body.
			var body q931Out
			if err := json.Unmarshal(recs[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if c.uu[0] != 0xFF && !bytes.Equal(body.UserInformation, []byte(fmt.Sprintf(`{"len":%d}`, len(c.uu)))) {
				t.Fatalf("h323UserInformation = %s", body.UserInformation)
			}
		})
	}
}

func TestRegisterMain(t *testing.T) {
	path := seamCapture(t, []byte{0x20, 0xa8}, []byte{0x0e, 1}, []byte{0x02, 0x70})
	t.Cleanup(func() { registered.Store(nil) })

	var out, errOut bytes.Buffer
	// Without Register, Main uses Default: the generated H.225.0/H.245
	// decoders, which reject these fake PDUs (exit 0 without --roundtrip).
	if rc := Main([]string{path}, &out, &errOut); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errOut.String())
	}
	if strings.Contains(out.String(), `"message":"undecoded"`) || !strings.Contains(out.String(), `"error":"h323UserInformation: H323-UserInformation`) {
		t.Fatalf("without Register: %s", out.String())
	}

	Register(fakeDecoders())
	out.Reset()
	if rc := Main([]string{"--roundtrip", path}, &out, &errOut); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errOut.String())
	}
	for _, want := range []string{`"message":"uuie20"`, `"message":"ras0e"`, `"message":"h245-02"`} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("after Register, %s missing from %s", want, out.String())
		}
	}
}

func TestChoiceName(t *testing.T) {
	type tcs struct {
		Seq int `json:"sequenceNumber"`
	}
	type request struct {
		TCS *tcs `json:"terminalCapabilitySet,omitempty"`
		MSD *tcs `json:"masterSlaveDetermination,omitempty"`
	}
	type msg struct {
		Request  *request `json:"request,omitempty"`
		Response *request `json:"response,omitempty"`
	}
	type sequence struct {
		A int `json:"a"`
		B int `json:"b"`
	}
	cases := []struct {
		name  string
		v     any
		depth int
		want  string
	}{
		{"outer", msg{Request: &request{TCS: &tcs{1}}}, 1, "request"},
		{"nested", msg{Request: &request{TCS: &tcs{1}}}, 2, "terminalCapabilitySet"},
		{"deeper-than-choices", msg{Response: &request{MSD: &tcs{1}}}, 5, "sequenceNumber"},
		{"sequence-not-choice", sequence{1, 2}, 1, ""},
		{"null", nil, 1, ""},
		{"unmarshalable", func() {}, 1, ""},
		{"depth-0", msg{Request: &request{}}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ChoiceName(c.v, c.depth); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
