// Package policy holds the join-policy primitives of roomgate's meetings: the
// password check that web users and room systems pass before they are let in,
// and the limiter that slows down password guessing.
//
// It has no LiveKit, HTTP, SIP or H.323 dependency: the REST join handler and the
// gateway's IVR both call it with what they know (the meeting from
// rooms/directory, the entered secret, the caller's source address and the
// current time), so both entry points enforce the same rules.
package policy
