package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/roomgate/roomgate/transcode/media"
	"github.com/roomgate/roomgate/transcode/resample"
)

// readWAV reads a 16-bit PCM mono WAV file, bounding every chunk length by
// what is left in the file.
func readWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	rate := 0
	for r := b[12:]; len(r) >= 8; {
		id, n := string(r[:4]), int(binary.LittleEndian.Uint32(r[4:8]))
		r = r[8:]
		if n > len(r) || n < 0 {
			if id == "data" { // espeak-ng streams with a placeholder size
				n = len(r) &^ 1
			} else {
				return nil, 0, fmt.Errorf("chunk %q of %d bytes, %d left", id, n, len(r))
			}
		}
		switch id {
		case "fmt ":
			if n < 16 || binary.LittleEndian.Uint16(r[0:2]) != 1 || binary.LittleEndian.Uint16(r[2:4]) != 1 || binary.LittleEndian.Uint16(r[14:16]) != 16 {
				return nil, 0, errors.New("want 16-bit PCM mono")
			}
			rate = int(binary.LittleEndian.Uint32(r[4:8]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			s := make([]int16, n/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(r[2*i:]))
			}
			return s, rate, nil
		}
		r = r[min(n+n&1, len(r)):]
	}
	return nil, 0, errors.New("no data chunk")
}

// espeak synthesizes real speech with espeak-ng at rate Hz.
func espeak(t *testing.T, rate int) []int16 {
	t.Helper()
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng not installed (apt-get install espeak-ng): speech test skipped")
	}
	out := filepath.Join(t.TempDir(), "speech.wav")
	cmd := exec.Command(bin, "-w", out, "Please join the meeting. The room system is connected, five six seven.")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	pcm, in, err := readWAV(raw)
	if err != nil {
		t.Fatal(err)
	}
	r, err := resample.New(in, rate)
	if err != nil {
		t.Fatal(err)
	}
	return r.Process(pcm, nil)
}

func TestCodecSpeechSNR(t *testing.T) {
	tests := []struct {
		name   string
		codec  media.Codec
		cfg    Config
		minSNR float64
	}{
		{"pcmu", media.PCMU, Config{}, 35},
		{"pcma", media.PCMA, Config{}, 35},
		{"g722", media.G722, Config{}, 22},
		{"opus 32k", media.Opus, Config{Bitrate: 32000}, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rate := tc.codec.SampleRate()
			in := espeak(t, rate)
			frame := media.SamplesPerFrame(rate, media.FrameDuration)
			in = in[:len(in)/frame*frame]
			out := roundTrip(t, tc.codec, tc.cfg, in, frame)
			snr, lag := alignedSNR(in, out, rate/10, rate/50)
			t.Logf("espeak-ng speech through %s: SNR %.1f dB (lag %d, %.1f s)", tc.name, snr, lag, float64(len(in))/float64(rate))
			if snr < tc.minSNR {
				t.Errorf("SNR %.1f dB < %.0f dB", snr, tc.minSNR)
			}
		})
	}
}

// libopusScript decodes (mode "dec") length-prefixed Opus packets to raw
// s16le, or encodes (mode "enc") raw s16le into such packets, with the
// reference libopus through ctypes: an independent implementation.
const libopusScript = `
import ctypes, struct, sys
lib = ctypes.CDLL("libopus.so.0")
err = ctypes.c_int()
mode, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
out = open(dst, "wb")
if mode == "dec":
    lib.opus_decoder_create.restype = ctypes.c_void_p
    dec = ctypes.c_void_p(lib.opus_decoder_create(48000, 1, ctypes.byref(err)))
    pcm = (ctypes.c_int16 * 5760)()
    off = 0
    while off + 2 <= len(data):
        n = struct.unpack(">H", data[off:off+2])[0]
        pkt = data[off+2:off+2+n]
        off += 2 + n
        r = lib.opus_decode(dec, pkt, n, pcm, 5760, 0)
        if r < 0:
            sys.exit("opus_decode: %d" % r)
        out.write(bytes(pcm)[:r*2])
else:
    lib.opus_encoder_create.restype = ctypes.c_void_p
    enc = ctypes.c_void_p(lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(err)))
    lib.opus_encoder_ctl(enc, 4002, ctypes.c_int(32000))  # OPUS_SET_BITRATE
    buf = ctypes.create_string_buffer(4000)
    for off in range(0, len(data) - 1919, 1920):
        pcm = (ctypes.c_int16 * 960).from_buffer_copy(data[off:off+1920])
        n = lib.opus_encode(enc, pcm, 960, buf, 4000)
        if n < 0:
            sys.exit("opus_encode: %d" % n)
        out.write(struct.pack(">H", n) + buf.raw[:n])
`

