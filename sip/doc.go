// Package sip is roomgate's SIP signalling service for room systems.
//
// It builds on github.com/emiago/sipgo for the transport (UDP and TCP) and
// transaction layers (RFC 3261 §17, RFC 6026) and keeps the user-agent core
// here: dialogs (RFC 3261 §12), INVITE/ACK/BYE/CANCEL (§13–§15), re-INVITE
// and UPDATE (RFC 3311) for hold/resume and session refresh, session timers
// (RFC 4028), OPTIONS (§11), INFO (RFC 6086) carrying DTMF
// (application/dtmf-relay, application/dtmf) and picture_fast_update
// (RFC 5168), and symmetric response routing for endpoints behind NAT
// (RFC 3581 rport/received; in-dialog requests go to the address the
// endpoint sends from when its Contact is unreachable).
//
// SDP offer/answer lives in the sip/sdp subpackage; this package only
// carries bodies and rejects unparseable ones with 488.
//
// The gateway implements Handler for dial-in and calls Dial for dial-out; it
// never sees sipgo types. Timers (2xx retransmission, session timers, ring
// timeout) are per Service; nothing here changes sipgo's package globals.
package sip
