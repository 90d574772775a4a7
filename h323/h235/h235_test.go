package h235_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/roomgate/roomgate/h323/h235"
	"github.com/roomgate/roomgate/h323/internal/asn1gen/pdutest"
)

func ptr[T any](v T) *T { return &v }

// H.235.1 (baseline security profile) style tokens.
var samples = []struct {
	name string
	v    interface {
		Marshal() ([]byte, error)
		Unmarshal([]byte) error
	}
}{
	{"ClearToken/minimal", &h235.ClearToken{TokenOID: h235.ObjectIdentifier{0, 0}}},
	{"ClearToken/password and generalID", &h235.ClearToken{
		TokenOID:  h235.ObjectIdentifier{0, 0, 8, 235, 0, 2, 5},
		TimeStamp: ptr(h235.TimeStamp(1_700_000_000)),
		Password:  ptr(h235.Password("sécret")),
		GeneralID: ptr(h235.Identifier("gk.example")),
		Random:    ptr(h235.RandomVal(-5)),
		SendersID: ptr(h235.Identifier("ep1")),
	}},
	{"CryptoToken/hashed", &h235.CryptoToken{CryptoHashedToken: &h235.CryptoTokenCryptoHashedToken{
		TokenOID:   h235.ObjectIdentifier{0, 0, 8, 235, 0, 2, 1},
		HashedVals: h235.ClearToken{TokenOID: h235.ObjectIdentifier{0, 0, 8, 235, 0, 2, 5}, GeneralID: ptr(h235.Identifier("alice"))},
		Token: h235.HashedEncodedGeneralToken{
			AlgorithmOID: h235.ObjectIdentifier{0, 0, 8, 235, 0, 2, 6},
			Hash:         h235.BitString{Bytes: make([]byte, 12), BitLen: 96},
		},
	}}},
	{"CryptoToken/signed with open type", &h235.CryptoToken{CryptoSignedToken: &h235.CryptoTokenCryptoSignedToken{
		TokenOID: h235.ObjectIdentifier{1, 2, 3},
		Token: h235.SignedEncodedGeneralToken{
			ToBeSigned:   h235.EncodedGeneralToken{TokenOID: h235.ObjectIdentifier{1, 2}, Challenge: h235.ChallengeString("12345678")},
			AlgorithmOID: h235.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5},
			Signature:    h235.BitString{Bytes: []byte{0xde, 0xad, 0xbe, 0xe0}, BitLen: 27},
		},
	}}},
	{"H235Key/secureSharedSecret extension", &h235.H235Key{SecureSharedSecret: &h235.V3KeySyncMaterial{
		AlgorithmOID:        h235.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2},
		ParamS:              h235.Params{Iv16: h235.IV16(bytes.Repeat([]byte{7}, 16))},
		EncryptedSessionKey: []byte{1, 2, 3},
		GenericKeyMaterial:  []byte{},
	}}},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range samples {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.v.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got := reflect.New(reflect.TypeOf(tc.v).Elem()).Interface().(interface {
				Marshal() ([]byte, error)
				Unmarshal([]byte) error
			})
			if err := got.Unmarshal(b); err != nil {
				t.Fatalf("decode % x: %v", b, err)
			}
			// A decoded value also records the extension bitmap length it
			// came with (Ext), so compare what is visible: JSON and bytes.
			j1, _ := json.Marshal(tc.v)
			j2, _ := json.Marshal(got)
			if !bytes.Equal(j1, j2) {
				t.Errorf("round trip changed the value:\n%s\n%s", j1, j2)
			}
			b2, err := got.Marshal()
			if err != nil || !bytes.Equal(b, b2) {
				t.Errorf("re-encoding differs (%v):\n% x\n% x", err, b, b2)
			}
		})
	}
}

func TestMinimalClearTokenEncoding(t *testing.T) {
	// ext 0, nine absent OPTIONAL bits, pad | OID length 01, contents 00 (0.0).
	b, err := (&h235.ClearToken{TokenOID: h235.ObjectIdentifier{0, 0}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := "00000100"; hex.EncodeToString(b) != want {
		t.Errorf("got %x, want %s", b, want)
	}
}

func TestClearTokenJSON(t *testing.T) {
	j, err := json.Marshal(&h235.ClearToken{TokenOID: h235.ObjectIdentifier{0, 0, 8, 235, 0, 2, 5}, Password: ptr(h235.Password("pw"))})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tokenOID":"0.0.8.235.0.2.5","password":"pw"}`; string(j) != want {
		t.Errorf("got %s, want %s", j, want)
	}
}

func FuzzClearToken(f *testing.F) {
	for _, s := range samples[:2] {
		b, _ := s.v.Marshal()
		f.Add(b)
	}
	f.Fuzz(pdutest.RoundTrip[h235.ClearToken])
}

func FuzzCryptoToken(f *testing.F) {
	for _, s := range samples[2:4] {
		b, _ := s.v.Marshal()
		f.Add(b)
	}
	f.Fuzz(pdutest.RoundTrip[h235.CryptoToken])
}

func FuzzH235Key(f *testing.F) {
	b, _ := samples[4].v.Marshal()
	f.Add(b)
	f.Fuzz(pdutest.RoundTrip[h235.H235Key])
}
