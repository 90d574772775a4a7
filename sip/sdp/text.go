package sdp

import (
	"errors"
	"strconv"
	"strings"
)

// The SDP text reader. pion/sdp refuses a whole body for one line it does not
// know (m=control, m=image, a port of "*", a y= line, b=TIAS:abc), and real
// room systems send such lines next to perfectly usable audio and video. RFC
// 3264 §6 wants every m-line answered, the ones we do not understand with
// port 0, so this reader keeps what it cannot use instead of failing: an
// m-line it cannot read is kept with its tokens and marked Malformed, unknown
// line types and unreadable b= values are skipped (RFC 4566 §5 asks parsers
// to ignore what they do not understand at the attribute level; we extend
// that to whole lines rather than lose the call). Only a body that is not SDP
// at all (no v=0 first) is a syntax error.

var errNotSDP = errors.New(`body does not start with "v=0"`)

// textConn is a c= line (RFC 4566 §5.7): the address without /ttl or /count.
type textConn struct {
	addrType string
	addr     string
}

type textAttr struct {
	key, value string
}

type textBandwidth struct {
	typ   string
	value int
}

type textMedia struct {
	kind      string
	port      int
	portCount int
	proto     string
	formats   []string
	// malformed: the m-line's port or fields could not be read.
	malformed bool
	conn      *textConn
	bandwidth []textBandwidth
	attrs     []textAttr
}

type textSession struct {
	origin    Origin
	conn      *textConn
	bandwidth []textBandwidth
	attrs     []textAttr
	media     []textMedia
}

// readText splits an SDP body into its session and media sections.
func readText(b []byte) (*textSession, error) {
	if len(b) > MaxSize {
		return nil, &SyntaxError{Err: errTooLarge}
	}
	s := &textSession{}
	first := true
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if first {
			if strings.TrimSpace(line) != "v=0" {
				return nil, &SyntaxError{Err: errNotSDP}
			}
			first = false
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			continue // not a <type>=<value> line: ignored
		}
		typ, val := line[0], line[2:]
		if typ == 'm' {
			if len(s.media) == MaxMedia {
				return nil, &SyntaxError{Err: errTooManyMedia}
			}
			s.media = append(s.media, readMLine(val))
			continue
		}
		var m *textMedia
		if len(s.media) > 0 {
			m = &s.media[len(s.media)-1]
		}
		switch typ {
		case 'o':
			if m == nil {
				s.origin = readOrigin(val)
			}
		case 'c':
			c := readConn(val)
			if m != nil {
				m.conn = c
			} else {
				s.conn = c
			}
		case 'b':
			bw, ok := readBandwidth(val)
			switch {
			case !ok:
			case m != nil:
				m.bandwidth = append(m.bandwidth, bw)
			default:
				s.bandwidth = append(s.bandwidth, bw)
			}
		case 'a':
			k, v, _ := strings.Cut(val, ":")
			a := textAttr{key: strings.TrimSpace(k), value: v}
			if m != nil {
				m.attrs = append(m.attrs, a)
			} else {
				s.attrs = append(s.attrs, a)
			}
		}
	}
	if first {
		return nil, &SyntaxError{Err: errNotSDP}
	}
	return s, nil
}

// readMLine reads "m=<media> <port>[/<count>] <proto> <fmt> ..." (RFC 4566
// §5.14). A port we cannot read ("*", out of range) marks the line malformed
// with port 0: it is answered as rejected.
func readMLine(v string) textMedia {
	f := strings.Fields(v)
	m := textMedia{}
	if len(f) < 3 {
		m.malformed = true
		if len(f) > 0 {
			m.kind = f[0]
		}
		if len(f) > 2 {
			m.proto = f[2]
		}
		return m
	}
	m.kind, m.proto, m.formats = f[0], f[2], f[3:]
	port, count, hasCount := strings.Cut(f[1], "/")
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		m.malformed = true
		return m
	}
	m.port = p
	if hasCount {
		m.portCount = atoiBounded(count, 65535)
	}
	return m
}

func readOrigin(v string) Origin {
	f := strings.Fields(v)
	var o Origin
	if len(f) > 0 {
		o.Username = f[0]
	}
	if len(f) > 2 {
		o.SessionID, _ = strconv.ParseUint(f[1], 10, 64)
		o.Version, _ = strconv.ParseUint(f[2], 10, 64)
	}
	if len(f) > 5 {
		o.Address = f[5]
	}
	return o
}

// readConn reads "IN <addrtype> <address>[/ttl[/count]]". An unreadable line
// keeps an empty address, which the address check refuses for a used stream.
func readConn(v string) *textConn {
	f := strings.Fields(v)
	c := &textConn{}
	if len(f) > 1 {
		c.addrType = f[1]
	}
	if len(f) > 2 {
		c.addr, _, _ = strings.Cut(f[2], "/")
	}
	return c
}

func readBandwidth(v string) (textBandwidth, bool) {
	typ, val, ok := strings.Cut(v, ":")
	if !ok {
		return textBandwidth{}, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64)
	if err != nil {
		return textBandwidth{}, false
	}
	return textBandwidth{typ: strings.TrimSpace(typ), value: int(min(n, 1<<31-1))}, true
}
