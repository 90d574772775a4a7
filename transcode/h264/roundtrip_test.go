package h264

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp/codecs"
)

// randNAL returns a NAL unit of n bytes with a valid header (F=0) of type t.
// With noZeros, no byte is zero so Annex B framing cannot be confused.
func randNAL(rng *rand.Rand, n int, t byte, noZeros bool) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
		if noZeros && b[i] == 0 {
			b[i] = 0x55
		}
	}
	b[0] = byte(rng.UintN(4))<<5 | t
	return b
}

// sendAU packetizes nals and depacketizes them again with consecutive
// sequence numbers starting at *seq.
func sendAU(t *testing.T, p *Packetizer, d *Depacketizer, nals [][]byte, seq *uint16, ts uint32) (*AccessUnit, [][]byte) {
	t.Helper()
	pkts, err := p.Packetize(nals, nil)
	if err != nil {
		t.Fatalf("packetize: %v", err)
	}
	var au *AccessUnit
	mtu := p.MTU
	if mtu == 0 {
		mtu = DefaultMTU
	}
	for i, pl := range pkts {
		if len(pl) > mtu {
			t.Fatalf("payload %d is %d bytes > MTU %d", i, len(pl), mtu)
		}
		got, err := d.Push(*seq, ts, i == len(pkts)-1, pl)
		*seq++
		if err != nil {
			t.Fatalf("depacketize packet %d: %v", i, err)
		}
		if len(got) > 1 || (len(got) == 1 && au != nil) {
			t.Fatalf("more than one access unit")
		}
		if len(got) == 1 {
			au = got[0]
		}
	}
	return au, pkts
}

func TestRoundTripSizesAndMTUs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 3, 10, 61, 62, 63, 64, 65, 99, 100, 101, 500, 1198, 1199, 1200, 1201, 1202, 2397, 2398, 2399, 5000, 65535, 70000}
	for _, mtu := range []int{64, 100, 576, 1200, 1400} {
		for _, mode := range []int{0, 1} {
			for _, noSTAP := range []bool{false, true} {
				name := fmt.Sprintf("mtu%d/mode%d/nostap=%v", mtu, mode, noSTAP)
				t.Run(name, func(t *testing.T) {
					p := &Packetizer{MTU: mtu, Mode: mode, NoSTAPA: noSTAP}
					d := NewDepacketizer(DepacketizerConfig{})
					seq := uint16(65530) // crosses the wrap
					for k, n := range sizes {
						// SPS, PPS, then an IDR slice of size n, then two small slices.
						nals := [][]byte{
							randNAL(rng, 12, NALSPS, false),
							randNAL(rng, 4, NALPPS, false),
							randNAL(rng, n, NALIDR, false),
							randNAL(rng, 1+rng.IntN(40), NALSlice, false),
							randNAL(rng, 1+rng.IntN(40), NALSlice, false),
						}
						if mode == 0 && n > mtu {
							if _, err := p.Packetize(nals, nil); !errors.Is(err, ErrMode0TooBig) {
								t.Fatalf("size %d: err = %v, want ErrMode0TooBig", n, err)
							}
							continue
						}
						au, pkts := sendAU(t, p, d, nals, &seq, uint32(k*3000))
						if au == nil || !au.Complete || au.Timestamp != uint32(k*3000) {
							t.Fatalf("size %d: au %+v", n, au)
						}
						if len(au.NALs) != len(nals) {
							t.Fatalf("size %d: %d NALs back, want %d", n, len(au.NALs), len(nals))
						}
						for i := range nals {
							if !bytes.Equal(au.NALs[i], nals[i]) {
								t.Fatalf("size %d: NAL %d differs", n, i)
							}
						}
						if !au.Keyframe() || d.NeedKeyframe() {
							t.Fatalf("IDR access unit not seen as keyframe")
						}
						if mode == 1 && !noSTAP && NALType(pkts[0]) != NALSTAPA {
							t.Fatalf("SPS/PPS not aggregated: first type %d", NALType(pkts[0]))
						}
						if (mode == 0 || noSTAP) && NALType(pkts[0]) != NALSPS {
							t.Fatalf("first packet type %d, want SPS alone", NALType(pkts[0]))
						}
					}
				})
			}
		}
	}
}

func TestPacketizerSkipsAUDAndFiller(t *testing.T) {
	p := &Packetizer{Mode: 1, NoSTAPA: true}
	pkts, err := p.Packetize([][]byte{{NALAUD, 0xF0}, {0x65, 1, 2}, {NALFiller, 0xFF, 0xFF}}, nil)
	if err != nil || len(pkts) != 1 || NALType(pkts[0]) != NALIDR {
		t.Errorf("got %v, %v", pkts, err)
	}
}

