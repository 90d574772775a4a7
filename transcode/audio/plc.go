package audio

// fadePLC is a simple packet-loss concealment for codecs without their own:
// the last good frame is repeated with a linear fade, reaching silence after
// three lost frames (~60 ms), which avoids both clicks and long buzzing.
type fadePLC struct {
	last  []int16
	gain  int32 // Q15 gain applied to the next concealed frame
	count int   // consecutive concealed frames
}

const (
	plcFullGain  = 1 << 15
	plcMaxFrames = 3
)

func (p *fadePLC) remember(frame []int16) {
	p.last = append(p.last[:0], frame...)
	p.gain = plcFullGain
	p.count = 0
}

func (p *fadePLC) conceal(n int, dst []int16) []int16 {
	dst = grow(dst, n)
	if len(p.last) == 0 || p.count >= plcMaxFrames {
		clear(dst)
		return dst
	}
	step := int32(plcFullGain / plcMaxFrames)
	start := plcFullGain - int32(p.count)*step
	end := start - step
	for i := range dst {
		g := start + (end-start)*int32(i)/int32(n)
		dst[i] = int16(int32(p.last[i%len(p.last)]) * g >> 15)
	}
	p.count++
	return dst
}
