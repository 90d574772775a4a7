// Package bfcp implements the Binary Floor Control Protocol, RFC 8855
// (BFCPbis, which obsoletes RFC 4582), for roomgate's SIP leg.
//
// # Wire format
//
// Message, Header and Attribute follow pion/rtp's shape (Marshal, MarshalTo,
// MarshalSize, Unmarshal). They cover the common header of versions 1
// (reliable transports) and 2 (unreliable transports, with the R and F bits
// and the fragment fields), every primitive of RFC 8855 §5.3 and every
// attribute of §5.2 with the M bit and the 4-octet padding, grouped
// attributes nested. Unknown attributes are kept as raw bytes;
// UnknownMandatory lists those the server answers with Error 4. Decoders
// check every length against the input left before slicing, nest grouped
// attributes at most MaxDepth deep, and the transports cap a message at
// Config.MaxMessageSize. Fragments and Reassembler split and join version 2
// fragments; the server reassembles what it receives and never fragments
// what it sends (its messages stay far below a datagram's size).
//
// # Server
//
// Server is the floor control server of one conference. roomgate runs one
// per SIP call that negotiated BFCP, configured from the SDP it answers
// (RFC 8856): Config.ConferenceID is a=confid, Config.FloorIDs the a=floorid
// values. The user ID a room system sends is taken as is. Transports:
//
//   - Serve(listener): TCP, the gateway answered a=setup:passive;
//   - DialTCP: TCP to a room system that is a=setup:passive;
//   - ServeUDP: UDP with RFC 8855 §6.2 reliability: the server's own
//     FloorRequestStatus and FloorStatus go to version 2 peers with a fresh
//     Transaction ID and are retransmitted with T1 = 500 ms doubling until
//     FloorRequestStatusAck/FloorStatusAck, or the peer is dead after
//     MaxRetransmits; retransmitted requests get the cached response for
//     ResponseLinger (10 s), so a request is acted on once. Version 1 peers
//     over UDP (RFC 4582 era) get Transaction ID 0 notifications, sent once.
//
// Over TCP, notifications carry Transaction ID 0 (RFC 8855 §8). Hello is
// answered at any time (the keep-alive room systems send) with HelloAck
// listing the supported primitives and attributes. A dead client is found
// by a closed connection, TCP keep-alive (Go's default 15 s probes),
// Config.IdleTimeout if set, or unacknowledged UDP notifications.
//
// The server does not decide who holds a floor. A FloorRequest is passed
// to Config.Floors (the meeting's floor state machine), whose answer is
// sent in the FloorRequestStatus response; Pending and Accepted requests
// are decided later through Grant, Deny or Revoke, which notify the
// requester and every peer that asked FloorQuery for the floor. Every state
// change is reported to Config.OnFloorChange, in order. Floors and
// OnFloorChange are called without the server's locks, and may call Grant,
// Deny and Revoke; they run on the peer's reader, so they should return
// promptly (answer Pending and decide later when a decision waits).
//
// Hostile input: connections and UDP peers are capped (MaxConns), each has
// a token bucket (Rate, Burst), a cap on open floor requests (MaxRequests),
// a handshake timeout for the first valid message and an optional idle
// timeout; a TCP peer that does not read is dropped when its send queue
// fills; UDP peers exist only after a valid message and Errors to unknown
// addresses share one rate limit. Close stops every goroutine and waits.
//
// # Roles
//
// Room systems take the client roles c-only and c-s (RFC 8856 §4); in both
// the gateway answers s-only and is the server, so this package has no
// floor participant inside the gateway. Client is a floor participant for
// the room-system simulator and the tests: Hello, FloorRequest,
// FloorRelease, FloorRequestQuery, FloorQuery, Goodbye over TCP or UDP (with
// retransmissions and Acks), notifications on a channel. Chair operations
// (ChairAction) are encoded and decoded; the server refuses them with
// Error 5, as the meeting's host controls live in the web UI.
package bfcp
