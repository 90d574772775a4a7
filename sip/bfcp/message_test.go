package bfcp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func TestCatalogRoundTrip(t *testing.T) {
	for _, v := range []uint8{Version1, Version2} {
		for _, m := range catalog(v) {
			t.Run(m.Primitive.String(), func(t *testing.T) {
				b, err := m.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if len(b)%4 != 0 || len(b) != m.MarshalSize() {
					t.Fatalf("size %d, MarshalSize %d", len(b), m.MarshalSize())
				}
				var got Message
				n, err := got.Unmarshal(b)
				if err != nil || n != len(b) {
					t.Fatalf("Unmarshal: n=%d err=%v", n, err)
				}
				want := m
				want.PayloadLength = uint16((len(b) - HeaderSize) / 4)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("round trip\n got %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

// TestAttributeLayout checks encodings against RFC 8855's figures.
func TestAttributeLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Attribute
		want []byte
	}{
		{"FLOOR-ID", NewUint16(FloorID, 0x0102), []byte{2 << 1, 4, 1, 2}},
		{"PRIORITY-high", NewPriority(PrioHigh), []byte{4 << 1, 4, 3 << 5, 0}},
		{"REQUEST-STATUS", NewRequestStatus(StatusGranted, 2), []byte{5 << 1, 4, 3, 2}},
		{"ERROR-CODE-padded", NewErrorCode(ErrInvalidFloorID, nil), []byte{6 << 1, 3, 6, 0}},
		{"mandatory-bit", Attribute{Type: FloorID, Mandatory: true, Value: []byte{0, 1}}, []byte{2<<1 | 1, 4, 0, 1}},
		{"STATUS-INFO-pad", NewText(StatusInfo, "abc"), []byte{9 << 1, 5, 'a', 'b', 'c', 0, 0, 0}},
		{"grouped", NewGroup(FloorRequestStatusAttr, 5, NewRequestStatus(StatusPending, 1)),
			[]byte{17 << 1, 8, 0, 5, 5 << 1, 4, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, tc.a.MarshalSize())
			if _, err := tc.a.MarshalTo(b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.want) {
				t.Fatalf("got % x want % x", b, tc.want)
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	ok, _ := (&Message{Header: Header{Version: 1, Primitive: FloorRelease}, Attributes: []Attribute{NewUint16(FloorRequestID, 1)}}).Marshal()
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), ok...)) }
	deep := NewUint16(FloorID, 1)
	for range MaxDepth + 1 {
		deep = NewGroup(FloorRequestInformation, 1, deep)
	}
	deepMsg, _ := (&Message{Header: Header{Version: 1, Primitive: FloorStatus}, Attributes: []Attribute{deep}}).Marshal()
	for _, tc := range []struct {
		name string
		b    []byte
		code ErrorCode
	}{
		{"short-header", ok[:11], ErrIncorrectLength},
		{"version-3", mut(func(b []byte) []byte { b[0] = 3 << 5; return b }), ErrUnsupportedVersion},
		{"payload-beyond-input", mut(func(b []byte) []byte { b[3] = 9; return b }), ErrIncorrectLength},
		{"attr-length-beyond", mut(func(b []byte) []byte { b[13] = 200; return b }), ErrIncorrectLength},
		{"attr-length-1", mut(func(b []byte) []byte { b[13] = 1; return b }), ErrIncorrectLength},
		{"uint16-length-6", mut(func(b []byte) []byte { b[13] = 6; return b }), ErrIncorrectLength},
		{"too-deep", deepMsg, ErrUnparsable},
		{"fragment-beyond-payload", mut(func(b []byte) []byte { b[0] = 2<<5 | 0x08; return append(b, 0, 1, 0, 1) }), ErrIncorrectLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Message
			_, err := m.Unmarshal(tc.b)
			var se *SyntaxError
			if !errors.As(err, &se) || se.Code != tc.code {
				t.Fatalf("err %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestUnknownAttributesKept(t *testing.T) {
	m := Message{Header: Header{Version: 2, Primitive: FloorRequest}, Attributes: []Attribute{
		NewUint16(FloorID, 1), {Type: 100, Value: []byte("x")}, {Type: 101, Mandatory: true, Value: []byte{1, 2, 3, 4}},
		NewGroup(FloorRequestInformation, 3, Attribute{Type: 120, Mandatory: true})}}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got Message
	if _, err := got.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if u := UnknownMandatory(got.Attributes); !reflect.DeepEqual(u, []AttrType{101, 120}) {
		t.Fatalf("unknown mandatory %v", u)
	}
	if a, ok := got.Find(100); !ok || string(a.Value) != "x" {
		t.Fatalf("unknown attribute lost: %+v", got.Attributes)
	}
}

func TestFragmentsReassemble(t *testing.T) {
	m := catalog(Version2)[3] // FloorRequestStatus with nested groups
	frags, err := Fragments(&m, 16)
	if err != nil || len(frags) < 3 {
		t.Fatalf("%d fragments, %v", len(frags), err)
	}
	var r Reassembler
	now := time.Unix(0, 0)
	var got *Message
	for i := len(frags) - 1; i >= 0; i-- { // out of order
		var f Message
		if _, err := f.Unmarshal(frags[i]); err != nil || !f.Fragment {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if got, err = r.Add(&f, now); err != nil {
			t.Fatal(err)
		}
		if (got != nil) != (i == 0) {
			t.Fatalf("fragment %d: complete=%v", i, got != nil)
		}
	}
	want, _ := m.Marshal()
	b, _ := got.Marshal()
	if !bytes.Equal(b, want) {
		t.Fatalf("reassembled % x\nwant % x", b, want)
	}
}

// TestCaptureNDPI decodes every BFCP message of the nDPI capture (TCP and
// UDP on port 5070, as `tshark -d tcp.port==5070,bfcp` shows). Its four
// messages are headers alone that declare a 4-octet payload they do not
// carry (tshark shows "Payload Length: 1" and nothing after): the header
// decodes and re-encodes byte for byte, and the whole message is refused
// with Error 13, incorrect message length (RFC 8855 §13.1), which is what the
// server answers such a datagram with.
func TestCaptureNDPI(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "captures", "ndpi__bfcp.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		var payload []byte
		var proto string
		if l, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			payload, proto = l.Payload, "tcp"
		} else if l, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			payload, proto = l.Payload, "udp"
		}
		if len(payload) == 0 {
			continue
		}
		var h Header
		n, err := h.Unmarshal(payload)
		if err != nil || n != len(payload) {
			t.Fatalf("%s: % x: n=%d %v", proto, payload, n, err)
		}
		b := make([]byte, n)
		h.marshalTo(b)
		if !bytes.Equal(b, payload) {
			t.Fatalf("%s: header re-encoded % x, captured % x", proto, b, payload)
		}
		var m Message
		if _, err := m.Unmarshal(payload); CodeOf(err) != ErrIncorrectLength {
			t.Fatalf("%s: Unmarshal %v, want Error 13", proto, err)
		}
		seen[fmt.Sprintf("%s %s v%d conf=%d tid=%d user=%d len=%d", proto, h.Primitive, h.Version,
			h.ConferenceID, h.TransactionID, h.UserID, h.PayloadLength)]++
	}
	want := map[string]int{
		"tcp FloorRequestQuery v1 conf=1 tid=2 user=1284 len=1":  1,
		"tcp FloorRequestStatus v1 conf=1 tid=2 user=1284 len=1": 1,
		"udp FloorRequestQuery v1 conf=1 tid=2 user=1284 len=1":  1,
		"udp FloorRequestStatus v1 conf=1 tid=2 user=1284 len=1": 1,
	}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("decoded %v, want %v", seen, want)
	}
}
