// Package sdp implements the SDP offer/answer model for roomgate's SIP leg.
//
// It parses session descriptions (RFC 4566, via github.com/pion/sdp/v3) into
// typed media descriptions and negotiates answers following RFC 3264:
// every offered m-line is kept in order (§6), streams we cannot use are
// rejected with port 0 and the offered format list (§6), and direction
// attributes are answered as in §6.1 (sendonly→recvonly, recvonly→sendonly,
// inactive→inactive). Audio codecs are PCMU/PCMA (RFC 3551), G.722
// (RFC 3551 §4.5.2), Opus (RFC 7587) and telephone-event (RFC 4733); video is
// H.264 (RFC 6184 §8.1 parameters, with the H.241 max-* extensions room
// systems use). RTCP feedback (RFC 4585 nack/pli, RFC 5104 ccm fir),
// bandwidth (RFC 4566 b=AS, RFC 3890 b=TIAS) and a=rtcp (RFC 3605) are read.
//
// Content video (a=content:slides, RFC 4796), BFCP (RFC 4583) and H.224
// far-end camera control are recognised and, for now, rejected. SRTP
// (RTP/SAVP) streams are rejected; a=crypto on RTP/AVP lines (best-effort
// SRTP, as Tandberg/Cisco send it) is ignored.
//
// Errors for unusable input are typed (*SyntaxError, *NegotiationError) and
// report the SIP status a signalling layer should answer with (488).
package sdp
