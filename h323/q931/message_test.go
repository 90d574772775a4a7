package q931

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMessageUnmarshal(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		cr      CallReference
		typ     MessageType
		ids     []ElementID
		codeset []uint8
	}{
		{
			name: "setup-bearer-calling-called-uuie",
			in:   "08 02 00 01 05  04 03 90 90 a2  6c 03 c1 35 32  70 02 c1 39  7e 00 03 05 20 a8",
			cr:   CallReference{Length: 2, Value: 1},
			typ:  Setup,
			ids:  []ElementID{IDBearerCapability, IDCallingPartyNumber, IDCalledPartyNumber, IDUserUser},
		},
		{
			name: "release-complete-flag-cause",
			in:   "08 02 80 01 5a  08 02 80 90  7e 00 02 05 25",
			cr:   CallReference{Length: 2, Value: 1, Flag: true},
			typ:  ReleaseComplete,
			ids:  []ElementID{IDCause, IDUserUser},
		},
		{
			name: "dummy-call-reference",
			in:   "08 00 7d",
			cr:   CallReference{},
			typ:  Status,
		},
		{
			name: "one-octet-call-reference",
			in:   "08 01 85 75",
			cr:   CallReference{Length: 1, Value: 5, Flag: true},
			typ:  StatusInquiry,
		},
		{
			name: "sending-complete-and-unknown-ie-kept",
			in:   "08 02 00 07 05  a1  04 02 88 90  2a 03 01 02 03  7e 00 01 05",
			cr:   CallReference{Length: 2, Value: 7},
			typ:  Setup,
			ids:  []ElementID{IDSendingComplete, IDBearerCapability, 0x2a, IDUserUser},
		},
		{
			// After a locking shift to codeset 6, 0x7e is an ordinary
			// element with a one-octet length.
			name:    "locking-shift-codeset-6",
			in:      "08 02 00 07 62  7e 00 01 05  96  7e 02 aa bb  01 01 ff",
			cr:      CallReference{Length: 2, Value: 7},
			typ:     Facility,
			ids:     []ElementID{IDUserUser, 0x96, 0x7e, 0x01},
			codeset: []uint8{0, 0, 6, 6},
		},
		{
			name:    "non-locking-shift-one-element",
			in:      "08 02 00 07 7b  9d 7e 01 aa  2c 01 31",
			cr:      CallReference{Length: 2, Value: 7},
			typ:     Information,
			ids:     []ElementID{0x9d, 0x7e, IDKeypad},
			codeset: []uint8{0, 5, 0},
		},
		{
			name: "unknown-message-type",
			in:   "08 02 00 07 7f",
			cr:   CallReference{Length: 2, Value: 7},
			typ:  0x7f,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := unhex(t, c.in)
			var m Message
			n, err := m.Unmarshal(in)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(in) || m.CallRef != c.cr || m.Type != c.typ {
				t.Fatalf("got n=%d cr=%+v type=%v", n, m.CallRef, m.Type)
			}
			var ids []ElementID
			var cs []uint8
			for _, ie := range m.IEs {
				ids = append(ids, ie.ID)
				cs = append(cs, ie.Codeset)
			}
			if !reflect.DeepEqual(ids, c.ids) {
				t.Fatalf("ids %x, want %x", ids, c.ids)
			}
			if c.codeset != nil && !reflect.DeepEqual(cs, c.codeset) {
				t.Fatalf("codesets %v, want %v", cs, c.codeset)
			}
			if m.MarshalSize() != len(in) {
				t.Fatalf("MarshalSize %d, want %d", m.MarshalSize(), len(in))
			}
			out, err := m.Marshal()
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("Marshal = %x, %v; want %x", out, err, in)
			}
		})
	}
}

