package audio

// Framer re-cuts PCM into fixed-size frames: room systems often send 30 ms
// (or 10/40 ms) packets while the mixer ticks every 20 ms. It is a FIFO with
// a bounded backlog; beyond it the oldest samples are dropped, so a stalled
// consumer cannot grow memory without limit.
type Framer struct {
	size    int
	max     int
	buf     []int16
	Dropped int // samples discarded because the backlog was full
}

// NewFramer returns a Framer of size-sample frames keeping at most
// maxFrames frames of backlog (minimum 2).
func NewFramer(size, maxFrames int) *Framer {
	maxFrames = max(maxFrames, 2)
	return &Framer{size: size, max: size * maxFrames, buf: make([]int16, 0, size*maxFrames)}
}

// Write appends samples.
func (f *Framer) Write(pcm []int16) {
	if over := len(f.buf) + len(pcm) - f.max; over > 0 {
		if over >= len(f.buf) {
			// Even the new samples overflow: keep only their newest part.
			f.Dropped += len(f.buf) + len(pcm) - f.max
			f.buf = append(f.buf[:0], pcm[len(pcm)-f.max:]...)
			return
		}
		f.Dropped += over
		f.buf = f.buf[:copy(f.buf, f.buf[over:])]
	}
	f.buf = append(f.buf, pcm...)
}

// Buffered is the number of samples waiting.
func (f *Framer) Buffered() int { return len(f.buf) }

// Next copies the oldest full frame into dst[:0] and removes it. ok is
// false when less than one frame is buffered.
func (f *Framer) Next(dst []int16) (frame []int16, ok bool) {
	if len(f.buf) < f.size {
		return dst[:0], false
	}
	dst = append(dst[:0], f.buf[:f.size]...)
	f.buf = f.buf[:copy(f.buf, f.buf[f.size:])]
	return dst, true
}