func TestPacketizerErrors(t *testing.T) {
	tests := []struct {
		name string
		p    Packetizer
		nals [][]byte
		want error
	}{
		{"tiny MTU", Packetizer{MTU: 10, Mode: 1}, [][]byte{{0x65}}, ErrBadConfig},
		{"mode 2", Packetizer{Mode: 2}, [][]byte{{0x65}}, ErrBadConfig},
		{"empty NAL", Packetizer{Mode: 1}, [][]byte{{}}, ErrEmptyNAL},
		{"mode 0 too big", Packetizer{Mode: 0, MTU: 100}, [][]byte{make([]byte, 101)}, ErrMode0TooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.p.Packetize(tc.nals, nil); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFUAHeaderBits(t *testing.T) {
	// F and NRI go to the FU indicator, type to the FU header; S on the
	// first fragment only, E on the last only (RFC 6184 §5.8).
	nal := make([]byte, 300)
	nal[0] = 0x80 | 0x40 | NALIDR // F=1 (forbidden bit, kept as-is), NRI=2
	pkts, err := (&Packetizer{MTU: 100, Mode: 1}).Packetize([][]byte{nal}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 4 { // 299 body bytes / 98 per fragment
		t.Fatalf("%d fragments", len(pkts))
	}
	for i, p := range pkts {
		if p[0] != 0x80|0x40|NALFUA {
			t.Errorf("fragment %d indicator %#x", i, p[0])
		}
		s, e := p[1]&0x80 != 0, p[1]&0x40 != 0
		if s != (i == 0) || e != (i == len(pkts)-1) || p[1]&0x1F != NALIDR || p[1]&0x20 != 0 {
			t.Errorf("fragment %d header %#x", i, p[1])
		}
	}
}

func TestInteropWithPion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, mtu := range []int{100, 1200} {
		t.Run(fmt.Sprintf("ours to pion mtu%d", mtu), func(t *testing.T) {
			nals := [][]byte{randNAL(rng, 20, NALSPS, true), randNAL(rng, 5, NALPPS, true),
				randNAL(rng, 3000, NALIDR, true), randNAL(rng, 50, NALSlice, true)}
			pkts, err := (&Packetizer{MTU: mtu, Mode: 1}).Packetize(nals, nil)
			if err != nil {
				t.Fatal(err)
			}
			var pion codecs.H264Packet
			var got []byte
			for _, p := range pkts {
				out, err := pion.Unmarshal(p)
				if err != nil {
					t.Fatalf("pion rejects our payload: %v", err)
				}
				got = append(got, out...)
			}
			if want := AppendAnnexB(nil, nals); !bytes.Equal(got, want) {
				t.Errorf("pion reassembled %d bytes, want %d", len(got), len(want))
			}
		})
		t.Run(fmt.Sprintf("pion to ours mtu%d", mtu), func(t *testing.T) {
			nals := [][]byte{randNAL(rng, 20, NALSPS, true), randNAL(rng, 5, NALPPS, true),
				randNAL(rng, 3000, NALIDR, true), randNAL(rng, 50, NALSlice, true)}
			var pay codecs.H264Payloader
			pkts := pay.Payload(uint16(mtu), AppendAnnexB(nil, nals))
			d := NewDepacketizer(DepacketizerConfig{})
			var au *AccessUnit
			for i, p := range pkts {
				a, err := d.Push(uint16(i), 90000, i == len(pkts)-1, p)
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if len(a) == 1 {
					au = a[0]
				}
			}
			if au == nil || len(au.NALs) != len(nals) {
				t.Fatalf("au = %+v", au)
			}
			for i := range nals {
				if !bytes.Equal(au.NALs[i], nals[i]) {
					t.Errorf("NAL %d differs", i)
				}
			}
		})
	}
}

func BenchmarkPacketize(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	nals := [][]byte{randNAL(rng, 20, NALSPS, false), randNAL(rng, 5, NALPPS, false), randNAL(rng, 12000, NALIDR, false)}
	p := &Packetizer{Mode: 1}
	pkts, _ := p.Packetize(nals, nil)
	var dst [][]byte
	b.SetBytes(12025)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = p.Packetize(nals, dst[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/pkt")
}

func BenchmarkDepacketize(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	nals := [][]byte{randNAL(rng, 20, NALSPS, false), randNAL(rng, 5, NALPPS, false), randNAL(rng, 12000, NALIDR, false)}
	pkts, _ := (&Packetizer{Mode: 1}).Packetize(nals, nil)
	d := NewDepacketizer(DepacketizerConfig{})
	seq := uint16(0)
	b.SetBytes(12025)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for k, p := range pkts {
			_, _ = d.Push(seq, uint32(i*3000), k == len(pkts)-1, p)
			seq++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/pkt")
}
