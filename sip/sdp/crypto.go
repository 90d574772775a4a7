package sdp

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// SRTPMode says whether a call's media is encrypted with SRTP (RFC 3711) keyed by SDES
// (RFC 4568 a=crypto).
type SRTPMode string

const (
	// SRTPOff: plain RTP only. RTP/SAVP offers are refused; a=crypto in an RTP/AVP
	// offer is ignored.
	SRTPOff SRTPMode = "off"
	// SRTPOptional: SRTP when the peer offers a suite we support (RTP/SAVP, or a=crypto
	// on RTP/AVP as room systems do for "best effort" encryption), else plain RTP. Our
	// own offers (dial-out, offer-less INVITEs) stay plain RTP/AVP without keys: keys
	// on RTP/AVP confuse some older endpoints, and they push a dial-out INVITE past
	// what UDP may carry (RFC 3261 §18.1.1).
	SRTPOptional SRTPMode = "optional"
	// SRTPRequired: SRTP only. Offers without a usable a=crypto are refused (488), our
	// offers are RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 key (the suite every SRTP
	// endpoint implements, RFC 4568 §6.2.1), one line per m-line to keep INVITEs small.
	SRTPRequired SRTPMode = "required"
)

// ParseSRTPMode reads a configured mode; "" is SRTPOptional.
func ParseSRTPMode(s string) (SRTPMode, error) {
	switch m := SRTPMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return SRTPOptional, nil
	case SRTPOff, SRTPOptional, SRTPRequired:
		return m, nil
	}
	return "", fmt.Errorf("srtp mode %q: want off, optional or required", s)
}

// The SDES crypto suites we key (RFC 4568 §6.2): AES in counter mode with a 128-bit key,
// HMAC-SHA1 authentication tags of 80 or 32 bits. The inline key is the 16-byte master
// key followed by the 14-byte master salt.
const (
	SuiteAES128SHA1_80 = "AES_CM_128_HMAC_SHA1_80"
	SuiteAES128SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
	// KeyLen is the inline key-salt length of both suites.
	KeyLen = 30
)

// maxCryptos bounds the crypto lines kept per m-line (an offer has one or two a suite).
const maxCryptos = 8

// suitePreference lists the suites in the order we choose them.
var suitePreference = [...]string{SuiteAES128SHA1_80, SuiteAES128SHA1_32}

// Crypto is one usable a=crypto line (RFC 4568 §9.1): "tag suite inline:KEY".
type Crypto struct {
	Tag   int
	Suite string
	Key   []byte // master key || master salt, KeyLen bytes
}

// SRTP is the keying of one negotiated stream.
type SRTP struct {
	Suite string
	Tag   int
	// LocalKey protects what we send; RemoteKey what the peer sends (key || salt).
	LocalKey, RemoteKey []byte
}

// parseCrypto reads the value of an a=crypto attribute. It reports false for lines we
// cannot use: an unknown suite, a key of the wrong length, an MKI (we key one master key
// per direction), several keys, or session parameters that weaken or change the
// transform (UNENCRYPTED_*, UNAUTHENTICATED_SRTP, a key derivation rate, FEC_ORDER).
func parseCrypto(v string) (Crypto, bool) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return Crypto{}, false
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return Crypto{}, false
	}
	suite := strings.ToUpper(f[1])
	if suite != SuiteAES128SHA1_80 && suite != SuiteAES128SHA1_32 {
		return Crypto{}, false
	}
	params, ok := strings.CutPrefix(f[2], "inline:")
	if !ok || strings.Contains(params, ";") {
		return Crypto{}, false
	}
	parts := strings.Split(params, "|")
	if len(parts) > 3 {
		return Crypto{}, false
	}
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") { // MKI:length
			return Crypto{}, false
		}
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(parts[0])
	}
	if err != nil || len(key) != KeyLen {
		return Crypto{}, false
	}
	for _, sp := range f[3:] {
		name, _, _ := strings.Cut(strings.ToUpper(sp), "=")
		if name != "WSH" { // a replay window size changes nothing for us
			return Crypto{}, false
		}
	}
	return Crypto{Tag: tag, Suite: suite, Key: key}, true
}

// String renders the attribute value.
func (c Crypto) String() string {
	return strconv.Itoa(c.Tag) + " " + c.Suite + " inline:" + base64.StdEncoding.EncodeToString(c.Key)
}

func (c Crypto) attribute() psdp.Attribute { return psdp.NewAttribute("crypto", c.String()) }

// NewKey returns a fresh random master key and salt.
func NewKey() []byte {
	k := make([]byte, KeyLen)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// pickCrypto is the offered crypto line we answer: the first of our preferred suites
// the offer carries (the offerer's tag order decides among lines of one suite).
func pickCrypto(m *Media) (Crypto, bool) {
	for _, s := range suitePreference {
		for _, c := range m.Cryptos {
			if c.Suite == s {
				return c, true
			}
		}
	}
	return Crypto{}, false
}

// srtpAcceptable says whether an offered RTP m-line fits the mode.
func srtpAcceptable(m *Media, mode SRTPMode) bool {
	_, usable := pickCrypto(m)
	switch {
	case m.Secure():
		return mode != SRTPOff && usable
	case mode == SRTPRequired:
		return usable // best-effort SRTP on RTP/AVP: still encrypted
	}
	return true
}

// answerSRTP keys an accepted m-line: our key (keep, else a fresh one) under the
// offerer's tag and suite.
func answerSRTP(m *Media, mode SRTPMode, keep []byte) *SRTP {
	if mode == SRTPOff || mode == "" {
		return nil
	}
	c, ok := pickCrypto(m)
	if !ok {
		return nil
	}
	key := keep
	if len(key) != KeyLen {
		key = NewKey()
	}
	return &SRTP{Suite: c.Suite, Tag: c.Tag, LocalKey: key, RemoteKey: c.Key}
}

// offerCryptos are the a=crypto lines of an offered m-line: the preferred suite with a
// fresh key.
func offerCryptos() []Crypto {
	return []Crypto{{Tag: 1, Suite: suitePreference[0], Key: NewKey()}}
}

// answeredSRTP reads the keying of an answer to our offered m-line o: the answer's
// crypto line names one of our tags and suites and carries the peer's key. ok is false
// when the answer is unusable: we offered RTP/SAVP and it has no crypto we offered.
func answeredSRTP(o, m *Media) (*SRTP, bool) {
	for _, a := range m.Cryptos {
		for _, c := range o.Cryptos {
			if a.Tag == c.Tag && a.Suite == c.Suite {
				return &SRTP{Suite: c.Suite, Tag: c.Tag, LocalKey: c.Key, RemoteKey: a.Key}, true
			}
		}
	}
	return nil, !o.Secure()
}

// srtpAttribute is the a=crypto line of an answer carrying our key.
func (s *SRTP) attribute() psdp.Attribute {
	return Crypto{Tag: s.Tag, Suite: s.Suite, Key: s.LocalKey}.attribute()
}
