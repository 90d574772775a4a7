package bfcp

import (
	"time"
)

// Fragments splits the encoded message m into version 2 fragments whose
// payload holds at most maxPayload octets (rounded down to a 4-octet
// multiple), for a path MTU smaller than the message (RFC 8855 §6.2). A
// message that fits is returned whole.
func Fragments(m *Message, maxPayload int) ([][]byte, error) {
	whole, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	maxPayload &^= 3
	payload := whole[HeaderSize:]
	if len(payload) <= maxPayload || maxPayload < 4 {
		return [][]byte{whole}, nil
	}
	var out [][]byte
	for off := 0; off < len(payload); off += maxPayload {
		end := min(off+maxPayload, len(payload))
		f := Message{Header: m.Header, FragmentData: payload[off:end]}
		f.Fragment = true
		f.PayloadLength = uint16(len(payload) / 4)
		f.FragmentOffset = uint16(off / 4)
		b, err := f.Marshal()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Reassembler joins the fragments of version 2 messages (RFC 8855 §6.2).
// It holds at most MaxPending incomplete messages, each for at most Timeout;
// the zero value uses 4 and 10 s. Not safe for concurrent use.
type Reassembler struct {
	MaxPending int
	Timeout    time.Duration

	pending []*partial
}

type fragKey struct {
	conf      uint32
	tid, user uint16
	prim      Primitive
	resp      bool
}

type partial struct {
	key     fragKey
	buf     []byte
	have    []bool // per 4-octet unit
	left    int
	started time.Time
}

// Add takes one fragment and returns the whole message once every fragment
// arrived, or nil. Inconsistent fragments are an error and drop the partial
// message.
func (r *Reassembler) Add(f *Message, now time.Time) (*Message, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	maxPending := r.MaxPending
	if maxPending <= 0 {
		maxPending = 4
	}
	r.expire(now, timeout)
	key := fragKey{f.ConferenceID, f.TransactionID, f.UserID, f.Primitive, f.Responder}
	var p *partial
	for _, q := range r.pending {
		if q.key == key {
			p = q
		}
	}
	total := 4 * int(f.PayloadLength)
	if p == nil {
		if len(r.pending) >= maxPending {
			r.pending = r.pending[1:]
		}
		p = &partial{key: key, buf: make([]byte, total), have: make([]bool, total/4), left: total / 4, started: now}
		r.pending = append(r.pending, p)
	}
	off, n := int(f.FragmentOffset), len(f.FragmentData)/4
	if len(p.buf) != total || off+n > len(p.have) || n != int(f.FragmentLength) {
		r.drop(p)
		return nil, syntaxErr(ErrIncorrectLength, "fragment %d+%d does not fit a %d-unit message", off, n, len(p.have))
	}
	for i := range n {
		if !p.have[off+i] {
			p.have[off+i] = true
			p.left--
		}
	}
	copy(p.buf[4*off:], f.FragmentData)
	if p.left > 0 {
		return nil, nil
	}
	r.drop(p)
	whole := make([]byte, HeaderSize+len(p.buf))
	h := f.Header
	h.Fragment = false
	h.marshalTo(whole)
	copy(whole[HeaderSize:], p.buf)
	var m Message
	if _, err := m.Unmarshal(whole); err != nil {
		return nil, err
	}
	return &m, nil
}

func (r *Reassembler) expire(now time.Time, timeout time.Duration) {
	kept := r.pending[:0]
	for _, p := range r.pending {
		if now.Sub(p.started) < timeout {
			kept = append(kept, p)
		}
	}
	clear(r.pending[len(kept):])
	r.pending = kept
}

func (r *Reassembler) drop(p *partial) {
	for i, q := range r.pending {
		if q == p {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			return
		}
	}
}
