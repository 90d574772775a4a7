package sdp

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// A 30-byte key-salt from RFC 4568 §9.1's example.
const rfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"

func TestParseCrypto(t *testing.T) {
	for _, tc := range []struct {
		name, v string
		ok      bool
		suite   string
	}{
		{"rfc4568 example with lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^20", true, SuiteAES128SHA1_80},
		{"32-bit tag", "2 AES_CM_128_HMAC_SHA1_32 inline:" + rfcKey, true, SuiteAES128SHA1_32},
		{"lower-case suite", "3 aes_cm_128_hmac_sha1_80 inline:" + rfcKey, true, SuiteAES128SHA1_80},
		{"decimal lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|1048576", true, SuiteAES128SHA1_80},
		{"replay window session parameter", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " WSH=128", true, SuiteAES128SHA1_80},
		{"unpadded base64", "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.TrimRight(base64.StdEncoding.EncodeToString(make([]byte, 30)), "="), true, SuiteAES128SHA1_80},
		{"MKI", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + "|2^20|1:4", false, ""},
		{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + ";inline:" + rfcKey, false, ""},
		{"unencrypted SRTP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " UNENCRYPTED_SRTP", false, ""},
		{"unauthenticated SRTP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " UNAUTHENTICATED_SRTP", false, ""},
		{"key derivation rate", "1 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey + " KDR=24", false, ""},
		{"unknown suite", "1 AES_256_CM_HMAC_SHA1_80 inline:" + rfcKey, false, ""},
		{"short key", "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA", false, ""},
		{"not base64", "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", false, ""},
		{"no inline", "1 AES_CM_128_HMAC_SHA1_80 " + rfcKey, false, ""},
		{"bad tag", "x AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey, false, ""},
		{"too few fields", "1 AES_CM_128_HMAC_SHA1_80", false, ""},
		{"empty", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := parseCrypto(tc.v)
			if ok != tc.ok {
				t.Fatalf("parseCrypto(%q) ok = %v, want %v", tc.v, ok, tc.ok)
			}
			if ok && (c.Suite != tc.suite || len(c.Key) != KeyLen) {
				t.Errorf("got suite %s key %d bytes", c.Suite, len(c.Key))
			}
		})
	}
}

func TestParseSRTPMode(t *testing.T) {
	for in, want := range map[string]SRTPMode{"": SRTPOptional, "off": SRTPOff, "Optional": SRTPOptional, " required ": SRTPRequired} {
		if got, err := ParseSRTPMode(in); err != nil || got != want {
			t.Errorf("ParseSRTPMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSRTPMode("mandatory"); err == nil {
		t.Error("ParseSRTPMode accepted an unknown mode")
	}
}

// cryptoOffer is an audio+video offer; proto is RTP/AVP or RTP/SAVP and cryptos the
// a=crypto lines of each m-line.
func cryptoOffer(proto string, cryptos ...string) []byte {
	var b strings.Builder
	b.WriteString("v=0\no=room 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n")
	b.WriteString("m=audio 6000 " + proto + " 0\na=rtpmap:0 PCMU/8000\n")
	for _, c := range cryptos {
		b.WriteString("a=crypto:" + c + "\n")
	}
	b.WriteString("m=video 6002 " + proto + " 96\na=rtpmap:96 H264/90000\na=fmtp:96 profile-level-id=42e01f;packetization-mode=1\n")
	for _, c := range cryptos {
		b.WriteString("a=crypto:" + c + "\n")
	}
	return crlf(b.String())
}

func TestNegotiateSRTP(t *testing.T) {
	k80 := "2 AES_CM_128_HMAC_SHA1_80 inline:" + rfcKey
	k32 := "1 AES_CM_128_HMAC_SHA1_32 inline:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 30))
	for _, tc := range []struct {
		name  string
		mode  SRTPMode
		offer []byte
		// want: "" refused, "plain", or the suite answered
		want string
	}{
		{"optional/SAVP->80 preferred over 32", SRTPOptional, cryptoOffer("RTP/SAVP", k32, k80), SuiteAES128SHA1_80},
		{"optional/SAVP only 32", SRTPOptional, cryptoOffer("RTP/SAVP", k32), SuiteAES128SHA1_32},
		{"optional/AVP+crypto->best-effort SRTP", SRTPOptional, cryptoOffer("RTP/AVP", k80), SuiteAES128SHA1_80},
		{"optional/AVP->plain", SRTPOptional, cryptoOffer("RTP/AVP"), "plain"},
		{"optional/SAVP without usable crypto->refused", SRTPOptional, cryptoOffer("RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:"+rfcKey+"|2^20|1:4"), ""},
		{"required/AVP->refused", SRTPRequired, cryptoOffer("RTP/AVP"), ""},
		{"required/AVP+crypto->SRTP", SRTPRequired, cryptoOffer("RTP/AVP", k80), SuiteAES128SHA1_80},
		{"required/SAVP->SRTP", SRTPRequired, cryptoOffer("RTP/SAVPF", k80), SuiteAES128SHA1_80},
		{"off/SAVP->refused", SRTPOff, cryptoOffer("RTP/SAVP", k80), ""},
		{"off/AVP+crypto->plain", SRTPOff, cryptoOffer("RTP/AVP", k80), "plain"},
		{"zero mode is off", "", cryptoOffer("RTP/SAVP", k80), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps := DefaultCapabilities()
			caps.SRTP = tc.mode
			res, err := Negotiate(tc.offer, caps, testLocal)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("negotiated, want refusal; answer:\n%s", res.SDP)
				}
				if sc, ok := err.(StatusCoder); !ok || sc.SIPStatus() != 488 {
					t.Errorf("refusal %v, want a 488 NegotiationError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ans, err := Parse(res.SDP)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range []*Stream{&res.Audio.Stream, &res.Video.Stream} {
				m := ans.Media[i]
				offered, _ := Parse(tc.offer)
				if m.Proto != offered.Media[i].Proto {
					t.Errorf("m-line %d answered %s to %s", i, m.Proto, offered.Media[i].Proto)
				}
				if tc.want == "plain" {
					if s.SRTP != nil || m.Crypto {
						t.Errorf("m-line %d keyed, want plain RTP: %+v", i, s.SRTP)
					}
					continue
				}
				if s.SRTP == nil || s.SRTP.Suite != tc.want {
					t.Fatalf("m-line %d SRTP %+v, want %s", i, s.SRTP, tc.want)
				}
				if len(m.Cryptos) != 1 || m.Cryptos[0].Suite != tc.want || !bytes.Equal(m.Cryptos[0].Key, s.SRTP.LocalKey) {
					t.Errorf("m-line %d answer crypto %+v, want our local key under %s", i, m.Cryptos, tc.want)
				}
				want, _ := pickCrypto(&offered.Media[i])
				if m.Cryptos[0].Tag != want.Tag || !bytes.Equal(s.SRTP.RemoteKey, want.Key) {
					t.Errorf("m-line %d: tag %d remote key %x, want the offer's tag %d key", i, m.Cryptos[0].Tag, s.SRTP.RemoteKey, want.Tag)
				}
				if bytes.Equal(s.SRTP.LocalKey, s.SRTP.RemoteKey) {
					t.Errorf("m-line %d: we send with the peer's key", i)
				}
			}
			if a, v := res.Audio.SRTP, res.Video.SRTP; a != nil && v != nil && bytes.Equal(a.LocalKey, v.LocalKey) {
				t.Error("audio and video share a master key")
			}
		})
	}
}

// TestOfferAnswerSRTP: our offer (dial-out, offer-less INVITE) and a peer's answer key
// both directions consistently, and an RTP/SAVP offer answered without crypto is refused.
func TestOfferAnswerSRTP(t *testing.T) {
	for _, mode := range []SRTPMode{SRTPRequired} {
		t.Run(string(mode), func(t *testing.T) {
			caps := DefaultCapabilities()
			caps.SRTP = mode
			offer, err := BuildOffer(caps, testLocal)
			if err != nil {
				t.Fatal(err)
			}
			off, _ := Parse(offer)
			for _, m := range off.Media {
				if m.Proto != "RTP/SAVP" || len(m.Cryptos) != 1 || m.Cryptos[0].Suite != SuiteAES128SHA1_80 {
					t.Fatalf("offer m=%s %s with %+v, want RTP/SAVP with one _80 key", m.Kind, m.Proto, m.Cryptos)
				}
			}
			// The peer answers as our own answerer would.
			peer, err := Negotiate(offer, caps, Local{Addr: testLocal.Addr, AudioPort: 5000, VideoPort: 5002, SessionID: 9, Version: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ParseAnswer(offer, peer.SDP)
			if err != nil {
				t.Fatal(err)
			}
			for i, pair := range [][2]*SRTP{{res.Audio.SRTP, peer.Audio.SRTP}, {res.Video.SRTP, peer.Video.SRTP}} {
				ours, theirs := pair[0], pair[1]
				if ours == nil || theirs == nil {
					t.Fatalf("stream %d not keyed: ours %+v theirs %+v", i, ours, theirs)
				}
				if ours.Suite != theirs.Suite || !bytes.Equal(ours.LocalKey, theirs.RemoteKey) || !bytes.Equal(ours.RemoteKey, theirs.LocalKey) {
					t.Errorf("stream %d keys do not pair: ours %+v theirs %+v", i, ours, theirs)
				}
			}
			// An answer that drops the crypto lines.
			plain := bytes.ReplaceAll(peer.SDP, []byte("a=crypto:"), []byte("a=x-crypto:"))
			res, err = ParseAnswer(offer, plain)
			if mode == SRTPRequired {
				if err == nil {
					t.Errorf("RTP/SAVP offer answered without crypto accepted: %+v", res)
				}
			} else if err != nil || res.Audio.SRTP != nil {
				t.Errorf("best-effort offer answered plain: %v, %+v", err, res)
			}
		})
	}
	for _, mode := range []SRTPMode{SRTPOff, SRTPOptional} {
		caps := DefaultCapabilities()
		caps.SRTP = mode
		offer, _ := BuildOffer(caps, testLocal)
		if bytes.Contains(offer, []byte("a=crypto")) || bytes.Contains(offer, []byte("SAVP")) {
			t.Errorf("SRTP %s offers keys:\n%s", mode, offer)
		}
	}
}
