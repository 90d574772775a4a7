package bridge

import "bytes"

// bitWriter writes the H.264 RBSP syntax elements the test encoder needs
// (ITU-T H.264 §7.2: u(n), ue(v), se(v)).
type bitWriter struct {
	buf  []byte
	cur  byte
	nbit int
}

func (w *bitWriter) u(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		w.cur = w.cur<<1 | byte(v>>uint(i)&1)
		w.nbit++
		if w.nbit == 8 {
			w.buf = append(w.buf, w.cur)
			w.cur, w.nbit = 0, 0
		}
	}
}

// ue is Exp-Golomb (§9.1).
func (w *bitWriter) ue(v uint32) {
	x := v + 1
	n := 0
	for t := x; t > 1; t >>= 1 {
		n++
	}
	w.u(n, 0)
	w.u(n+1, x)
}

func (w *bitWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

func (w *bitWriter) aligned() bool { return w.nbit == 0 }

// trailing writes rbsp_trailing_bits (§7.3.2.11).
func (w *bitWriter) trailing() []byte {
	w.u(1, 1)
	for !w.aligned() {
		w.u(1, 0)
	}
	return w.buf
}

// nal wraps an RBSP into an Annex B NAL unit with emulation prevention (§7.4.1).
func nal(refIdc, typ byte, rbsp []byte) []byte {
	out := []byte{0, 0, 0, 1, refIdc<<5 | typ}
	zeros := 0
	for _, b := range rbsp {
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

// testFrames makes n IDR access units (SPS, PPS, IDR slice) of a w×h constrained
// baseline level 3.1 stream (profile-level-id 42e01f) whose macroblocks are all I_PCM:
// a real, decodable H.264 stream with no encoder behind it. Each frame is a different
// gradient.
func testFrames(n, w, h int) [][]byte {
	mbw, mbh := w/16, h/16
	sps := &bitWriter{}
	sps.u(8, 66)   // profile_idc: baseline
	sps.u(8, 0xe0) // constraint_set0/1/2 flags: constrained baseline
	sps.u(8, 31)   // level_idc 3.1
	sps.ue(0)      // seq_parameter_set_id
	sps.ue(0)      // log2_max_frame_num_minus4
	sps.ue(2)      // pic_order_cnt_type
	sps.ue(1)      // max_num_ref_frames
	sps.u(1, 0)    // gaps_in_frame_num_value_allowed_flag
	sps.ue(uint32(mbw - 1))
	sps.ue(uint32(mbh - 1))
	sps.u(1, 1) // frame_mbs_only_flag
	sps.u(1, 1) // direct_8x8_inference_flag
	sps.u(1, 0) // frame_cropping_flag
	sps.u(1, 0) // vui_parameters_present_flag
	spsNAL := nal(3, 7, sps.trailing())

	pps := &bitWriter{}
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
	ppsNAL := nal(3, 8, pps.trailing())

	frames := make([][]byte, n)
	for f := range frames {
		s := &bitWriter{}
		s.ue(0)             // first_mb_in_slice
		s.ue(7)             // slice_type: I (all slices)
		s.ue(0)             // pic_parameter_set_id
		s.u(4, 0)           // frame_num
		s.ue(uint32(f % 2)) // idr_pic_id: consecutive IDRs differ
		s.u(1, 0)           // no_output_of_prior_pics_flag
		s.u(1, 0)           // long_term_reference_flag
		s.se(0)             // slice_qp_delta
		s.ue(1)             // disable_deblocking_filter_idc
		for mb := 0; mb < mbw*mbh; mb++ {
			s.ue(25) // mb_type I_PCM
			for !s.aligned() {
				s.u(1, 0) // pcm_alignment_zero_bit
			}
			for i := 0; i < 256; i++ {
				s.u(8, uint32(16+(mb*7+i+f*20)%200)) // luma, kept within 16..215
			}
			for i := 0; i < 128; i++ {
				s.u(8, 128) // Cb, Cr
			}
		}
		frames[f] = bytes.Join([][]byte{spsNAL, ppsNAL, nal(3, 5, s.trailing())}, nil)
	}
	return frames
}

// splitNALs splits an Annex B stream at its 4-byte start codes.
func splitNALs(b []byte) [][]byte {
	var out [][]byte
	for _, p := range bytes.Split(b, []byte{0, 0, 0, 1}) {
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}
