package srtp_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/roomgate/roomgate/h323/h235/srtp"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func ptr[T any](v T) *T { return &v }

func sampleCapability() *srtp.SrtpCryptoCapability {
	return &srtp.SrtpCryptoCapability{{
		// AES_CM_128_HMAC_SHA1_80 as in H.235.8 Annex A.
		CryptoSuite:   srtp.ObjectIdentifier{0, 0, 8, 235, 0, 4, 91},
		SessionParams: &srtp.SrtpSessionParameters{Kdr: ptr(int64(0)), WindowSizeHint: ptr(int64(64)), FecOrder: &srtp.FecOrder{FecBeforeSrtp: &struct{}{}}},
		AllowMKI:      ptr(true),
	}}
}

func sampleKeys() *srtp.SrtpKeys {
	return &srtp.SrtpKeys{{
		MasterKey:  bytes.Repeat([]byte{1}, 16),
		MasterSalt: bytes.Repeat([]byte{2}, 14),
		Lifetime:   &srtp.SrtpKeyParametersLifetime{PowerOfTwo: ptr(int64(31))},
		Mki:        &srtp.SrtpKeyParametersMki{Length: 1, Value: []byte{9}},
	}}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		v, w pdutestMessage
	}{
		{"SrtpCryptoCapability", sampleCapability(), &srtp.SrtpCryptoCapability{}},
		{"SrtpKeys", sampleKeys(), &srtp.SrtpKeys{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.v.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.w.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			j1, _ := json.Marshal(tc.v)
			j2, _ := json.Marshal(tc.w)
			if !bytes.Equal(j1, j2) {
				t.Errorf("round trip changed the value:\n%s\n%s", j1, j2)
			}
			b2, err := tc.w.Marshal()
			if err != nil || !bytes.Equal(b, b2) {
				t.Errorf("re-encoding differs (%v): % x vs % x", err, b, b2)
			}
		})
	}
}

type pdutestMessage interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

func FuzzSrtpCryptoCapability(f *testing.F) {
	f.Add(pdutest.Encode(f, sampleCapability()))
	f.Fuzz(pdutest.RoundTrip[srtp.SrtpCryptoCapability])
}

func FuzzSrtpKeys(f *testing.F) {
	f.Add(pdutest.Encode(f, sampleKeys()))
	f.Fuzz(pdutest.RoundTrip[srtp.SrtpKeys])
}
