package h225_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/h323/h225"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

// knownBad lists the capture frames Wireshark 4.0 reports as malformed.
// Both are rejected here too, at the same component Wireshark stumbles on;
// the value is a substring of the expected error.
var knownBad = map[string]map[int]string{
	"ndpi__h323.pcap": {
		// GRQ whose integrity iso9797 OBJECT IDENTIFIER has length 0
		// (Wireshark: "unexpected length").
		59: "gatekeeperRequest: integrity: iso9797: per: syntax error",
		// Setup whose additionalSourceAddresses alias CHOICE index does not
		// fit a normally small number (Wireshark: "too long integer
		// (per_normally_small_nonnegative_whole_number)").
		65: "setup: additionalSourceAddresses: address: per: syntax error",
	},
}

// roundTrip decodes b into v, re-encodes it and checks the bytes.
type pdu interface {
	Unmarshal([]byte) error
	Marshal() ([]byte, error)
}

func roundTrip(t *testing.T, v pdu, b []byte) error {
	t.Helper()
	if err := v.Unmarshal(b); err != nil {
		return err
	}
	out, err := v.Marshal()
	if err != nil {
		t.Errorf("re-encode: %v", err)
		return nil
	}
	if !bytes.Equal(out, b) {
		j, _ := json.Marshal(v)
		t.Errorf("re-encoding differs:\n in  % x\n out % x\n%s", b, out, j)
	}
	return nil
}

func TestCaptures(t *testing.T) {
	dir := pdutest.SharedDir(t, "captures")
	for _, file := range pdutest.Captures {
		t.Run(file, func(t *testing.T) {
			pdus, err := pdutest.Extract(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			nested := 0
			t.Cleanup(func() { t.Logf("%d PDUs, %d nested H.245 PDUs", len(pdus), nested) })
			for _, p := range pdus {
				t.Run(p.String(), func(t *testing.T) {
					var err error
					switch p.Kind {
					case pdutest.RAS:
						var m h225.RasMessage
						err = roundTrip(t, &m, p.Data)
					case pdutest.UUIE:
						var m h225.H323UserInformation
						err = roundTrip(t, &m, p.Data)
						if err == nil {
							if s := m.H323UuPdu.H323MessageBody.Setup; s != nil {
								for i, c := range s.FastStart {
									var olc h245.OpenLogicalChannel
									if err := roundTrip(t, &olc, c); err != nil {
										t.Errorf("fastStart[%d]: %v", i, err)
									}
									nested++
								}
							}
							for i, c := range m.H323UuPdu.H245Control {
								nested++
								var h h245.MultimediaSystemControlMessage
								if err := roundTrip(t, &h, c); err != nil {
									t.Errorf("h245Control[%d]: %v", i, err)
								}
							}
						}
					case pdutest.H245:
						var m h245.MultimediaSystemControlMessage
						err = roundTrip(t, &m, p.Data)
					}
					want, bad := knownBad[file][p.Frame]
					switch {
					case bad && err == nil:
						t.Errorf("malformed frame decoded without error")
					case bad && !strings.Contains(err.Error(), want):
						t.Errorf("malformed frame: error %q does not contain %q", err, want)
					case !bad && err != nil:
						t.Errorf("decode: %v\n% x", err, p.Data)
					}
				})
			}
		})
	}
}
