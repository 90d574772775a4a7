package per

// Encoder appends PER bits MSB-first to a growing buffer. The zero value is
// ready to use. An Encoder is not safe for concurrent use.
type Encoder struct {
	buf  []byte
	nbit int // total bits written
	// child encodes nested open-type contents (PutOpenTypeFunc); it is
	// reset and reused, keeping its buffer, for every open type at the
	// next level.
	child *Encoder
}

// initialCap is the buffer NewEncoder starts with: most H.225.0 and H.245
// messages fit, so the buffer is not regrown octet run by octet run.
const initialCap = 256

// NewEncoder returns an empty Encoder.
func NewEncoder() *Encoder { return &Encoder{buf: make([]byte, 0, initialCap)} }

// Reset empties the encoder, keeping its buffer for reuse.
func (e *Encoder) Reset() {
	e.buf = e.buf[:0]
	e.nbit = 0
}

// BitLen returns the number of bits written so far.
func (e *Encoder) BitLen() int { return e.nbit }

// Bytes returns the encoding padded with zero bits to a whole octet. Per
// X.691 §11.1 a complete encoding is at least one octet: an empty encoding
// is returned as {0x00}. The slice aliases the encoder's buffer until the
// next write or Reset.
func (e *Encoder) Bytes() []byte {
	if e.nbit == 0 {
		return []byte{0}
	}
	return e.buf
}

// PutBit appends one bit.
func (e *Encoder) PutBit(b bool) {
	if e.nbit&7 == 0 {
		e.buf = append(e.buf, 0)
	}
	if b {
		e.buf[len(e.buf)-1] |= 0x80 >> (e.nbit & 7)
	}
	e.nbit++
}

// PutBoolean encodes a BOOLEAN (§12): one bit.
func (e *Encoder) PutBoolean(b bool) { e.PutBit(b) }

// PutNull encodes a NULL (§24): nothing.
func (e *Encoder) PutNull() {}

// PutBits appends the n low-order bits of v, most significant first.
// n must be in 0..64.
func (e *Encoder) PutBits(v uint64, n int) {
	for n >= 8 && e.nbit&7 == 0 { // aligned whole octets
		n -= 8
		e.buf = append(e.buf, byte(v>>n))
		e.nbit += 8
	}
	for n > 0 {
		free := 8 - e.nbit&7
		if free == 8 {
			e.buf = append(e.buf, 0)
		}
		take := min(free, n)
		chunk := byte(v>>(n-take)) & byte(1<<take-1)
		e.buf[len(e.buf)-1] |= chunk << (free - take)
		e.nbit += take
		n -= take
	}
}

// Align appends zero bits up to the next octet boundary (an
// "octet-aligned bit-field" starts here in the ALIGNED variant).
func (e *Encoder) Align() {
	e.nbit = (e.nbit + 7) &^ 7
}

// PutAlignedBytes aligns and appends b as whole octets.
func (e *Encoder) PutAlignedBytes(b []byte) {
	e.Align()
	e.buf = append(e.buf, b...)
	e.nbit += 8 * len(b)
}

// putBitsFrom appends the first nbits bits of b (MSB-first) without
// aligning.
func (e *Encoder) putBitsFrom(b []byte, nbits int) {
	if e.nbit&7 == 0 {
		full := nbits / 8
		e.buf = append(e.buf, b[:full]...)
		e.nbit += 8 * full
		if r := nbits & 7; r != 0 {
			e.PutBits(uint64(b[full]>>(8-r)), r)
		}
		return
	}
	for i := 0; nbits > 0; i++ {
		n := min(8, nbits)
		e.PutBits(uint64(b[i]>>(8-n)), n)
		nbits -= n
	}
}
