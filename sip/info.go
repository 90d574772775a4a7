package sip

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// INFO content types (RFC 6086 §4.2 legacy usages room systems still send).
const (
	contentDTMFRelay    = "application/dtmf-relay"
	contentDTMF         = "application/dtmf"
	contentMediaControl = "application/media_control+xml"
)

// FastUpdateXML asks for an intra picture (RFC 5168 §3).
const FastUpdateXML = `<?xml version="1.0" encoding="utf-8" ?>
<media_control>
  <vc_primitive>
    <to_encoder>
      <picture_fast_update/>
    </to_encoder>
  </vc_primitive>
</media_control>
`

// maxInfoBody bounds what we read from an INFO body.
const maxInfoBody = 4096

var (
	errUnknownInfo = errors.New("sip: unsupported INFO content type")
	errBadInfo     = errors.New("sip: malformed INFO body")
)

// Info is what an INFO body carried.
type Info struct {
	Digit      rune // 0-9, *, #, A-D; 0 when none
	Duration   time.Duration
	FastUpdate bool
}

// ParseInfo decodes an INFO body by content type: DTMF relay
// ("Signal=5\r\nDuration=160"), plain DTMF ("5") or RFC 5168 media control.
func ParseInfo(contentType string, body []byte) (Info, error) {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	ct = strings.TrimSpace(ct)
	if len(body) > maxInfoBody {
		return Info{}, errBadInfo
	}
	switch ct {
	case contentDTMFRelay:
		var in Info
		for line := range strings.SplitSeq(string(body), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "signal":
				d, ok := parseDigit(strings.TrimSpace(v))
				if !ok {
					return Info{}, errBadInfo
				}
				in.Digit = d
			case "duration":
				if ms, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && ms > 0 && ms < 60000 {
					in.Duration = time.Duration(ms) * time.Millisecond
				}
			}
		}
		if in.Digit == 0 {
			return Info{}, errBadInfo
		}
		return in, nil
	case contentDTMF:
		d, ok := parseDigit(strings.TrimSpace(string(body)))
		if !ok {
			return Info{}, errBadInfo
		}
		return Info{Digit: d}, nil
	case contentMediaControl:
		if strings.Contains(string(body), "picture_fast_update") {
			return Info{FastUpdate: true}, nil
		}
		return Info{}, errBadInfo
	}
	return Info{}, errUnknownInfo
}

// parseDigit accepts one DTMF character or its RFC 4733 event number
// (10 = *, 11 = #, 12–15 = A–D), as some endpoints send.
func parseDigit(s string) (rune, bool) {
	if len(s) == 1 {
		switch c := rune(s[0]); {
		case c >= '0' && c <= '9', c == '*', c == '#':
			return c, true
		case c >= 'A' && c <= 'D':
			return c, true
		case c >= 'a' && c <= 'd':
			return c - 'a' + 'A', true
		}
		return 0, false
	}
	switch s {
	case "10":
		return '*', true
	case "11":
		return '#', true
	case "12", "13", "14", "15":
		return rune('A' + s[1] - '2'), true
	}
	return 0, false
}

// DTMFRelayBody renders a digit as application/dtmf-relay.
func DTMFRelayBody(digit rune, d time.Duration) []byte {
	return []byte("Signal=" + string(digit) + "\r\nDuration=" + strconv.Itoa(int(d/time.Millisecond)) + "\r\n")
}
