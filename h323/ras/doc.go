// Package ras is H.225.0 RAS (ITU-T H.225.0 v7 §7.7–7.17, H.323 §7.2 and
// §8.4): a built-in gatekeeper that room systems register with, and a
// gatekeeper client that registers the gateway with an external gatekeeper.
//
// The messages are the generated h225.RasMessage types; this package holds
// the state and the rules.
//
// # Gatekeeper
//
// Gatekeeper answers, on one UDP socket (default port 1719):
// GRQ (GCF/GRJ), RRQ full and lightweight keepalive (RCF/RRJ), URQ
// (UCF/URJ), ARQ (ACF/ARJ, direct-routed call model only), DRQ (DCF/DRJ),
// LRQ (LCF/LRJ), BRQ (BCF/BRJ) and IRR (IACK/INAK when the IRR asks for a
// response). Other requests are answered with XRS (unknownMessageResponse);
// confirmations and rejects it did not ask for are ignored, so two
// gatekeepers can never bounce messages between each other. It sends URQ
// (reason ttlExpired) once when a registration expires. It does not send
// RIP: every answer is computed at once.
//
// # Hostile networks
//
// Every datagram may be forged. The rules that follow from that:
//
//   - Answers go to the datagram's source address and port, never to an
//     address written inside the message (rasAddress, replyAddress). This
//     is a deliberate departure from H.225.0's "reply to rasAddress": a
//     forged rasAddress cannot aim the gatekeeper at a third party, and
//     endpoints behind NAT are reached where they really are. The only
//     message the gatekeeper sends on its own, URQ at expiry, goes to the
//     source address of the registration's last RRQ.
//   - No amplification: one datagram in gives at most one datagram out, and
//     an answer is at most MaxReplyGrowth bytes longer than its request
//     (checked before sending; a larger answer is dropped and logged). A
//     lightweight keepalive RRQ is answered with a lightweight RCF that
//     does not repeat the registration's aliases.
//   - Per source IP: a token-bucket rate limit (over it, datagrams are
//     dropped unanswered for a block period, with one log line per period),
//     a cap on registrations; a cap on all registrations; caps on aliases
//     and addresses per registration.
//   - Call signalling addresses: unless TrustSignalledAddresses is set, the
//     IP of a registration's callSignalAddress is replaced by the IP the
//     RRQ came from (keeping the port). ACF and LCF, and the gateway's own
//     dial-out through Lookup, therefore only point at hosts that sent us
//     an RRQ, never at a host named by someone else.
//   - Retransmissions: a request repeated byte for byte from the same
//     source gets the same answer from a bounded cache, without being
//     processed again.
//
// # What it tells
//
// Registrations and Lookup show the live registrations (expired ones are
// gone as soon as their time is up); OnChange hears of every registration,
// update, keepalive refresh, unregistration and expiry; Stats counts
// datagrams by fate. It logs at Info each registration, update,
// unregistration, expiry and duplicate-alias refusal (endpoint ID,
// aliases, addresses, vendor); at Warn a source that starts being rate
// limited (once per block period), a full registry and an answer dropped
// by the amplification check; at Debug undecodable datagrams.
//
// # Client
//
// Client registers the gateway with an external gatekeeper (H.323 §7.2):
// optionally GRQ first, then RRQ with the gateway's aliases and call
// signalling address, lightweight keepalive RRQs before the time to live
// runs out, re-registration with backoff after RRJ or timeout, URQ on
// Close. It answers the gatekeeper's URQ (UCF, then registers again) and
// IRQ (IRR). Locate sends an LRQ, Admit an ARQ and Disengage a DRQ. Every
// request is sent up to three times with the H.225.0 default timeouts.
package ras
