// Package q931 implements the ITU-T Q.931 call control messages in the
// profile used by ITU-T H.225.0 §7 for H.323 call signalling over TCP
// (each message is carried in one TPKT, see package tpkt).
//
// Scope:
//   - the message header (§4.2–4.4): protocol discriminator 0x08, call
//     reference of 0–2 octets with its flag, message type;
//   - information elements (§4.5) in the order received, including the
//     single-octet ones (shift, more data, sending complete, congestion
//     level, repeat indicator) and codeset shifts (§4.5.2–4.5.3);
//     elements this package does not know are kept verbatim, so that
//     Unmarshal followed by Marshal reproduces the input byte for byte;
//   - typed codecs for the elements H.225.0 §7.2.2 uses: bearer capability
//     (§4.5.5), cause (§4.5.12 / Q.850), channel identification (§4.5.13),
//     progress indicator (§4.5.23), notification indicator (§4.5.22),
//     display (§4.5.16), keypad facility (§4.5.18), signal (§4.5.28),
//     date/time (§4.6.1), facility (Q.932 §4.5.1), calling and called
//     party number (§4.5.10, §4.5.8) and user-user (§4.5.30, with the
//     two-octet length that H.225.0 §7.2.2.9 prescribes in codeset 0).
//
// Call states and timers are not here; they belong to the call layer.
package q931
