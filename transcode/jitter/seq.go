package jitter

// unwrap extends a 16-bit RTP sequence number to 64 bits relative to ref,
// the extended number of the highest packet seen (RFC 3550 §A.1): the
// closest value modulo 2^16 wins, so wrap-around from 65535 to 0 keeps
// counting up and a slightly older packet maps just below ref.
func unwrap(ref int64, seq uint16) int64 {
	diff := int16(seq - uint16(ref))
	return ref + int64(diff)
}

// tsDiff is b-a for RTP timestamps, taking wrap-around into account.
func tsDiff(a, b uint32) int64 {
	return int64(int32(b - a))
}
