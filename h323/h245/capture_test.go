package h245_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func TestCaptureRoundTrip(t *testing.T) {
	pdutest.SharedDir(t, "captures")
	seeds := pdutest.Seeds(t, pdutest.H245)
	if len(seeds) == 0 {
		t.Fatal("no H.245 PDUs in the captures")
	}
	for i, b := range seeds {
		var m h245.MultimediaSystemControlMessage
		if err := m.Unmarshal(b); err != nil {
			t.Errorf("PDU %d: %v\n% x", i, err, b)
			continue
		}
		out, err := m.Marshal()
		if err != nil {
			t.Errorf("PDU %d: re-encode: %v", i, err)
			continue
		}
		if !bytes.Equal(out, b) {
			t.Errorf("PDU %d: re-encoding differs:\n in  % x\n out % x", i, b, out)
		}
	}
	t.Logf("%d H.245 PDUs decoded and re-encoded byte for byte", len(seeds))
}

// TestCallgen323TCS checks decoded fields of the Callgen323 terminal
// capability set (ndpi__h323.pcap frame 29) against tshark's dissection.
func TestCallgen323TCS(t *testing.T) {
	p := pdutest.Frame(t, "ndpi__h323.pcap", 29)
	var m h245.MultimediaSystemControlMessage
	if err := m.Unmarshal(p.Data); err != nil {
		t.Fatal(err)
	}
	tcs := m.Request.TerminalCapabilitySet
	if tcs == nil {
		t.Fatalf("not a TerminalCapabilitySet: %+v", m)
	}
	if got := tcs.ProtocolIdentifier.String(); !strings.HasPrefix(got, "0.0.8.245.0.") {
		t.Errorf("protocolIdentifier = %s", got)
	}
	j, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	// The JSON uses the ASN.1 names and prints a CHOICE as {"alternative": value}.
	for _, want := range []string{`{"request":{"terminalCapabilitySet":{`, `"protocolIdentifier":"0.0.8.245.0.`, `"capabilityTable":[`} {
		if !bytes.Contains(j, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, j)
		}
	}
	t.Logf("%s", j)
}

func FuzzMultimediaSystemControlMessage(f *testing.F) {
	for _, s := range pdutest.Seeds(f, pdutest.H245) {
		f.Add(s)
	}
	f.Add([]byte{0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var v h245.MultimediaSystemControlMessage
		if v.Unmarshal(b) != nil {
			return
		}
		out, err := v.Marshal()
		if err != nil {
			t.Fatalf("decoded value does not re-encode: %v", err)
		}
		var w h245.MultimediaSystemControlMessage
		if err := w.Unmarshal(out); err != nil {
			t.Fatalf("re-encoding does not decode: %v\n% x", err, out)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("values differ after a round trip:\n%+v\n%+v", v, w)
		}
		out2, err := w.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("second encoding differs (%v):\n% x\n% x", err, out, out2)
		}
	})
}
