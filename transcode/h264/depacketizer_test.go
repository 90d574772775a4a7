package h264

import (
	"errors"
	"slices"
	"testing"
)

// fuPackets fragments one NAL of n bytes with MTU 100.
func fuPackets(t *testing.T, typ byte, n int) [][]byte {
	t.Helper()
	nal := make([]byte, n)
	for i := range nal {
		nal[i] = byte(i)
	}
	nal[0] = 0x60 | typ
	pkts, err := (&Packetizer{MTU: 100, Mode: 1}).Packetize([][]byte{nal}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

func TestDepacketizerLoss(t *testing.T) {
	t.Run("lost middle fragment drops the NAL and asks for a keyframe once", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		idr := fuPackets(t, NALIDR, 400) // 5 fragments
		for i, p := range idr {
			if _, err := d.Push(uint16(i), 0, i == len(idr)-1, p); err != nil {
				t.Fatal(err)
			}
		}
		if d.NeedKeyframe() {
			t.Fatal("still needs keyframe after a complete IDR")
		}
		d.TakeKeyframeRequest() // the initial one
		slice := fuPackets(t, NALSlice, 400)
		var au *AccessUnit
		seq := uint16(10)
		for i, p := range slice {
			if i == 2 {
				seq++ // lost
				continue
			}
			a, _ := d.Push(seq, 3000, i == len(slice)-1, p)
			seq++
			if len(a) > 0 {
				au = a[0]
			}
		}
		if au != nil {
			t.Errorf("access unit from a broken fragment: %+v", au)
		}
		if !d.NeedKeyframe() || !d.TakeKeyframeRequest() || d.TakeKeyframeRequest() {
			t.Errorf("keyframe request not raised exactly once")
		}
		// A complete IDR resynchronizes.
		for i, p := range idr {
			if _, err := d.Push(seq, 6000, i == len(idr)-1, p); err != nil {
				t.Fatal(err)
			}
			seq++
		}
		if d.NeedKeyframe() {
			t.Error("still needs keyframe after recovery")
		}
	})
	t.Run("fragment without start is rejected", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		pk := fuPackets(t, NALSlice, 400)
		if _, err := d.Push(0, 0, false, pk[1]); !errors.Is(err, ErrBrokenFragment) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("new start before end drops the old NAL", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		a := fuPackets(t, NALSlice, 400)
		_, _ = d.Push(0, 0, false, a[0])
		_, _ = d.Push(1, 0, false, a[1])
		var au *AccessUnit
		for i, p := range a {
			got, err := d.Push(uint16(2+i), 0, i == len(a)-1, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				au = got[0]
			}
		}
		if au == nil || len(au.NALs) != 1 || au.Complete {
			t.Errorf("au = %+v; want the second NAL only, marked incomplete", au)
		}
	})
	t.Run("lost marker flushes on timestamp change", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		_, _ = d.Push(0, 100, false, []byte{0x41, 1})
		aus, err := d.Push(1, 200, true, []byte{0x41, 2})
		if err != nil || len(aus) != 2 {
			t.Fatalf("got %d access units, err %v", len(aus), err)
		}
		if aus[0].Timestamp != 100 || aus[0].Complete || aus[1].Timestamp != 200 || !aus[1].Complete {
			t.Errorf("flushed %+v then %+v", aus[0], aus[1])
		}
	})
	t.Run("sequence gap marks the access unit incomplete", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		_, _ = d.Push(0, 100, false, []byte{0x65, 1})
		aus, _ := d.Push(2, 100, true, []byte{0x65, 2})
		if len(aus) != 1 || aus[0].Complete || d.Lost() != 1 || !d.NeedKeyframe() {
			t.Errorf("aus %+v lost %d", aus, d.Lost())
		}
	})
	t.Run("duplicate and old packets are dropped", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		_, _ = d.Push(5, 0, false, []byte{0x41})
		for _, s := range []uint16{5, 4} {
			if _, err := d.Push(s, 0, false, []byte{0x41}); !errors.Is(err, ErrOutOfOrder) {
				t.Errorf("seq %d: err = %v", s, err)
			}
		}
	})
	t.Run("reset starts a new stream", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{})
		_, _ = d.Push(100, 0, true, []byte{0x65, 1})
		d.TakeKeyframeRequest()
		d.Reset()
		if !d.NeedKeyframe() || !d.TakeKeyframeRequest() {
			t.Error("reset should ask for a keyframe")
		}
		// Sequence 5 after 100 would be "old" without the reset.
		aus, err := d.Push(5, 90, true, []byte{0x41, 1})
		if err != nil || len(aus) != 1 || !aus[0].Complete {
			t.Errorf("after reset: %+v %v", aus, err)
		}
	})
	t.Run("size limit", func(t *testing.T) {
		d := NewDepacketizer(DepacketizerConfig{MaxNALSize: 300})
		var errs []error
		for i, p := range fuPackets(t, NALIDR, 400) {
			if _, e := d.Push(uint16(i), 0, false, p); e != nil {
				errs = append(errs, e)
			}
		}
		if len(errs) == 0 || !errors.Is(errs[0], ErrTooLarge) {
			t.Errorf("errs = %v", errs)
		}
	})
}

