package audio

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sox runs SoX (an independent G.711 implementation) converting in from
// format from to format to, skipping the test when SoX is not installed.
func sox(t *testing.T, in []byte, from, to []string) []byte {
	t.Helper()
	bin, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox not installed (apt-get install sox): G.711 cross-check skipped")
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(src, in, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-D", "-V1"}, from...)
	args = append(append(append(args, src), to...), dst)
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("sox %v: %v: %s", args, err, b)
	}
	out, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var s16 = []string{"-t", "s16", "-e", "signed", "-b", "16", "-L", "-r", "8000", "-c", "1"}

func TestG711AgainstSoX(t *testing.T) {
	laws := []struct {
		name string
		sox  string
		dec  func(byte) int16
		enc  func(int16) byte
	}{
		{"alaw", "al", ALawToLinear, LinearToALaw},
		{"ulaw", "ul", ULawToLinear, LinearToULaw},
	}
	for _, law := range laws {
		t.Run(law.name+" decode table", func(t *testing.T) {
			codes := make([]byte, 256)
			for i := range codes {
				codes[i] = byte(i)
			}
			pcm := sox(t, codes, []string{"-t", law.sox, "-r", "8000", "-c", "1"}, s16)
			if len(pcm) != 512 {
				t.Fatalf("sox gave %d bytes", len(pcm))
			}
			for i := range codes {
				want := int16(binary.LittleEndian.Uint16(pcm[2*i:]))
				if got := law.dec(byte(i)); got != want {
					t.Errorf("code %#02x: %d, SoX %d", i, got, want)
				}
			}
		})
		t.Run(law.name+" encoder", func(t *testing.T) {
			var in bytes.Buffer
			for x := -32768; x <= 32767; x++ {
				_ = binary.Write(&in, binary.LittleEndian, int16(x))
			}
			ref := sox(t, in.Bytes(), s16, []string{"-t", law.sox})
			if len(ref) != 65536 {
				t.Fatalf("sox gave %d bytes", len(ref))
			}
			same := 0
			for i, want := range ref {
				x := int16(i - 32768)
				got := law.enc(x)
				if got == want {
					same++
					continue
				}
				// SoX rounds to the nearest level, G.711 reference code
				// truncates: codes may differ only at a decision boundary,
				// i.e. decode to neighbouring levels around x.
				dg, dw := int32(law.dec(got)), int32(law.dec(want))
				lo, hi := min(dg, dw), max(dg, dw)
				if int32(x) < lo-8 || int32(x) > hi+8 {
					t.Fatalf("x=%d: ours %#02x (%d), SoX %#02x (%d): not neighbours around x", x, got, dg, want, dw)
				}
			}
			t.Logf("%s: %d of 65536 inputs encode exactly as SoX (%.1f%%), the rest at rounding boundaries", law.name, same, 100*float64(same)/65536)
			if same < 64000 { // 98%
				t.Errorf("only %d identical codes", same)
			}
		})
	}
}
