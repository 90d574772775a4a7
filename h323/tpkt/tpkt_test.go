package tpkt

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestHeaderUnmarshal(t *testing.T) {
	cases := []struct {
		name    string
		in      []byte
		want    Header
		wantErr error
	}{
		{"q931-setup", []byte{3, 0, 0, 0xa0, 8}, Header{3, 0, 160}, nil},
		{"empty-keepalive", []byte{3, 0, 0, 4}, Header{3, 0, 4}, nil},
		{"max-length", []byte{3, 0, 0xff, 0xff}, Header{3, 0, 0xffff}, nil},
		{"short", []byte{3, 0, 0}, Header{}, errShortBuffer},
		{"nil", nil, Header{}, errShortBuffer},
		{"version-2", []byte{2, 0, 0, 8}, Header{}, errBadVersion},
		{"reserved-set", []byte{3, 1, 0, 8}, Header{}, errBadReserved},
		{"length-3", []byte{3, 0, 0, 3}, Header{}, errBadLength},
		{"length-0", []byte{3, 0, 0, 0}, Header{}, errBadLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h Header
			n, err := h.Unmarshal(c.in)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if n != HeaderSize || h != c.want {
				t.Fatalf("got n=%d %+v, want %+v", n, h, c.want)
			}
			out, err := h.Marshal()
			if err != nil || !bytes.Equal(out, c.in[:HeaderSize]) {
				t.Fatalf("Marshal = %x, %v; want %x", out, err, c.in[:HeaderSize])
			}
		})
	}
}

func TestPacketUnmarshal(t *testing.T) {
	cases := []struct {
		name        string
		in          []byte
		wantPayload []byte
		wantN       int
		wantErr     error
	}{
		{"one-packet", []byte{3, 0, 0, 6, 0x20, 0x80}, []byte{0x20, 0x80}, 6, nil},
		{"two-packets-first", []byte{3, 0, 0, 7, 0x21, 0x80, 0x01, 3, 0, 0, 6, 0x20, 0xa0}, []byte{0x21, 0x80, 0x01}, 7, nil},
		{"empty-payload", []byte{3, 0, 0, 4}, []byte{}, 4, nil},
		{"truncated-payload", []byte{3, 0, 0, 10, 1, 2}, nil, 0, errShortBuffer},
		{"bad-version", []byte{0x16, 3, 1, 0, 1}, nil, 0, errBadVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			n, err := p.Unmarshal(c.in)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if n != c.wantN || !bytes.Equal(p.Payload, c.wantPayload) {
				t.Fatalf("got n=%d payload=%x, want n=%d payload=%x", n, p.Payload, c.wantN, c.wantPayload)
			}
			out, err := p.Marshal()
			if err != nil || !bytes.Equal(out, c.in[:n]) {
				t.Fatalf("Marshal = %x, %v; want %x", out, err, c.in[:n])
			}
		})
	}
}

func TestReadFrame(t *testing.T) {
	cases := []struct {
		name    string
		in      []byte
		max     int
		want    [][]byte
		wantErr error // error after the frames in want
	}{
		{"two-frames-then-eof", []byte{3, 0, 0, 5, 0xaa, 3, 0, 0, 6, 1, 2}, 0, [][]byte{{0xaa}, {1, 2}}, io.EOF},
		// ndpi__h323-overflow.pcap carries exactly this bare header.
		{"overflow-capture-bare-header", []byte{3, 0, 0, 4}, 0, [][]byte{{}}, io.EOF},
		{"header-cut", []byte{3, 0}, 0, nil, io.ErrUnexpectedEOF},
		{"payload-cut", []byte{3, 0, 0, 9, 1, 2}, 0, nil, io.ErrUnexpectedEOF},
		{"over-limit", []byte{3, 0, 0x10, 0, 1}, 1024, nil, errTooLarge},
		{"at-limit", append([]byte{3, 0, 0, 8}, 1, 2, 3, 4), 8, [][]byte{{1, 2, 3, 4}}, io.EOF},
		{"garbage", []byte("GET / HTTP/1.1\r\n"), 0, nil, errBadVersion},
		{"length-below-header", []byte{3, 0, 0, 2, 0, 0}, 0, nil, errBadLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// OneByteReader makes every read short, as TCP may.
			r := iotest.OneByteReader(bytes.NewReader(c.in))
			for i, want := range c.want {
				got, err := ReadFrame(r, c.max)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if got == nil || !bytes.Equal(got, want) {
					t.Fatalf("frame %d = %x, want %x", i, got, want)
				}
			}
			_, err := ReadFrame(r, c.max)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("final err = %v, want %v", err, c.wantErr)
			}
			if IsBadFrame(err) != (c.wantErr == errBadVersion || c.wantErr == errBadLength || c.wantErr == errTooLarge) {
				t.Fatalf("IsBadFrame(%v) wrong", err)
			}
		})
	}
}

func TestWriteFrame(t *testing.T) {
	cases := []struct {
		name    string
		payload []byte
		want    []byte
		wantErr error
	}{
		{"msd-ack", []byte{0x20, 0x80}, []byte{3, 0, 0, 6, 0x20, 0x80}, nil},
		{"empty", nil, []byte{3, 0, 0, 4}, nil},
		{"max", make([]byte, MaxPayloadSize), nil, nil},
		{"too-big", make([]byte, MaxPayloadSize+1), nil, errPayloadTooBig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteFrame(&buf, c.payload)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				if buf.Len() != 0 {
					t.Fatalf("wrote %d octets on error", buf.Len())
				}
				return
			}
			if c.want != nil && !bytes.Equal(buf.Bytes(), c.want) {
				t.Fatalf("wrote %x, want %x", buf.Bytes(), c.want)
			}
			got, err := ReadFrame(&buf, 0)
			if err != nil || !bytes.Equal(got, c.payload) || len(got) != len(c.payload) {
				t.Fatalf("read back %d octets, %v", len(got), err)
			}
		})
	}
}

func BenchmarkReadFrame(b *testing.B) {
	frame := append([]byte{3, 0, 0, 164}, make([]byte, 160)...)
	r := bytes.NewReader(nil)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		r.Reset(frame)
		if _, err := ReadFrame(r, 0); err != nil {
			b.Fatal(err)
		}
	}
}