func libopus(t *testing.T, mode string, in []byte) []byte {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: libopus interop test skipped")
	}
	if exec.Command(py, "-c", `import ctypes; ctypes.CDLL("libopus.so.0")`).Run() != nil {
		t.Skip("libopus.so.0 not installed (apt-get install libopus0): libopus interop test skipped")
	}
	dir := t.TempDir()
	script, src, dst := filepath.Join(dir, "opus.py"), filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(script, []byte(libopusScript), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, in, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(py, script, mode, src, dst).CombinedOutput(); err != nil {
		t.Fatalf("libopus %s: %v: %s", mode, err, b)
	}
	out, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func s16le(p []int16) []byte {
	b := make([]byte, 2*len(p))
	for i, v := range p {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func fromS16le(b []byte) []int16 {
	p := make([]int16, len(b)/2)
	for i := range p {
		p[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return p
}

func TestOpusInteropLibopus(t *testing.T) {
	in := speechLike(48000, 48000)
	t.Run("our packets decoded by libopus", func(t *testing.T) {
		enc, err := NewOpusEncoder(Config{Bitrate: 32000})
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := NewOpusDecoder(1)
		var stream []byte
		var ours []int16
		for off := 0; off+960 <= len(in); off += 960 {
			pkt, err := enc.Encode(in[off:off+960], nil)
			if err != nil {
				t.Fatal(err)
			}
			stream = binary.BigEndian.AppendUint16(stream, uint16(len(pkt)))
			stream = append(stream, pkt...)
			pcm, err := dec.Decode(pkt, nil)
			if err != nil {
				t.Fatal(err)
			}
			ours = append(ours, pcm...)
		}
		ref := fromS16le(libopus(t, "dec", stream))
		if len(ref) != len(ours) {
			t.Fatalf("libopus decoded %d samples, we %d", len(ref), len(ours))
		}
		snrIn, lag := alignedSNR(in, ref, 4800, 960)
		same, _ := alignedSNR(ref, ours, 0, 0)
		t.Logf("libopus decode vs input: %.1f dB (lag %d); gopus vs libopus decode of the same packets: %.1f dB", snrIn, lag, same)
		if snrIn < 12 {
			t.Errorf("libopus decodes our stream at %.1f dB SNR", snrIn)
		}
		if same < 40 {
			t.Errorf("gopus and libopus decoders disagree: %.1f dB", same)
		}
	})
	t.Run("libopus packets decoded by us", func(t *testing.T) {
		stream := libopus(t, "enc", s16le(in))
		dec, _ := NewOpusDecoder(1)
		var out []int16
		for len(stream) >= 2 {
			n := int(binary.BigEndian.Uint16(stream))
			if 2+n > len(stream) {
				t.Fatal("truncated stream from libopus")
			}
			pcm, err := dec.Decode(stream[2:2+n], nil)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, pcm...)
			stream = stream[2+n:]
		}
		snr, lag := alignedSNR(in, out, 4800, 960)
		t.Logf("libopus encode, gopus decode: %.1f dB (lag %d)", snr, lag)
		if snr < 12 {
			t.Errorf("SNR %.1f dB", snr)
		}
	})
}
