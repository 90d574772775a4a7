// Package h323 is the H.323 call signalling layer (ITU-T H.323 §8.1,
// H.225.0 §7.3–7.4 and Q.931 as H.225.0 profiles it): a TCP listener for
// dial-in calls (Service, Handler, InboundCall) and outbound calls
// (Service.Dial, OutboundCall), shaped like package sip.
//
// Scope:
//   - Setup, CallProceeding, Alerting, Connect, Progress, Facility,
//     Information, Notify, Status/StatusInquiry and ReleaseComplete, one call
//     per TCP connection (multipleCalls and maintainConnection false);
//     peers of H.225.0 versions 2 to 7;
//   - fastStart (H.323 §8.1.7): the caller's proposals are handed to the
//     handler, the accepted channels go back in the first answer that carries
//     fastStart;
//   - H.245 transport, one API whatever the path: tunnelled in h245Control
//     (H.323 §8.2.1; one PDU per Facility when nothing else goes out, as
//     Cisco IOS requires), or a separate TPKT-framed TCP connection
//     (h245Address in Setup, Connect or Facility startH245, either side
//     connecting). H.245 itself (capabilities, master/slave, channels) is
//     the caller's: this package carries the PDUs.
//
// Every connection is bounded (Limits): total and per-source caps, a rate
// limit per source, a Setup deadline after accept, a maximum message size,
// a deadline for a TPKT once it started (slow senders), and H.245 listeners
// that close when nobody connects.
//
// Not here: RAS and gatekeeper (package h323/ras), H.245 state machines
// (h323/control), media, redirects (Facility callForwarded is logged, not
// followed: a call only ever connects to the address it was given).
package h323
