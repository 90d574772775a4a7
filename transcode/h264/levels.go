package h264

// Limits are the decoder capabilities of a level (ITU-T H.264 Table A-1),
// possibly raised by max-mbps/max-fs/max-br.
type Limits struct {
	MaxMBPS int // macroblocks per second
	MaxFS   int // macroblocks per frame
	MaxBR   int // kbit/s (VCL, cpbBrVclFactor 1000; High profiles may use 1.25×)
}

// levelLimits is Table A-1, the only copy of it in roomgate. A function, not a
// package variable, so there is no mutable global.
func levelLimits(l Level) (Limits, bool) {
	switch l {
	case Level1:
		return Limits{1485, 99, 64}, true
	case Level1b:
		return Limits{1485, 99, 128}, true
	case Level11:
		return Limits{3000, 396, 192}, true
	case Level12:
		return Limits{6000, 396, 384}, true
	case Level13:
		return Limits{11880, 396, 768}, true
	case Level2:
		return Limits{11880, 396, 2000}, true
	case Level21:
		return Limits{19800, 792, 4000}, true
	case Level22:
		return Limits{20250, 1620, 4000}, true
	case Level3:
		return Limits{40500, 1620, 10000}, true
	case Level31:
		return Limits{108000, 3600, 14000}, true
	case Level32:
		return Limits{216000, 5120, 20000}, true
	case Level4:
		return Limits{245760, 8192, 20000}, true
	case Level41:
		return Limits{245760, 8192, 50000}, true
	case Level42:
		return Limits{522240, 8704, 50000}, true
	case Level5:
		return Limits{589824, 22080, 135000}, true
	case Level51:
		return Limits{983040, 36864, 240000}, true
	case Level52:
		return Limits{2073600, 36864, 240000}, true
	}
	return Limits{}, false
}

// levels lists the Table A-1 levels in order, without 1b.
func levels() [16]Level {
	return [16]Level{Level1, Level11, Level12, Level13, Level2, Level21, Level22,
		Level3, Level31, Level32, Level4, Level41, Level42, Level5, Level51, Level52}
}

// LevelAtMost is the highest Table A-1 level whose level_idc is not above idc;
// level 1 for lower values. It reads a level_idc a peer signalled (SDP fmtp) without
// refusing unknown values: 9 (level 1b outside the Baseline/Main/Extended
// profiles) reads as level 1, an unlisted 35 as level 3.2, and anything above 52 as
// 5.2. Rounding down never promises a decoder more than it said it takes.
func LevelAtMost(idc uint8) Level {
	l := Level1
	for _, row := range levels() {
		if int(row) <= int(idc) {
			l = row
		}
	}
	return l
}

// LevelLimits are the Table A-1 limits of LevelAtMost(idc).
func LevelLimits(idc uint8) Limits {
	l, _ := levelLimits(LevelAtMost(idc))
	return l
}

// Raise returns l with each limit raised to the signalled value where that is
// higher (RFC 6184 §8.1 max-mbps, max-fs, max-br; H.241 CustomMaxMBPS,
// CustomMaxFS, CustomMaxBRandCPB): values below the level's are ignored, 0 means
// absent.
func (l Limits) Raise(mbps, fs, brKbps int) Limits {
	l.MaxMBPS = max(l.MaxMBPS, mbps)
	l.MaxFS = max(l.MaxFS, fs)
	l.MaxBR = max(l.MaxBR, brKbps)
	return l
}

// H.241 (H.323 signalling of H.264) codes the level as a parameter value of its
// own (ITU-T H.241 Table 8-9): 15 for level 1, then 7 more per level, with 1b
// squeezed in at 19.
const (
	h241Level1  = 15
	h241Step    = 7
	h241Level1b = 19
)

// H241 is the H.241 level parameter value of l (e.g. 71 for level 3.1); ok is
// false for a level outside Table A-1.
func (l Level) H241() (v int, ok bool) {
	if l == Level1b {
		return h241Level1b, true
	}
	for i, row := range levels() {
		if row == l {
			return h241Level1 + h241Step*i, true
		}
	}
	return 0, false
}

// LevelFromH241 is the level of an H.241 level parameter value. A value between
// two levels' (H.241 leaves the gaps unused) reads as the lower level; ok is false
// below level 1.
func LevelFromH241(v int) (l Level, ok bool) {
	if v < h241Level1 {
		return 0, false
	}
	if v >= h241Level1b && v < h241Level1+h241Step {
		return Level1b, true
	}
	ls := levels()
	i := min((v-h241Level1)/h241Step, len(ls)-1)
	return ls[i], true
}
