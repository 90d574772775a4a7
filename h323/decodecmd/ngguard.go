package decodecmd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxNgBlock bounds a pcapng block. pcapgo's NgReader allocates a
// packet's capture length before reading it, and that length is only
// bounded by the 32-bit block length, so a corrupt file could ask for
// gigabytes; the guard rejects such blocks first.
const maxNgBlock = 16 << 20

var errNgBlock = errors.New("pcapng block length invalid")

// ngGuard passes a pcapng stream through unchanged while checking each
// block's total length (pcapng §3.1: type, total length, body, total
// length; the section header block's byte-order magic sets the order).
type ngGuard struct {
	r         io.Reader
	order     binary.ByteOrder
	hdr       []byte // header octets read ahead, not yet returned
	remaining int    // octets of the current block still to pass through
}

func newNgGuard(r io.Reader) *ngGuard { return &ngGuard{r: r, order: binary.LittleEndian} }

func (g *ngGuard) Read(p []byte) (int, error) {
	if len(g.hdr) == 0 && g.remaining == 0 {
		if err := g.nextBlock(); err != nil {
			return 0, err
		}
	}
	if len(g.hdr) > 0 {
		n := copy(p, g.hdr)
		g.hdr = g.hdr[n:]
		return n, nil
	}
	if len(p) > g.remaining {
		p = p[:g.remaining]
	}
	n, err := g.r.Read(p)
	g.remaining -= n
	if errors.Is(err, io.EOF) && g.remaining > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// nextBlock reads and checks the next block header.
func (g *ngGuard) nextBlock() error {
	var h [12]byte
	if _, err := io.ReadFull(g.r, h[:8]); err != nil {
		return err // io.EOF at a block boundary is the clean end
	}
	hlen := 8
	if binary.BigEndian.Uint32(h[:4]) == 0x0A0D0D0A { // section header block
		if _, err := io.ReadFull(g.r, h[8:12]); err != nil {
			return fmt.Errorf("%w: section header cut short", errNgBlock)
		}
		switch {
		case binary.BigEndian.Uint32(h[8:12]) == 0x1A2B3C4D:
			g.order = binary.BigEndian
		case binary.LittleEndian.Uint32(h[8:12]) == 0x1A2B3C4D:
			g.order = binary.LittleEndian
		default:
			return fmt.Errorf("%w: bad byte-order magic", errNgBlock)
		}
		hlen = 12
	}
	total := g.order.Uint32(h[4:8])
	if total < uint32(hlen)+4 || total%4 != 0 || total > maxNgBlock {
		return fmt.Errorf("%w: %d", errNgBlock, total)
	}
	g.hdr = append([]byte(nil), h[:hlen]...)
	g.remaining = int(total) - hlen
	return nil
}
