package h264

import "fmt"

// SPS holds the fields of a sequence parameter set that the gateway needs
// (ITU-T H.264 §7.3.2.1.1): profile, level and the cropped picture size.
type SPS struct {
	ProfileIDC   byte
	Constraints  byte
	LevelIDC     byte
	ID           uint32
	ChromaFormat uint32
	Width        int
	Height       int
	FrameMBsOnly bool
}

// Profiles whose SPS carries chroma_format_idc and friends (§7.3.2.1.1).
func hasChromaInfo(p byte) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

// Limits on values that size loops or pictures: far above any real stream,
// small enough that arithmetic cannot overflow.
const (
	maxMBsPerSide = 1 << 10 // 16384 pixels
	maxPOCCycle   = 255     // §7.4.2.1.1
)

// ParseSPS parses a sequence parameter set NAL unit (with its header byte).
func ParseSPS(nal []byte) (*SPS, error) {
	if NALType(nal) != NALSPS {
		return nil, fmt.Errorf("%w: NAL type %d", ErrBadSPS, NALType(nal))
	}
	if len(nal) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadSPS, len(nal))
	}
	r := &bitReader{b: rbsp(nal[1:])}
	s := &SPS{ChromaFormat: 1}
	s.ProfileIDC = byte(r.bits(8))
	s.Constraints = byte(r.bits(8))
	s.LevelIDC = byte(r.bits(8))
	s.ID = r.ue()
	if s.ID > 31 {
		return nil, fmt.Errorf("%w: seq_parameter_set_id %d", ErrBadSPS, s.ID)
	}
	separatePlanes := false
	if hasChromaInfo(s.ProfileIDC) {
		s.ChromaFormat = r.ue()
		if s.ChromaFormat > 3 {
			return nil, fmt.Errorf("%w: chroma_format_idc %d", ErrBadSPS, s.ChromaFormat)
		}
		if s.ChromaFormat == 3 {
			separatePlanes = r.flag()
		}
		r.ue()        // bit_depth_luma_minus8
		r.ue()        // bit_depth_chroma_minus8
		r.bit()       // qpprime_y_zero_transform_bypass_flag
		if r.flag() { // seq_scaling_matrix_present_flag
			lists := 8
			if s.ChromaFormat == 3 {
				lists = 12
			}
			for i := 0; i < lists && r.err == nil; i++ {
				if r.flag() {
					size := 16
					if i >= 6 {
						size = 64
					}
					skipScalingList(r, size)
				}
			}
		}
	}
	r.ue() // log2_max_frame_num_minus4
	switch pocType := r.ue(); pocType {
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bit() // delta_pic_order_always_zero_flag
		r.se()  // offset_for_non_ref_pic
		r.se()  // offset_for_top_to_bottom_field
		n := r.ue()
		if n > maxPOCCycle {
			return nil, fmt.Errorf("%w: num_ref_frames_in_pic_order_cnt_cycle %d", ErrBadSPS, n)
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.se()
		}
	case 2:
	default:
		return nil, fmt.Errorf("%w: pic_order_cnt_type %d", ErrBadSPS, pocType)
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_value_allowed_flag
	wMBs := r.ue() + 1
	hMapUnits := r.ue() + 1
	s.FrameMBsOnly = r.flag()
	if !s.FrameMBsOnly {
		r.bit() // mb_adaptive_frame_field_flag
	}
	r.bit() // direct_8x8_inference_flag
	var cl, cr, ct, cb uint32
	if r.flag() { // frame_cropping_flag
		cl, cr, ct, cb = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: truncated", ErrBadSPS)
	}
	if wMBs > maxMBsPerSide || hMapUnits > maxMBsPerSide {
		return nil, fmt.Errorf("%w: %d×%d macroblocks", ErrBadSPS, wMBs, hMapUnits)
	}
	fieldFactor := 2
	if s.FrameMBsOnly {
		fieldFactor = 1
	}
	// Crop units (§7.4.2.1.1, Table 6-1).
	chromaArrayType := s.ChromaFormat
	if separatePlanes {
		chromaArrayType = 0
	}
	subW, subH := 1, 1
	switch chromaArrayType {
	case 1:
		subW, subH = 2, 2
	case 2:
		subW, subH = 2, 1
	}
	cropX, cropY := subW, subH*fieldFactor
	if chromaArrayType == 0 {
		cropX, cropY = 1, fieldFactor
	}
	w := int(wMBs) * 16
	h := int(hMapUnits) * 16 * fieldFactor
	if cl > uint32(w) || cr > uint32(w) || ct > uint32(h) || cb > uint32(h) {
		return nil, fmt.Errorf("%w: cropping larger than picture", ErrBadSPS)
	}
	s.Width = w - (int(cl)+int(cr))*cropX
	s.Height = h - (int(ct)+int(cb))*cropY
	if s.Width <= 0 || s.Height <= 0 {
		return nil, fmt.Errorf("%w: cropped to %d×%d", ErrBadSPS, s.Width, s.Height)
	}
	return s, nil
}

// skipScalingList reads past scaling_list() (§7.3.2.1.1.1).
func skipScalingList(r *bitReader, size int) {
	last, next := int32(8), int32(8)
	for j := 0; j < size && r.err == nil; j++ {
		if next != 0 {
			delta := r.se()
			next = (last + delta + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}
