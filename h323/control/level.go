package control

import (
	"fmt"

	"github.com/roomgate/roomgate/transcode/h264"
)

// H.241 §8.3.2.2 (Table 8-9) signals an H.264 level as 15 + 7·i, i the
// index of the level in Annex A order (1, 1.1 … 5.2), with 19 for level 1b.
// The levels and their Table A-1 limits live in transcode/h264; this only
// numbers them.
var h241Order = [...]h264.Level{h264.Level1, h264.Level11, h264.Level12, h264.Level13,
	h264.Level2, h264.Level21, h264.Level22, h264.Level3, h264.Level31, h264.Level32,
	h264.Level4, h264.Level41, h264.Level42, h264.Level5, h264.Level51, h264.Level52}

const h241Level1b = 19

// H241Level returns the H.241 level parameter of an H.264 level.
func H241Level(l h264.Level) (int64, error) {
	if l == h264.Level1b {
		return h241Level1b, nil
	}
	for i, o := range h241Order {
		if o == l {
			return int64(15 + 7*i), nil
		}
	}
	return 0, fmt.Errorf("control: H.264 level_idc %d has no H.241 value", int(l))
}

// LevelFromH241 returns the H.264 level of an H.241 level parameter: the
// highest level whose value is at most v (values between two levels are
// rounded down, so we never assume more than the decoder takes). It checks
// the level against transcode/h264's Table A-1.
func LevelFromH241(v int64) (h264.Level, error) {
	if v == h241Level1b {
		return h264.Level1b, nil
	}
	if v < 15 {
		return 0, fmt.Errorf("control: H.241 level %d below level 1", v)
	}
	i := min((v-15)/7, int64(len(h241Order)-1))
	l := h241Order[i]
	if (h264.ProfileLevel{Level: l}).Limits() == (h264.Limits{}) {
		return 0, fmt.Errorf("control: H.241 level %d: level %s not in Table A-1", v, l)
	}
	return l, nil
}
