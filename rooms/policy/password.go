package policy

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/roomgate/roomgate/rooms/directory"
)

// CheckPassword reports whether given admits a caller to meeting m.
//
// A meeting without a password admits anyone. Otherwise web users must give
// the meeting password; room systems may give the meeting password or the
// six-digit hardware password.
//
// Why web users may not use the hardware password: it exists only because a
// room system's remote control can send nothing but DTMF digits, and it is
// weak by design (10^6 values) and less secret (it travels in SIP URIs and
// H.323 dial strings such as 123456789.654321@host, which end up in endpoint
// call logs and directories). Accepting it on the web would cut every
// meeting's password down to a six-digit PIN that any browser on the internet
// could guess at. Room systems get it because they have no other way in; their
// attempts go through the same Limiter as everyone's.
//
// The comparison takes the same time whatever the inputs: both sides are hashed
// with SHA-256 before a constant-time compare, so neither the position of the
// first wrong byte nor the password's length leaks, and for room systems both
// secrets are always compared.
func CheckPassword(m directory.Meeting, given string, roomSystem bool) bool {
	if m.Password == "" {
		return true
	}
	g := sha256.Sum256([]byte(given))
	ok := equalHashed(g, m.Password)
	if roomSystem && m.HardwarePassword != "" {
		ok |= equalHashed(g, m.HardwarePassword)
	}
	return ok == 1
}

// equalHashed returns 1 when g is the SHA-256 of secret, else 0, in constant time.
func equalHashed(g [sha256.Size]byte, secret string) int {
	s := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(g[:], s[:])
}
