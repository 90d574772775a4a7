package ivr

import (
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
)

//go:embed prompts/*.wav
var promptFS embed.FS

// PromptRate is the sample rate of the recorded prompts.
const PromptRate = 16000

var errWAV = errors.New("ivr: unsupported WAV")

// Samples returns the prompt as 16 kHz mono 16-bit PCM.
func Samples(p Prompt) ([]int16, error) {
	b, err := promptFS.ReadFile("prompts/" + string(p) + ".wav")
	if err != nil {
		return nil, fmt.Errorf("ivr: prompt %q: %w", p, err)
	}
	return decodeWAV(b)
}

// decodeWAV reads a canonical RIFF/WAVE file of 16-bit mono PCM at PromptRate.
func decodeWAV(b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not RIFF/WAVE", errWAV)
	}
	var fmtOK bool
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		if size < 0 || body+size > len(b) {
			return nil, fmt.Errorf("%w: chunk %q overruns the file", errWAV, id)
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: short fmt chunk", errWAV)
			}
			format := binary.LittleEndian.Uint16(b[body:])
			channels := binary.LittleEndian.Uint16(b[body+2:])
			rate := binary.LittleEndian.Uint32(b[body+4:])
			bits := binary.LittleEndian.Uint16(b[body+14:])
			if (format != 1 && format != 0xFFFE) || channels != 1 || rate != PromptRate || bits != 16 {
				return nil, fmt.Errorf("%w: format %d, %d channels, %d Hz, %d bits", errWAV, format, channels, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, fmt.Errorf("%w: data before fmt", errWAV)
			}
			out := make([]int16, size/2)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(b[body+2*i:]))
			}
			return out, nil
		}
		off = body + size + size&1
	}
	return nil, fmt.Errorf("%w: no data chunk", errWAV)
}
