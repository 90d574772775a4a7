package main

import (
	"fmt"
	"os"

	"github.com/roomgate/roomgate/transcode/h264"
)

// rbsp writes the H.264 RBSP syntax elements the generator needs (ITU-T H.264
// §7.2: u(n), ue(v), se(v)).
type rbsp struct {
	buf  []byte
	cur  byte
	nbit int
}

func (w *rbsp) u(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		w.cur = w.cur<<1 | byte(v>>uint(i)&1)
		if w.nbit++; w.nbit == 8 {
			w.buf = append(w.buf, w.cur)
			w.cur, w.nbit = 0, 0
		}
	}
}

// ue is unsigned Exp-Golomb (§9.1).
func (w *rbsp) ue(v uint32) {
	x, n := v+1, 0
	for t := x; t > 1; t >>= 1 {
		n++
	}
	w.u(n, 0)
	w.u(n+1, x)
}

// se is signed Exp-Golomb (§9.1.1).
func (w *rbsp) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

// nalUnit ends the RBSP (rbsp_trailing_bits, §7.3.2.11) and wraps it into a NAL
// unit with emulation prevention (§7.4.1), without a start code.
func (w *rbsp) nalUnit(refIdc, typ byte) []byte {
	w.u(1, 1)
	for w.nbit != 0 {
		w.u(1, 0)
	}
	out := []byte{refIdc<<5 | typ}
	zeros := 0
	for _, b := range w.buf {
		if zeros >= 2 && b <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// genLog2MaxFrameNum is log2_max_frame_num of the generated stream.
const genLog2MaxFrameNum = 4

// generateVideo makes a decodable constrained-baseline H.264 stream with no
// encoder behind it: w×h (multiples of 16), gop access units per group, each
// group an IDR picture of I_PCM macroblocks (a gradient that moves from group to
// group) with its SPS and PPS, then P pictures whose macroblocks are all skipped
// (the picture stands still until the next IDR). Each access unit is a list of
// NAL units.
func generateVideo(w, h, groups, gop int) [][][]byte {
	mbw, mbh := w/16, h/16
	sps := &rbsp{}
	sps.u(8, 66)   // profile_idc: baseline
	sps.u(8, 0xe0) // constraint_set0/1/2: constrained baseline
	sps.u(8, 31)   // level_idc 3.1
	sps.ue(0)      // seq_parameter_set_id
	sps.ue(genLog2MaxFrameNum - 4)
	sps.ue(2)   // pic_order_cnt_type 2: output order is decoding order
	sps.ue(1)   // max_num_ref_frames
	sps.u(1, 0) // gaps_in_frame_num_value_allowed_flag
	sps.ue(uint32(mbw - 1))
	sps.ue(uint32(mbh - 1))
	sps.u(1, 1) // frame_mbs_only_flag
	sps.u(1, 1) // direct_8x8_inference_flag
	sps.u(1, 0) // frame_cropping_flag
	sps.u(1, 0) // vui_parameters_present_flag
	spsNAL := sps.nalUnit(3, h264.NALSPS)

	pps := &rbsp{}
	pps.ue(0)   // pic_parameter_set_id
	pps.ue(0)   // seq_parameter_set_id
	pps.u(1, 0) // entropy_coding_mode_flag: CAVLC
	pps.u(1, 0) // bottom_field_pic_order_in_frame_present_flag
	pps.ue(0)   // num_slice_groups_minus1
	pps.ue(0)   // num_ref_idx_l0_default_active_minus1
	pps.ue(0)   // num_ref_idx_l1_default_active_minus1
	pps.u(1, 0) // weighted_pred_flag
	pps.u(2, 0) // weighted_bipred_idc
	pps.se(0)   // pic_init_qp_minus26
	pps.se(0)   // pic_init_qs_minus26
	pps.se(0)   // chroma_qp_index_offset
	pps.u(1, 1) // deblocking_filter_control_present_flag
	pps.u(1, 0) // constrained_intra_pred_flag
	pps.u(1, 0) // redundant_pic_cnt_present_flag
	ppsNAL := pps.nalUnit(3, h264.NALPPS)

	var aus [][][]byte
	for g := range groups {
		s := &rbsp{}
		s.ue(0) // first_mb_in_slice
		s.ue(7) // slice_type: I (all slices of the picture)
		s.ue(0) // pic_parameter_set_id
		s.u(genLog2MaxFrameNum, 0)
		s.ue(uint32(g % 2)) // idr_pic_id: consecutive IDRs differ
		s.u(1, 0)           // no_output_of_prior_pics_flag
		s.u(1, 0)           // long_term_reference_flag
		s.se(0)             // slice_qp_delta
		s.ue(1)             // disable_deblocking_filter_idc
		for mb := range mbw * mbh {
			s.ue(25) // mb_type I_PCM
			for s.nbit != 0 {
				s.u(1, 0) // pcm_alignment_zero_bit
			}
			for i := range 256 {
				s.u(8, uint32(16+(mb*7+i+g*20)%200)) // luma within 16..215
			}
			for range 128 {
				s.u(8, 128) // Cb, Cr: grey
			}
		}
		aus = append(aus, [][]byte{spsNAL, ppsNAL, s.nalUnit(3, h264.NALIDR)})
		for f := 1; f < gop; f++ {
			p := &rbsp{}
			p.ue(0) // first_mb_in_slice
			p.ue(5) // slice_type: P (all slices)
			p.ue(0) // pic_parameter_set_id
			p.u(genLog2MaxFrameNum, uint32(f%(1<<genLog2MaxFrameNum)))
			p.u(1, 0) // num_ref_idx_active_override_flag
			p.u(1, 0) // ref_pic_list_modification_flag_l0
			p.u(1, 0) // adaptive_ref_pic_marking_mode_flag
			p.se(0)   // slice_qp_delta
			p.ue(1)   // disable_deblocking_filter_idc
			p.ue(uint32(mbw * mbh))
			aus = append(aus, [][]byte{p.nalUnit(2, h264.NALSlice)})
		}
	}
	return aus
}

// packetize turns access units into RTP payloads (packetization-mode 1).
func packetize(aus [][][]byte) ([][][]byte, error) {
	p := &h264.Packetizer{Mode: 1, MTU: h264.DefaultMTU}
	frames := make([][][]byte, 0, len(aus))
	for i, au := range aus {
		pl, err := p.Packetize(au, nil)
		if err != nil {
			return nil, fmt.Errorf("access unit %d: %w", i, err)
		}
		if len(pl) > 0 {
			frames = append(frames, pl)
		}
	}
	return frames, nil
}

// videoFrames returns the RTP payloads to replay: of the Annex B file path (x264
// aud=1: an access unit delimiter before each access unit), or of a generated
// 176×144 stream (an IDR a second at fps) when path is "gen".
func videoFrames(path string, fps int) ([][][]byte, error) {
	if path == "gen" {
		return packetize(generateVideo(176, 144, 2, max(fps, 1)))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var aus [][][]byte
	var cur [][]byte
	for _, nal := range h264.SplitAnnexB(b) {
		if h264.NALType(nal) == h264.NALAUD {
			if len(cur) > 0 {
				aus = append(aus, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, nal)
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	if len(aus) == 0 {
		return nil, fmt.Errorf("%s: no H.264 access units", path)
	}
	if !h264.IsKeyframe(aus[0]) {
		return nil, fmt.Errorf("%s: does not start with an IDR picture", path)
	}
	return packetize(aus)
}
