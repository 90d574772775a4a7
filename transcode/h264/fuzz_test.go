package h264

import (
	"bytes"
	"testing"
)

// FuzzDepacketizer feeds arbitrary payloads: it must never panic, and every
// NAL unit it delivers must be non-empty and within the configured bounds.
func FuzzDepacketizer(f *testing.F) {
	f.Add([]byte{0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 1}, uint8(1))
	f.Add([]byte{0x7C, 0x85, 1, 2, 3}, uint8(0))
	f.Add([]byte{0x7C, 0x45, 1}, uint8(3))
	f.Add([]byte{0x65, 0, 0, 3}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		d := NewDepacketizer(DepacketizerConfig{MaxNALSize: 1 << 12, MaxAccessUnit: 1 << 13, MaxNALs: 16})
		// Split data into packets at every byte equal to cut.
		seq := uint16(0)
		for len(data) > 0 {
			i := bytes.IndexByte(data[1:], cut) + 1
			if i <= 0 {
				i = len(data)
			}
			aus, _ := d.Push(seq, uint32(seq/3), seq%3 == 2, data[:i])
			for _, au := range aus {
				if len(au.NALs) > 16 {
					t.Fatalf("%d NALs", len(au.NALs))
				}
				for _, n := range au.NALs {
					if len(n) == 0 || len(n) > 1<<12 {
						t.Fatalf("NAL of %d bytes", len(n))
					}
				}
			}
			data = data[i:]
			seq++
		}
	})
}

// FuzzRoundTrip checks packetize → depacketize is the identity for any NAL
// units (lengths taken from the input), any MTU and both modes.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("\x67abcdefgh\x68xy\x65"), uint16(1200), uint8(5), true)
	f.Add(bytes.Repeat([]byte{0x41, 0, 0, 1}, 700), uint16(64), uint8(200), false)
	f.Fuzz(func(t *testing.T, data []byte, mtu uint16, split uint8, mode1 bool) {
		var nals [][]byte
		step := int(split) + 1
		for off := 0; off < len(data); off += step {
			n := data[off:min(off+step, len(data))]
			n = append([]byte{n[0]&0x7F | 1}, n[1:]...) // F=0, type never 0
			if t := NALType(n); t >= 24 || t == NALAUD || t == NALFiller {
				n[0] = n[0]&0x60 | NALSlice
			}
			nals = append(nals, n)
		}
		if len(nals) == 0 {
			return
		}
		p := &Packetizer{MTU: 64 + int(mtu)%1400}
		if mode1 {
			p.Mode = 1
		}
		pkts, err := p.Packetize(nals, nil)
		if err != nil {
			return // mode 0 with a NAL over the MTU
		}
		d := NewDepacketizer(DepacketizerConfig{})
		var got [][]byte
		for i, pl := range pkts {
			if len(pl) > p.MTU {
				t.Fatalf("payload %d > MTU %d", len(pl), p.MTU)
			}
			aus, err := d.Push(uint16(i), 7, i == len(pkts)-1, pl)
			if err != nil {
				t.Fatal(err)
			}
			for _, au := range aus {
				got = append(got, au.NALs...)
			}
		}
		if len(got) != len(nals) {
			t.Fatalf("%d NALs back, want %d", len(got), len(nals))
		}
		for i := range nals {
			if !bytes.Equal(got[i], nals[i]) {
				t.Fatalf("NAL %d differs", i)
			}
		}
	})
}

// FuzzParseSPS must never panic; accepted SPSs have sane sizes.
func FuzzParseSPS(f *testing.F) {
	f.Add(buildSPS(spsSpec{profile: 100, level: 40, chroma: 1, scaling: true, pocType: 1, pocCycle: []int32{1}, wMBs: 120, hUnits: 68, frameMBsOnly: true, crop: [4]uint32{0, 0, 0, 4}}))
	f.Add(buildSPS(spsSpec{profile: 66, level: 30, pocType: 2, wMBs: 40, hUnits: 30, frameMBsOnly: true}))
	f.Fuzz(func(t *testing.T, nal []byte) {
		s, err := ParseSPS(nal)
		if err == nil && (s.Width <= 0 || s.Height <= 0 || s.Width > 16*maxMBsPerSide || s.Height > 32*maxMBsPerSide) {
			t.Fatalf("accepted %dx%d", s.Width, s.Height)
		}
	})
}
