// Package sdp implements the SDP offer/answer model for roomgate's SIP leg.
//
// It parses session descriptions (RFC 4566) with its own tolerant reader into
// typed media descriptions (github.com/pion/sdp/v3 only writes ours) and
// negotiates answers following RFC 3264:
// every offered m-line is kept in order (§6), streams we cannot use are
// rejected with port 0 and the offered format list (§6), and direction
// attributes are answered as in §6.1 (sendonly→recvonly, recvonly→sendonly,
// inactive→inactive). Audio codecs are PCMU/PCMA (RFC 3551), G.722
// (RFC 3551 §4.5.2), Opus (RFC 7587) and telephone-event (RFC 4733); video is
// H.264 (RFC 6184 §8.1 parameters, with the H.241 max-* extensions room
// systems use). RTCP feedback (RFC 4585 nack/pli, RFC 5104 ccm fir),
// bandwidth (RFC 4566 b=AS, RFC 3890 b=TIAS) and a=rtcp (RFC 3605) are read.
//
// Real room-system offers never fail as a whole for one line: an m-line we
// cannot read (an RFC 2327-era media type such as m=control, a port of "*",
// an unknown protocol) is answered with port 0 and its own media type, protocol
// and formats, and the rest of the call goes on.
//
// Dual-stream content: a content video m-line (a=content:slides, RFC 4796,
// or a stream a BFCP floor names by its a=label, RFC 4574) is accepted when
// Local gives a ContentPort, with or without BFCP. The BFCP m-line (RFC 8856:
// TCP/BFCP, UDP/BFCP; TCP/TLS/BFCP and UDP/TLS/BFCP only with a certificate
// fingerprint configured) is answered as floor control server (s-only) with
// a=confid, a=userid, a=floorid naming our content label (mstrm, or the
// legacy m-stream the offer used), a=setup/a=connection (RFC 4145) and
// a=bfcpver. SDP stays pure: the caller opens the sockets. H.224 far-end
// camera control is recognised and rejected. SRTP keyed by SDES (RFC 4568)
// follows Capabilities.SRTP (see SRTPMode), the content line like the others.
//
// Errors for unusable input are typed (*SyntaxError, *NegotiationError) and
// report the SIP status a signalling layer should answer with (488).
package sdp