func TestDepacketizerMalformed(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"empty", nil, ErrShortPacket},
		{"type 0", []byte{0x00, 1}, ErrUnsupported},
		{"type 30", []byte{0x1E, 1}, ErrUnsupported},
		{"STAP-B", []byte{0x19, 0, 0, 0, 1, 0x41}, ErrUnsupported},
		{"MTAP16", []byte{0x1A, 0}, ErrUnsupported},
		{"FU-B", []byte{0x1D, 0x85, 0, 0}, ErrUnsupported},
		{"STAP-A empty", []byte{0x18}, ErrBadSTAPA},
		{"STAP-A truncated size", []byte{0x18, 0}, ErrBadSTAPA},
		{"STAP-A size past end", []byte{0x18, 0, 5, 0x67, 1}, ErrBadSTAPA},
		{"STAP-A zero size", []byte{0x18, 0, 0, 0, 1, 0x41}, ErrBadSTAPA},
		{"STAP-A second truncated", []byte{0x18, 0, 1, 0x67, 0, 9, 1}, ErrBadSTAPA},
		{"FU-A one byte", []byte{0x1C}, ErrShortPacket},
		{"FU-A start and end", []byte{0x7C, 0xC5, 1}, ErrBadFUA},
		{"FU-A end without start", []byte{0x7C, 0x45, 1}, ErrBrokenFragment},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDepacketizer(DepacketizerConfig{})
			aus, err := d.Push(0, 0, true, tc.payload)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if len(aus) != 0 {
				t.Errorf("access unit from a bad packet: %+v", aus[0])
			}
		})
	}
}

func TestSTAPAPartialIsAllOrNothing(t *testing.T) {
	// A STAP-A whose second unit is truncated must not deliver the first.
	d := NewDepacketizer(DepacketizerConfig{})
	_, err := d.Push(0, 0, false, []byte{0x18, 0, 1, 0x67, 0, 9, 1})
	if err == nil {
		t.Fatal("no error")
	}
	aus, _ := d.Push(1, 0, true, []byte{0x41, 7})
	if len(aus) != 1 || len(aus[0].NALs) != 1 || !slices.Equal(aus[0].NALs[0], []byte{0x41, 7}) {
		t.Errorf("aus = %+v", aus)
	}
}

func TestKeyframeDetection(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"IDR single", []byte{0x65, 1}, true},
		{"SPS single", []byte{0x67, 1}, true},
		{"P slice", []byte{0x41, 1}, false},
		{"STAP-A SPS PPS", []byte{0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 1}, true},
		{"STAP-A SEI slice", []byte{0x78, 0, 2, 0x06, 1, 0, 2, 0x41, 1}, false},
		{"STAP-A garbage", []byte{0x78, 0, 9}, false},
		{"FU-A IDR start", []byte{0x7C, 0x85, 1}, true},
		{"FU-A IDR middle", []byte{0x7C, 0x05, 1}, false},
		{"FU-A slice start", []byte{0x7C, 0x81, 1}, false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PayloadIsKeyframe(tc.payload); got != tc.want {
				t.Errorf("PayloadIsKeyframe = %v, want %v", got, tc.want)
			}
		})
	}
	if IsKeyframe([][]byte{{0x67}, {0x68}, {0x41}}) || !IsKeyframe([][]byte{{0x67}, {0x68}, {0x65}}) {
		t.Error("IsKeyframe wrong")
	}
}

func TestSplitAnnexB(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"4-byte codes", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2}, [][]byte{{0x67, 1}, {0x68, 2}}},
		{"3-byte codes", []byte{0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2}, [][]byte{{0x67, 1}, {0x68, 2}}},
		{"trailing zeros", []byte{0, 0, 1, 0x41, 5, 0, 0}, [][]byte{{0x41, 5}}},
		{"no start code", []byte{0x41, 5}, [][]byte{{0x41, 5}}},
		{"empty", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitAnnexB(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if !slices.Equal(got[i], tc.want[i]) {
					t.Errorf("NAL %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
