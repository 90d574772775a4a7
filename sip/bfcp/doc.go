// Package bfcp implements the Binary Floor Control Protocol, RFC 8855
// (BFCPbis, which obsoletes RFC 4582), for roomgate's SIP leg.
//
// The wire format (message.go, header.go, attribute.go) covers the common
// header of versions 1 (reliable transports) and 2 (unreliable transports,
// with the R and F bits and the fragment fields), every primitive of RFC 8855
// §5.3 and every attribute of §5.2, grouped attributes nested. Unknown
// attributes are kept as raw bytes; the server answers unknown mandatory ones
// with Error 4 (§13.8). Decoders bound what they read: lengths are checked
// against the remaining input before anything is sliced, grouped attributes
// nest at most MaxDepth deep, and transports cap a message at
// Config.MaxMessageSize.
//
// Server is the floor control server for one conference: roomgate runs one
// per SIP call that negotiated BFCP, with the conference ID, user ID and
// floor ID it put in the SDP (RFC 8856). It accepts or dials TCP (the room
// system's a=setup decides which, RFC 8856 §7) and serves UDP with the
// reliability of RFC 8855 §6.2 (T1 retransmissions doubling from 500 ms,
// FloorRequestStatusAck/FloorStatusAck for the server's notifications,
// duplicate requests answered from a response cache). It does not decide who
// holds a floor: it asks a Floors implementation and takes the decision back
// through Grant, Deny and Revoke, reporting every change to OnFloorChange.
//
// Room systems take the client roles c-only and c-s (RFC 8856 §4); in both
// the gateway is the server (s-only), so this package has no floor-
// participant side beyond Client, which the room-system simulator and the
// tests use. Chair operations (ChairAction, UserQuery) are parsed and
// encoded; the server answers them with Error 5 (unauthorised operation)
// since the meeting's host controls live in the web UI, not in BFCP.
package bfcp
