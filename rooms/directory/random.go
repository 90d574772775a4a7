package directory

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
)

// maxDraws bounds rejection sampling. Each draw is rejected with probability
// below 1/2 (the candidate range is less than twice the wanted range), so a
// working random source fails all of them with probability below 2^-64; a broken
// one gets an error instead of a hang.
const maxDraws = 64

// errRandom marks a random source that failed or kept yielding rejected values.
var errRandom = errors.New("random source exhausted")

// HostKeyBytes is the entropy of a host key (256 bits).
const HostKeyBytes = 32

// uniform returns a value uniformly distributed over [0, n), n >= 1, read from r.
//
// It reads the fewest whole bytes holding n-1, masks the surplus high bits and
// rejects candidates >= n. Reducing a wider value modulo n instead would make
// the low residues more likely whenever n does not divide the source's range.
func uniform(r io.Reader, n uint64) (uint64, error) {
	if n == 0 {
		return 0, fmt.Errorf("uniform: empty range: %w", ErrInvalid)
	}
	if n == 1 {
		return 0, nil
	}
	nbits := bits.Len64(n - 1)
	nbytes := (nbits + 7) / 8
	mask := uint64(1)<<nbits - 1
	if nbits == 64 {
		mask = ^uint64(0)
	}
	var buf [8]byte
	for range maxDraws {
		if _, err := io.ReadFull(r, buf[:nbytes]); err != nil {
			return 0, fmt.Errorf("read %d random bytes: %w: %w", nbytes, errRandom, err)
		}
		var v uint64
		for _, b := range buf[:nbytes] {
			v = v<<8 | uint64(b)
		}
		if v &= mask; v < n {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%d draws out of range [0,%d): %w", maxDraws, n, errRandom)
}

// pow10 returns 10^e for small e.
func pow10(e int) uint64 {
	p := uint64(1)
	for range e {
		p *= 10
	}
	return p
}

// NewMeetingID returns a random meeting ID of the given number of digits
// (9–11) with no leading zero, uniform over [10^(digits-1), 10^digits).
// r should be crypto/rand.Reader.
func NewMeetingID(r io.Reader, digits int) (string, error) {
	if digits < MinIDDigits || digits > MaxIDDigits {
		return "", fmt.Errorf("meeting id length %d: want %d–%d: %w", digits, MinIDDigits, MaxIDDigits, ErrInvalid)
	}
	lo := pow10(digits - 1)
	v, err := uniform(r, pow10(digits)-lo)
	if err != nil {
		return "", fmt.Errorf("meeting id: %w", err)
	}
	return strconv.FormatUint(lo+v, 10), nil
}

// NewHardwarePassword returns six random digits, uniform over 000000–999999
// except that it never returns avoid (it draws again instead, which keeps the
// remaining values equally likely). Pass the meeting password as avoid: a room
// system user must not be able to confuse the two secrets, and the hardware
// password must not reveal the meeting password.
func NewHardwarePassword(r io.Reader, avoid string) (string, error) {
	return newHardwarePassword(r, avoid)
}

func newHardwarePassword(r io.Reader, avoid ...string) (string, error) {
	n := pow10(HardwarePasswordLen)
draw:
	for range maxDraws {
		v, err := uniform(r, n)
		if err != nil {
			return "", fmt.Errorf("hardware password: %w", err)
		}
		s := fmt.Sprintf("%0*d", HardwarePasswordLen, v)
		for _, a := range avoid {
			if s == a {
				continue draw
			}
		}
		return s, nil
	}
	return "", fmt.Errorf("hardware password: %d draws hit avoided values: %w", maxDraws, errRandom)
}

// NewHostKey returns a URL-safe secret (unpadded base64url of 32 random bytes).
func NewHostKey(r io.Reader) (string, error) {
	var b [HostKeyBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("host key: %w: %w", errRandom, err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
