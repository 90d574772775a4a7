// Package policy holds the join-policy primitives of roomgate's meetings: the
// password check that web users and room systems pass before they are let in,
// the Guard that limits password guessing (back-off per source and meeting, a ban
// list per source, meeting- and gateway-wide caps that hold back only sources
// that never got in, an alert), and a plain sliding-window rate limiter.
//
// It has no LiveKit, HTTP, SIP or H.323 dependency: the REST join handler and the
// gateway's IVR both call it with what they know (the meeting from
// rooms/directory, the entered secret, the caller's source address and the
// current time), so both entry points enforce the same rules.
//
// The Guard's rule: an unguessable credential (host key, operator token) is never
// refused; a right password is refused only when its own source is banned, backing
// off at that meeting, or never got into a meeting under attack.
package policy
