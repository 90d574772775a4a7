package decodecmd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/google/gopacket/layers"
)

func synthBytes(t testing.TB, ng bool) []byte {
	t.Helper()
	path := writeCapture(t, layers.LinkTypeEthernet, ng, false, []synthPacket{
		{src: netip.MustParseAddrPort("192.0.2.1:1719"), dst: netip.MustParseAddrPort("192.0.2.2:1719"), udp: true, payload: []byte{1, 2, 3}},
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNgGuard(t *testing.T) {
	good := synthBytes(t, true)
	huge := bytes.Clone(good)
	// The second block (interface description) follows the section
	// header; find the packet block by its type and give it a 1 GiB length.
	epb := bytes.Index(huge, []byte{6, 0, 0, 0})
	if epb < 0 {
		t.Fatal("no enhanced packet block in synthetic pcapng")
	}
	binary.LittleEndian.PutUint32(huge[epb+4:], 1<<30)
	odd := bytes.Clone(good)
	binary.LittleEndian.PutUint32(odd[epb+4:], 33)
	cases := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"valid-passes-unchanged", good, nil},
		{"block-of-1GiB-rejected", huge, errNgBlock},
		{"length-not-multiple-of-4", odd, errNgBlock},
		{"cut-mid-block", good[:len(good)-3], io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := io.ReadAll(newNgGuard(bytes.NewReader(c.in)))
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if c.wantErr == nil && !bytes.Equal(out, c.in) {
				t.Fatal("guard changed the stream")
			}
		})
	}
}

func TestOpenCaptureHostileLengths(t *testing.T) {
	pcap := synthBytes(t, false)
	// Snaplen 0xFFFFFFFF and a record claiming 1 GiB: must fail without
	// allocating it.
	binary.LittleEndian.PutUint32(pcap[16:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(pcap[24+8:], 1<<30)  // incl_len
	binary.LittleEndian.PutUint32(pcap[24+12:], 1<<30) // orig_len
	// Enhanced packet block: total length at +4, captured and original
	// packet lengths at +20 and +24.
	ng := synthBytes(t, true)
	epb := bytes.Index(ng, []byte{6, 0, 0, 0})
	for _, off := range []int{4, 20, 24} {
		binary.LittleEndian.PutUint32(ng[epb+off:], 1<<30)
	}
	cases := []struct {
		name string
		in   []byte
	}{
		{"pcap-record-1GiB", pcap},
		{"pcapng-block-1GiB", ng},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := openCapture(bytes.NewReader(c.in))
			if err != nil {
				return // rejected up front: fine
			}
			var before, after runtimeMem
			before.read()
			_, _, err = src.next()
			after.read()
			if err == nil {
				t.Fatal("oversized record accepted")
			}
			if grew := after.total - before.total; grew > 64<<20 {
				t.Fatalf("allocated %d bytes for a hostile record", grew)
			}
		})
	}
}