func TestMessageUnmarshalErrors(t *testing.T) {
	cases := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"too-short", "08 02"},
		{"h245-not-q931", "02 70 01 06"},
		{"call-ref-len-3", "08 03 00 00 01 05"},
		{"call-ref-spare-bits", "08 12 00 01 05"},
		{"call-ref-truncated", "08 02 00"},
		{"message-type-bit8", "08 02 00 01 85"},
		{"ie-length-past-end", "08 02 00 01 05 04 05 90 90"},
		{"ie-length-missing", "08 02 00 01 05 04"},
		{"uu-long-length-past-end", "08 02 00 01 05 7e 01 00 05"},
		{"uu-long-length-cut", "08 02 00 01 05 7e 00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m Message
			_, err := m.Unmarshal(unhex(t, c.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SyntaxError", err)
			}
		})
	}
}

func TestMessageMarshalErrors(t *testing.T) {
	cases := []struct {
		name string
		m    Message
		want error
	}{
		{"call-ref-len-3", Message{CallRef: CallReference{Length: 3}, Type: Setup}, errBadCallRefLen},
		{"call-ref-value-too-big", Message{CallRef: CallReference{Length: 1, Value: 0x80}, Type: Setup}, errCallRefValue},
		{"dummy-with-flag", Message{CallRef: CallReference{Flag: true}, Type: Setup}, errCallRefValue},
		{"type-bit8", Message{CallRef: NewCallReference(1, false), Type: 0x85}, errBadMessageType},
		{"ie-256", Message{CallRef: NewCallReference(1, false), Type: Setup,
			IEs: []IE{{ID: IDDisplay, Contents: make([]byte, 256)}}}, errContentsTooLong},
		{"single-octet-with-contents", Message{CallRef: NewCallReference(1, false), Type: Setup,
			IEs: []IE{{ID: IDSendingComplete, Contents: []byte{1}}}}, errContentsTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.m.Marshal(); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestUserUserLongPayload(t *testing.T) {
	data := bytes.Repeat([]byte{0xab}, 300)
	m, err := NewFacility(NewCallReference(0x1234, true), data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := append(unhex(t, "08 02 92 34 62 7e 01 2d 05"), data...)
	if !bytes.Equal(out, want) {
		t.Fatalf("got %x", out[:12])
	}
	var back Message
	if _, err := back.Unmarshal(out); err != nil {
		t.Fatal(err)
	}
	uu, err := back.UserUser()
	if err != nil || uu.Protocol != UserUserProtocolX208 || !bytes.Equal(uu.Data, data) {
		t.Fatalf("user-user %+v, %v", uu, err)
	}
}

func TestMessageTypeNames(t *testing.T) {
	cases := []struct {
		typ  MessageType
		code uint8
		name string
	}{
		{Setup, 0x05, "Setup"},
		{CallProceeding, 0x02, "CallProceeding"},
		{Alerting, 0x01, "Alerting"},
		{Connect, 0x07, "Connect"},
		{ReleaseComplete, 0x5a, "ReleaseComplete"},
		{Facility, 0x62, "Facility"},
		{Progress, 0x03, "Progress"},
		{Status, 0x7d, "Status"},
		{StatusInquiry, 0x75, "StatusInquiry"},
		{Notify, 0x6e, "Notify"},
		{Information, 0x7b, "Information"},
		{0x7f, 0x7f, "MessageType(0x7f)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if uint8(c.typ) != c.code || c.typ.String() != c.name {
				t.Fatalf("%#02x %q", uint8(c.typ), c.typ.String())
			}
		})
	}
}

func TestOctetsJSON(t *testing.T) {
	b, err := json.Marshal(UserUser{Protocol: 5, Data: []byte{0x20, 0xa8}})
	if err != nil || string(b) != `{"protocolDiscriminator":5,"data":"20a8"}` {
		t.Fatalf("%s %v", b, err)
	}
	var back UserUser
	if err := json.Unmarshal(b, &back); err != nil || !bytes.Equal(back.Data, []byte{0x20, 0xa8}) {
		t.Fatalf("%+v %v", back, err)
	}
}
