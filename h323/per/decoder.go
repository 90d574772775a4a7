package per

import "fmt"

// Default Decoder limits.
const (
	DefaultMaxDepth = 64      // nested Enter calls
	DefaultMaxLen   = 1 << 20 // elements, octets or characters in one length
)

// Option configures a Decoder.
type Option func(*Decoder)

// WithMaxDepth bounds nesting (Enter calls, open types included).
func WithMaxDepth(n int) Option { return func(d *Decoder) { d.maxDepth = n } }

// WithMaxLen bounds any single length determinant or count (octets of an
// OCTET STRING or open type, bits of a BIT STRING, characters of a string,
// components of a SEQUENCE OF), in addition to the remaining-input check.
func WithMaxLen(n int) Option { return func(d *Decoder) { d.maxLen = n } }

// Decoder reads PER bits MSB-first from a byte slice. Byte slices it
// returns (OCTET STRING, open types, BIT STRING when aligned) may alias the
// input buffer; copy them to keep them beyond the buffer's lifetime.
type Decoder struct {
	buf      []byte
	pos      int // bit position
	end      int // bit length of buf
	depth    int
	maxDepth int
	maxLen   int
	// child is reused by sub for nested open-type contents: open types nest
	// strictly, so one child per level serves a whole decode without
	// allocating a Decoder for every extension addition.
	child *Decoder
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte, opts ...Option) *Decoder {
	d := &Decoder{buf: b, end: 8 * len(b), maxDepth: DefaultMaxDepth, maxLen: DefaultMaxLen}
	for _, o := range opts {
		o(d)
	}
	return d
}

// sub returns a decoder for nested open-type contents that shares limits
// and the current depth.
func (d *Decoder) sub(b []byte) *Decoder {
	c := d.child
	if c == nil {
		c = new(Decoder)
		d.child = c
	}
	*c = Decoder{buf: b, end: 8 * len(b), depth: d.depth, maxDepth: d.maxDepth, maxLen: d.maxLen, child: c.child}
	return c
}

// BitsLeft returns the number of unread bits.
func (d *Decoder) BitsLeft() int { return d.end - d.pos }

// Offset returns the current bit offset.
func (d *Decoder) Offset() int { return d.pos }

// Enter records one more level of nesting; call it at the start of every
// constructed type's decoder and Leave when done. It fails with ErrDepth
// beyond MaxDepth.
func (d *Decoder) Enter() error {
	if d.depth >= d.maxDepth {
		return d.errf("nesting", ErrDepth)
	}
	d.depth++
	return nil
}

// Leave undoes one Enter.
func (d *Decoder) Leave() {
	if d.depth > 0 {
		d.depth--
	}
}

func (d *Decoder) errf(what string, err error) error {
	return &SyntaxError{Offset: d.pos, What: what, Err: err}
}

// need checks that n more bits are available.
func (d *Decoder) need(n int, what string) error {
	if n < 0 || n > d.end-d.pos {
		return d.errf(what, ErrTruncated)
	}
	return nil
}

// GetBit reads one bit.
func (d *Decoder) GetBit() (bool, error) {
	if d.pos >= d.end {
		return false, d.errf("bit", ErrTruncated)
	}
	b := d.buf[d.pos>>3]&(0x80>>(d.pos&7)) != 0
	d.pos++
	return b, nil
}

// GetBoolean decodes a BOOLEAN (§12).
func (d *Decoder) GetBoolean() (bool, error) { return d.GetBit() }

// GetBits reads n bits (0..64) as an unsigned number, MSB first.
func (d *Decoder) GetBits(n int) (uint64, error) {
	if n > 64 {
		return 0, &StructuralError{Msg: "GetBits: more than 64 bits"}
	}
	if err := d.need(n, "bit-field"); err != nil {
		return 0, err
	}
	var v uint64
	for n >= 8 && d.pos&7 == 0 { // aligned whole octets
		v = v<<8 | uint64(d.buf[d.pos>>3])
		d.pos += 8
		n -= 8
	}
	for n > 0 {
		off := d.pos & 7
		take := min(8-off, n)
		b := d.buf[d.pos>>3] >> (8 - off - take) & byte(1<<take-1)
		v = v<<take | uint64(b)
		d.pos += take
		n -= take
	}
	return v, nil
}

// Align skips padding bits up to the next octet boundary. X.691 requires
// padding bits to be zero; non-zero padding is a SyntaxError, so that every
// accepted input re-encodes to the same bytes.
func (d *Decoder) Align() error {
	p := (d.pos + 7) &^ 7
	if p > d.end {
		return d.errf("alignment", ErrTruncated)
	}
	if k := p - d.pos; k > 0 && d.buf[d.pos>>3]&byte(1<<k-1) != 0 {
		return d.errf("non-zero padding", ErrRange)
	}
	d.pos = p
	return nil
}

// Finish checks that a complete encoding has been consumed: fewer than 8
// bits left, all zero. Call it after decoding a top-level PDU (open types
// are checked by GetOpenTypeFunc). An empty encoding is the single octet
// 0x00 (§11.1), which Finish accepts when nothing was read.
func (d *Decoder) Finish() error {
	left := d.end - d.pos
	if d.end == 0 {
		return d.errf("empty encoding", ErrTruncated)
	}
	if left >= 8 {
		if d.pos == 0 && d.end == 8 && d.buf[0] == 0 {
			d.pos = d.end
			return nil
		}
		return d.errf(fmt.Sprintf("%d trailing bits", left), ErrRange)
	}
	return d.Align()
}

// GetAlignedBytes aligns and returns the next n octets, aliasing the input.
func (d *Decoder) GetAlignedBytes(n int) ([]byte, error) {
	if err := d.Align(); err != nil {
		return nil, err
	}
	if n < 0 || n > (d.end-d.pos)/8 {
		return nil, d.errf("octets", ErrTruncated)
	}
	b := d.buf[d.pos/8 : d.pos/8+n : d.pos/8+n]
	d.pos += 8 * n
	return b, nil
}

// getBitsInto reads nbits bits (not aligned) into a new slice.
func (d *Decoder) getBitsInto(nbits int) ([]byte, error) {
	if err := d.need(nbits, "bits"); err != nil {
		return nil, err
	}
	out := make([]byte, (nbits+7)/8)
	for i := 0; nbits > 0; i++ {
		n := min(8, nbits)
		v, _ := d.GetBits(n)
		out[i] = byte(v << (8 - n))
		nbits -= n
	}
	return out, nil
}
