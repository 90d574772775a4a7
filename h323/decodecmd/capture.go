package decodecmd

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// packetSource yields the packets of a capture file with their link type.
type packetSource interface {
	next() (data []byte, lt layers.LinkType, err error)
}

type pcapSource struct{ r *pcapgo.Reader }

func (s pcapSource) next() ([]byte, layers.LinkType, error) {
	data, _, err := s.r.ReadPacketData()
	return data, s.r.LinkType(), err
}

type ngSource struct{ r *pcapgo.NgReader }

func (s ngSource) next() ([]byte, layers.LinkType, error) {
	data, ci, err := s.r.ReadPacketData()
	if err != nil {
		return nil, 0, err
	}
	lt := s.r.LinkType()
	if len(ci.AncillaryData) > 0 {
		if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			lt = l
		}
	}
	return data, lt, nil
}

func isPcapMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	for _, m := range [][]byte{
		{0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1}, // microseconds
		{0xa1, 0xb2, 0x3c, 0x4d}, {0x4d, 0x3c, 0xb2, 0xa1}, // nanoseconds
	} {
		if bytes.Equal(b[:4], m) {
			return true
		}
	}
	return false
}

// errReaderPanic reports a panic inside the capture file reader.
var errReaderPanic = errors.New("capture reader failed on malformed input")

// guarded turns panics of the pcap/pcapng readers into errors: pcapgo
// v1.1.19 divides by zero on some malformed pcapng interface options
// (found by FuzzDecodeCapture; the crasher is kept in testdata/fuzz).
type guarded struct{ src packetSource }

func (g guarded) next() (data []byte, lt layers.LinkType, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, lt, err = nil, 0, fmt.Errorf("%w: %v", errReaderPanic, p)
		}
	}()
	return g.src.next()
}

// openCapture sniffs the magic bytes of r: gzip (then sniffs again),
// pcapng or pcap. The source it returns never panics.
func openCapture(r io.Reader) (src packetSource, err error) {
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, fmt.Errorf("%w: %v", errReaderPanic, p)
		}
	}()
	src, err = sniffCapture(r)
	if err != nil {
		return nil, err
	}
	return guarded{src}, nil
}

func sniffCapture(r io.Reader) (packetSource, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4)
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReader(zr)
		head, _ = br.Peek(4)
	}
	switch {
	case bytes.Equal(head, []byte{0x0a, 0x0d, 0x0d, 0x0a}):
		r, err := pcapgo.NewNgReader(newNgGuard(br), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, fmt.Errorf("pcapng: %w", err)
		}
		return ngSource{r}, nil
	case isPcapMagic(head):
		hdr, err := clampSnaplen(br)
		if err != nil {
			return nil, fmt.Errorf("pcap: %w", err)
		}
		r, err := pcapgo.NewReader(io.MultiReader(bytes.NewReader(hdr), br))
		if err != nil {
			return nil, fmt.Errorf("pcap: %w", err)
		}
		return pcapSource{r}, nil
	}
	return nil, fmt.Errorf("not a pcap, pcapng or gzip file (magic % x)", head)
}

// Link types carrying bare IP: LINKTYPE_RAW and the DLT_RAW values some
// systems write (12, 14), LINKTYPE_IPV4, LINKTYPE_IPV6.
const (
	linkTypeRawBSD  layers.LinkType = 12
	linkTypeRawBSD2 layers.LinkType = 14
)

var errLinkType = errors.New("unsupported link type")

// firstDecoder returns the gopacket decoder for a packet's first layer.
func firstDecoder(lt layers.LinkType, data []byte) (gopacket.Decoder, error) {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, nil
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, nil
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback, nil
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, linkTypeRawBSD, linkTypeRawBSD2:
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, nil
		}
		return layers.LayerTypeIPv4, nil
	}
	return nil, fmt.Errorf("%w %d (%v)", errLinkType, int(lt), lt)
}

// maxSnaplen bounds the per-packet allocation pcapgo makes from the
// capture length of each record (262144 is tcpdump's default snaplen).
const maxSnaplen = 262144

// clampSnaplen reads the 24-octet pcap file header and lowers a larger
// snaplen to maxSnaplen, so that pcapgo rejects oversized records instead
// of allocating what a corrupt length field asks for. A snaplen of 0
// (written by some tools for "unlimited") becomes maxSnaplen too.
func clampSnaplen(r io.Reader) ([]byte, error) {
	hdr := make([]byte, 24)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if hdr[0] == 0xa1 {
		order = binary.BigEndian
	}
	if s := order.Uint32(hdr[16:20]); s > maxSnaplen || s == 0 {
		order.PutUint32(hdr[16:20], maxSnaplen)
	}
	return hdr, nil
}
