package decodecmd

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// threeFrames is a stream of three TPKTs (payloads "A", "BB", "CCC").
func threeFrames() (stream []byte, payloads [][]byte) {
	payloads = [][]byte{[]byte("A"), []byte("BB"), []byte("CCC")}
	for _, p := range payloads {
		stream = append(stream, 3, 0, 0, byte(4+len(p)))
		stream = append(stream, p...)
	}
	return stream, payloads
}

func TestHalfStream(t *testing.T) {
	stream, _ := threeFrames() // frames at [0,5) [5,11) [11,18)
	type seg struct{ from, to int }
	cases := []struct {
		name string
		isn  uint32
		syn  bool
		segs []seg
		// want[i] lists the payloads completed by segment i.
		want []string
	}{
		{"in-order-one-segment", 100, true, []seg{{0, 18}}, []string{"A,BB,CCC"}},
		{"split-inside-header", 100, true, []seg{{0, 2}, {2, 7}, {7, 18}}, []string{"", "A", "BB,CCC"}},
		{"out-of-order-gap-filled-last", 100, true, []seg{{0, 5}, {11, 18}, {5, 11}}, []string{"A", "", "BB,CCC"}},
		{"duplicate-retransmission", 100, true, []seg{{0, 5}, {0, 5}, {5, 18}, {5, 18}}, []string{"A", "", "BB,CCC", ""}},
		{"overlapping-retransmission", 100, true, []seg{{0, 7}, {3, 12}, {12, 18}}, []string{"A", "BB", "CCC"}},
		{"keepalive-probe-one-old-octet", 100, true, []seg{{0, 5}, {4, 5}, {5, 18}}, []string{"A", "", "BB,CCC"}},
		{"pending-duplicates", 100, true, []seg{{11, 18}, {11, 18}, {5, 11}, {0, 5}}, []string{"", "", "", "A,BB,CCC"}},
		{"sequence-wraparound", 0xFFFFFFF8, true, []seg{{0, 5}, {5, 11}, {11, 18}}, []string{"A", "BB", "CCC"}},
		{"wraparound-out-of-order", 0xFFFFFFF8, true, []seg{{11, 18}, {0, 11}}, []string{"", "A,BB,CCC"}},
		{"no-syn-starts-mid-capture", 7, false, []seg{{0, 5}, {5, 18}}, []string{"A", "BB,CCC"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h halfStream
			base := c.isn
			if c.syn {
				h.syn(c.isn)
				base++
			}
			var got []string
			for _, s := range c.segs {
				h.add(base+uint32(s.from), stream[s.from:s.to])
				frames, err := h.frames()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(bytes.Join(frames, []byte(","))))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestHalfStreamSYN(t *testing.T) {
	stream, _ := threeFrames()
	var h halfStream
	h.syn(100)
	h.add(101, stream[:5])
	h.syn(100) // retransmitted SYN: no reset
	h.add(101, stream[:5])
	if f, _ := h.frames(); len(f) != 1 {
		t.Fatalf("retransmitted SYN reset the stream: %d frames", len(f))
	}
	h.mode = modeOther
	h.syn(9000) // new connection, same addresses
	h.add(9001, stream[:5])
	if f, _ := h.frames(); len(f) != 1 || h.mode != modeTPKT {
		t.Fatalf("new connection not decoded: %d frames, mode %d", len(f), h.mode)
	}
}

func TestHalfStreamNotTPKT(t *testing.T) {
	cases := []struct {
		name    string
		data    []byte
		wantErr bool
	}{
		{"sip", []byte("INVITE sip:a@b SIP/2.0\r\n"), false},
		{"tpkt-then-garbage", []byte{3, 0, 0, 5, 'A', 'G', 'E', 'T', ' '}, true},
		{"length-below-header", []byte{3, 0, 0, 3, 0}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h halfStream
			h.add(1, c.data)
			_, err := h.frames()
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			if h.mode != modeOther {
				t.Fatalf("mode %d, want ignored", h.mode)
			}
			if h.add(uint32(1+len(c.data)), []byte{3, 0, 0, 5, 'A'}) {
				t.Fatal("ignored stream accepted more data")
			}
		})
	}
}

func TestHalfStreamPendingLimit(t *testing.T) {
	var h halfStream
	h.syn(0)
	for i := 0; i <= maxPendingSegments; i++ {
		h.add(uint32(10+2*i), []byte{0})
	}
	if h.mode != modeOther || len(h.pending) > maxPendingSegments {
		t.Fatalf("mode %d with %d pending segments", h.mode, len(h.pending))
	}
}

// FuzzReassembly feeds the segments described by the input (pairs of
// offset and length into a three-TPKT stream, in any order, duplicates
// allowed), then the whole stream once more: whatever the order, every
// payload must come out exactly once and in order.
func FuzzReassembly(f *testing.F) {
	f.Add([]byte{0, 18}, uint32(0))
	f.Add([]byte{11, 7, 0, 5, 5, 6}, uint32(0xFFFFFFF0))
	f.Add([]byte{3, 9, 0, 2, 7, 11, 1, 1}, uint32(12345))
	stream, payloads := threeFrames()
	f.Fuzz(func(t *testing.T, segs []byte, isn uint32) {
		if len(segs) > maxPendingSegments { // at most 128 segments: under the pending limit
			segs = segs[:maxPendingSegments]
		}
		var h halfStream
		h.syn(isn)
		var got [][]byte
		feed := func(from, to int) {
			h.add(isn+1+uint32(from), stream[from:to])
			frames, err := h.frames()
			if err != nil {
				t.Fatalf("segment [%d,%d): %v", from, to, err)
			}
			got = append(got, frames...)
		}
		for i := 0; i+1 < len(segs); i += 2 {
			from := int(segs[i]) % len(stream)
			to := from + 1 + int(segs[i+1])%(len(stream)-from)
			feed(from, to)
		}
		feed(0, len(stream))
		if fmt.Sprint(got) != fmt.Sprint(payloads) {
			t.Fatalf("got %q, want %q", got, payloads)
		}
	})
}
