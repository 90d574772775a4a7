// Package control is the H.245 brain of an H.323 call (ITU-T H.245 §8,
// H.323 §8.2): the signalling entities of a call's control channel as pure
// state machines, without sockets, goroutines or clocks.
//
//   - CESE, capability exchange (H.245 §8.3): our TerminalCapabilitySet with
//     sequence numbers, timer T101 and retries; the remote's acknowledged or
//     rejected with the cause H.245 names. An empty capability set (no table,
//     no descriptors) is H.323 §8.4.6's pause: event Hold; the next non-empty
//     one is Resume.
//   - MSDSE, master/slave determination (H.245 §8.2, C.2): terminal type,
//     random 24-bit number, indeterminate results retried up to N100 times,
//     timer T106, Reject and Release.
//   - LCSE, unidirectional logical channels (H.245 §8.4, C.4) both ways:
//     OpenLogicalChannel with H2250LogicalChannelParameters, Ack, Reject,
//     timer T103, CloseLogicalChannel, RequestChannelClose, master/slave
//     conflicts.
//   - Commands and indications: videoFastUpdatePicture, flowControlCommand,
//     userInputIndication, RoundTripDelay (answered, and sent as liveness),
//     endSessionCommand, FunctionNotUnderstood / FunctionNotSupported.
//   - H.239 dual video (H.239 §7–8): the control capability and the
//     presentation role around H.264 in our TCS, the remote's parsed
//     (KindContent, RemoteCaps.H239, Choice.Content); content channels
//     both ways in the session the endpoint proposes or assigns (3 when
//     nobody says; Huawei 10, Tandberg 32+); the presentation token as a
//     state machine (token.go): RequestToken / ReleaseToken / RevokeToken
//     for the call, TokenRequested answered with GrantToken / DenyToken,
//     TokenOwner / TokenReleased / TokenResponse as events,
//     symmetryBreaking on simultaneous requests, a grant held until the
//     remote's content channel is acknowledged (Polycom).
//   - Capabilities: our TCS (G.711, G.722, H.264 per H.241, user input,
//     RFC 2833), the remote's parsed into a neutral list and a choice, and
//     fastStart (H.323 §8.1.7) for callee and caller; all of it expressed
//     as a transcode/media Plan for the media bridge.
//
// A Session is driven by its owner: Handle for each received message, Tick
// when NextDeadline passes, and user actions; Drain returns what the session
// wants sent and the events for the call, in order. Time is always passed
// in, randomness comes from Config.Rand, vendor quirks from Config.Quirks,
// so every run is reproducible.
package control
