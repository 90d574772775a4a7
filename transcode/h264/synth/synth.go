// Package synth writes H.264 bitstreams without an encoder, for tests and the
// room-system simulator: an RBSP writer (ITU-T H.264 §7.2 descriptors u(n), ue(v),
// se(v), trailing bits and emulation prevention, §7.4.1) and a decodable
// constrained-baseline stream of I_PCM pictures. It imports nothing of the H.264
// reader it helps test.
package synth

// NAL unit types it writes (H.264 Table 7-1).
const (
	nalSlice = 1
	nalIDR   = 5
	nalSPS   = 7
	nalPPS   = 8
)

// RBSP accumulates the bits of one raw byte sequence payload.
type RBSP struct {
	buf  []byte
	cur  byte
	nbit int
}

// U writes v in n bits, most significant first (u(n)).
func (w *RBSP) U(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		w.cur = w.cur<<1 | byte(v>>uint(i)&1)
		if w.nbit++; w.nbit == 8 {
			w.buf = append(w.buf, w.cur)
			w.cur, w.nbit = 0, 0
		}
	}
}

// UE writes unsigned Exp-Golomb (ue(v), §9.1).
func (w *RBSP) UE(v uint32) {
	x, n := uint64(v)+1, 0
	for t := x; t > 1; t >>= 1 {
		n++
	}
	w.U(n, 0)
	for i := n; i >= 0; i-- {
		w.U(1, uint32(x>>uint(i)&1))
	}
}

// SE writes signed Exp-Golomb (se(v), §9.1.1).
func (w *RBSP) SE(v int32) {
	if v > 0 {
		w.UE(uint32(2*v - 1))
	} else {
		w.UE(uint32(-2 * v))
	}
}

// Aligned reports whether the next bit starts a byte.
func (w *RBSP) Aligned() bool { return w.nbit == 0 }

// NAL ends the RBSP (rbsp_trailing_bits, §7.3.2.11) and returns it as a NAL unit
// with the header byte hdr and emulation prevention (§7.4.1), without a start code.
func (w *RBSP) NAL(hdr byte) []byte {
	w.U(1, 1)
	for w.nbit != 0 {
		w.U(1, 0)
	}
	out := []byte{hdr}
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

// Header is a NAL unit header byte (forbidden_zero_bit 0, nal_ref_idc, type).
func Header(refIdc, typ byte) byte { return refIdc<<5 | typ }

// log2MaxFrameNum is log2_max_frame_num of the streams Stream writes.
const log2MaxFrameNum = 4

// Stream makes a decodable constrained-baseline level 3.1 stream (profile-level-id
// 42e01f) of w×h pixels (multiples of 16): groups groups of gop access units, each
// group an IDR picture of I_PCM macroblocks (a gradient that moves from group to
// group) with its SPS and PPS, then gop-1 P pictures whose macroblocks are all
// skipped (the picture stands still until the next IDR). Each access unit is a list
// of NAL units without start codes.
func Stream(w, h, groups, gop int) [][][]byte {
	mbw, mbh := w/16, h/16
	sps := &RBSP{}
	sps.U(8, 66)   // profile_idc: baseline
	sps.U(8, 0xe0) // constraint_set0/1/2: constrained baseline
	sps.U(8, 31)   // level_idc 3.1
	sps.UE(0)      // seq_parameter_set_id
	sps.UE(log2MaxFrameNum - 4)
	sps.UE(2)   // pic_order_cnt_type 2: output order is decoding order
	sps.UE(1)   // max_num_ref_frames
	sps.U(1, 0) // gaps_in_frame_num_value_allowed_flag
	sps.UE(uint32(mbw - 1))
	sps.UE(uint32(mbh - 1))
	sps.U(1, 1) // frame_mbs_only_flag
	sps.U(1, 1) // direct_8x8_inference_flag
	sps.U(1, 0) // frame_cropping_flag
	sps.U(1, 0) // vui_parameters_present_flag
	spsNAL := sps.NAL(Header(3, nalSPS))

	pps := &RBSP{}
	pps.UE(0)   // pic_parameter_set_id
	pps.UE(0)   // seq_parameter_set_id
	pps.U(1, 0) // entropy_coding_mode_flag: CAVLC
	pps.U(1, 0) // bottom_field_pic_order_in_frame_present_flag
	pps.UE(0)   // num_slice_groups_minus1
	pps.UE(0)   // num_ref_idx_l0_default_active_minus1
	pps.UE(0)   // num_ref_idx_l1_default_active_minus1
	pps.U(1, 0) // weighted_pred_flag
	pps.U(2, 0) // weighted_bipred_idc
	pps.SE(0)   // pic_init_qp_minus26
	pps.SE(0)   // pic_init_qs_minus26
	pps.SE(0)   // chroma_qp_index_offset
	pps.U(1, 1) // deblocking_filter_control_present_flag
	pps.U(1, 0) // constrained_intra_pred_flag
	pps.U(1, 0) // redundant_pic_cnt_present_flag
	ppsNAL := pps.NAL(Header(3, nalPPS))

	var aus [][][]byte
	for g := range groups {
		s := &RBSP{}
		s.UE(0) // first_mb_in_slice
		s.UE(7) // slice_type: I (all slices of the picture)
		s.UE(0) // pic_parameter_set_id
		s.U(log2MaxFrameNum, 0)
		s.UE(uint32(g % 2)) // idr_pic_id: consecutive IDRs differ
		s.U(1, 0)           // no_output_of_prior_pics_flag
		s.U(1, 0)           // long_term_reference_flag
		s.SE(0)             // slice_qp_delta
		s.UE(1)             // disable_deblocking_filter_idc
		for mb := range mbw * mbh {
			s.UE(25) // mb_type I_PCM
			for !s.Aligned() {
				s.U(1, 0) // pcm_alignment_zero_bit
			}
			for i := range 256 {
				s.U(8, uint32(16+(mb*7+i+g*20)%200)) // luma within 16..215
			}
			for range 128 {
				s.U(8, 128) // Cb, Cr: grey
			}
		}
		aus = append(aus, [][]byte{spsNAL, ppsNAL, s.NAL(Header(3, nalIDR))})
		for f := 1; f < gop; f++ {
			p := &RBSP{}
			p.UE(0) // first_mb_in_slice
			p.UE(5) // slice_type: P (all slices)
			p.UE(0) // pic_parameter_set_id
			p.U(log2MaxFrameNum, uint32(f%(1<<log2MaxFrameNum)))
			p.U(1, 0) // num_ref_idx_active_override_flag
			p.U(1, 0) // ref_pic_list_modification_flag_l0
			p.U(1, 0) // adaptive_ref_pic_marking_mode_flag
			p.SE(0)   // slice_qp_delta
			p.UE(1)   // disable_deblocking_filter_idc
			p.UE(uint32(mbw * mbh))
			aus = append(aus, [][]byte{p.NAL(Header(2, nalSlice))})
		}
	}
	return aus
}
