// Package mixer builds mix-minus audio: for every participant, the sum of
// all the other participants' 20 ms frames, so nobody hears themselves.
//
// Samples are accumulated in int32 and clamped to int16 once, at the end
// (saturation instead of wrap-around). The sum of everyone is computed once
// per tick and each participant's own frame is subtracted from it, so a tick
// costs O(N·frame), not O(N²·frame). No goroutines: the caller ticks Mix at
// the frame rate and reads the outputs.
package mixer

import (
	"errors"
	"fmt"
)

var (
	errFrameSize = errors.New("mixer: wrong frame size")
	errUnknown   = errors.New("mixer: unknown participant")
	errExists    = errors.New("mixer: participant already present")
)

// MixMinus writes into out[i] the clamped sum of every in[j] with j != i.
// A nil in[j] is a participant without a frame this tick (silent). All
// frames and outputs must hold frame samples; sum is scratch space of at
// least frame values (allocated when nil).
func MixMinus(out, in [][]int16, frame int, sum []int32) error {
	if len(out) != len(in) {
		return fmt.Errorf("%w: %d outputs for %d inputs", errFrameSize, len(out), len(in))
	}
	if len(sum) < frame {
		sum = make([]int32, frame)
	}
	sum = sum[:frame]
	clear(sum)
	for i, f := range in {
		if f == nil {
			continue
		}
		if len(f) != frame {
			return fmt.Errorf("%w: input %d has %d samples, want %d", errFrameSize, i, len(f), frame)
		}
		for k, v := range f {
			sum[k] += int32(v)
		}
	}
	for i, o := range out {
		if len(o) != frame {
			return fmt.Errorf("%w: output %d has %d samples, want %d", errFrameSize, i, len(o), frame)
		}
		own := in[i]
		if own == nil {
			for k, s := range sum {
				o[k] = clamp(s)
			}
			continue
		}
		own = own[:frame]
		for k, s := range sum {
			o[k] = clamp(s - int32(own[k]))
		}
	}
	return nil
}

func clamp(v int32) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}

type participant struct {
	id   string
	in   []int16
	has  bool // a frame was written this tick
	out  []int16
	slot int
}

// Mixer mixes a changing set of participants identified by string IDs.
type Mixer struct {
	frame int
	parts []*participant
	byID  map[string]*participant
	ins   [][]int16
	outs  [][]int16
	sum   []int32
}

// New returns a Mixer for frames of frame samples (960 for 20 ms at 48 kHz).
func New(frame int) *Mixer {
	return &Mixer{frame: frame, byID: map[string]*participant{}, sum: make([]int32, frame)}
}

// FrameSize is the number of samples per frame.
func (m *Mixer) FrameSize() int { return m.frame }

// Len is the number of participants.
func (m *Mixer) Len() int { return len(m.parts) }

// Add registers a participant.
func (m *Mixer) Add(id string) error {
	if _, ok := m.byID[id]; ok {
		return fmt.Errorf("%w: %q", errExists, id)
	}
	p := &participant{id: id, in: make([]int16, m.frame), out: make([]int16, m.frame), slot: len(m.parts)}
	m.parts = append(m.parts, p)
	m.byID[id] = p
	return nil
}

// Remove drops a participant; unknown IDs are ignored.
func (m *Mixer) Remove(id string) {
	p, ok := m.byID[id]
	if !ok {
		return
	}
	delete(m.byID, id)
	last := m.parts[len(m.parts)-1]
	m.parts[p.slot] = last
	last.slot = p.slot
	m.parts = m.parts[:len(m.parts)-1]
}

// Write stores id's frame for the next Mix (copied). A participant that
// writes nothing before Mix is silent for that tick.
func (m *Mixer) Write(id string, frame []int16) error {
	p, ok := m.byID[id]
	if !ok {
		return fmt.Errorf("%w: %q", errUnknown, id)
	}
	if len(frame) != m.frame {
		return fmt.Errorf("%w: %d samples, want %d", errFrameSize, len(frame), m.frame)
	}
	copy(p.in, frame)
	p.has = true
	return nil
}

// Mix computes every participant's mix-minus for this tick and clears the
// inputs for the next one. Read the results with Output.
func (m *Mixer) Mix() {
	m.ins = m.ins[:0]
	m.outs = m.outs[:0]
	for _, p := range m.parts {
		if p.has {
			m.ins = append(m.ins, p.in)
		} else {
			m.ins = append(m.ins, nil)
		}
		m.outs = append(m.outs, p.out)
		p.has = false
	}
	// Sizes are guaranteed by Write and Add.
	_ = MixMinus(m.outs, m.ins, m.frame, m.sum)
}

// Output returns id's mix-minus from the last Mix. The slice is reused by
// the next Mix; nil for unknown IDs.
func (m *Mixer) Output(id string) []int16 {
	p, ok := m.byID[id]
	if !ok {
		return nil
	}
	return p.out
}

// Accumulate adds frame f into sum (len(sum) >= len(f)): the building block of a
// conference mix kept by the caller — the gateway's meeting tap sums each 20 ms of the
// meeting once and hands it to every room system.
func Accumulate(sum []int32, f []int16) {
	sum = sum[:len(f)]
	for k, v := range f {
		sum[k] += int32(v)
	}
}

// ClampMinus writes into out (len(out) == len(sum)) the clamped sum less the frames
// in own — a listener's own audio, which it must not hear — and returns out. Each own
// frame must hold len(sum) samples.
func ClampMinus(out []int16, sum []int32, own ...[]int16) ([]int16, error) {
	for i, f := range own {
		if len(f) != len(sum) {
			return out, fmt.Errorf("%w: own frame %d has %d samples, want %d", errFrameSize, i, len(f), len(sum))
		}
	}
	out = out[:len(sum)]
	switch len(own) {
	case 0:
		for k, s := range sum {
			out[k] = clamp(s)
		}
	case 1:
		o := own[0]
		for k, s := range sum {
			out[k] = clamp(s - int32(o[k]))
		}
	default:
		for k, s := range sum {
			for _, o := range own {
				s -= int32(o[k])
			}
			out[k] = clamp(s)
		}
	}
	return out, nil
}
