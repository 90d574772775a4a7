package dtmf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadInfo reports a SIP INFO DTMF body that cannot be parsed.
var ErrBadInfo = errors.New("dtmf: invalid INFO body")

// maxInfoBody bounds what the parsers look at; real bodies are ~30 bytes.
const maxInfoBody = 1024

// InfoDigit is a key press carried in a SIP INFO request.
type InfoDigit struct {
	Digit    rune
	Duration time.Duration // zero when the body gave none
}

// parseSignal accepts a key ("5", "*", "#", "A") or, as some endpoints send
// for application/dtmf-relay, its RFC 4733 code ("10" for '*', "11" for '#').
func parseSignal(s string) (rune, error) {
	s = strings.TrimSpace(s)
	if len(s) == 1 {
		if _, err := Code(rune(s[0])); err == nil {
			r := rune(s[0])
			if r >= 'a' && r <= 'd' {
				r -= 'a' - 'A'
			}
			return r, nil
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 16 {
		return Digit(byte(n))
	}
	return 0, fmt.Errorf("%w: signal %q", ErrBadInfo, s)
}

// ParseDTMFRelay parses an application/dtmf-relay body: "Signal=5" and
// "Duration=160" (milliseconds) lines, CRLF or LF, keys case-insensitive,
// other lines ignored.
func ParseDTMFRelay(body []byte) (InfoDigit, error) {
	if len(body) > maxInfoBody {
		return InfoDigit{}, fmt.Errorf("%w: %d bytes", ErrBadInfo, len(body))
	}
	var d InfoDigit
	seen := false
	for _, line := range strings.Split(string(body), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "signal":
			r, err := parseSignal(v)
			if err != nil {
				return InfoDigit{}, err
			}
			d.Digit, seen = r, true
		case "duration":
			ms, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || ms < 0 || ms > 60000 {
				return InfoDigit{}, fmt.Errorf("%w: duration %q", ErrBadInfo, v)
			}
			d.Duration = time.Duration(ms) * time.Millisecond
		}
	}
	if !seen {
		return InfoDigit{}, fmt.Errorf("%w: no Signal", ErrBadInfo)
	}
	return d, nil
}

// FormatDTMFRelay renders an application/dtmf-relay body.
func FormatDTMFRelay(d InfoDigit) string {
	return fmt.Sprintf("Signal=%c\r\nDuration=%d\r\n", d.Digit, d.Duration.Milliseconds())
}

// ParseDTMF parses an application/dtmf body: the key alone ("5"), possibly
// surrounded by white space.
func ParseDTMF(body []byte) (InfoDigit, error) {
	if len(body) > maxInfoBody {
		return InfoDigit{}, fmt.Errorf("%w: %d bytes", ErrBadInfo, len(body))
	}
	r, err := parseSignal(string(body))
	if err != nil {
		return InfoDigit{}, err
	}
	return InfoDigit{Digit: r}, nil
}
