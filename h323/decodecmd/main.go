// Package decodecmd implements `roomgate h323 decode [--roundtrip] FILE`:
// it reads a pcap or pcapng capture (optionally gzip-compressed), finds
// the H.323 signalling in it and prints one JSON object per message.
//
// What is found:
//   - TCP on any port, reassembled per direction by sequence number
//     (retransmissions and keep-alive probes dropped, out-of-order
//     segments held until the gap fills) and cut into TPKTs (RFC 1006);
//     a direction is call signalling (Q.931, H.225.0 §7) when it uses port
//     1720 or its first TPKT parses as Q.931, else H.245;
//   - UDP to or from ports 1718/1719: H.225.0 RAS.
//
// Link types: Ethernet, Linux cooked (SLL), raw IPv4/IPv6, BSD loopback.
//
// Each line has "frame" (1-based, the frame holding the message's last
// octet, as tshark counts), "protocol" ("q931", "h225ras", "h245"; "tpkt"
// for framing errors), "message" (the ASN.1 alternative name, or the Q.931
// name in the same spelling such as "releaseComplete" when no H.225.0
// decoder is registered, or "undecoded"), "src", "dst", "body", and
// "error" when something did not decode. With --roundtrip every decoded
// message gets "roundtrip": true|false (re-encoding reproduced the octets)
// and the exit status is 1 if any message failed; messages printed as
// "undecoded" (no decoder registered) carry no verdict.
//
// The ASN.1 decoders are those of the generated h323/h225 and h323/h245
// packages (Default); Register replaces them, Run takes them explicitly.
package decodecmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage: roomgate h323 decode [--roundtrip] FILE

Print the H.323 messages (Q.931/H.225.0, RAS, H.245) of a pcap or pcapng
capture, gzip-compressed or not, as one JSON object per line.

  --roundtrip   re-encode every decoded message, add "roundtrip": true|false
                and exit 1 if any message fails to decode or re-encode
`

// Main runs the command with the Default Decoders, or those set by
// Register. args are the
// arguments after "decode". It returns the exit status: 0 success, 1 a
// message failed with --roundtrip or the file could not be read, 2 usage.
func Main(args []string, stdout, stderr io.Writer) int {
	return Run(args, stdout, stderr, registeredDecoders())
}

// Run is Main with explicit Decoders.
func Run(args []string, stdout, stderr io.Writer, d Decoders) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	roundtrip := fs.Bool("roundtrip", false, "check that every message re-encodes identically")
	if err := fs.Parse(flagsFirst(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stderr, "roomgate h323 decode: %v\n", err)
		return 1
	}
	defer f.Close()
	src, err := openCapture(f)
	if err != nil {
		fmt.Fprintf(stderr, "roomgate h323 decode: %s: %v\n", name, err)
		return 1
	}
	w := newWriter(stdout, *roundtrip)
	if err := newDecoder(d, w).run(src); err != nil {
		fmt.Fprintf(stderr, "roomgate h323 decode: %s: %v\n", name, err)
		return 1
	}
	if *roundtrip && w.failures > 0 {
		fmt.Fprintf(stderr, "roomgate h323 decode: %d of %d messages failed to decode or re-encode\n", w.failures, w.messages)
		return 1
	}
	return 0
}

// flagsFirst moves flags before the file name, so that both
// "decode --roundtrip FILE" and "decode FILE --roundtrip" work; "--" ends
// flag parsing as usual.
func flagsFirst(args []string) []string {
	var flags, rest []string
	for i, a := range args {
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}
