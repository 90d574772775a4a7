// Command roomgate is the room-system gateway: it runs the meeting service (embedded
// LiveKit meeting core, meeting directory, web UI, REST API) and brings SIP and H.323
// room systems into its meetings.
//
//	roomgate serve [--config FILE] [--log-format text|json]
//	roomgate check-config FILE
//	roomgate h323 decode [--roundtrip] FILE
//	roomgate version
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  roomgate serve [--config FILE] [--log-format text|json]   run the gateway
  roomgate check-config FILE                               validate a configuration file
  roomgate h323 decode [--roundtrip] FILE                  print H.323 messages of a pcap/pcapng
  roomgate version                                         print the version
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "h323":
		return h323(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "roomgate", version)
		return 0
	case "help", "--help", "-h":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "roomgate: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}
